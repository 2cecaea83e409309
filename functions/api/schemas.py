"""Request and response bodies of the HTTP API. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from functions.common import contract, payload_filter, validation
from functions.common.ingest import ID_PATTERN, TYPE_PATTERN
from functions.common.matching import ON_ENTRY_PATTERN
from functions.common.models import (
    Destination,
    DestinationType,
    EventType,
    Execution,
    ExecutionStatus,
    HookStatus,
    Ordering,
    PayloadFormat,
    Recovery,
    RecoveryKind,
    RecoveryStatus,
    Scope,
)
from functions.common.signing import SignatureScheme

MAX_ON_ENTRIES = 100
MAX_GRACE_SECONDS = 7 * 24 * 3600

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(lambda value: validation.plain_text(value, "name")),
]
Description = Annotated[
    str, StringConstraints(max_length=2000), AfterValidator(lambda value: validation.plain_text(value, "description"))
]
Category = Annotated[
    str, StringConstraints(max_length=100), AfterValidator(lambda value: validation.plain_text(value, "category"))
]
# Not stripped: white space anywhere in a URL is refused, not silently repaired.
Url = Annotated[
    str, StringConstraints(min_length=1, max_length=validation.MAX_URL_CHARS), AfterValidator(validation.normalise_url)
]
TypeName = Annotated[str, StringConstraints(pattern=TYPE_PATTERN)]
JsonObject = Annotated[dict[str, Any], AfterValidator(validation.check_json_value)]


class Schema(BaseModel):
    """Every API body. Its validator is built when a request first uses it, not at import: a cold start
    pays for the routes it serves, not for the sixty-odd bodies of every route."""

    model_config = ConfigDict(defer_build=True)


class Strict(Schema):
    """Request bodies reject unknown fields, so a typo is an error instead of a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class Page[T](Schema):
    items: list[T]
    next_cursor: str | None = None


class ErrorBody(Schema):
    message: str
    code: str
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


class Health(Schema):
    status: str = "ok"


# --- tenants and tokens -----------------------------------------------------------------------
class EgressIps(BaseModel):
    static: bool = Field(description="whether this deployment delivers from fixed addresses")
    ips: list[str] = Field(description="every address a delivery can come from (empty unless static)")


class CreateTenant(Strict):
    name: Name
    payload_format: PayloadFormat | None = Field(
        default=None, description="format of this tenant's hooks created without one"
    )


class UpdateTenant(Strict):
    name: Name | None = None
    payload_format: PayloadFormat | None = Field(
        default=None, description="format of this tenant's hooks created without one; null removes the default"
    )


class TenantView(Schema):
    id: str
    name: str
    created_at: datetime
    payload_format: PayloadFormat | None = None


class TenantCreated(TenantView):
    token: str = Field(description="The tenant's first token. Shown once: store it now.")
    token_id: str = Field(description="The id to list or revoke that token by.")


class CreateTenantToken(Strict):
    read_only: bool = Field(default=False, description="A read-only token may only GET (403 on anything else).")


class TenantTokenView(Schema):
    """A tenant token as listed: never the token itself (only its SHA-256 is stored)."""

    id: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="Refreshed at most once a minute.")
    read_only: bool


class TokenCreated(TenantTokenView):
    token: str = Field(description="Shown once: store it now.")


class ItemList[T](Schema):
    """A short list returned whole (no paging)."""

    items: list[T]


class CreateAdminToken(Strict):
    name: Name
    scopes: list[Scope] = Field(min_length=1, description="events:publish, tenants:manage, catalog:manage, read")

    @field_validator("scopes")
    @classmethod
    def _unique(cls, value: list[Scope]) -> list[Scope]:
        return sorted(set(value))


class AdminTokenView(Schema):
    """A scoped admin token as listed; `root` is the operator's Secrets Manager token, which has every scope."""

    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime | None
    last_used_at: datetime | None = Field(description="Refreshed at most once a minute.")


class AdminTokenCreated(AdminTokenView):
    token: str = Field(description="Shown once: store it now.")


# --- event types ------------------------------------------------------------------------------
class PutEventType(Strict):
    description: Description = ""
    category: Category | None = None
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    example: dict[str, Any] | None = Field(default=None, description="a sample `data` of this type")
    payload_format: PayloadFormat | None = Field(
        default=None, description="format of hooks on this type created without one (when the tenant has none)"
    )


class EventTypeView(Schema):
    type: str
    description: str
    category: str | None = None
    json_schema: dict[str, Any] | None = Field(default=None, serialization_alias="schema")
    example: dict[str, Any] | None = None
    payload_format: PayloadFormat | None = None

    @classmethod
    def of(cls, event_type: EventType) -> EventTypeView:
        return cls(
            type=event_type.type,
            description=event_type.description,
            category=event_type.category,
            json_schema=event_type.json_schema,
            example=event_type.example,
            payload_format=event_type.payload_format,
        )


class EventTypeList(Schema):
    items: list[EventTypeView]


# --- hooks ------------------------------------------------------------------------------------
def _normalise_on(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _check_on(entries: list[str]) -> list[str]:
    if not entries:
        raise ValueError("on needs at least one event type or glob")
    if len(entries) > MAX_ON_ENTRIES:
        raise ValueError(f"on takes at most {MAX_ON_ENTRIES} entries")
    for entry in entries:
        if not ON_ENTRY_PATTERN.match(entry):
            raise ValueError(f"{entry!r} is not an event type or glob (letters, digits, _ . - and *)")
    return list(dict.fromkeys(entries))


RateLimit = Annotated[
    int,
    Field(
        ge=contract.RATE_LIMIT_MIN_PER_SECOND,
        le=contract.RATE_LIMIT_MAX_PER_SECOND,
        description="at most this many deliveries to the hook per second; the excess waits (null: no limit)",
    ),
]


class HookFields(Strict):
    """Fields shared by create and update; `on` accepts one string or a list."""

    @field_validator("on", mode="before", check_fields=False)
    @classmethod
    def _on_list(cls, value: Any) -> Any:
        return _normalise_on(value)

    @field_validator("on", check_fields=False)
    @classmethod
    def _on_valid(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _check_on(value)

    @field_validator("headers", check_fields=False)
    @classmethod
    def _headers_valid(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return None if value is None else validation.check_headers(value)

    @field_validator("filter", check_fields=False)
    @classmethod
    def _filter_valid(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else payload_filter.check_filter(value)


class DestinationSpec(Strict):
    """Where a hook delivers when not by HTTPS POST to its url (see docs/delivery-controls.md)."""

    type: DestinationType = Field(description="https (the default: POST to url), sqs or eventbridge")
    queue_url: str | None = Field(default=None, max_length=1000, description="sqs: the queue's URL or ARN")
    event_bus_arn: str | None = Field(default=None, max_length=1600, description="eventbridge: the bus's ARN")
    role_arn: str | None = Field(
        default=None, max_length=2048, description="sqs/eventbridge: the role (named hookwire-*) Hookwire assumes"
    )
    external_id: str | None = Field(
        default=None, max_length=1224, description="sqs/eventbridge: the external id the role's trust policy requires"
    )


class CreateHook(HookFields):
    name: Name
    url: Url | None = Field(default=None, description="where deliveries are POSTed; required unless destination says")
    on: list[str]
    status: HookStatus = HookStatus.ACTIVE
    description: Description | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    payload_format: PayloadFormat | None = Field(
        default=None,
        description="default: the tenant's payload_format, else the one its event types agree on, else envelope",
    )
    filter: dict[str, Any] | None = Field(
        default=None,
        description=(
            'payload filter on the envelope, e.g. {"data.status": {"$in": ["shipped"]}}; an event it rejects is '
            "not delivered (docs/delivery-controls.md)"
        ),
    )
    rate_limit_per_second: RateLimit | None = None
    ordering: Ordering = Field(
        default=Ordering.NONE, description="fifo: events reach the hook in publish order, one at a time"
    )
    destination: DestinationSpec | None = Field(
        default=None, description="an SQS queue or EventBridge bus instead of url (default: HTTPS POST to url)"
    )
    signature_scheme: SignatureScheme = Field(
        default=SignatureScheme.HMAC_SHA256,
        description="hmac-sha256 (`v1` signatures, a shared whsec_ secret) or ed25519 (`v1a` signatures: the "
        "private key never leaves Hookwire, receivers verify with the whpk_ public_key)",
    )


class UpdateHook(HookFields):
    name: Name | None = None
    url: Url | None = None
    on: list[str] | None = None
    status: HookStatus | None = None
    description: Description | None = None
    headers: dict[str, str] | None = None
    payload_format: PayloadFormat | None = None
    filter: dict[str, Any] | None = Field(
        default=None,
        description=(
            'payload filter on the envelope, e.g. {"data.status": {"$in": ["shipped"]}}; an event it rejects is '
            "not delivered (docs/delivery-controls.md); null removes it"
        ),
    )
    rate_limit_per_second: RateLimit | None = None
    ordering: Ordering | None = None
    destination: DestinationSpec | None = Field(
        default=None, description="replace the destination ({type: https} with a url goes back to HTTPS)"
    )


class HookView(Schema):
    id: str
    name: str
    url: str
    on: list[str]
    status: HookStatus
    disabled_reason: str | None = None
    description: str | None = None
    headers: dict[str, str]
    payload_format: PayloadFormat
    filter: dict[str, Any] | None = None
    rate_limit_per_second: int | None = None
    ordering: Ordering = Ordering.NONE
    created_at: datetime
    updated_at: datetime
    signature_scheme: SignatureScheme = SignatureScheme.HMAC_SHA256
    public_key: str | None = Field(
        default=None, description="ed25519 hooks: the whpk_ public key that verifies their `v1a` signatures"
    )
    destination: Destination | None = Field(
        default=None, description="sqs/eventbridge hooks: where they deliver (url then repeats the target)"
    )


class HookWithSecret(HookView):
    secret: str = Field(
        description="What the receiver verifies with: the whsec_ signing secret (hmac-sha256; shown only here: "
        "store it now), or the whpk_ public key (ed25519: the private key is never shown)"
    )


class RotateSecret(Strict):
    grace_seconds: int = Field(default=0, ge=0, le=MAX_GRACE_SECONDS)
    signature_scheme: SignatureScheme | None = Field(
        default=None, description="the new key's scheme (default: the hook's); during grace both keys sign"
    )


class TestDelivery(Strict):
    type: TypeName | None = None
    data: JsonObject | None = None


# --- events -----------------------------------------------------------------------------------
class PublishEvent(Strict):
    type: TypeName
    data: dict[str, Any]
    id: Annotated[str, StringConstraints(pattern=ID_PATTERN)] | None = None
    tenant_id: str | None = Field(default=None, description="Required when the admin token publishes.")


class EventAccepted(Schema):
    id: str
    type: str
    created_at: datetime


class HookDeliveryState(Schema):
    hook_id: str
    state: str = Field(description="pending | retrying | succeeded | failed")
    attempts: int
    last_execution_id: str | None = None
    last_status: int | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None


class EventDetail(Schema):
    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]
    fanout: str = Field(description="pending | done | failed: whether the event reached its hooks' queues")
    fanout_error: str | None = Field(default=None, description="why fan-out failed (then nothing was sent)")
    deliveries: list[HookDeliveryState]


class ReplayEvent(Strict):
    hook_ids: list[Annotated[str, StringConstraints(pattern=ID_PATTERN)]] | None = Field(default=None, max_length=100)


class Accepted(Schema):
    id: str
    status: str = "accepted"


# --- executions -------------------------------------------------------------------------------
class ExecutionView(Schema):
    id: str
    hook_id: str
    event_id: str
    event_type: str
    attempt: int
    status: ExecutionStatus
    manual: bool
    test: bool
    response_status: int | None
    response_body: str | None
    response_body_truncated: bool
    duration_ms: int | None
    error: str | None
    failure_class: str | None = None
    recovery_id: str | None = Field(default=None, description="set on attempts sent by a recovery or bulk replay")
    next_attempt_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, execution: Execution) -> ExecutionView:
        return cls.model_validate(execution.model_dump())


class ExecutionDetail(ExecutionView):
    request_url: str | None
    request_headers: dict[str, str]
    request_body: str | None = Field(description="The body that was sent, while the event is retained.")
    response_headers: dict[str, str]
    response_headers_truncated: bool = Field(
        default=False, description="True when headers past the 8 KiB cap were dropped (docs/limits.md)."
    )


# --- recoveries and bulk replays ------------------------------------------------------------
class RecoverDeliveries(Strict):
    since: datetime = Field(description="RFC 3339: events published at or after this")
    until: datetime | None = Field(default=None, description="RFC 3339: events published before this (default: now)")


class ReplayEvents(RecoverDeliveries):
    event_type: Annotated[str, StringConstraints(pattern=ON_ENTRY_PATTERN.pattern)] = Field(
        description="an event type or a glob (`order.*`, `*`)"
    )


class RecoveryView(BaseModel):
    id: str
    hook_id: str
    kind: RecoveryKind
    since: datetime
    until: datetime
    event_type: str | None = None
    status: RecoveryStatus
    scanned: int = Field(description="executions read so far")
    found: int = Field(description="deliveries that matched so far")
    queued: int = Field(description="deliveries re-sent so far (their executions carry this recovery_id)")
    pages: int
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    error: str | None = Field(default=None, description="why a failed recovery stopped; ask again to restart it")

    @classmethod
    def of(cls, recovery: Recovery) -> RecoveryView:
        return cls.model_validate(recovery.model_dump(exclude={"tenant_id", "cursor", "advanced_by"}))


# --- customer portal --------------------------------------------------------------------------
PORTAL_MIN_TTL_SECONDS = 60
PORTAL_MAX_TTL_SECONDS = 7 * 24 * 3600
PORTAL_DEFAULT_TTL_SECONDS = 3600


class Branding(Strict):
    """Per-tenant branding of the portal; each unset field falls back to the deployment's."""

    product_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    logo_url: Annotated[str, StringConstraints(pattern=r"^https://\S{1,2000}$")] | None = Field(
        default=None, description="An https:// image URL"
    )
    accent_color: Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")] | None = Field(
        default=None, description="#rrggbb"
    )


class CreatePortalSession(Strict):
    ttl_seconds: int = Field(default=PORTAL_DEFAULT_TTL_SECONDS, ge=PORTAL_MIN_TTL_SECONDS, le=PORTAL_MAX_TTL_SECONDS)
    read_only: bool = False
    tenant_id: str | None = Field(default=None, description="Required when the admin token creates the link.")
    branding: Branding | None = None


class PortalSessionCreated(Schema):
    url: str = Field(description="The magic link. A bearer secret for this tenant's portal until expires_at.")
    expires_at: datetime
    read_only: bool


class ExchangePortalCode(Strict):
    code: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class BrandingView(Schema):
    product_name: str
    logo_url: str | None = None
    accent_color: str


class PortalSessionView(Schema):
    """What the portal page holds for the length of the session (in sessionStorage, never in a URL)."""

    token: str = Field(description="Send as `Authorization: Bearer <token>` until expires_at.")
    expires_at: datetime
    read_only: bool
    tenant_id: str
    tenant_name: str
    branding: BrandingView


class PortalSessionsRevoked(Schema):
    revoked: int

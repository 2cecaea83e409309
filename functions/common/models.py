"""Domain records and queue messages shared by the api, fanout and deliver functions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from functions.common import ids
from functions.common.signing import SignatureScheme


class HookStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISABLED = "disabled"


class PayloadFormat(StrEnum):
    ENVELOPE = "envelope"
    DATA = "data"


class Ordering(StrEnum):
    NONE = "none"
    FIFO = "fifo"  # publish order per hook, one delivery in flight (the ordered deliveries queue)


class ExecutionStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    RETRYING = "retrying"


class PrincipalKind(StrEnum):
    ADMIN = "admin"
    TENANT = "tenant"
    PORTAL = "portal"


class Scope(StrEnum):
    """What an admin token may do. The operator's root token (the Secrets Manager secret) has them all."""

    EVENTS_PUBLISH = "events:publish"
    TENANTS_MANAGE = "tenants:manage"
    CATALOG_MANAGE = "catalog:manage"
    READ = "read"


ROOT_TOKEN_ID = "root"


class Principal(BaseModel):
    """Who is calling: the operator (admin token, with scopes), one tenant (tenant token) or one tenant's
    portal session.

    `read_only` principals may only read: the API refuses any other method in one place (api/handler.py).
    """

    kind: PrincipalKind
    tenant_id: str | None = None
    token_id: str | None = None
    read_only: bool = False
    scopes: frozenset[Scope] = frozenset()

    @property
    def is_root(self) -> bool:
        return self.kind is PrincipalKind.ADMIN and self.token_id == ROOT_TOKEN_ID


class Tenant(BaseModel):
    id: str
    name: str
    created_at: datetime
    payload_format: PayloadFormat | None = Field(
        default=None, description="format of the tenant's hooks created without one"
    )


class TokenRecord(BaseModel):
    """A stored token: a tenant's (`tenant_id` set) or a scoped admin token (`scopes` set). Only its
    SHA-256 is kept; `last_used_at` is refreshed at most once per USAGE_INTERVAL (auth.py)."""

    id: str
    tenant_id: str | None = None
    token_hash: str
    created_at: datetime
    name: str | None = None
    scopes: list[Scope] = Field(default_factory=list)
    read_only: bool = False
    last_used_at: datetime | None = None


class EventType(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    type: str
    description: str = ""
    category: str | None = None
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    example: dict[str, Any] | None = Field(default=None, description="a sample `data` of this type")
    payload_format: PayloadFormat | None = Field(
        default=None, description="format of hooks on this type created without one (when the tenant has none)"
    )


class DestinationType(StrEnum):
    HTTPS = "https"
    SQS = "sqs"
    EVENTBRIDGE = "eventbridge"


class Destination(BaseModel):
    """Where a non-HTTPS hook delivers: an SQS queue (`target` is its URL) or an EventBridge bus (`target` is
    its ARN) in the customer's account, reached by assuming `role_arn` with `external_id`."""

    type: DestinationType
    target: str
    region: str
    role_arn: str
    external_id: str


class HookSecret(BaseModel):
    """A signing secret, KMS-encrypted. `expires_at` is set on a rotated-out secret in its grace period."""

    ciphertext: str
    created_at: datetime
    expires_at: datetime | None = None
    public_key: str | None = Field(
        default=None, exclude_if=lambda value: value is None, description="whpk_ key of an Ed25519 secret"
    )

    def is_live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


class Hook(BaseModel):
    id: str
    tenant_id: str
    name: str
    url: str
    on: list[str]
    status: HookStatus = HookStatus.ACTIVE
    disabled_reason: str | None = None
    description: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    payload_format: PayloadFormat = PayloadFormat.ENVELOPE
    created_at: datetime
    updated_at: datetime
    secrets: list[HookSecret] = Field(default_factory=list)
    failing_since: datetime | None = None
    filter: dict[str, Any] | None = Field(default=None, description="payload filter (payload_filter.py)")

    @model_serializer(mode="wrap")
    def _omit_absent_filter(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """A hook without a filter stores no `filter` key: the option costs unfiltered hooks no item bytes."""
        dumped = handler(self)
        if dumped.get("filter", ...) is None:
            del dumped["filter"]
        return dumped

    rate_limit_per_second: int | None = Field(
        default=None, description="at most this many deliveries per clock second (None: no limit)"
    )
    ordering: Ordering = Ordering.NONE
    # Left out of the stored document when default, so a plain hook's item (and its write units) is unchanged.
    signature_scheme: SignatureScheme = Field(
        default=SignatureScheme.HMAC_SHA256, exclude_if=lambda value: value is SignatureScheme.HMAC_SHA256
    )
    destination: Destination | None = Field(
        default=None, exclude_if=lambda value: value is None, description="None: HTTPS POST to `url`"
    )

    def live_secrets(self, now: datetime) -> list[HookSecret]:
        """Newest first, so the current secret's signature leads the header."""
        live = [secret for secret in self.secrets if secret.is_live(now)]
        return sorted(live, key=lambda s: s.created_at, reverse=True)

    @property
    def public_key(self) -> str | None:
        """The newest secret's public key (Ed25519 hooks): what receivers verify `v1a` signatures with. The
        newest secret never has a grace expiry, so it is always live."""
        newest = max(self.secrets, key=lambda s: s.created_at, default=None)
        return newest.public_key if newest else None


class Event(BaseModel):
    """A published event. `data` is kept as the exact JSON text the producer sent."""

    id: str
    tenant_id: str
    type: str
    data: str
    created_at: datetime
    fanout_hooks: list[str] | None = None
    fanned_out_at: datetime | None = None
    claimed_by: str | None = Field(default=None, description="The events-queue message that fans it out")
    # Delivery state kept beside the event's document (never inside it, so the writers never race):
    settled: dict[str, datetime] = Field(
        default_factory=dict, exclude=True, description="hook id -> when a manual retry delivered it"
    )
    fanout_error: str | None = Field(default=None, exclude=True, description="why fan-out never happened")


class Execution(BaseModel):
    """One delivery attempt of one event to one hook."""

    id: str
    hook_id: str
    tenant_id: str
    event_id: str
    event_type: str
    attempt: int
    status: ExecutionStatus
    manual: bool = False
    test: bool = False
    recovery_id: str | None = Field(default=None, description="the recovery or bulk replay that sent this attempt")
    response_status: int | None = None
    response_headers: dict[str, str] = Field(default_factory=dict)
    response_headers_truncated: bool = False
    response_body: str | None = None
    response_body_truncated: bool = False
    duration_ms: int | None = None
    error: str | None = None
    failure_class: str | None = Field(
        default=None, description="http_4xx, http_5xx, timeout, connection, ssrf, request or internal"
    )
    next_attempt_at: datetime | None = None
    request_url: str | None = None
    request_headers: dict[str, str] = Field(default_factory=dict)
    payload_format: PayloadFormat | None = None
    created_at: datetime

    @classmethod
    def not_sent(cls, message: DeliveryMessage, event: Event, error: str, now: datetime) -> Execution:
        """An attempt that could not be made, recorded as a failed execution that says why."""
        return cls(
            id=ids.execution_id(event.id, event.created_at),
            hook_id=message.hook_id,
            tenant_id=message.tenant_id,
            event_id=message.event_id,
            event_type=event.type,
            attempt=message.attempt,
            status=ExecutionStatus.FAILED,
            manual=message.manual,
            recovery_id=message.recovery_id,
            error=error,
            created_at=now,
        )


class EventMessage(BaseModel):
    """Body of an events-queue message.

    The API sends `{tenant_id, id}` for an event it already stored; a producer inside AWS may send the
    publish body (`{tenant_id, type, data, id?}`) straight to the queue, and fanout stores it first.
    """

    tenant_id: str = Field(min_length=1)
    id: str | None = None
    type: str | None = None
    data: Any = None
    replay: bool = False
    hook_ids: list[str] | None = None
    recovery: RecoveryPage | None = None


class RecoveryKind(StrEnum):
    RECOVER = "recover"  # re-send what failed
    REPLAY = "replay"  # re-send everything of a type


class RecoveryStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # a page's message reached the events DLQ; the same request starts it again


class Recovery(BaseModel):
    """A recovery (re-send a hook's failed deliveries of events published in [since, until)) or a bulk replay
    (re-send every delivery of events of `event_type` in that range). Worked page by page by fan-out; each
    page's outcome is recorded with the page (`pages`, `cursor`), so a crash resumes where it stopped."""

    id: str
    tenant_id: str
    hook_id: str
    kind: RecoveryKind
    since: datetime
    until: datetime
    event_type: str | None = None
    status: RecoveryStatus = RecoveryStatus.RUNNING
    scanned: int = Field(default=0, description="executions read")
    found: int = Field(default=0, description="deliveries that matched")
    queued: int = Field(default=0, description="deliveries sent to the deliveries queue")
    pages: int = 0
    cursor: str | None = Field(default=None, description="sort key of the last execution decided")
    advanced_by: str | None = Field(default=None, description="the SQS message that recorded the last page")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None = None
    error: str | None = Field(default=None, description="why a failed recovery stopped")


class RecoveryPage(BaseModel):
    """An events-queue message asking fan-out to work page `page` of a recovery."""

    hook_id: str
    recovery_id: str
    page: int = Field(ge=0)


class DeliveryMessage(BaseModel):
    """Body of a deliveries-queue message: deliver `event_id` to `hook_id`, attempt number `attempt`.

    Fan-out sends one message per event and up to `contract.DELIVERY_GROUP_SIZE` of its hooks: the first
    is `hook_id`, the others `more_hook_ids` (a *group*). Every other message (retries, hops, deferrals,
    manual retries, a group member re-sent on its own) names one hook and leaves `more_hook_ids` empty.
    """

    tenant_id: str
    hook_id: str
    event_id: str
    attempt: int = Field(default=1, ge=1)
    not_before: datetime | None = None
    manual: bool = False
    recovery_id: str | None = None
    more_hook_ids: list[str] = Field(default_factory=list)

    def members(self) -> list[DeliveryMessage]:
        """One single-hook message per hook this message delivers to (itself when it names one hook)."""
        if not self.more_hook_ids:
            return [self]
        return [
            self.model_copy(update={"hook_id": h, "more_hook_ids": []}) for h in [self.hook_id, *self.more_hook_ids]
        ]


class PortalBranding(BaseModel):
    """How the customer portal presents itself; unset fields fall back to the deployment's branding."""

    product_name: str | None = None
    logo_url: str | None = None
    accent_color: str | None = None

    def over(self, fallback: PortalBranding) -> PortalBranding:
        """These values where set, the fallback's elsewhere."""
        return fallback.model_copy(update=self.model_dump(exclude_none=True))


class PortalCredentialKind(StrEnum):
    LINK = "link"  # the magic link's code: only ever exchanged for a session
    SESSION = "session"  # the bearer credential the portal page sends with each API call


class PortalCredential(BaseModel):
    """A portal link or session, stored only as the SHA-256 of its secret."""

    id: str
    tenant_id: str
    kind: PortalCredentialKind
    token_hash: str
    read_only: bool
    created_at: datetime
    expires_at: datetime
    branding: PortalBranding = Field(default_factory=PortalBranding)

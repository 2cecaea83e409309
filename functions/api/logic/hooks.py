"""Hooks: create, read, update, delete, rotate the secret, send a test delivery."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from functions.api.logic.destinations import check_destination
from functions.api.logic.views import execution_detail, hook_view, hook_with_secret
from functions.api.schemas import (
    CreateHook,
    ExecutionDetail,
    HookView,
    HookWithSecret,
    Page,
    RotateSecret,
    TestDelivery,
    UpdateHook,
)
from functions.common import ids, signing
from functions.common.dal.event_types import EventTypesRepository
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.secret_box import SecretBox, encryption_context
from functions.common.delivery import AttemptContext, DeliverDeps, attempt
from functions.common.delivery.ports import HookStore
from functions.common.errors import HookNotFound, TooManyRequests, ValidationFailed
from functions.common.matching import matches_any, unmatched_entries
from functions.common.models import (
    Destination,
    Event,
    EventType,
    Hook,
    HookSecret,
    HookStatus,
    Ordering,
    PayloadFormat,
    Tenant,
)
from functions.common.signing import SignatureScheme
from functions.common.ssrf import UrlGuard, UrlRefused

if TYPE_CHECKING:
    from functions.api.deps import ApiDeps

MAX_OLD_SECRETS = 5
HOOK_QUOTA_RETRY_AFTER_SECONDS = 60  # a quota frees up only when a hook is deleted; poll no faster than this
TEST_EVENT_TYPE = "webhook.test"
# Fields a PATCH may set to null: clearing them turns the feature off.
NULLABLE_HOOK_FIELDS = ("description", "filter", "rate_limit_per_second")


def _check_on(on: list[str], event_types: EventTypesRepository) -> list[EventType]:
    """The catalogued types `on` matches; an entry that matches none is a 422."""
    catalogue = event_types.list_event_types()
    unknown = unmatched_entries(on, [event_type.type for event_type in catalogue])
    if unknown:
        raise ValidationFailed(f"on: {', '.join(unknown)} match no catalogued event type", field="on")
    return [event_type for event_type in catalogue if matches_any(on, event_type.type)]


def default_payload_format(tenant: Tenant | None, matched: list[EventType]) -> PayloadFormat:
    """For a hook created without one: the tenant's default, else the one format every event type the hook
    matches declares, else envelope."""
    if tenant is not None and tenant.payload_format is not None:
        return tenant.payload_format
    declared = {event_type.payload_format for event_type in matched}
    if len(declared) == 1 and None not in declared:
        return declared.pop()
    return PayloadFormat.ENVELOPE


def _check_status(status: HookStatus | None) -> None:
    if status is HookStatus.DISABLED:
        raise ValidationFailed("status can be set to active or paused; Hookwire sets disabled itself", field="status")


def _check_hook_quota(tenant_id: str, max_hooks: int, hooks: HooksRepository) -> None:
    """The per-tenant hook limit (0: none). Two creations racing at the limit may both pass: at most one over."""
    if max_hooks and hooks.count_hooks(tenant_id) >= max_hooks:
        raise TooManyRequests(
            f"this tenant has reached its limit of {max_hooks} hooks: delete one, or ask the operator to raise "
            "max_hooks_per_tenant",
            retry_after_seconds=HOOK_QUOTA_RETRY_AFTER_SECONDS,
        )


def _check_controls(hook: Hook) -> Hook:
    """Delivery controls that don't combine. A FIFO hook already gets one delivery at a time, and its attempt
    number is its message's receive count, so a rate-limit wait would use up its attempts."""
    if hook.ordering is Ordering.FIFO and hook.rate_limit_per_second is not None:
        raise ValidationFailed(
            "rate_limit_per_second can't be combined with ordering fifo (a FIFO hook gets one delivery at a time)",
            field="rate_limit_per_second",
        )
    return hook


def check_url(url: str, guard: UrlGuard) -> None:
    """The SSRF guard at registration and on every URL change; the error names the rule."""
    try:
        guard.check(url)
    except UrlRefused as refused:
        raise ValidationFailed(str(refused), field="url") from refused


def _delivery_url(url: str | None, destination: Destination | None, guard: UrlGuard) -> str:
    """An HTTPS hook's checked url, or an SQS/EventBridge hook's target (its url repeats it, for display)."""
    if destination is not None:
        if url is not None and url != destination.target:
            raise ValidationFailed(
                f"url is not used by {destination.type} hooks (their target is in destination): leave it out",
                field="url",
            )
        return destination.target
    if url is None:
        raise ValidationFailed("url is required (unless destination is an sqs queue or eventbridge bus)", field="url")
    check_url(url, guard)
    return url


def get_hook(tenant_id: str, hook_id: str, hooks: HookStore) -> Hook:
    hook = hooks.get_hook(tenant_id, hook_id)
    if hook is None:
        raise HookNotFound(hook_id)
    return hook


def create_hook(tenant_id: str, body: CreateHook, deps: ApiDeps, now: datetime) -> HookWithSecret:
    destination = check_destination(body.destination)
    url = _delivery_url(body.url, destination, deps.guard)
    _check_hook_quota(tenant_id, deps.settings.max_hooks_per_tenant, deps.hooks)
    _check_status(body.status)
    matched = _check_on(body.on, deps.event_types)
    payload_format = body.payload_format or default_payload_format(deps.tenants.get_tenant(tenant_id), matched)
    hook_id = ids.new_id("hook")
    secret = signing.generate_secret(body.signature_scheme)
    hook = Hook(
        id=hook_id,
        tenant_id=tenant_id,
        name=body.name,
        url=url,
        destination=destination,
        on=body.on,
        status=body.status,
        description=body.description,
        headers=body.headers,
        payload_format=payload_format,
        filter=body.filter,
        rate_limit_per_second=body.rate_limit_per_second,
        ordering=body.ordering,
        signature_scheme=body.signature_scheme,
        created_at=now,
        updated_at=now,
        secrets=[_sealed(secret, deps.secret_box, tenant_id, hook_id, now)],
    )
    deps.hooks.create_hook(_check_controls(hook))
    return hook_with_secret(hook, secret)


def list_hooks(tenant_id: str, limit: int, cursor: str | None, hooks: HooksRepository) -> Page[HookView]:
    found, next_cursor = hooks.list_hooks(tenant_id, limit, cursor)
    return Page[HookView](items=[hook_view(hook) for hook in found], next_cursor=next_cursor)


def update_hook(
    tenant_id: str,
    hook_id: str,
    body: UpdateHook,
    hooks: HooksRepository,
    event_types: EventTypesRepository,
    guard: UrlGuard,
    now: datetime,
) -> HookView:
    """PUT and PATCH both apply a partial body. Setting status back to active re-enables a disabled
    hook and clears its failure record."""
    changes = body.model_dump(exclude_unset=True)
    changes_destination = "destination" in changes
    changes.pop("destination", None)
    new_destination = check_destination(body.destination)
    if body.url is not None and not changes_destination:
        check_url(body.url, guard)
    _check_status(body.status)
    if body.on is not None:
        _check_on(body.on, event_types)
    for field_name, value in changes.items():
        if value is None and field_name not in NULLABLE_HOOK_FIELDS:
            raise ValidationFailed(f"{field_name} can't be null", field=field_name)

    def apply(hook: Hook) -> Hook:
        update = {**changes, "updated_at": now}
        if changes_destination:
            # Going (or staying) HTTPS without a url in the body keeps the hook's own HTTPS url, if it has one.
            url = body.url if body.url is not None or new_destination else _https_url(hook)
            update.update(destination=new_destination, url=_delivery_url(url, new_destination, guard))
        elif body.url is not None and hook.destination is not None:
            raise ValidationFailed(
                f"url is not used by {hook.destination.type} hooks: change destination instead", field="url"
            )
        if body.status is HookStatus.ACTIVE:
            update.update(disabled_reason=None, failing_since=None)
        return _check_controls(hook.model_copy(update=update))

    return hook_view(hooks.update_hook(tenant_id, hook_id, apply))


def _https_url(hook: Hook) -> str | None:
    """The url an update keeps when it sets destination without one: an HTTPS hook's own, else none."""
    return hook.url if hook.destination is None else None


def delete_hook(tenant_id: str, hook_id: str, hooks: HooksRepository) -> None:
    if not hooks.delete_hook(tenant_id, hook_id):
        raise HookNotFound(hook_id)


def _sealed(secret: str, box: SecretBox, tenant_id: str, hook_id: str, now: datetime) -> HookSecret:
    """The secret encrypted; an Ed25519 private key keeps its public key beside it, in the clear."""
    public_key = signing.public_key(secret) if secret.startswith(signing.SIGNING_KEY_PREFIX) else None
    ciphertext = box.seal(secret, encryption_context(tenant_id, hook_id))
    return HookSecret(ciphertext=ciphertext, created_at=now, public_key=public_key)


def rotate_secret(
    tenant_id: str,
    hook_id: str,
    body: RotateSecret,
    hooks: HooksRepository,
    box: SecretBox,
    now: datetime,
) -> HookWithSecret:
    """A new secret signs from now on. With grace, old secrets keep signing until they expire (at most
    five old secrets live at once); without, the old secret dies at once. `signature_scheme` switches the
    hook's scheme (with grace, receivers see both `v1` and `v1a` signatures until the old key expires)."""
    # The key is made inside the update, where the hook's scheme is known, so a rotation reads the hook once.
    made: dict[SignatureScheme, tuple[str, HookSecret]] = {}

    def apply(hook: Hook) -> Hook:
        scheme = body.signature_scheme or hook.signature_scheme
        if scheme not in made:
            secret = signing.generate_secret(scheme)
            made[scheme] = (secret, _sealed(secret, box, tenant_id, hook_id, now))
        sealed = made[scheme][1]
        old: list[HookSecret] = []
        if body.grace_seconds > 0:
            grace_end = now + timedelta(seconds=body.grace_seconds)
            live = [s for s in hook.secrets if s.is_live(now)]
            old = [s.model_copy(update={"expires_at": min(s.expires_at or grace_end, grace_end)}) for s in live]
            old = sorted(old, key=lambda s: s.created_at, reverse=True)[:MAX_OLD_SECRETS]
        return hook.model_copy(update={"secrets": [sealed, *old], "signature_scheme": scheme, "updated_at": now})

    updated = hooks.update_hook(tenant_id, hook_id, apply)
    return hook_with_secret(updated, made[updated.signature_scheme][0])


def _test_data(event_type: str, hook: Hook, event_types: EventTypesRepository) -> dict[str, Any]:
    """The catalogued example of the type, so the receiver sees a realistic body; else a short note."""
    catalogued = event_types.get_event_type(event_type) if event_type != TEST_EVENT_TYPE else None
    if catalogued is not None and catalogued.example is not None:
        return catalogued.example
    return {"message": "This is a test delivery from Hookwire.", "hook_id": hook.id}


def send_test(
    tenant_id: str,
    hook_id: str,
    body: TestDelivery,
    event_types: EventTypesRepository,
    deps: DeliverDeps,
    now: datetime,
) -> ExecutionDetail:
    """A real, signed delivery of a sample event, recorded as an execution. Works on paused hooks.

    Whatever the hook or its receiver does, the answer is the recorded execution (failed, with its error):
    `attempt` never raises."""
    hook = get_hook(tenant_id, hook_id, deps.hooks)
    event_type = body.type or TEST_EVENT_TYPE
    data = body.data if body.data is not None else _test_data(event_type, hook, event_types)
    event = Event(
        id=ids.new_id("evt_test"),
        tenant_id=tenant_id,
        type=event_type,
        data=json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        created_at=now,
    )
    outcome = attempt(hook, event, AttemptContext(attempt=1, test=True), deps, now)
    deps.executions.put(outcome.execution)
    return execution_detail(outcome.execution, event)

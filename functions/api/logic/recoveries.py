"""Recover a hook's failed deliveries since T, or replay every event of a type in a range to it: started
here (202 with the recovery), worked page by page by fan-out (functions/common/recovery.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.api.logic.hooks import get_hook
from functions.api.schemas import RecoverDeliveries, RecoveryView, ReplayEvents
from functions.common import ids
from functions.common.dal.queues import QueueClient
from functions.common.dal.recoveries import RecoveriesRepository
from functions.common.delivery.ports import HookStore
from functions.common.errors import NotFound, ValidationFailed
from functions.common.models import Recovery, RecoveryKind, RecoveryStatus
from functions.common.recovery import page_message
from functions.common.timeutil import iso

MAX_RANGE = timedelta(days=31)
# A recovery still on its first page this long after it started lost its first message (the queue send
# failed after the record was written): asking again sends it again.
STALLED_START = timedelta(minutes=1)


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed(f"{field} needs a time zone (e.g. 2026-01-01T00:00:00Z)", field=field)
    return value


def _range(body: RecoverDeliveries, now: datetime) -> tuple[datetime, datetime]:
    since = _aware(body.since, "since")
    until = _aware(body.until, "until") if body.until else now
    if since >= until:
        raise ValidationFailed("since must be before until (and before now)", field="since")
    if until - since > MAX_RANGE:
        raise ValidationFailed(f"since and until are at most {MAX_RANGE.days} days apart", field="since")
    return since, until


def start(
    tenant_id: str,
    hook_id: str,
    body: RecoverDeliveries | ReplayEvents,
    hooks: HookStore,
    recoveries: RecoveriesRepository,
    events_queue: QueueClient,
    now: datetime,
) -> RecoveryView:
    """Start a recovery (a RecoverDeliveries body) or a bulk replay (a ReplayEvents body). The same request
    again finds the same recovery, running or done, and sends nothing a second time."""
    get_hook(tenant_id, hook_id, hooks)
    since, until = _range(body, now)
    kind, event_type = (
        (RecoveryKind.REPLAY, body.event_type) if isinstance(body, ReplayEvents) else (RecoveryKind.RECOVER, None)
    )
    # The id is made of the request as given (an open-ended `until` stays open), so a retried request matches.
    request_until = iso(body.until) if body.until else ""
    recovery = Recovery(
        id=ids.recovery_id(hook_id, kind.value, iso(since), request_until, event_type or ""),
        tenant_id=tenant_id,
        hook_id=hook_id,
        kind=kind,
        since=since,
        until=until,
        event_type=event_type,
        created_at=now,
        updated_at=now,
    )
    existing = recoveries.start(recovery)
    if existing is None:
        events_queue.send(page_message(recovery))
        return RecoveryView.of(recovery)
    stalled = existing.status is RecoveryStatus.RUNNING and existing.pages == 0
    if stalled and now - existing.created_at > STALLED_START:
        events_queue.send(page_message(existing))
    return RecoveryView.of(existing)


def get(
    tenant_id: str,
    hook_id: str,
    recovery_id: str,
    hooks: HookStore,
    recoveries: RecoveriesRepository,
) -> RecoveryView:
    get_hook(tenant_id, hook_id, hooks)
    recovery = recoveries.get(tenant_id, hook_id, recovery_id)
    if recovery is None:
        raise NotFound(f"recovery {recovery_id} not found", field="recovery_id")
    return RecoveryView.of(recovery)

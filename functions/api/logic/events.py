"""Publishing events, reading their delivery state, replaying them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from functions.api.logic.limits import PublishLimiter
from functions.api.schemas import (
    Accepted,
    EventAccepted,
    EventDetail,
    HookDeliveryState,
    PublishEvent,
    ReplayEvent,
)
from functions.common import ids
from functions.common.dal.executions import ExecutionsRepository
from functions.common.dal.queues import OutgoingMessage, QueueClient
from functions.common.dal.subscriptions import SubscriptionsRepository
from functions.common.errors import (
    DependencyFailure,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from functions.common.models import Event, EventMessage, Execution, ExecutionStatus
from functions.common.schema_check import check_data

MAX_DATA_BYTES = 256 * 1024


@dataclass(frozen=True)
class Published:
    event: EventAccepted
    created: bool  # False: the id was seen before and nothing new was delivered


def publish(
    tenant_id: str,
    body: PublishEvent,
    raw_data: str | None,
    subscriptions: SubscriptionsRepository,
    events_queue: QueueClient,
    retention_days: int,
    limiter: PublishLimiter,
    now: datetime,
) -> Published:
    """Admit it under the tenant's publish rate, store the event (for idempotency and replay), then enqueue it.

    `raw_data` is the exact text of `data` in the request, kept so `data` hooks get it byte for byte.
    """
    limiter.admit(tenant_id, now)
    data_text = raw_data if raw_data is not None else json.dumps(body.data, separators=(",", ":"), ensure_ascii=False)
    if len(data_text.encode()) > MAX_DATA_BYTES:
        raise PayloadTooLarge(f"data is larger than {MAX_DATA_BYTES // 1024} KiB", field="data")
    event_type = subscriptions.get_event_type(body.type)
    if event_type is None:
        raise ValidationFailed(f"type {body.type!r} is not in the event-type catalogue", field="type")
    check_data(body.data, event_type.json_schema)
    event = Event(id=body.id or ids.new_id("evt"), tenant_id=tenant_id, type=body.type, data=data_text, created_at=now)
    existing = subscriptions.create_event(event, retention_days)
    if existing is not None:
        if existing.fanned_out_at is None:
            # A retry after an ambiguous failure (stored, maybe never queued): queue it again. Fan-out
            # claims each event once, so a second message delivers nothing twice.
            _enqueue(existing, events_queue)
        return Published(EventAccepted(id=existing.id, type=existing.type, created_at=existing.created_at), False)
    try:
        _enqueue(event, events_queue)
    except DependencyFailure:
        # Not queued means not accepted: forget the event so the producer's retry (same id) goes through.
        subscriptions.delete_event(tenant_id, event.id)
        raise
    return Published(EventAccepted(id=event.id, type=event.type, created_at=event.created_at), True)


def _enqueue(event: Event, events_queue: QueueClient) -> None:
    events_queue.send(OutgoingMessage(body=EventMessage(tenant_id=event.tenant_id, id=event.id).model_dump_json()))


def _get_event(tenant_id: str, event_id: str, subscriptions: SubscriptionsRepository, now: datetime) -> Event:
    event = subscriptions.get_event(tenant_id, event_id, now)
    if event is None:
        raise NotFound(f"event {event_id} not found", field="event_id")
    return event


def _state(hook_id: str, attempts: list[Execution]) -> HookDeliveryState:
    """The latest attempt decides: pending (none yet), retrying, succeeded or failed."""
    real = [e for e in attempts if not e.test]
    if not real:
        return HookDeliveryState(hook_id=hook_id, state="pending", attempts=0)
    latest = max(real, key=lambda e: e.id)
    state = latest.status.value if latest.status is not ExecutionStatus.RETRYING else "retrying"
    return HookDeliveryState(
        hook_id=hook_id,
        state=state,
        attempts=len(real),
        last_execution_id=latest.id,
        last_status=latest.response_status,
        last_error=latest.error,
        next_attempt_at=latest.next_attempt_at,
    )


def get_event(
    tenant_id: str,
    event_id: str,
    subscriptions: SubscriptionsRepository,
    executions: ExecutionsRepository,
    now: datetime,
) -> EventDetail:
    event = _get_event(tenant_id, event_id, subscriptions, now)
    by_hook: dict[str, list[Execution]] = {hook_id: [] for hook_id in event.fanout_hooks or []}
    for execution in executions.list_for_event(event.id):
        if execution.tenant_id == tenant_id:
            by_hook.setdefault(execution.hook_id, []).append(execution)
    return EventDetail(
        id=event.id,
        type=event.type,
        created_at=event.created_at,
        data=json.loads(event.data),
        deliveries=[_state(hook_id, attempts) for hook_id, attempts in sorted(by_hook.items())],
    )


def replay(
    tenant_id: str,
    event_id: str,
    body: ReplayEvent,
    subscriptions: SubscriptionsRepository,
    events_queue: QueueClient,
    now: datetime,
) -> Accepted:
    """Run fan-out again for the event: to every matching active hook, or only to `hook_ids`."""
    event = _get_event(tenant_id, event_id, subscriptions, now)
    if body.hook_ids:
        missing = [h for h in body.hook_ids if subscriptions.get_hook(tenant_id, h) is None]
        if missing:
            raise ValidationFailed(f"hook_ids: {', '.join(missing)} not found", field="hook_ids")
    message = EventMessage(tenant_id=tenant_id, id=event.id, replay=True, hook_ids=body.hook_ids)
    events_queue.send(OutgoingMessage(body=message.model_dump_json()))
    return Accepted(id=event.id)

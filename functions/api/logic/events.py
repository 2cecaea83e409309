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
from functions.common.dal.event_types import EventTypesRepository
from functions.common.dal.events import EventsRepository
from functions.common.dal.executions import ExecutionsRepository
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.queues import OutgoingMessage, QueueClient
from functions.common.errors import DependencyFailure, EventNotFound, ValidationFailed
from functions.common.ingest import Submission, ingest
from functions.common.models import Event, EventMessage, Execution, ExecutionStatus


@dataclass(frozen=True)
class Published:
    event: EventAccepted
    created: bool  # False: the id was seen before and nothing new was delivered


def publish(
    tenant_id: str,
    body: PublishEvent,
    raw_data: str | None,
    event_types: EventTypesRepository,
    events: EventsRepository,
    events_queue: QueueClient,
    retention_days: int,
    limiter: PublishLimiter,
    now: datetime,
) -> Published:
    """Store the event through the one ingest path (for idempotency and replay), then enqueue it for fan-out;
    admitted first under the tenant's publish rate.

    `raw_data` is the exact text of `data` in the request, kept so `data` hooks get it byte for byte.
    """
    limiter.admit(tenant_id, now)
    submission = Submission(tenant_id=tenant_id, type=body.type, data=body.data, raw_data=raw_data, id=body.id)
    ingested = ingest(submission, event_types, events, retention_days, now)
    event = ingested.event
    accepted = EventAccepted(id=event.id, type=event.type, created_at=event.created_at)
    if not ingested.created:
        if event.fanned_out_at is None:
            # A retry after an ambiguous failure (stored, maybe never queued): queue it again. Fan-out
            # claims each event once, so a second message delivers nothing twice.
            _enqueue(event, events_queue)
        return Published(accepted, False)
    try:
        _enqueue(event, events_queue)
    except DependencyFailure:
        # Not queued means not accepted: forget the event so the producer's retry (same id) goes through.
        events.delete_event(tenant_id, event.id)
        raise
    return Published(accepted, True)


def _enqueue(event: Event, events_queue: QueueClient) -> None:
    events_queue.send(OutgoingMessage(body=EventMessage(tenant_id=event.tenant_id, id=event.id).model_dump_json()))


def _get_event(tenant_id: str, event_id: str, events: EventsRepository, now: datetime) -> Event:
    event = events.get_event(tenant_id, event_id, now)
    if event is None:
        raise EventNotFound(event_id)
    return event


def newest_attempt(attempts: list[Execution]) -> Execution:
    """The attempt made last: by attempt time, the id only breaking ties within one instant."""
    return max(attempts, key=lambda e: (e.created_at, e.id))


def _state(hook_id: str, attempts: list[Execution]) -> HookDeliveryState:
    """The newest attempt decides: pending (none yet), retrying, succeeded or failed."""
    real = [e for e in attempts if not e.test]
    if not real:
        return HookDeliveryState(hook_id=hook_id, state="pending", attempts=0)
    latest = newest_attempt(real)
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


def _fanout_state(event: Event) -> str:
    if event.fanout_error:
        return "failed"
    return "done" if event.fanned_out_at else "pending"


def get_event(
    tenant_id: str,
    event_id: str,
    events: EventsRepository,
    executions: ExecutionsRepository,
    now: datetime,
) -> EventDetail:
    event = _get_event(tenant_id, event_id, events, now)
    by_hook: dict[str, list[Execution]] = {hook_id: [] for hook_id in event.fanout_hooks or []}
    for execution in executions.list_for_event(event.id, event.created_at, event.fanout_hooks or []):
        if execution.tenant_id == tenant_id:
            by_hook.setdefault(execution.hook_id, []).append(execution)
    return EventDetail(
        id=event.id,
        type=event.type,
        created_at=event.created_at,
        data=json.loads(event.data),
        fanout=_fanout_state(event),
        fanout_error=event.fanout_error,
        deliveries=[_state(hook_id, attempts) for hook_id, attempts in sorted(by_hook.items())],
    )


def replay(
    tenant_id: str,
    event_id: str,
    body: ReplayEvent,
    events: EventsRepository,
    hooks: HooksRepository,
    events_queue: QueueClient,
    now: datetime,
) -> Accepted:
    """Run fan-out again for the event: to every matching active hook, or only to `hook_ids`."""
    event = _get_event(tenant_id, event_id, events, now)
    if body.hook_ids:
        missing = [h for h in body.hook_ids if hooks.get_hook(tenant_id, h) is None]
        if missing:
            raise ValidationFailed(f"hook_ids: {', '.join(missing)} not found", field="hook_ids")
    message = EventMessage(tenant_id=tenant_id, id=event.id, replay=True, hook_ids=body.hook_ids)
    events_queue.send(OutgoingMessage(body=message.model_dump_json()))
    return Accepted(id=event.id)

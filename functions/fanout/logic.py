"""Fan-out: one event in, one delivery message per matching active hook out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from functions.common.dal.event_types import EventTypesRepository
from functions.common.dal.events import EventsRepository
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.queues import OutgoingMessage, QueueClient
from functions.common.dal.tenants import TenantsRepository
from functions.common.errors import EventRejected, PayloadTooLarge, PermanentMessageError, ValidationFailed
from functions.common.ingest import Submission, ingest
from functions.common.models import DeliveryMessage, Event, EventMessage
from functions.common.observability import logger


@dataclass
class FanoutDeps:
    tenants: TenantsRepository
    event_types: EventTypesRepository
    events: EventsRepository
    hooks: HooksRepository
    deliveries: QueueClient
    event_retention_days: int


@dataclass
class Routes:
    """The routing index for one SQS batch: one lookup per (tenant, event type) per batch, reading only the
    hooks that listen to that type (and the tenant's glob hooks), never all of a tenant's hooks."""

    hooks: HooksRepository
    cache: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def of(self, tenant_id: str, event_type: str) -> list[str]:
        """Ids of the active hooks whose `on` matches. Paused and disabled hooks have no routes."""
        key = (tenant_id, event_type)
        if key not in self.cache:
            self.cache[key] = self.hooks.route(tenant_id, event_type)
        return self.cache[key]


def _store_producer_event(message: EventMessage, raw_data: str | None, deps: FanoutDeps, now: datetime) -> str:
    """A producer sent the publish body straight to the queue: it goes through the same ingest path as
    `POST /events`. Returns the event id (an id seen before keeps its stored event: idempotency).
    An event the rules refuse raises EventRejected, naming the field."""
    if deps.tenants.get_tenant(message.tenant_id) is None:
        raise EventRejected(f"unknown tenant {message.tenant_id}", field="tenant_id")
    submission = Submission(
        tenant_id=message.tenant_id, type=message.type, data=message.data, raw_data=raw_data, id=message.id
    )
    try:
        ingested = ingest(submission, deps.event_types, deps.events, deps.event_retention_days, now)
    except (ValidationFailed, PayloadTooLarge) as refused:
        raise EventRejected(f"event rejected: {refused.message}", field=refused.field) from refused
    return ingested.event.id


def resolve_event(
    message: EventMessage, raw_data: str | None, message_id: str, deps: FanoutDeps, now: datetime
) -> Event | None:
    """The event to fan out, or None when there is nothing (left) to do for this message."""
    if message.replay:
        if not message.id:
            raise PermanentMessageError("a replay message needs an id", field="id")
        return deps.events.get_event(message.tenant_id, message.id, now)
    if message.data is not None:
        event_id = _store_producer_event(message, raw_data, deps, now)
    elif message.id:
        event_id = message.id
    else:
        raise PermanentMessageError("an events-queue message needs either data or an id", field="id")
    # The claim reads the event in the same call, so fan-out costs no separate GetItem.
    event = deps.events.claim_fanout(message.tenant_id, event_id, message_id or f"local-{event_id}", now)
    if event is None:
        logger.info("event gone or claimed by another message; nothing to fan out", extra={"event_id": event_id})
        return None
    if event.fanned_out_at:
        logger.info("event already fanned out; duplicate message ignored", extra={"event_id": event_id})
        return None
    return event


def fan_out(
    message: EventMessage,
    deps: FanoutDeps,
    routes: Routes,
    now: datetime,
    raw_data: str | None = None,
    message_id: str = "",
) -> int:
    """Enqueue one delivery per matching hook; returns how many.

    `raw_data` is the exact text of `data` in a producer's message, so `data` hooks get it byte for byte.
    Safe to repeat: duplicates carry the same webhook-id, and a replay is a deliberate repeat.
    """
    event = resolve_event(message, raw_data, message_id, deps, now)
    if event is None:
        return 0
    only = message.hook_ids if message.replay else None
    targets = [hook_id for hook_id in routes.of(event.tenant_id, event.type) if only is None or hook_id in only]
    deliveries = [
        OutgoingMessage(
            body=DeliveryMessage(tenant_id=event.tenant_id, hook_id=hook_id, event_id=event.id).model_dump_json()
        )
        for hook_id in targets
    ]
    deps.deliveries.send_many(deliveries)
    hook_ids = sorted({*(event.fanout_hooks or []), *targets})
    deps.events.mark_fanned_out(event, hook_ids, now)
    logger.info(
        "event fanned out",
        extra={"event_id": event.id, "tenant_id": event.tenant_id, "event_type": event.type, "hooks": len(targets)},
    )
    return len(targets)

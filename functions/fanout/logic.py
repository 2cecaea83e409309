"""Fan-out: a batch of events in, one delivery message per event and up to 10 matching active hooks out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from functions.common import contract
from functions.common.dal.event_types import EventTypesRepository
from functions.common.dal.events import EventsRepository
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.queues import OutgoingMessage, QueueClient
from functions.common.dal.tenants import TenantsRepository
from functions.common.errors import (
    DependencyFailure,
    EventRejected,
    PayloadTooLarge,
    PermanentMessageError,
    ValidationFailed,
)
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


@dataclass(frozen=True)
class IncomingEvent:
    """One events-queue record: its SQS message id, the parsed message, and the exact text of `data`
    (a producer's message) so `data` hooks get it byte for byte."""

    message_id: str
    message: EventMessage
    raw_data: str | None = None


@dataclass
class FanoutReport:
    """Deliveries queued, and the records SQS must deliver again (each with why)."""

    queued: int = 0
    failures: dict[str, Exception] = field(default_factory=dict)


def _event_id(message: EventMessage, raw_data: str | None, deps: FanoutDeps, now: datetime) -> str:
    """The id of the event a (non-replay) message asks to fan out, storing a producer's event first."""
    if message.data is not None:
        return _store_producer_event(message, raw_data, deps, now)
    if message.id:
        return message.id
    raise PermanentMessageError("an events-queue message needs either data or an id", field="id")


def _replayed(message: EventMessage, deps: FanoutDeps, now: datetime) -> Event | None:
    if not message.id:
        raise PermanentMessageError("a replay message needs an id", field="id")
    return deps.events.get_event(message.tenant_id, message.id, now)


def _claim_all(
    wanted: list[tuple[IncomingEvent, str]], deps: FanoutDeps, now: datetime, report: FanoutReport
) -> dict[tuple[str, str], Event]:
    """Claim the batch's events in one consistent batch read (the claim reads the event, so fan-out costs
    no other read). Should that read fail on one record (say it won't parse), each is claimed on its own,
    so only that record fails."""
    claims = [(i.message.tenant_id, event_id, i.message_id or f"local-{event_id}") for i, event_id in wanted]
    try:
        return deps.events.claim_fanouts(claims, now)
    except Exception:  # noqa: BLE001 - find the record that breaks the read; the others still go
        logger.exception("events not claimed as a batch; claiming each on its own")
    claimed: dict[tuple[str, str], Event] = {}
    for (incoming, _), (tenant_id, event_id, claimant) in zip(wanted, claims, strict=True):
        try:
            event = deps.events.claim_fanout(tenant_id, event_id, claimant, now)
        except Exception as exc:  # noqa: BLE001 - the per-record guard
            report.failures[incoming.message_id] = exc
            continue
        if event is not None:
            claimed[(tenant_id, event_id)] = event
    return claimed


def _resolve_all(
    batch: Sequence[IncomingEvent], deps: FanoutDeps, now: datetime, report: FanoutReport
) -> list[tuple[IncomingEvent, Event]]:
    """The events to fan out, one per record that has something (left) to do, in the batch's order.

    A second message for an event (a retried publish re-enqueues) finds it claimed or fanned out by the
    first, in this batch or an earlier one, and does nothing; a replay always goes."""
    wanted: list[tuple[IncomingEvent, str]] = []
    replays: dict[str, Event] = {}
    for incoming in batch:
        try:
            if incoming.message.replay:
                event = _replayed(incoming.message, deps, now)
                if event is not None:
                    replays[incoming.message_id] = event
            else:
                wanted.append((incoming, _event_id(incoming.message, incoming.raw_data, deps, now)))
        except Exception as exc:  # noqa: BLE001 - the per-record guard: the handler logs and counts it
            report.failures[incoming.message_id] = exc
    claimed = _claim_all(wanted, deps, now, report) if wanted else {}
    event_ids = {incoming.message_id: event_id for incoming, event_id in wanted}
    resolved: list[tuple[IncomingEvent, Event]] = []
    taken: set[tuple[str, str]] = set()
    for incoming in batch:
        if incoming.message_id in replays:
            resolved.append((incoming, replays[incoming.message_id]))
            continue
        if incoming.message_id in report.failures or incoming.message_id not in event_ids:
            continue
        key = (incoming.message.tenant_id, event_ids[incoming.message_id])
        event = claimed.get(key)
        if event is None or key in taken:
            logger.info("event gone or claimed by another message; nothing to fan out", extra={"event_id": key[1]})
        elif event.fanned_out_at:
            logger.info("event already fanned out; duplicate message ignored", extra={"event_id": key[1]})
        else:
            taken.add(key)
            resolved.append((incoming, event))
    return resolved


def _delivery_groups(event: Event, hook_ids: list[str]) -> list[OutgoingMessage]:
    """One message per `DELIVERY_GROUP_SIZE` hooks of the event (deliver splits a group per hook)."""
    size = contract.DELIVERY_GROUP_SIZE
    return [
        OutgoingMessage(
            body=DeliveryMessage(
                tenant_id=event.tenant_id,
                hook_id=chunk[0],
                event_id=event.id,
                more_hook_ids=chunk[1:],
            ).model_dump_json(exclude_defaults=True)
        )
        for chunk in (hook_ids[start : start + size] for start in range(0, len(hook_ids), size))
    ]


def fan_out_batch(batch: Sequence[IncomingEvent], deps: FanoutDeps, routes: Routes, now: datetime) -> FanoutReport:
    """Enqueue every event of the batch to its matching hooks in shared SendMessageBatch calls (a group
    message per event and up to 10 hooks), then record each event's fan-out.

    Isolation: a record that fails (refused, unreadable, unsent) fails alone and SQS delivers it again; the
    others go through. Safe to repeat: duplicates carry the same webhook-id, a replay is a deliberate repeat.
    """
    report = FanoutReport()
    planned: list[tuple[IncomingEvent, Event, list[str]]] = []
    for incoming, event in _resolve_all(batch, deps, now, report):
        try:
            only = incoming.message.hook_ids if incoming.message.replay else None
            targets = [h for h in routes.of(event.tenant_id, event.type) if only is None or h in only]
        except Exception as exc:  # noqa: BLE001 - the per-record guard: the handler logs and counts it
            report.failures[incoming.message_id] = exc
            continue
        planned.append((incoming, event, targets))
    outgoing: list[OutgoingMessage] = []
    owners: list[str] = []  # the record each outgoing message belongs to
    for incoming, event, targets in planned:
        groups = _delivery_groups(event, targets)
        outgoing += groups
        owners += [incoming.message_id] * len(groups)
    for position in deps.deliveries.send_each(outgoing):
        report.failures.setdefault(owners[position], DependencyFailure("deliveries could not be queued"))
    for incoming, event, targets in planned:
        if incoming.message_id in report.failures:
            continue  # SQS delivers it again; the claim is this message's, so the retry fans it out
        try:
            deps.events.mark_fanned_out(event, sorted({*(event.fanout_hooks or []), *targets}), now)
        except Exception as exc:  # noqa: BLE001 - unrecorded: SQS delivers this record again
            report.failures[incoming.message_id] = exc
            continue
        report.queued += len(targets)
        logger.debug(
            "event fanned out",
            extra={"event_id": event.id, "tenant_id": event.tenant_id, "event_type": event.type, "hooks": len(targets)},
        )
    return report

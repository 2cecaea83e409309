"""Fan-out: a batch of events in, one delivery message per event and up to 10 matching active hooks out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from functions.common import contract
from functions.common.dal.event_types import EventTypesRepository
from functions.common.dal.events import EventsRepository
from functions.common.dal.hooks import HooksRepository, RouteTarget
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
from functions.common.payload_filter import matches
from functions.common.recovery import RecoveryDeps, work_page
from functions.common.timeutil import iso


@dataclass
class FanoutDeps:
    tenants: TenantsRepository
    event_types: EventTypesRepository
    events: EventsRepository
    hooks: HooksRepository
    deliveries: QueueClient
    ordered_deliveries: QueueClient  # the FIFO queue, for hooks with `ordering: fifo`
    event_retention_days: int
    recovery: RecoveryDeps | None = None  # recoveries and bulk replays (functions/fanout/recovery.py)


@dataclass
class Routes:
    """The routing index for one SQS batch: one lookup per (tenant, event type) per batch, reading only the
    hooks that listen to that type (and the tenant's glob hooks), never all of a tenant's hooks."""

    hooks: HooksRepository
    cache: dict[tuple[str, str], list[RouteTarget]] = field(default_factory=dict)

    def targets(self, tenant_id: str, event_type: str) -> list[RouteTarget]:
        """The active hooks whose `on` matches, with their payload filters. Paused and disabled hooks have
        no routes."""
        key = (tenant_id, event_type)
        if key not in self.cache:
            self.cache[key] = self.hooks.route_targets(tenant_id, event_type)
        return self.cache[key]

    def of(self, event: Event) -> list[RouteTarget]:
        """The hooks the event goes to: type matched, then each hook's payload filter (the event's data is
        parsed only when some hook has one)."""
        targets = self.targets(event.tenant_id, event.type)
        if all(target.filter is None for target in targets):
            return targets
        envelope = {"id": event.id, "type": event.type, "timestamp": iso(event.created_at)}
        envelope["data"] = json.loads(event.data)
        return [target for target in targets if target.filter is None or matches(target.filter, envelope)]


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


def handle_batch(batch: Sequence[IncomingEvent], deps: FanoutDeps, routes: Routes, now: datetime) -> FanoutReport:
    """An events-queue batch: its events fanned out together (`fan_out_batch`), each recovery page worked on
    its own (`handle_message`). A record that fails fails alone."""
    report = fan_out_batch([i for i in batch if i.message.recovery is None], deps, routes, now)
    for incoming in batch:
        if incoming.message.recovery is None:
            continue
        try:
            report.queued += handle_message(incoming.message, deps, routes, now, incoming.raw_data, incoming.message_id)
        except Exception as exc:  # noqa: BLE001 - the per-record guard: the handler logs and counts it
            report.failures[incoming.message_id] = exc
    return report


def handle_message(
    message: EventMessage, deps: FanoutDeps, routes: Routes, now: datetime, raw_data: str | None, message_id: str
) -> int:
    """An events-queue message: an event to fan out, or a page of a recovery to work. Returns deliveries queued."""
    if message.recovery is None:
        return fan_out(message, deps, routes, now, raw_data, message_id)
    if deps.recovery is None:
        raise PermanentMessageError("this function does not work recoveries", field="recovery")
    return work_page(message.tenant_id, message.recovery, message_id, deps.recovery, now)


def fan_out(
    message: EventMessage,
    deps: FanoutDeps,
    routes: Routes,
    now: datetime,
    raw_data: str | None = None,
    message_id: str = "",
) -> int:
    """One event message through `fan_out_batch` (a batch of one); returns deliveries queued, raises why the
    record failed."""
    report = fan_out_batch([IncomingEvent(message_id, message, raw_data)], deps, routes, now)
    if message_id in report.failures:
        raise report.failures[message_id]
    return report.queued


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


def _ordered_messages(event: Event, hook_ids: list[str], replay_message_id: str) -> list[OutgoingMessage]:
    """One FIFO message per hook (never grouped: each hook is its own message group, its own order)."""
    return [
        OutgoingMessage(
            body=DeliveryMessage(tenant_id=event.tenant_id, hook_id=hook_id, event_id=event.id).model_dump_json(),
            group_id=hook_id,
            deduplication_id=ordered_deduplication_id(event.id, hook_id, replay_message_id),
        )
        for hook_id in hook_ids
    ]


def ordered_deduplication_id(event_id: str, hook_id: str, replay_message_id: str) -> str:
    """The same delivery fanned out again within SQS's 5-minute window (a retried fan-out) is sent once;
    a replay (its own events-queue message) is a new delivery."""
    return hashlib.sha256(f"{event_id}\n{hook_id}\n{replay_message_id}".encode()).hexdigest()


@dataclass(frozen=True)
class _Plan:
    incoming: IncomingEvent
    event: Event
    targets: list[RouteTarget]


def _send_all(
    plans: list[_Plan], queue: QueueClient, outgoing_of: Callable[[_Plan], list[OutgoingMessage]]
) -> set[str]:
    """Every plan's messages in shared SendMessageBatch calls, in the batch's order; the records some of whose
    messages could not be sent."""
    outgoing: list[OutgoingMessage] = []
    owners: list[str] = []  # the record each outgoing message belongs to
    for plan in plans:
        messages = outgoing_of(plan)
        outgoing += messages
        owners += [plan.incoming.message_id] * len(messages)
    return {owners[position] for position in queue.send_each(outgoing)} if outgoing else set()


def fan_out_batch(batch: Sequence[IncomingEvent], deps: FanoutDeps, routes: Routes, now: datetime) -> FanoutReport:
    """Enqueue every event of the batch to its matching hooks (type, then payload filter) in shared
    SendMessageBatch calls: a group message per event and up to `DELIVERY_GROUP_SIZE` standard hooks, one FIFO
    message per `ordering: fifo` hook (fan-out order is the FIFO order); then record each event's fan-out.

    Isolation: a record that fails (refused, unreadable, unsent) fails alone and SQS delivers it again; the
    others go through. Safe to repeat: duplicates carry the same webhook-id (and the same FIFO deduplication
    id), a replay is a deliberate repeat.
    """
    report = FanoutReport()
    plans: list[_Plan] = []
    for incoming, event in _resolve_all(batch, deps, now, report):
        try:
            only = incoming.message.hook_ids if incoming.message.replay else None
            targets = [t for t in routes.of(event) if only is None or t.hook_id in only]
        except Exception as exc:  # noqa: BLE001 - the per-record guard: the handler logs and counts it
            report.failures[incoming.message_id] = exc
            continue
        plans.append(_Plan(incoming, event, targets))
    unsent = _send_all(
        plans, deps.deliveries, lambda p: _delivery_groups(p.event, [t.hook_id for t in p.targets if not t.fifo])
    )
    unsent |= _send_all(
        plans,
        deps.ordered_deliveries,
        lambda p: _ordered_messages(
            p.event,
            [t.hook_id for t in p.targets if t.fifo],
            p.incoming.message_id if p.incoming.message.replay else "",
        ),
    )
    for message_id in unsent:
        report.failures.setdefault(message_id, DependencyFailure("deliveries could not be queued"))
    for plan in plans:
        event, hook_ids = plan.event, [t.hook_id for t in plan.targets]
        if plan.incoming.message_id in report.failures:
            continue  # SQS delivers it again; the claim is this message's, so the retry fans it out
        try:
            deps.events.mark_fanned_out(event, sorted({*(event.fanout_hooks or []), *hook_ids}), now)
        except Exception as exc:  # noqa: BLE001 - unrecorded: SQS delivers this record again
            report.failures[plan.incoming.message_id] = exc
            continue
        report.queued += len(hook_ids)
        logger.debug(
            "event fanned out",
            extra={
                "event_id": event.id,
                "tenant_id": event.tenant_id,
                "event_type": event.type,
                "hooks": len(hook_ids),
            },
        )
    return report

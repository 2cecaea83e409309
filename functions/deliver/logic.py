"""Delivering one SQS batch: load, send concurrently, record every attempt, schedule what comes next.

Isolation: every step that handles one delivery is guarded. Whatever one item does (a hook that can't be
encoded, a record that won't parse, a hostile answer, a write that fails) ends as a recorded failed
execution of that delivery, or, when even that can't be written, as that one message redelivered by SQS.
It never fails, delays or duplicates the other deliveries of the batch.

Time: the batch gets a budget (the Lambda's remaining time). An attempt that could not finish within it,
with a margin left to record and schedule, is not started: its message goes back on the queue unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil, inf

from functions.common import contract
from functions.common.dal.queues import OutgoingMessage
from functions.common.delivery import (
    AttemptContext,
    AttemptOutcome,
    DeliverDeps,
    DeliveryKey,
    attempt,
    hook_after_attempt,
    internal_failure,
    record_attempt,
)
from functions.common.delivery.ports import HookStore
from functions.common.errors import DependencyFailure
from functions.common.models import DeliveryMessage, Event, Execution, ExecutionStatus, Hook, HookStatus
from functions.common.observability import in_current_trace, logger
from functions.deliver.rate_limit import seconds_to_wait
from functions.deliver.settlement import settle_manual_successes, superseded_by_manual_retry

# Kept free at the end of the budget to record the executions and schedule the next attempts.
RECORDING_MARGIN_SECONDS = 5.0
UNKNOWN_EVENT_TYPE = "unknown"


@dataclass(frozen=True)
class QueuedDelivery:
    """A single-hook delivery and the SQS message id it came in, so a failure can name that one message.

    `ordered`: it came from the FIFO queue (receipt handle given): what comes next for it (a retry, a wait)
    keeps this message, held out of sight until due, so the hook's later events wait behind it.
    `grouped`: the message carried the event to several hooks (`DeliveryMessage.members`)."""

    message_id: str
    message: DeliveryMessage
    ordered: bool = False
    receipt_handle: str = ""
    grouped: bool = False


@dataclass
class BatchReport:
    """Counts for metrics and logs, and the messages SQS must deliver again (nothing else fails)."""

    sent: int = 0
    succeeded: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0  # messages put back on the queue: early ones, and those the time budget left
    hooks_disabled: int = 0
    item_errors: int = 0
    retries_cancelled: int = 0  # automatic retries dropped: a manual retry had delivered the event
    rate_limited: int = 0  # put back to wait for their hook's rate limit (not attempts)
    outcomes: list[AttemptOutcome] = field(default_factory=list)
    lags_ms: list[int] = field(default_factory=list)  # event published -> first attempt
    redeliver: set[str] = field(default_factory=set)  # message ids whose outcome could not be recorded
    held: set[str] = field(default_factory=set)  # FIFO message ids kept for their next attempt


@dataclass
class _Delivery:
    """One message's way through the batch."""

    queued: QueuedDelivery
    hook: Hook | None = None
    event: Event | None = None
    outcome: AttemptOutcome | None = None
    execution: Execution | None = None  # to record
    follow_up: OutgoingMessage | None = None  # to enqueue once recorded
    ids: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        message = self.queued.message
        self.ids = {"tenant_id": message.tenant_id, "hook_id": message.hook_id, "event_id": message.event_id}

    @property
    def message(self) -> DeliveryMessage:
        return self.queued.message

    @property
    def context(self) -> AttemptContext:
        return AttemptContext(self.message.attempt, manual=self.message.manual, recovery_id=self.message.recovery_id)


def deliver_batch(
    batch: Sequence[QueuedDelivery], deps: DeliverDeps, now: datetime, budget_seconds: float | None = None
) -> BatchReport:
    started = deps.clock()
    deadline = started + budget_seconds - RECORDING_MARGIN_SECONDS if budget_seconds is not None else inf
    report = BatchReport()
    deliveries = [_Delivery(queued) for queued in batch]
    due = _hop_early(deliveries, now, report)
    _load(due, deps, now, report)
    # Slots are counted in the second the attempts go out, after the reads above, not when the batch came.
    sending_at = now + timedelta(seconds=deps.clock() - started)
    sendable = _within_rate_limits(_sort_out(due, now, report), deps, sending_at, report)
    _send_all(sendable, deps, now, deadline, report)
    hook_changes = _conclude(sendable, deps, now, report)
    # Record first, then schedule: a crash between the two redelivers the message (same webhook-id), it
    # never loses an attempt.
    _record(deliveries, deps, report)
    _schedule(deliveries, deps, now, report)
    settle_manual_successes(report.outcomes, deps.events, now)
    for hook in hook_changes.values():
        _apply_hook_change(deps.hooks, hook)
    return report


def _hop_early(deliveries: list[_Delivery], now: datetime, report: BatchReport) -> list[_Delivery]:
    """A message that arrived before its time goes back on the queue for up to 15 more minutes.

    SQS delays cap at 15 min, so a 10 h wait is a chain of such hops; each is one receive and one send.
    """
    due: list[_Delivery] = []
    for delivery in deliveries:
        not_before = delivery.message.not_before
        remaining = (not_before - now).total_seconds() if not_before else 0
        if remaining > 1:
            delay = ceil(min(remaining, contract.SQS_MAX_DELAY_SECONDS))
            delivery.follow_up = OutgoingMessage(body=delivery.message.model_dump_json(), delay_seconds=delay)
            report.deferred += 1
        else:
            due.append(delivery)
    return due


def _load(due: list[_Delivery], deps: DeliverDeps, now: datetime, report: BatchReport) -> None:
    """Hooks and events in two BatchGetItems. If one record breaks the batch read (it won't parse, say),
    each delivery reads its own, so only the broken one fails. An AWS outage fails the read for everyone:
    then SQS delivers the whole batch again (nothing one item did)."""
    try:
        hooks = deps.hooks.get_hooks((d.message.tenant_id, d.message.hook_id) for d in due)
        events = deps.events.get_events((d.message.tenant_id, d.message.event_id) for d in due)
    except DependencyFailure:
        logger.exception("hooks and events could not be read; SQS will deliver the batch again")
        report.redeliver.update(d.queued.message_id for d in due)
        due.clear()
        return
    except Exception:  # noqa: BLE001 - one bad record: fall back to reading each delivery's own
        logger.exception("batch read failed; reading each delivery's hook and event on its own")
        for delivery in due:
            _load_one(delivery, now, deps, report)
        return
    for delivery in due:
        delivery.hook, delivery.event = hooks.get(delivery.message.hook_id), events.get(delivery.message.event_id)


def _load_one(delivery: _Delivery, now: datetime, deps: DeliverDeps, report: BatchReport) -> None:
    message = delivery.message
    try:
        delivery.event = deps.events.get_event(message.tenant_id, message.event_id)
        delivery.hook = deps.hooks.get_hook(message.tenant_id, message.hook_id)
    except Exception as exc:  # noqa: BLE001 - the per-delivery guard
        _fail(delivery, "reading the hook and event", exc, deps, now, report)


def _fail(
    delivery: _Delivery, stage: str, exc: BaseException, deps: DeliverDeps, now: datetime, report: BatchReport
) -> None:
    """This delivery's attempt failed inside Hookwire: record it as such (retried on the schedule)."""
    message = delivery.message
    event = delivery.event
    key = DeliveryKey(
        message.tenant_id,
        message.hook_id,
        message.event_id,
        event.type if event else UNKNOWN_EVENT_TYPE,
        event.created_at if event else None,
    )
    result = internal_failure(stage, exc, **delivery.ids)
    outcome = record_attempt(key, None, result, delivery.context, deps.schedule, now, deps.rng)
    report.item_errors += 1
    report.sent += 1
    report.outcomes.append(outcome)
    _count(report, outcome)
    _log_attempt(outcome)
    delivery.outcome, delivery.execution = outcome, outcome.execution
    delivery.follow_up = _next_attempt(message, outcome, now) if outcome.retry_delay is not None else None


def _sort_out(due: list[_Delivery], now: datetime, report: BatchReport) -> list[_Delivery]:
    """What can be sent. A deleted hook or an expired event ends the delivery (logged); a paused or
    disabled hook gets a recorded 'not sent' execution."""
    sendable: list[_Delivery] = []
    for delivery in due:
        hook, event, message = delivery.hook, delivery.event, delivery.message
        if delivery.outcome is not None:
            continue  # already failed while loading
        if hook is None:
            logger.info("hook deleted; delivery dropped", extra=message.model_dump(mode="json"))
        elif event is None:
            logger.warning("event no longer retained; delivery dropped", extra=message.model_dump(mode="json"))
        elif superseded_by_manual_retry(message, event):
            logger.info("automatic retry cancelled: a manual retry delivered the event", extra=delivery.ids)
            report.retries_cancelled += 1
        elif hook.status is not HookStatus.ACTIVE and not message.manual:
            delivery.execution = _skip_execution(message, hook, event, now)
        else:
            sendable.append(delivery)
    return sendable


def _within_rate_limits(
    sendable: list[_Delivery], deps: DeliverDeps, now: datetime, report: BatchReport
) -> list[_Delivery]:
    """Deliveries over their hook's rate limit go back on the queue unchanged (same attempt number),
    delayed until their turn; they are not attempts and leave no execution."""
    waits = seconds_to_wait([d.hook for d in sendable if d.hook], deps.rate_counter, now)
    ready: list[_Delivery] = []
    for delivery, wait in zip(sendable, waits, strict=True):
        if wait == 0:
            ready.append(delivery)
            continue
        delay = min(wait, contract.SQS_MAX_DELAY_SECONDS)
        delivery.follow_up = OutgoingMessage(body=delivery.message.model_dump_json(), delay_seconds=delay)
        report.rate_limited += 1
    return ready


def _skip_execution(message: DeliveryMessage, hook: Hook, event: Event, now: datetime) -> Execution:
    """A paused or disabled hook gets nothing; the attempt is still recorded so nothing vanishes silently."""
    return Execution.not_sent(message, event, f"not sent: the hook is {hook.status.value}", now)


def _send_all(
    sendable: list[_Delivery], deps: DeliverDeps, now: datetime, deadline: float, report: BatchReport
) -> None:
    """At most `concurrency` attempts at once on the container's worker threads. One that could no longer
    finish before the deadline is not started: its message goes back on the queue unchanged."""
    if not sendable:
        return
    queue = iter(sendable)
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                delivery = next(queue, None)
            if delivery is None:
                return
            if deps.clock() + deps.timeout_seconds > deadline:
                continue  # left without an outcome: deferred below
            assert delivery.hook and delivery.event
            delivery.outcome = attempt(delivery.hook, delivery.event, delivery.context, deps, now)

    workers = [deps.executor.submit(in_current_trace(work)) for _ in range(min(deps.concurrency, len(sendable)))]
    for worker in workers:
        worker.result()  # `attempt` never raises, so neither does `work`
    for delivery in sendable:
        if delivery.outcome is None:
            logger.warning("no time left in this invocation; delivery put back on the queue", extra=delivery.ids)
            delivery.follow_up = OutgoingMessage(body=delivery.message.model_dump_json())
            report.deferred += 1


def _conclude(sendable: list[_Delivery], deps: DeliverDeps, now: datetime, report: BatchReport) -> dict[str, Hook]:
    """Each attempt's execution, next attempt and effect on its hook (merged per hook)."""
    hook_changes: dict[str, Hook] = {}
    for delivery in sendable:
        outcome, hook, event = delivery.outcome, delivery.hook, delivery.event
        if outcome is None or hook is None or event is None:
            continue  # deferred
        try:
            follow_up = _next_attempt(delivery.message, outcome, now) if outcome.retry_delay is not None else None
            lag = _first_attempt_lag(delivery.message, event, now)
            current = hook_changes.get(hook.id, hook)
            change = hook_after_attempt(current, outcome.judgement, now, deps.disable_after_seconds)
        except Exception as exc:  # noqa: BLE001 - the per-delivery guard (a record with odd values, say)
            _fail(delivery, "judging the answer", exc, deps, now, report)
            continue
        delivery.execution, delivery.follow_up = outcome.execution, follow_up
        report.sent += 1
        report.outcomes.append(outcome)
        report.item_errors += outcome.execution.failure_class == "internal"
        _count(report, outcome)
        _log_attempt(outcome)
        if lag is not None:
            report.lags_ms.append(lag)
        if change is not None:
            if change.status is HookStatus.DISABLED and current.status is not HookStatus.DISABLED:
                report.hooks_disabled += 1
            hook_changes[hook.id] = change
    return hook_changes


def _first_attempt_lag(message: DeliveryMessage, event: Event, now: datetime) -> int | None:
    if message.attempt != 1 or message.manual:
        return None
    return max(0, int((now - event.created_at).total_seconds() * 1000))


def _record(deliveries: list[_Delivery], deps: DeliverDeps, report: BatchReport) -> None:
    """One BatchWriteItem. If it fails, each execution is written on its own; one that still can't be
    written is written without the receiver's answer; if even that fails, its message is redelivered."""
    pending = [d for d in deliveries if d.execution is not None]
    if not pending:
        return
    try:
        deps.executions.put_many([d.execution for d in pending if d.execution])
        return
    except Exception:  # noqa: BLE001 - find the one that can't be written; the others still are
        logger.exception("executions not written as a batch; writing each on its own")
    store_down = False
    for delivery in pending:
        if store_down:
            _deliver_again(delivery, report)
        elif not _record_one(delivery, deps):
            store_down = True  # even a bare record failed: don't spend the remaining time on more calls
            _deliver_again(delivery, report)


def _record_one(delivery: _Delivery, deps: DeliverDeps) -> bool:
    assert delivery.execution is not None
    try:
        deps.executions.put(delivery.execution)
        return True
    except Exception as exc:  # noqa: BLE001 - the per-delivery guard
        logger.exception("execution not written; writing it without the response", extra=delivery.ids)
        bare = delivery.execution.model_copy(
            update={
                "response_headers": {},
                "response_body": None,
                "request_headers": {},
                "error": f"{delivery.execution.error or 'attempt made'}; the record could not be written in full: "
                f"{type(exc).__name__}",
            }
        )
    try:
        deps.executions.put(bare)
        return True
    except Exception:  # noqa: BLE001 - nothing written: SQS delivers this one message again
        logger.exception("execution not written; SQS will deliver this message again", extra=delivery.ids)
        return False


def _deliver_again(delivery: _Delivery, report: BatchReport) -> None:
    """Its outcome is not recorded: the delivery is made again. A member of a group is re-sent as its own
    message (with the batch's other messages), so the group's other hooks are not delivered twice; a
    message of one hook is redelivered by SQS."""
    if not delivery.queued.grouped:
        _redeliver(delivery, report)
        return
    delivery.follow_up = OutgoingMessage(body=delivery.message.model_dump_json(exclude_defaults=True))
    report.item_errors += 1


def _redeliver(delivery: _Delivery, report: BatchReport) -> None:
    """Its outcome is not recorded: SQS delivers the message again (its next attempt is not scheduled).
    For a group member that could not even be re-sent on its own, that is the whole group: a last resort
    that repeats the group's other deliveries (at least once, never lost)."""
    delivery.follow_up = None
    report.redeliver.add(delivery.queued.message_id)
    report.item_errors += 1


def _schedule(deliveries: list[_Delivery], deps: DeliverDeps, now: datetime, report: BatchReport) -> None:
    """Next attempts, hops and deferrals in SendMessageBatch calls; a message that can't be sent is
    redelivered by SQS instead (only that one). A FIFO message is kept instead of sent again."""
    pending = [d for d in deliveries if d.follow_up is not None and d.queued.message_id not in report.redeliver]
    _hold(deps, [d for d in pending if d.queued.ordered], now, report)
    pending = [d for d in pending if not d.queued.ordered]
    if not pending:
        return
    try:
        unsent = deps.deliveries.send_each([d.follow_up for d in pending if d.follow_up])
    except Exception:  # noqa: BLE001 - nothing known to be sent: each message is redelivered
        logger.exception("next attempts not scheduled; SQS will deliver these messages again")
        unsent = list(range(len(pending)))
    for position in unsent:
        logger.error("next attempt not scheduled; SQS will deliver this message again", extra=pending[position].ids)
        _redeliver(pending[position], report)


def _hold(deps: DeliverDeps, ordered: list[_Delivery], now: datetime, report: BatchReport) -> None:
    """Each FIFO follow-up keeps its message, invisible until the follow-up is due (the same attempt number
    comes back as the next receive). If the hold fails, the message still comes back, after the queue's
    visibility timeout: never lost, never overtaken."""
    for delivery in ordered:
        assert delivery.follow_up is not None
        report.held.add(delivery.queued.message_id)
        try:
            deps.ordered_deliveries.hold(delivery.queued.receipt_handle, _due_in(delivery.follow_up, now))
        except Exception:  # noqa: BLE001 - the per-delivery guard
            logger.exception("FIFO message not held; it comes back after the visibility timeout", extra=delivery.ids)


def _due_in(follow_up: OutgoingMessage, now: datetime) -> float:
    """Seconds until a follow-up is due: its `not_before` when it has one (a retry), else its delay."""
    not_before = DeliveryMessage.model_validate_json(follow_up.body).not_before
    return max(0.0, (not_before - now).total_seconds()) if not_before else float(follow_up.delay_seconds)


def _apply_hook_change(hooks: HookStore, desired: Hook) -> None:
    """Best effort: the attempts are already recorded and scheduled, and the next attempt judges again
    (another 410 disables again, the failure window stays measured from failing_since)."""
    try:
        _merge_hook_change(hooks, desired)
    except Exception:  # noqa: BLE001 - a hook state update never fails the deliveries
        logger.exception("hook state not updated", extra={"hook_id": desired.id, "tenant_id": desired.tenant_id})


def _log_attempt(outcome: AttemptOutcome) -> None:
    """One line per attempt: ids and outcome, never the payload; at INFO when it did not succeed, at DEBUG
    when it did (its execution record and the metrics already say so, and at ~300 bytes a line the logs
    would cost about $0.15 per million deliveries: docs/cost.md). The details at DEBUG."""
    execution = outcome.execution
    log = logger.debug if execution.status is ExecutionStatus.SUCCEEDED else logger.info
    log(
        "delivery attempt",
        extra={
            "tenant_id": execution.tenant_id,
            "hook_id": execution.hook_id,
            "event_id": execution.event_id,
            "execution_id": execution.id,
            "attempt": execution.attempt,
            "status": execution.status.value,
            "failure_class": execution.failure_class,
            "error": execution.error,
        },
    )
    logger.debug(
        "delivery attempt details",
        extra={
            "execution_id": execution.id,
            "event_type": execution.event_type,
            "response_status": execution.response_status,
            "duration_ms": execution.duration_ms,
            "response_headers_truncated": execution.response_headers_truncated,
            "response_body_truncated": execution.response_body_truncated,
        },
    )


def _count(report: BatchReport, outcome: AttemptOutcome) -> None:
    status = outcome.execution.status
    if status is ExecutionStatus.SUCCEEDED:
        report.succeeded += 1
    elif status is ExecutionStatus.RETRYING:
        report.retrying += 1
    else:
        report.failed += 1


def _next_attempt(message: DeliveryMessage, outcome: AttemptOutcome, now: datetime) -> OutgoingMessage:
    delay = outcome.retry_delay or 0.0
    follow_up = message.model_copy(
        update={"attempt": message.attempt + 1, "not_before": now + timedelta(seconds=delay)}
    )
    return OutgoingMessage(
        body=follow_up.model_dump_json(), delay_seconds=ceil(min(delay, contract.SQS_MAX_DELAY_SECONDS))
    )


def _merge_hook_change(hooks: HookStore, desired: Hook) -> None:
    """Merge only the delivery-owned fields, so a user's concurrent PATCH is never overwritten."""

    def merge(current: Hook) -> Hook | None:
        status, reason = current.status, current.disabled_reason
        if desired.status is HookStatus.DISABLED:
            status, reason = HookStatus.DISABLED, desired.disabled_reason
        update = {"failing_since": desired.failing_since, "status": status, "disabled_reason": reason}
        if all(getattr(current, key) == value for key, value in update.items()):
            return None
        if status is HookStatus.DISABLED and current.status is not HookStatus.DISABLED:
            logger.warning(
                "hook disabled", extra={"hook_id": current.id, "tenant_id": current.tenant_id, "reason": reason}
            )
        return current.model_copy(update={**update, "updated_at": desired.updated_at})

    hooks.update_hook(desired.tenant_id, desired.id, merge)

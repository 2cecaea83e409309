"""Delivering one SQS batch: prefetch, send concurrently, record every attempt, schedule retries."""

from __future__ import annotations

import random
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from math import ceil

from functions.common import contract
from functions.common.dal.executions import ExecutionsRepository
from functions.common.dal.queues import OutgoingMessage, QueueClient
from functions.common.dal.secret_box import SecretBox, encryption_context
from functions.common.dal.subscriptions import SubscriptionsRepository
from functions.common.delivery import (
    AttemptContext,
    AttemptOutcome,
    build_request,
    hook_after_attempt,
    record_attempt,
)
from functions.common.errors import HookwireError
from functions.common.http_client import HttpResult, WebhookHttpClient
from functions.common.models import (
    DeliveryMessage,
    Event,
    Execution,
    ExecutionStatus,
    Hook,
    HookStatus,
)
from functions.common.observability import in_current_trace, logger
from functions.common.retry import RetrySchedule
from functions.deliver.settlement import drop_superseded_retries, settle_manual_successes


@dataclass
class DeliverDeps:
    subscriptions: SubscriptionsRepository
    executions: ExecutionsRepository
    deliveries: QueueClient
    http: WebhookHttpClient
    secret_box: SecretBox
    schedule: RetrySchedule
    timeout_seconds: float
    disable_after_seconds: float
    concurrency: int
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class BatchReport:
    """Counts for metrics and logs. Per-record failures surface as exceptions, not here."""

    sent: int = 0
    succeeded: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    hooks_disabled: int = 0
    outcomes: list[AttemptOutcome] = field(default_factory=list)
    lags_ms: list[int] = field(default_factory=list)  # event published -> first attempt


def _deferral(message: DeliveryMessage, now: datetime) -> OutgoingMessage | None:
    """A message that arrived before its time goes back on the queue for up to 15 more minutes.

    SQS delays cap at 15 min, so a 10 h wait is a chain of such hops; each is one receive and one send.
    """
    if message.not_before is None:
        return None
    remaining = (message.not_before - now).total_seconds()
    if remaining <= 1:
        return None
    return OutgoingMessage(
        body=message.model_dump_json(), delay_seconds=ceil(min(remaining, contract.SQS_MAX_DELAY_SECONDS))
    )


def _skip_execution(message: DeliveryMessage, hook: Hook, event: Event, now: datetime) -> Execution:
    """A paused or disabled hook gets nothing; the attempt is still recorded so nothing vanishes silently."""
    return Execution.not_sent(message, event.type, f"not sent: the hook is {hook.status.value}", now)


def deliver_batch(messages: Sequence[DeliveryMessage], deps: DeliverDeps, now: datetime) -> BatchReport:
    report = BatchReport()
    follow_ups: list[OutgoingMessage] = []
    due: list[DeliveryMessage] = []
    for message in messages:
        deferral = _deferral(message, now)
        if deferral:
            follow_ups.append(deferral)
            report.deferred += 1
        else:
            due.append(message)

    hooks = deps.subscriptions.get_hooks((m.tenant_id, m.hook_id) for m in due)
    events = deps.subscriptions.get_events((m.tenant_id, m.event_id) for m in due)
    due = drop_superseded_retries(due, events)
    sendable: list[tuple[DeliveryMessage, Hook, Event]] = []
    executions: list[Execution] = []
    for message in due:
        hook, event = hooks.get(message.hook_id), events.get(message.event_id)
        if hook is None:
            logger.info("hook deleted; delivery dropped", extra=message.model_dump(mode="json"))
            report.skipped += 1
        elif event is None:
            logger.warning("event no longer retained; delivery dropped", extra=message.model_dump(mode="json"))
            report.skipped += 1
        elif hook.status is not HookStatus.ACTIVE and not message.manual:
            executions.append(_skip_execution(message, hook, event, now))
            report.skipped += 1
        else:
            sendable.append((message, hook, event))

    outcomes = _send_all(sendable, deps, now)
    hook_changes: dict[str, Hook] = {}
    for (message, hook, event), outcome in zip(sendable, outcomes, strict=True):
        executions.append(outcome.execution)
        report.outcomes.append(outcome)
        report.sent += 1
        _count(report, outcome.execution.status)
        _log_attempt(outcome)
        if message.attempt == 1 and not message.manual:
            report.lags_ms.append(max(0, int((now - event.created_at).total_seconds() * 1000)))
        if outcome.retry_delay is not None:
            follow_ups.append(_next_attempt(message, outcome, now))
        current = hook_changes.get(hook.id, hook)
        change = hook_after_attempt(current, outcome.judgement, now, deps.disable_after_seconds)
        if change is not None:
            if change.status is HookStatus.DISABLED and current.status is not HookStatus.DISABLED:
                report.hooks_disabled += 1
            hook_changes[hook.id] = change

    # Record first, then schedule: a crash between the two redelivers the batch (same webhook-id),
    # it never loses an attempt.
    deps.executions.put_many(executions)
    deps.deliveries.send_many(follow_ups)
    settle_manual_successes(report.outcomes, deps.subscriptions, now)
    for hook in hook_changes.values():
        _apply_hook_change(deps.subscriptions, hook)
    return report


def _apply_hook_change(subscriptions: SubscriptionsRepository, desired: Hook) -> None:
    """Best effort: the attempts are already recorded and scheduled, and the next attempt judges again
    (another 410 disables again, the failure window stays measured from failing_since)."""
    try:
        _merge_hook_change(subscriptions, desired)
    except HookwireError:
        logger.exception("hook state not updated", extra={"hook_id": desired.id, "tenant_id": desired.tenant_id})


def _log_attempt(outcome: AttemptOutcome) -> None:
    """One structured line per attempt: ids and outcome, never the payload."""
    execution = outcome.execution
    logger.info(
        "delivery attempt",
        extra={
            "tenant_id": execution.tenant_id,
            "hook_id": execution.hook_id,
            "event_id": execution.event_id,
            "execution_id": execution.id,
            "event_type": execution.event_type,
            "attempt": execution.attempt,
            "status": execution.status.value,
            "response_status": execution.response_status,
            "duration_ms": execution.duration_ms,
            "failure_class": execution.failure_class,
            "error": execution.error,
        },
    )


def _count(report: BatchReport, status: ExecutionStatus) -> None:
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


def _merge_hook_change(subscriptions: SubscriptionsRepository, desired: Hook) -> None:
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

    subscriptions.update_hook(desired.tenant_id, desired.id, merge)


def _send_all(
    sendable: list[tuple[DeliveryMessage, Hook, Event]], deps: DeliverDeps, now: datetime
) -> list[AttemptOutcome]:
    """All deliveries of the batch at once over the shared connection pool."""
    if not sendable:
        return []

    def send_one(item: tuple[DeliveryMessage, Hook, Event]) -> AttemptOutcome:
        message, hook, event = item
        return attempt(hook, event, AttemptContext(message.attempt, manual=message.manual), deps, now)

    with ThreadPoolExecutor(max_workers=min(deps.concurrency, len(sendable))) as pool:
        return list(pool.map(in_current_trace(send_one), sendable))


def live_secrets(hook: Hook, box: SecretBox, now: datetime) -> list[str]:
    context = encryption_context(hook.tenant_id, hook.id)
    return [box.open(secret.ciphertext, context) for secret in hook.live_secrets(now)]


def attempt(hook: Hook, event: Event, context: AttemptContext, deps: DeliverDeps, now: datetime) -> AttemptOutcome:
    request = build_request(hook, event, now, live_secrets(hook, deps.secret_box, now))
    result: HttpResult = deps.http.post(request.url, request.headers, request.body, deps.timeout_seconds)
    return record_attempt(hook, event, request, result, context, deps.schedule, now, deps.rng)

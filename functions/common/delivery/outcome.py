"""What an attempt's answer means: the judgement, the execution recorded, the hook's new state.
Pure logic: no I/O here."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from functions.common import ids
from functions.common.delivery.request import OutgoingRequest, recorded_headers
from functions.common.http_client import HttpResult
from functions.common.metric_names import failure_class
from functions.common.models import Event, Execution, ExecutionStatus, Hook, HookStatus
from functions.common.retry import RetrySchedule, parse_retry_after
from functions.common.timeutil import iso

# An error text is for people; a hostile exception message must not bloat the execution item.
ERROR_CAP = 1000


class Verdict(StrEnum):
    SUCCESS = "success"
    RETRY = "retry"
    GONE = "gone"
    ABORT = "abort"  # the receiver asked for no more attempts of this message


# A receiver's back-pressure signal: `Webhook-Delivery: abort` (name and value case-insensitive) on any
# non-2xx answer stops the automatic retries of that message (docs/delivery-controls.md).
ABORT_HEADER = "webhook-delivery"
ABORT_VALUE = "abort"


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    error: str | None = None
    retry_after: float | None = None


def _asks_to_abort(result: HttpResult) -> bool:
    return result.headers.get(ABORT_HEADER, "").strip().lower() == ABORT_VALUE


def judge(result: HttpResult, now: datetime) -> Judgement:
    """2xx succeeds; 410 disables the hook; `Webhook-Delivery: abort` ends the message's retries; everything
    else is a failure worth retrying, after the receiver's Retry-After on 429 and any 5xx."""
    if result.status is None:
        return Judgement(Verdict.RETRY, error=result.error)
    if 200 <= result.status < 300:
        return Judgement(Verdict.SUCCESS)
    if result.status == 410:
        return Judgement(Verdict.GONE, error="receiver answered 410 Gone: the hook was disabled")
    if _asks_to_abort(result):
        error = f"HTTP {result.status}; the receiver asked to abort (Webhook-Delivery: abort): no further attempts"
        return Judgement(Verdict.ABORT, error=error)
    if 300 <= result.status < 400:
        location = result.headers.get("location")
        where = f" (to {location})" if location else ""
        return Judgement(Verdict.RETRY, error=f"redirect not followed: HTTP {result.status}{where}")
    honours_retry_after = result.status == 429 or 500 <= result.status < 600
    retry_after = parse_retry_after(result.headers.get("retry-after"), now) if honours_retry_after else None
    return Judgement(Verdict.RETRY, error=f"HTTP {result.status}", retry_after=retry_after)


@dataclass(frozen=True)
class AttemptContext:
    """Where an attempt sits in its delivery: manual and test attempts are never retried automatically."""

    attempt: int
    manual: bool = False
    test: bool = False
    recovery_id: str | None = None  # sent by a recovery or bulk replay (a manual attempt)


@dataclass(frozen=True)
class AttemptOutcome:
    execution: Execution
    judgement: Judgement
    retry_delay: float | None  # seconds until the next attempt, None when there is none


@dataclass(frozen=True)
class DeliveryKey:
    """Which delivery an execution belongs to; enough to record one when the hook or event can't be read."""

    tenant_id: str
    hook_id: str
    event_id: str
    event_type: str
    # The event's publish time groups its executions under the hook (ids.execution_id); None when the
    # event could not be read.
    event_created_at: datetime | None = None

    @classmethod
    def of(cls, hook: Hook, event: Event) -> DeliveryKey:
        return cls(hook.tenant_id, hook.id, event.id, event.type, event.created_at)


def record_attempt(
    key: DeliveryKey,
    request: OutgoingRequest | None,
    result: HttpResult,
    context: AttemptContext,
    schedule: RetrySchedule,
    now: datetime,
    rng: random.Random | None = None,
) -> AttemptOutcome:
    """The execution of one attempt. `request` is None when it could not even be built."""
    judgement = judge(result, now)
    retry_delay: float | None = None
    if judgement.verdict is Verdict.SUCCESS:
        status = ExecutionStatus.SUCCEEDED
    elif (
        judgement.verdict is Verdict.RETRY
        and not (context.manual or context.test)
        and not schedule.is_exhausted(context.attempt)
    ):
        status = ExecutionStatus.RETRYING
        retry_delay = schedule.delay_after(context.attempt, rng, judgement.retry_after)
    else:
        status = ExecutionStatus.FAILED
    execution = Execution(
        id=ids.execution_id(key.event_id, key.event_created_at),
        hook_id=key.hook_id,
        tenant_id=key.tenant_id,
        event_id=key.event_id,
        event_type=key.event_type,
        attempt=context.attempt,
        status=status,
        manual=context.manual,
        test=context.test,
        recovery_id=context.recovery_id,
        response_status=result.status,
        response_headers=result.headers,
        response_headers_truncated=result.headers_truncated,
        response_body=result.body.decode("utf-8", errors="replace") if result.status is not None else None,
        response_body_truncated=result.body_truncated,
        duration_ms=result.duration_ms,
        error=judgement.error[:ERROR_CAP] if judgement.error else None,
        failure_class=None if status is ExecutionStatus.SUCCEEDED else failure_class(result.status, result.failure),
        next_attempt_at=now + timedelta(seconds=retry_delay) if retry_delay is not None else None,
        request_url=request.url if request else None,
        request_headers=recorded_headers(request.headers) if request else {},
        payload_format=request.payload_format if request else None,
        created_at=now,
    )
    return AttemptOutcome(execution=execution, judgement=judgement, retry_delay=retry_delay)


def hook_after_attempt(hook: Hook, judgement: Judgement, now: datetime, disable_after: float) -> Hook | None:
    """The hook's new state after an attempt, or None when it does not change.

    A success clears the failure record; 410 disables at once; a hook that has only failed for
    `disable_after` seconds is disabled with a reason.
    """
    if judgement.verdict is Verdict.SUCCESS:
        return hook.model_copy(update={"failing_since": None}) if hook.failing_since else None
    if judgement.verdict is Verdict.GONE:
        return _disabled(hook, judgement.error or "receiver answered 410 Gone", now)
    if hook.failing_since is None:
        return hook.model_copy(update={"failing_since": now})
    if hook.status is HookStatus.ACTIVE and (now - hook.failing_since).total_seconds() >= disable_after:
        days = disable_after / 86400
        reason = (
            f"every delivery failed for {days:g} days (since {iso(hook.failing_since)}); last error: {judgement.error}"
        )
        return _disabled(hook, reason, now)
    return None


def _disabled(hook: Hook, reason: str, now: datetime) -> Hook:
    return hook.model_copy(update={"status": HookStatus.DISABLED, "disabled_reason": reason, "updated_at": now})

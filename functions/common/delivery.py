"""What one delivery attempt sends and what its outcome means. Pure logic: no I/O here."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from functions.common import contract, ids, rawjson, signing
from functions.common.http_client import HttpResult
from functions.common.metric_names import failure_class
from functions.common.models import (
    Event,
    Execution,
    ExecutionStatus,
    Hook,
    HookStatus,
    PayloadFormat,
)
from functions.common.retry import RetrySchedule, parse_retry_after
from functions.common.timeutil import epoch_seconds, iso

# Headers Hookwire owns; a hook's custom headers may never replace them.
PROTECTED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature"}
)


# Credentials a hook may send to its receiver: executions keep the header, never its value.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
REDACTED = "[redacted]"


def recorded_headers(headers: dict[str, str]) -> dict[str, str]:
    """The request headers as an execution stores them: credential values replaced by REDACTED."""
    return {name: REDACTED if name.lower() in CREDENTIAL_HEADERS else value for name, value in headers.items()}


@dataclass(frozen=True)
class OutgoingRequest:
    url: str
    headers: dict[str, str]
    body: bytes
    payload_format: PayloadFormat


def request_body(payload_format: PayloadFormat, event: Event) -> bytes:
    if payload_format is PayloadFormat.DATA:
        return event.data.encode()
    return rawjson.envelope(event.id, event.type, iso(event.created_at), event.data).encode()


def build_request(hook: Hook, event: Event, now: datetime, secrets: list[str]) -> OutgoingRequest:
    """The exact request: body, custom headers, then Hookwire's own headers (which always win).

    `secrets` are the hook's live secrets in plaintext, newest first.
    """
    body = request_body(hook.payload_format, event)
    timestamp = epoch_seconds(now)
    headers = {name: value for name, value in hook.headers.items() if name.lower() not in PROTECTED_HEADERS}
    headers.update(
        {
            "content-type": "application/json",
            "user-agent": contract.USER_AGENT,
            "webhook-id": event.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.signature_header(secrets, event.id, timestamp, body),
        }
    )
    return OutgoingRequest(url=hook.url, headers=headers, body=body, payload_format=hook.payload_format)


class Verdict(StrEnum):
    SUCCESS = "success"
    RETRY = "retry"
    GONE = "gone"


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    error: str | None = None
    retry_after: float | None = None


def judge(result: HttpResult, now: datetime) -> Judgement:
    """2xx succeeds; 410 disables the hook; everything else is a failure worth retrying."""
    if result.status is None:
        return Judgement(Verdict.RETRY, error=result.error)
    if 200 <= result.status < 300:
        return Judgement(Verdict.SUCCESS)
    if result.status == 410:
        return Judgement(Verdict.GONE, error="receiver answered 410 Gone: the hook was disabled")
    if 300 <= result.status < 400:
        location = result.headers.get("location")
        where = f" (to {location})" if location else ""
        return Judgement(Verdict.RETRY, error=f"redirect not followed: HTTP {result.status}{where}")
    retry_after = parse_retry_after(result.headers.get("retry-after"), now) if result.status in (429, 503) else None
    return Judgement(Verdict.RETRY, error=f"HTTP {result.status}", retry_after=retry_after)


@dataclass(frozen=True)
class AttemptContext:
    """Where an attempt sits in its delivery: manual and test attempts are never retried automatically."""

    attempt: int
    manual: bool = False
    test: bool = False


@dataclass(frozen=True)
class AttemptOutcome:
    execution: Execution
    judgement: Judgement
    retry_delay: float | None  # seconds until the next attempt, None when there is none


def record_attempt(
    hook: Hook,
    event: Event,
    request: OutgoingRequest,
    result: HttpResult,
    context: AttemptContext,
    schedule: RetrySchedule,
    now: datetime,
    rng: random.Random | None = None,
) -> AttemptOutcome:
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
        id=ids.new_id("exe"),
        hook_id=hook.id,
        tenant_id=hook.tenant_id,
        event_id=event.id,
        event_type=event.type,
        attempt=context.attempt,
        status=status,
        manual=context.manual,
        test=context.test,
        response_status=result.status,
        response_headers=result.headers,
        response_body=result.body.decode("utf-8", errors="replace") if result.status is not None else None,
        response_body_truncated=result.body_truncated,
        duration_ms=result.duration_ms,
        error=judgement.error,
        failure_class=None if status is ExecutionStatus.SUCCEEDED else failure_class(result.status, result.failure),
        next_attempt_at=now + timedelta(seconds=retry_delay) if retry_delay is not None else None,
        request_url=request.url,
        request_headers=recorded_headers(request.headers),
        payload_format=request.payload_format,
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

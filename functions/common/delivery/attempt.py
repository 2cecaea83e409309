"""The one delivery-attempt function: automatic, manual retry, replay and test deliveries all call it."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime

from functions.common.dal.secret_box import encryption_context
from functions.common.delivery.outcome import AttemptContext, AttemptOutcome, DeliveryKey, record_attempt
from functions.common.delivery.ports import (
    EventStore,
    ExecutionLog,
    HookStore,
    HttpSender,
    QueuePublisher,
    SecretOpener,
)
from functions.common.delivery.request import OutgoingRequest, build_request
from functions.common.http_client import HttpResult
from functions.common.models import Event, Hook
from functions.common.observability import logger
from functions.common.retry import RetrySchedule


@dataclass
class DeliverDeps:
    """Built once per container by `functions.common.delivery.factory.delivery_deps`; tests pass fakes."""

    hooks: HookStore
    events: EventStore
    executions: ExecutionLog
    deliveries: QueuePublisher
    http: HttpSender
    secret_box: SecretOpener
    schedule: RetrySchedule
    timeout_seconds: float
    disable_after_seconds: float
    concurrency: int
    executor: Executor  # one per container, never one per batch
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)


def live_secrets(hook: Hook, box: SecretOpener, now: datetime) -> list[str]:
    context = encryption_context(hook.tenant_id, hook.id)
    return [box.open(secret.ciphertext, context) for secret in hook.live_secrets(now)]


def internal_failure(stage: str, exc: BaseException, **ids: str) -> HttpResult:
    """An exception while handling one delivery, as that delivery's failed attempt: one log line (with the
    traceback) and a readable error. Counted as failure class `internal`."""
    logger.error(f"delivery failed while {stage}", exc_info=exc, extra={**ids, "stage": stage})
    error = f"internal error while {stage}: {type(exc).__name__}: {exc}"
    return HttpResult(status=None, duration_ms=0, error=error, failure="internal")


def attempt(hook: Hook, event: Event, context: AttemptContext, deps: DeliverDeps, now: datetime) -> AttemptOutcome:
    """Sign, send and judge one attempt. Never raises: whatever goes wrong (a secret that won't decrypt, a
    header that can't be encoded, a bug) is this attempt's failure, recorded with its error."""
    request: OutgoingRequest | None = None
    try:
        request = build_request(hook, event, now, live_secrets(hook, deps.secret_box, now))
        result = deps.http.post(request.url, request.headers, request.body, deps.timeout_seconds)
    except Exception as exc:  # noqa: BLE001 - the per-delivery guard: nothing one hook does escapes its attempt
        ids = {"tenant_id": hook.tenant_id, "hook_id": hook.id, "event_id": event.id}
        result = internal_failure("sending", exc, **ids)
    return record_attempt(DeliveryKey.of(hook, event), request, result, context, deps.schedule, now, deps.rng)

"""Delivery: what an attempt sends (request), what its answer means (outcome), the one attempt function
(attempt) and the one factory that builds its dependencies (factory)."""

from functions.common.delivery.attempt import DeliverDeps, attempt, internal_failure, live_secrets
from functions.common.delivery.outcome import (
    AttemptContext,
    AttemptOutcome,
    DeliveryKey,
    Judgement,
    Verdict,
    hook_after_attempt,
    judge,
    record_attempt,
)
from functions.common.delivery.request import PROTECTED_HEADERS, OutgoingRequest, build_request, request_body

__all__ = [
    "PROTECTED_HEADERS",
    "AttemptContext",
    "AttemptOutcome",
    "DeliverDeps",
    "DeliveryKey",
    "Judgement",
    "OutgoingRequest",
    "Verdict",
    "attempt",
    "build_request",
    "hook_after_attempt",
    "internal_failure",
    "judge",
    "live_secrets",
    "record_attempt",
    "request_body",
]

"""Every metric Hookwire emits (one namespace, dimension `service` only: no per-tenant or per-hook
dimensions, which would multiply the bill; those ids go in structured logs). The dashboard is built from
this module, and a test checks both directions."""

from __future__ import annotations

EVENTS_PUBLISHED = "EventsPublished"
DELIVERIES_QUEUED = "DeliveriesQueued"
DELIVERY_ATTEMPTS = "DeliveryAttempts"
DELIVERIES_SUCCEEDED = "DeliveriesSucceeded"
DELIVERIES_FAILED = "DeliveriesFailed"  # attempts that did not succeed, whatever comes next
DELIVERIES_EXHAUSTED = "DeliveriesExhausted"  # pairs that ended failed: no attempt left
RETRIES_SCHEDULED = "RetriesScheduled"
RETRIES_CANCELLED = "RetriesCancelled"  # automatic retries dropped: a manual retry had delivered the event
DELIVERIES_RATE_LIMITED = "DeliveriesRateLimited"  # deliveries put back to wait for their hook's rate limit
# Deliveries put back on the queue unchanged: not due yet (a hop past SQS's 15-minute delay cap), or left
# over when the batch's time budget ran out.
DELIVERIES_DEFERRED = "DeliveriesDeferred"
HOOKS_DISABLED = "HooksDisabled"
DEAD_LETTERS = "DeadLetters"  # messages found in a DLQ: fanout or deliver failed on them every receive
DEAD_LETTERS_UNATTRIBUTED = "DeadLettersUnattributed"  # of those, kept in the DLQ: no event or hook to mark
DELIVERY_LATENCY = "DeliveryLatency"  # ms, request sent to response read
END_TO_END_LAG = "EndToEndLag"  # ms, event published to first attempt
# Deliveries whose handling raised (a bug, a corrupt record, an AWS error on one item): each is recorded
# as a failed execution of that delivery (or, if even that fails, redelivered alone), never the batch's.
DELIVERY_ITEM_ERRORS = "DeliveryItemErrors"
EVENTS_REJECTED = "EventsRejected"  # events-queue messages the ingest rules refuse (counted once; then the DLQ)
EVENT_MESSAGES_FAILED = "EventMessagesFailed"  # events-queue messages fanout could not process this time

# request: the hook's URL or headers can't be sent as HTTP; internal: Hookwire failed handling the delivery.
FAILURE_CLASSES = ("http_4xx", "http_5xx", "timeout", "connection", "ssrf", "request", "internal")


def failure_metric(failure_class: str) -> str:
    """`DeliveriesFailed_http_5xx` and so on: one metric per reason class."""
    return f"{DELIVERIES_FAILED}_{failure_class}"


# What fanout counts about its input: each one is a record that did not go through, never silently.
INPUT_FAILURES = (EVENTS_REJECTED, EVENT_MESSAGES_FAILED)

COUNTS = (
    EVENTS_PUBLISHED,
    DELIVERIES_QUEUED,
    DELIVERY_ATTEMPTS,
    DELIVERIES_SUCCEEDED,
    DELIVERIES_FAILED,
    DELIVERIES_EXHAUSTED,
    RETRIES_SCHEDULED,
    RETRIES_CANCELLED,
    DELIVERIES_RATE_LIMITED,
    DELIVERIES_DEFERRED,
    HOOKS_DISABLED,
    DELIVERY_ITEM_ERRORS,
    DEAD_LETTERS,
    DEAD_LETTERS_UNATTRIBUTED,
    *INPUT_FAILURES,
    *(failure_metric(c) for c in FAILURE_CLASSES),
)
TIMINGS = (DELIVERY_LATENCY, END_TO_END_LAG)
ALL = (*COUNTS, *TIMINGS)


def failure_class(status: int | None, transport_failure: str | None) -> str:
    """The reason class of a failed attempt. 3xx (redirect not followed) counts with 4xx: the receiver's
    configuration is wrong, not its health."""
    if status is None:
        if transport_failure in ("timeout", "ssrf", "request", "internal"):
            return transport_failure
        return "connection"  # refused, reset, DNS, TLS
    return "http_5xx" if status >= 500 else "http_4xx"

"""deliver λ: drains the deliveries queue. Wiring only: parse, call deliver_batch, report failures."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from functions.common import metric_names as names
from functions.common.dal.repositories import build_repositories
from functions.common.delivery import DeliverDeps
from functions.common.delivery.factory import delivery_deps
from functions.common.errors import DependencyFailure, MessageKept, PermanentMessageError
from functions.common.models import DeliveryMessage
from functions.common.observability import logger, metrics, tracer
from functions.common.settings import deliver_settings
from functions.common.timeutil import utcnow
from functions.deliver.logic import BatchReport, QueuedDelivery, deliver_batch


def build_deps() -> DeliverDeps:
    settings = deliver_settings()
    return delivery_deps(settings, build_repositories(settings))


def _parse(record: dict[str, Any]) -> QueuedDelivery:
    """A FIFO record's message is kept across attempts, so its attempt number is its receive count."""
    try:
        message = DeliveryMessage.model_validate_json(record["body"])
        if not record.get("eventSourceARN", "").endswith(".fifo"):
            return QueuedDelivery(record["messageId"], message)
        attempt = int(record["attributes"]["ApproximateReceiveCount"])
        ordered = message.model_copy(update={"attempt": attempt})
        return QueuedDelivery(record["messageId"], ordered, ordered=True, receipt_handle=record["receiptHandle"])
    except (ValidationError, KeyError, ValueError) as exc:
        raise PermanentMessageError(f"unparseable delivery message {record.get('messageId')}") from exc


def _emit_metrics(report: BatchReport) -> None:
    count = MetricUnit.Count
    metrics.add_metric(name=names.DELIVERY_ATTEMPTS, unit=count, value=report.sent)
    metrics.add_metric(name=names.DELIVERIES_SUCCEEDED, unit=count, value=report.succeeded)
    metrics.add_metric(name=names.DELIVERIES_FAILED, unit=count, value=report.sent - report.succeeded)
    metrics.add_metric(name=names.DELIVERIES_EXHAUSTED, unit=count, value=report.failed)
    metrics.add_metric(name=names.RETRIES_SCHEDULED, unit=count, value=report.retrying)
    metrics.add_metric(name=names.RETRIES_CANCELLED, unit=count, value=report.retries_cancelled)
    metrics.add_metric(name=names.DELIVERIES_RATE_LIMITED, unit=count, value=report.rate_limited)
    metrics.add_metric(name=names.DELIVERIES_DEFERRED, unit=count, value=report.deferred)
    metrics.add_metric(name=names.HOOKS_DISABLED, unit=count, value=report.hooks_disabled)
    metrics.add_metric(name=names.DELIVERY_ITEM_ERRORS, unit=count, value=report.item_errors)
    classes = Counter(o.execution.failure_class for o in report.outcomes if o.execution.failure_class)
    for failure_class in names.FAILURE_CLASSES:
        metrics.add_metric(name=names.failure_metric(failure_class), unit=count, value=classes[failure_class])
    for outcome in report.outcomes:
        if outcome.execution.duration_ms is not None:
            metrics.add_metric(
                name=names.DELIVERY_LATENCY, unit=MetricUnit.Milliseconds, value=outcome.execution.duration_ms
            )
    for lag in report.lags_ms:
        metrics.add_metric(name=names.END_TO_END_LAG, unit=MetricUnit.Milliseconds, value=lag)


def _log_batch(messages: int, report: BatchReport) -> None:
    """The batch's one INFO line (a failed attempt adds its own; a successful one logs at DEBUG)."""
    logger.info(
        "delivery batch",
        extra={
            "messages": messages,
            "sent": report.sent,
            "succeeded": report.succeeded,
            "retrying": report.retrying,
            "failed": report.failed,
            "deferred": report.deferred,
            "redelivered": len(report.redeliver),
        },
    )


def process_batch(event: dict[str, Any], deps: DeliverDeps, budget_seconds: float | None = None) -> dict[str, Any]:
    """Deliver the whole batch concurrently within `budget_seconds` (a group message is one delivery per
    hook), then let BatchProcessor report the records SQS must deliver again: unparseable ones, and those
    with an outcome that could neither be recorded nor re-sent as its own message."""
    records = event.get("Records", [])
    failures: dict[str, Exception] = {}
    held: set[str] = set()
    batch: list[QueuedDelivery] = []
    for record in records:
        try:
            queued = _parse(record)
        except PermanentMessageError as exc:
            failures[record["messageId"]] = exc
            continue
        members = queued.message.members()
        batch += [replace(queued, message=member, grouped=len(members) > 1) for member in members]
    if batch:
        try:
            report = deliver_batch(batch, deps, utcnow(), budget_seconds)
            _emit_metrics(report)
            _log_batch(len(records), report)
            unrecorded = DependencyFailure("the delivery's outcome could not be recorded or scheduled")
            failures.update(dict.fromkeys(report.redeliver, unrecorded))
            kept = MessageKept("kept on the FIFO queue for its next attempt; the hook's later events wait")
            failures.update(dict.fromkeys(report.held, kept))
            held = report.held
        except Exception as exc:  # noqa: BLE001 - a bug outside the per-delivery guards: SQS retries the batch
            logger.exception("delivery batch failed; SQS will deliver it again")
            failures.update(dict.fromkeys((queued.message_id for queued in batch), exc))

    def check(record: SQSRecord) -> None:
        if record.message_id in failures:
            raise failures[record.message_id]

    # A batch whose only "failures" are FIFO messages kept for their retry is not a failed invocation.
    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=not held or set(failures) != held)
    return process_partial_response(event=event, record_handler=check, processor=processor)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(event, build_deps(), context.get_remaining_time_in_millis() / 1000)

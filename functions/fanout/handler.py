"""fanout λ: drains the events queue. Wiring only: parse each record, call handle_batch."""

from __future__ import annotations

import json
from collections import Counter
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
from functions.common.dal.queues import QueueClient
from functions.common.dal.repositories import build_repositories
from functions.common.errors import EventRejected
from functions.common.models import EventMessage
from functions.common.observability import logger, metrics, tracer
from functions.common.rawjson import raw_member
from functions.common.recovery import RecoveryDeps
from functions.common.settings import fanout_settings
from functions.common.timeutil import utcnow
from functions.fanout.logic import FanoutDeps, IncomingEvent, Routes, handle_batch


def build_deps() -> FanoutDeps:
    settings = fanout_settings()
    repositories = build_repositories(settings)
    deliveries = QueueClient(settings.deliveries_queue_url)
    return FanoutDeps(
        tenants=repositories.tenants,
        event_types=repositories.event_types,
        events=repositories.events,
        hooks=repositories.hooks,
        deliveries=deliveries,
        ordered_deliveries=QueueClient(settings.ordered_deliveries_queue_url),
        event_retention_days=settings.event_retention_days,
        recovery=RecoveryDeps(
            recoveries=repositories.recoveries,
            executions=repositories.executions,
            deliveries=deliveries,
            events=QueueClient(settings.events_queue_url),
        ),
    )


def parse_message(record: SQSRecord) -> EventMessage:
    """The message as the API parses a request body (json.loads, then the model), so a producer's event
    meets the same verdicts on both paths; what can't be parsed is rejected naming the field."""
    try:
        return EventMessage.model_validate(json.loads(record.body))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and pydantic's ValidationError are ValueErrors
        field = "body"
        if isinstance(exc, ValidationError) and exc.errors():
            field = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "body"
        raise EventRejected(f"unparseable events message {record.message_id}: {exc}", field=field) from exc


def process_batch(event: dict[str, Any], deps: FanoutDeps) -> dict[str, Any]:
    """Each record on its own: one that fails is logged, counted and left for redelivery (then the DLQ);
    the others go through, their deliveries sent together (`handle_batch`)."""
    failures: dict[str, Exception] = {}
    batch: list[IncomingEvent] = []
    for record in (SQSRecord(raw) for raw in event.get("Records", [])):
        try:
            batch.append(IncomingEvent(record.message_id, parse_message(record), raw_member(record.body, "data")))
        except EventRejected as rejected:
            failures[record.message_id] = rejected
    report = handle_batch(batch, deps, Routes(deps.hooks), utcnow())
    failures.update(report.failures)
    metrics.add_metric(name=names.DELIVERIES_QUEUED, unit=MetricUnit.Count, value=report.queued)
    counted: Counter[str] = Counter()

    def check(record: SQSRecord) -> None:
        failure = failures.get(record.message_id)
        if failure is None:
            return
        if isinstance(failure, EventRejected):
            if record.attributes.approximate_receive_count == "1":
                counted[names.EVENTS_REJECTED] += 1  # an event, not each of its receives
            logger.warning(
                "event rejected; the message goes to the DLQ",
                extra={"message_id": record.message_id, "field": failure.field, "error": failure.message},
            )
        else:
            counted[names.EVENT_MESSAGES_FAILED] += 1
            logger.error(
                "events message could not be processed",
                extra={"message_id": record.message_id, "error": f"{type(failure).__name__}: {failure}"},
                exc_info=failure,
            )
        raise failure

    try:
        return process_partial_response(event=event, record_handler=check, processor=BatchProcessor(EventType.SQS))
    finally:
        for name in names.INPUT_FAILURES:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=counted[name])


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(event, build_deps())

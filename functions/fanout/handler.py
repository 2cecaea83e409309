"""fanout λ: drains the events queue. Wiring only: parse each record, call fan_out."""

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
from functions.common.dal.event_types import EventTypesRepository
from functions.common.dal.events import EventsRepository
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.queues import QueueClient
from functions.common.dal.tenants import TenantsRepository
from functions.common.errors import EventRejected
from functions.common.models import EventMessage
from functions.common.observability import logger, metrics, tracer
from functions.common.rawjson import raw_member
from functions.common.settings import fanout_settings
from functions.common.timeutil import utcnow
from functions.fanout.logic import FanoutDeps, Routes, fan_out


def build_deps() -> FanoutDeps:
    settings = fanout_settings()
    return FanoutDeps(
        tenants=TenantsRepository(settings.subscriptions_table),
        event_types=EventTypesRepository(settings.subscriptions_table),
        events=EventsRepository(settings.subscriptions_table),
        hooks=HooksRepository(settings.subscriptions_table),
        deliveries=QueueClient(settings.deliveries_queue_url),
        event_retention_days=settings.event_retention_days,
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
    the others go through."""
    routes = Routes(deps.hooks)
    failures: Counter[str] = Counter()

    def handle(record: SQSRecord) -> None:
        try:
            message = parse_message(record)
            queued = fan_out(message, deps, routes, utcnow(), raw_member(record.body, "data"), record.message_id)
        except EventRejected as rejected:
            if record.attributes.approximate_receive_count == "1":
                failures[names.EVENTS_REJECTED] += 1  # an event, not each of its receives
            logger.warning(
                "event rejected; the message goes to the DLQ",
                extra={"message_id": record.message_id, "field": rejected.field, "error": rejected.message},
            )
            raise
        except Exception:
            failures[names.EVENT_MESSAGES_FAILED] += 1
            logger.exception("events message could not be processed", extra={"message_id": record.message_id})
            raise
        metrics.add_metric(name=names.DELIVERIES_QUEUED, unit=MetricUnit.Count, value=queued)

    try:
        return process_partial_response(event=event, record_handler=handle, processor=BatchProcessor(EventType.SQS))
    finally:
        for name in names.INPUT_FAILURES:
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=failures[name])


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(event, build_deps())

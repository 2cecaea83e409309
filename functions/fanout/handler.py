"""fanout λ: drains the events queue. Wiring only: parse each record, call fan_out."""

from __future__ import annotations

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
from functions.common.dal.subscriptions import SubscriptionsRepository
from functions.common.errors import PermanentMessageError
from functions.common.models import EventMessage
from functions.common.observability import logger, metrics, tracer
from functions.common.rawjson import raw_member
from functions.common.settings import fanout_settings
from functions.common.timeutil import utcnow
from functions.fanout.logic import FanoutDeps, Routes, fan_out


def build_deps() -> FanoutDeps:
    settings = fanout_settings()
    return FanoutDeps(
        subscriptions=SubscriptionsRepository(settings.subscriptions_table),
        deliveries=QueueClient(settings.deliveries_queue_url),
        event_retention_days=settings.event_retention_days,
    )


def process_batch(event: dict[str, Any], deps: FanoutDeps) -> dict[str, Any]:
    routes = Routes(deps.subscriptions)

    def handle(record: SQSRecord) -> None:
        try:
            message = EventMessage.model_validate_json(record.body)
        except ValidationError as exc:
            raise PermanentMessageError(f"unparseable events message {record.message_id}") from exc
        queued = fan_out(message, deps, routes, utcnow(), raw_member(record.body, "data"), record.message_id)
        metrics.add_metric(name=names.DELIVERIES_QUEUED, unit=MetricUnit.Count, value=queued)

    return process_partial_response(event=event, record_handler=handle, processor=BatchProcessor(EventType.SQS))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(event, build_deps())

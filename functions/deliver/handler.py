"""deliver λ: drains the deliveries queue. Wiring only: parse, call deliver_batch, report failures."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
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
from functions.common.dal.executions import ExecutionsRepository
from functions.common.dal.queues import QueueClient
from functions.common.dal.secret_box import SecretBox
from functions.common.dal.subscriptions import SubscriptionsRepository
from functions.common.errors import HookwireError, PermanentMessageError
from functions.common.http_client import WebhookHttpClient
from functions.common.models import DeliveryMessage
from functions.common.observability import logger, metrics, tracer
from functions.common.settings import deliver_settings
from functions.common.ssrf import UrlGuard
from functions.common.timeutil import utcnow
from functions.deliver.logic import BatchReport, DeliverDeps, deliver_batch


@lru_cache(maxsize=1)
def _http() -> WebhookHttpClient:
    settings = deliver_settings()
    return WebhookHttpClient(UrlGuard.from_settings(settings.allow_http, settings.allowed_cidrs))


@lru_cache(maxsize=1)
def _secret_box() -> SecretBox:
    """One per container, so its decrypted-secret cache survives between invocations."""
    return SecretBox(deliver_settings().kms_key_id)


def build_deps() -> DeliverDeps:
    settings = deliver_settings()
    return DeliverDeps(
        subscriptions=SubscriptionsRepository(settings.subscriptions_table),
        executions=ExecutionsRepository(settings.executions_table, settings.execution_retention_days),
        deliveries=QueueClient(settings.deliveries_queue_url),
        http=_http(),
        secret_box=_secret_box(),
        schedule=settings.schedule(),
        timeout_seconds=settings.delivery_timeout_seconds,
        disable_after_seconds=settings.disable_after_seconds,
        concurrency=settings.delivery_concurrency,
    )


def _parse(record: dict[str, Any]) -> DeliveryMessage:
    try:
        return DeliveryMessage.model_validate_json(record["body"])
    except (ValidationError, KeyError) as exc:
        raise PermanentMessageError(f"unparseable delivery message {record.get('messageId')}") from exc


def _emit_metrics(report: BatchReport) -> None:
    count = MetricUnit.Count
    metrics.add_metric(name=names.DELIVERY_ATTEMPTS, unit=count, value=report.sent)
    metrics.add_metric(name=names.DELIVERIES_SUCCEEDED, unit=count, value=report.succeeded)
    metrics.add_metric(name=names.DELIVERIES_FAILED, unit=count, value=report.sent - report.succeeded)
    metrics.add_metric(name=names.DELIVERIES_EXHAUSTED, unit=count, value=report.failed)
    metrics.add_metric(name=names.RETRIES_SCHEDULED, unit=count, value=report.retrying)
    metrics.add_metric(name=names.HOOKS_DISABLED, unit=count, value=report.hooks_disabled)
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


def process_batch(event: dict[str, Any], deps: DeliverDeps) -> dict[str, Any]:
    """Deliver the whole batch concurrently, then let BatchProcessor report the records that failed."""
    records = event.get("Records", [])
    failures: dict[str, Exception] = {}
    parsed: dict[str, DeliveryMessage] = {}
    for record in records:
        try:
            parsed[record["messageId"]] = _parse(record)
        except PermanentMessageError as exc:
            failures[record["messageId"]] = exc
    if parsed:
        try:
            report = deliver_batch(list(parsed.values()), deps, utcnow())
            _emit_metrics(report)
        except HookwireError as exc:
            logger.exception("delivery batch could not be recorded; SQS will redeliver it")
            failures.update(dict.fromkeys(parsed, exc))

    def check(record: SQSRecord) -> None:
        if record.message_id in failures:
            raise failures[record.message_id]

    return process_partial_response(event=event, record_handler=check, processor=BatchProcessor(EventType.SQS))


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(event, build_deps())

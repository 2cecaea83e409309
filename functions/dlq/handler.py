"""dlq λ: drains both DLQs. Wiring only: read the records, call record_dead_letters, count, report."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import metric_names as names
from functions.common.dal.repositories import build_repositories
from functions.common.errors import HookwireError, PermanentMessageError
from functions.common.observability import logger, metrics, tracer
from functions.common.settings import dead_letter_settings
from functions.common.timeutil import utcnow
from functions.dlq.logic import DeadLetter, DeadLetterDeps, record_dead_letters


def build_deps() -> DeadLetterDeps:
    repositories = build_repositories(dead_letter_settings())
    return DeadLetterDeps(
        events=repositories.events,
        executions=repositories.executions,
        recoveries=repositories.recoveries,
    )


def process_batch(event: dict[str, Any], deps: DeadLetterDeps) -> dict[str, Any]:
    """Records the batch; reports as failed what must stay in the DLQ (unattributed letters), or the whole
    batch when a dependency failed (it comes back after the DLQ's visibility timeout)."""
    letters = [DeadLetter(record["messageId"], record.get("body") or "") for record in event.get("Records", [])]
    try:
        report = record_dead_letters(letters, deps, utcnow())
    except HookwireError:
        logger.exception("dead letters could not be recorded; they stay in the DLQ")
        keep = [letter.message_id for letter in letters]
    else:
        keep = report.unattributed
        metrics.add_metric(name=names.DEAD_LETTERS, unit=MetricUnit.Count, value=report.total)
        metrics.add_metric(name=names.DEAD_LETTERS_UNATTRIBUTED, unit=MetricUnit.Count, value=len(keep))

    def check(record: SQSRecord) -> None:
        if record.message_id in keep:
            raise PermanentMessageError(f"dead letter {record.message_id} stays in the DLQ")

    # A batch that stays whole in the DLQ is not a crash of this function: no Errors alarm for it.
    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=check, processor=processor)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_batch(event, build_deps())

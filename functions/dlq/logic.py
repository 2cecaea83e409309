"""Dead letters become visible state: a delivery message that reached its DLQ is a failed execution, an
events message that reached its DLQ marks the event's fan-out failed. See docs/architecture-dlq.md."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pydantic import ValidationError

from functions.common import contract
from functions.common.models import DeliveryMessage, Event, EventMessage, Execution
from functions.common.observability import logger


class DeadLetterEvents(Protocol):
    def get_events(self, keys: Iterable[tuple[str, str]]) -> dict[str, Event]: ...

    def mark_fanout_failed(self, tenant_id: str, event_id: str, reason: str) -> bool: ...


class DeadLetterExecutions(Protocol):
    def put_many(self, executions: Sequence[Execution]) -> None: ...


class DeadLetterRecoveries(Protocol):
    def mark_failed(self, tenant_id: str, hook_id: str, recovery_id: str, reason: str, now: datetime) -> bool: ...


@dataclass
class DeadLetterDeps:
    events: DeadLetterEvents
    executions: DeadLetterExecutions
    recoveries: DeadLetterRecoveries


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    body: str


class Kind(StrEnum):
    DELIVERY = "delivery"
    EVENT = "event"


@dataclass
class DeadLetterReport:
    """`unattributed` holds the message ids to keep in the DLQ: nothing stored says what they were for."""

    recorded: int = 0
    unattributed: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.recorded + len(self.unattributed)


def _reason(spec: contract.ConsumerSpec, stage: str, remedy: str) -> str:
    return (
        f"not sent: the message reached the dead-letter queue after {spec.max_receive_count} receives "
        f"(the {stage} function failed on it every time); {remedy}"
    )


DELIVERY_DEAD_LETTERED = _reason(contract.DELIVERIES_CONSUMER, "delivery", "retry this execution to send it")
FANOUT_DEAD_LETTERED = _reason(contract.EVENTS_CONSUMER, "fan-out", "replay the event to deliver it")
RECOVERY_DEAD_LETTERED = (
    "stopped: a page of this recovery reached the dead-letter queue after "
    f"{contract.EVENTS_CONSUMER.max_receive_count} receives (fan-out failed on it every time); "
    "ask for the same recovery again to restart it"
)


def kind_of(body: str) -> Kind | None:
    """Which queue a dead letter came from, by the shape of our own message contracts: a deliveries message
    names `hook_id` and `event_id`, an events message never names `event_id`. None: not a JSON object."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    return Kind.DELIVERY if "hook_id" in document and "event_id" in document else Kind.EVENT


def _unattributed(report: DeadLetterReport, letter: DeadLetter, why: str) -> None:
    # Ids and size only: an events message may carry a producer's payload, which never goes to logs.
    logger.error(
        "dead letter kept in the DLQ for the operator",
        extra={"message_id": letter.message_id, "reason": why, "body_bytes": len(letter.body.encode())},
    )
    report.unattributed.append(letter.message_id)


def record_dead_letters(letters: Sequence[DeadLetter], deps: DeadLetterDeps, now: datetime) -> DeadLetterReport:
    """One BatchGetItem for the events of the delivery letters, one BatchWriteItem for their executions,
    one UpdateItem per dead events message. A dependency failure raises: the batch comes back later."""
    report = DeadLetterReport()
    deliveries: list[tuple[DeadLetter, DeliveryMessage]] = []
    for letter in letters:
        kind = kind_of(letter.body)
        try:
            if kind is Kind.DELIVERY:
                members = DeliveryMessage.model_validate_json(letter.body).members()
                deliveries += [(letter, member) for member in members]  # a group: one execution per hook
            elif kind is Kind.EVENT:
                _record_fanout_failure(letter, EventMessage.model_validate_json(letter.body), deps, report, now)
            else:
                _unattributed(report, letter, "not a JSON object")
        except ValidationError:
            _unattributed(report, letter, f"not a valid {kind} message")
    events = deps.events.get_events((m.tenant_id, m.event_id) for _, m in deliveries)
    executions: list[Execution] = []
    for letter, message in deliveries:
        event = events.get(message.event_id)
        if event is None or event.tenant_id != message.tenant_id:
            _unattributed(report, letter, "its event is no longer stored")
            continue
        executions.append(Execution.not_sent(message, event, DELIVERY_DEAD_LETTERED, now))
        logger.warning(
            "dead-lettered delivery recorded as a failed execution",
            extra={**message.model_dump(mode="json"), "execution_id": executions[-1].id},
        )
    deps.executions.put_many(executions)
    report.recorded += len(executions)
    return report


def _record_fanout_failure(
    letter: DeadLetter, message: EventMessage, deps: DeadLetterDeps, report: DeadLetterReport, now: datetime
) -> None:
    if message.recovery is not None:
        _record_recovery_failure(letter, message, deps, report, now)
        return
    if not message.id:
        _unattributed(report, letter, "an events message without an id was never stored")
        return
    if not deps.events.mark_fanout_failed(message.tenant_id, message.id, FANOUT_DEAD_LETTERED):
        _unattributed(report, letter, "its event is not stored")
        return
    logger.warning(
        "dead-lettered fan-out recorded on the event",
        extra={"tenant_id": message.tenant_id, "event_id": message.id, "replay": message.replay},
    )
    report.recorded += 1


def _record_recovery_failure(
    letter: DeadLetter, message: EventMessage, deps: DeadLetterDeps, report: DeadLetterReport, now: datetime
) -> None:
    """A recovery's page message died: the recovery shows failed (never `running` forever)."""
    page = message.recovery
    assert page is not None  # checked by the caller
    if not deps.recoveries.mark_failed(message.tenant_id, page.hook_id, page.recovery_id, RECOVERY_DEAD_LETTERED, now):
        _unattributed(report, letter, "its recovery is not stored")
        return
    logger.warning(
        "dead-lettered recovery page recorded on the recovery",
        extra={"tenant_id": message.tenant_id, "hook_id": page.hook_id, "recovery_id": page.recovery_id},
    )
    report.recorded += 1

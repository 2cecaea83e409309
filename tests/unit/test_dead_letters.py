"""The dead-letter recorder turns what reached a DLQ into visible state, and keeps what it can't attribute."""

from datetime import UTC, datetime

import pytest

from functions.common.errors import DependencyFailure
from functions.common.models import DeliveryMessage, Event, EventMessage, ExecutionStatus, RecoveryPage
from functions.dlq.handler import process_batch
from functions.dlq.logic import (
    DELIVERY_DEAD_LETTERED,
    FANOUT_DEAD_LETTERED,
    RECOVERY_DEAD_LETTERED,
    DeadLetter,
    DeadLetterDeps,
    Kind,
    kind_of,
    record_dead_letters,
)
from tests.support.state_fakes import EventsFake, ExecutionsFake, RecoveriesFake

NOW = datetime(2026, 2, 1, 8, tzinfo=UTC)
EVENT = Event(id="evt_1", tenant_id="ten_1", type="lead.created", data="{}", created_at=NOW)


def _deps(events: EventsFake | None = None) -> tuple[DeadLetterDeps, EventsFake, ExecutionsFake]:
    events = events or EventsFake({"evt_1": EVENT})
    executions = ExecutionsFake()
    return DeadLetterDeps(events=events, executions=executions, recoveries=RecoveriesFake()), events, executions


class _EventsDown(EventsFake):
    def get_events(self, keys):
        raise DependencyFailure("BatchGetItem failed")


def _delivery(**fields) -> str:
    values = {"tenant_id": "ten_1", "hook_id": "hook_1", "event_id": "evt_1", "attempt": 3, **fields}
    return DeliveryMessage(**values).model_dump_json()


def test_a_dead_lettered_delivery_becomes_a_failed_execution_with_the_reason() -> None:
    # Given a deliveries message for a stored event that reached the DLQ on its third attempt
    deps, _, executions = _deps()
    # When the recorder handles it
    report = record_dead_letters([DeadLetter("m1", _delivery())], deps, NOW)
    # Then one failed execution of that attempt says why, and nothing is kept in the DLQ
    [execution] = executions.executions
    assert (execution.hook_id, execution.event_id, execution.event_type) == ("hook_1", "evt_1", "lead.created")
    assert (execution.attempt, execution.status, execution.created_at) == (3, ExecutionStatus.FAILED, NOW)
    assert execution.error == DELIVERY_DEAD_LETTERED
    assert "dead-letter queue after 5 receives" in execution.error
    assert (report.recorded, report.unattributed) == (1, [])


def test_a_dead_lettered_group_message_is_a_failed_execution_for_each_of_its_hooks() -> None:
    # Given fan-out's group message (one event to three hooks) reached the DLQ
    deps, _, executions = _deps()
    body = _delivery(attempt=1, more_hook_ids=["hook_2", "hook_3"])
    # When the recorder handles it
    report = record_dead_letters([DeadLetter("m1", body)], deps, NOW)
    # Then each hook of the group has its failed execution saying why
    assert sorted(e.hook_id for e in executions.executions) == ["hook_1", "hook_2", "hook_3"]
    assert {e.error for e in executions.executions} == {DELIVERY_DEAD_LETTERED}
    assert (report.recorded, report.unattributed) == (3, [])


def test_a_dead_lettered_fanout_marks_the_event_failed() -> None:
    # Given an events message for a stored event
    deps, events, executions = _deps()
    body = EventMessage(tenant_id="ten_1", id="evt_1").model_dump_json()
    # When the recorder handles it
    report = record_dead_letters([DeadLetter("m1", body)], deps, NOW)
    # Then the event's fan-out is marked failed with the reason, and no execution is invented
    assert events.fanout_failures == [("ten_1", "evt_1", FANOUT_DEAD_LETTERED)]
    assert executions.executions == []
    assert report.recorded == 1


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        '{"hook_id": 1}',  # no tenant: not a valid events message either
        '{"tenant_id": "ten_1", "type": "lead.created", "data": {}}',  # a producer's message without an id
        EventMessage(tenant_id="ten_1", id="evt_unknown").model_dump_json(),
        DeliveryMessage(tenant_id="ten_1", hook_id="hook_1", event_id="evt_gone").model_dump_json(),
        DeliveryMessage(tenant_id="ten_other", hook_id="hook_1", event_id="evt_1").model_dump_json(),
    ],
)
def test_a_letter_nothing_stored_can_show_is_kept_for_the_operator(body: str) -> None:
    # Given a dead letter that names no stored event of its tenant
    deps, events, executions = _deps()
    # When the recorder handles it with a good one
    report = record_dead_letters([DeadLetter("bad", body), DeadLetter("good", _delivery())], deps, NOW)
    # Then only the good one is recorded, and the bad one is kept in the DLQ
    assert report.unattributed == ["bad"]
    assert [e.event_id for e in executions.executions] == ["evt_1"]
    assert events.fanout_failures == []


def test_a_dependency_failure_fails_the_batch_so_it_comes_back() -> None:
    # Given the events can't be read
    deps, _, _ = _deps(_EventsDown())
    # When / Then the error reaches the handler, which keeps the whole batch
    with pytest.raises(DependencyFailure):
        record_dead_letters([DeadLetter("m1", _delivery())], deps, NOW)


def test_the_queue_is_told_by_the_message_contract() -> None:
    assert kind_of(_delivery()) is Kind.DELIVERY
    assert (
        kind_of(EventMessage(tenant_id="t", id="e", replay=True, hook_ids=["hook_1"]).model_dump_json()) is Kind.EVENT
    )
    assert kind_of("nope") is None


def _records(*bodies: str) -> dict:
    return {
        "Records": [
            {"messageId": f"m{i}", "receiptHandle": "r", "body": body, "attributes": {}, "eventSource": "aws:sqs"}
            for i, body in enumerate(bodies)
        ]
    }


def test_the_handler_keeps_only_unattributed_letters_in_the_dlq() -> None:
    # Given a batch with one recordable letter and one unparseable one
    deps, _, executions = _deps()
    # When the handler processes it
    response = process_batch(_records(_delivery(), "not json"), deps)
    # Then only the unparseable one is reported back (it stays), and the good one is recorded
    assert response["batchItemFailures"] == [{"itemIdentifier": "m1"}]
    assert len(executions.executions) == 1


def test_a_batch_kept_whole_is_not_a_crash_of_the_recorder() -> None:
    # Given only unattributable letters; When the handler processes them; Then it answers, not raises
    response = process_batch(_records("x", "y"), _deps()[0])
    assert response["batchItemFailures"] == [{"itemIdentifier": "m0"}, {"itemIdentifier": "m1"}]


def test_a_dependency_failure_keeps_the_whole_batch() -> None:
    # Given the events can't be read; When the handler runs; Then every letter stays for the next look
    response = process_batch(_records(_delivery()), _deps(_EventsDown())[0])
    assert response["batchItemFailures"] == [{"itemIdentifier": "m0"}]


def test_a_dead_lettered_recovery_page_marks_the_recovery_failed_and_leaves_the_dlq() -> None:
    # Given a running recovery whose page message reached the events DLQ
    deps, events, _ = _deps()
    recoveries = RecoveriesFake(running={("ten_1", "hook_1", "rec_1")})
    deps.recoveries = recoveries
    page = RecoveryPage(hook_id="hook_1", recovery_id="rec_1", page=2)
    body = EventMessage(tenant_id="ten_1", recovery=page).model_dump_json()
    # When the recorder handles it
    report = record_dead_letters([DeadLetter("m1", body)], deps, NOW)
    # Then the recovery shows failed with the reason (never `running` forever), and no event was touched
    assert recoveries.failed == {("ten_1", "hook_1", "rec_1"): RECOVERY_DEAD_LETTERED}
    assert "ask for the same recovery again" in RECOVERY_DEAD_LETTERED
    assert events.fanout_failures == []
    assert (report.recorded, report.unattributed) == (1, [])


def test_a_dead_lettered_page_of_an_unknown_recovery_stays_in_the_dlq() -> None:
    # Given a page message of a recovery that is not stored (expired, or never was)
    deps, _, _ = _deps()
    body = EventMessage(tenant_id="ten_1", recovery=RecoveryPage(hook_id="h", recovery_id="gone", page=0))
    # When the recorder handles it
    report = record_dead_letters([DeadLetter("m1", body.model_dump_json())], deps, NOW)
    # Then it is kept for the operator
    assert (report.recorded, report.unattributed) == (0, ["m1"])

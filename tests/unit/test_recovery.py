"""A recovery's pages on in-memory fakes: what is re-sent (latest state failed; or every event of a type),
exactly once across pages and duplicate messages, through the manual-retry message marked with the recovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from functions.common import ids
from functions.common import recovery as worker
from functions.common.models import (
    DeliveryMessage,
    EventMessage,
    Execution,
    ExecutionStatus,
    Recovery,
    RecoveryKind,
    RecoveryPage,
    RecoveryStatus,
)
from functions.common.recovery import RecoveryDeps, page_message, work_page
from tests.support.fakes import FakeQueue
from tests.support.recovery_fakes import FakeExecutionPages, FakeRecoveries

T0 = datetime(2026, 3, 1, tzinfo=UTC)
STARTED = T0 + timedelta(days=2)
TENANT, HOOK = "ten_1", "hook_1"


def attempt(event_id: str, published: datetime, number: int, status: ExecutionStatus, **fields) -> Execution:
    """An execution with the id layout of ids.execution_id, attempts of one event in attempt order."""
    values = {
        "id": f"exe_{ids.event_group(event_id, published)}{number:016d}",
        "hook_id": HOOK,
        "tenant_id": TENANT,
        "event_id": event_id,
        "event_type": "order.created",
        "attempt": number,
        "status": status,
        "created_at": published + timedelta(minutes=number),
    }
    return Execution(**{**values, **fields})


def failed_event(event_id: str, published: datetime, attempts: int = 3) -> list[Execution]:
    statuses = [ExecutionStatus.RETRYING] * (attempts - 1) + [ExecutionStatus.FAILED]
    return [attempt(event_id, published, n, status) for n, status in enumerate(statuses, start=1)]


def start(kind: RecoveryKind = RecoveryKind.RECOVER, event_type: str | None = None) -> Recovery:
    return Recovery(
        id="rec_1",
        tenant_id=TENANT,
        hook_id=HOOK,
        kind=kind,
        since=T0,
        until=T0 + timedelta(days=1),
        event_type=event_type,
        created_at=STARTED,
        updated_at=STARTED,
    )


def world(executions: list[Execution], recovery: Recovery) -> tuple[RecoveryDeps, FakeQueue, FakeQueue]:
    deliveries, events = FakeQueue(), FakeQueue()
    deps = RecoveryDeps(
        recoveries=FakeRecoveries({recovery.id: recovery}),
        executions=FakeExecutionPages(executions),
        deliveries=deliveries,  # type: ignore[arg-type]
        events=events,  # type: ignore[arg-type]
    )
    return deps, deliveries, events


def run_to_the_end(deps: RecoveryDeps, events: FakeQueue, recovery: Recovery) -> int:
    """Works the first page, then every page handed on, as fan-out would; returns the pages worked."""
    events.sent.append(page_message(recovery))
    worked = 0
    while events.sent:
        message = EventMessage.model_validate_json(events.sent.pop(0).body)
        assert message.recovery is not None
        work_page(message.tenant_id, message.recovery, f"msg-{worked}", deps, STARTED)
        worked += 1
    return worked


def sent(deliveries: FakeQueue) -> list[DeliveryMessage]:
    return [DeliveryMessage.model_validate(json.loads(message.body)) for message in deliveries.sent]


def test_recover_resends_each_event_whose_latest_attempt_failed_as_a_marked_manual_retry() -> None:
    # Given a hook's history in the range: a failed event, one that failed then succeeded by hand, one still
    # retrying, a failed test delivery, and a failed event published outside the range
    executions = [
        *failed_event("evt_failed", T0 + timedelta(hours=1)),
        *failed_event("evt_fixed", T0 + timedelta(hours=2)),
        attempt("evt_fixed", T0 + timedelta(hours=2), 4, ExecutionStatus.SUCCEEDED, manual=True),
        attempt("evt_retrying", T0 + timedelta(hours=3), 1, ExecutionStatus.RETRYING),
        attempt("evt_test_1", T0 + timedelta(hours=4), 1, ExecutionStatus.FAILED, test=True),
        *failed_event("evt_later", T0 + timedelta(days=1, hours=1)),
    ]
    recovery = start()
    deps, deliveries, events = world(executions, recovery)
    # When the recovery runs to its end
    run_to_the_end(deps, events, recovery)
    # Then only the failed event in range is re-sent, as the next attempt of a manual retry, marked
    [message] = sent(deliveries)
    assert (message.event_id, message.attempt, message.manual, message.recovery_id) == ("evt_failed", 4, True, "rec_1")
    # And the recovery is done, with what it read, found and queued
    done = deps.recoveries.get(TENANT, HOOK, "rec_1")
    assert done is not None and done.status is RecoveryStatus.DONE and done.finished_at == STARTED
    assert (done.scanned, done.found, done.queued) == (9, 1, 1)


def test_pages_split_between_events_so_each_event_is_decided_once_on_all_its_attempts(monkeypatch) -> None:
    # Given 30 events of 3 attempts each, where every third one succeeded on its third attempt, read 4 at a time
    monkeypatch.setattr(worker, "QUERY_LIMIT", 4)
    executions: list[Execution] = []
    for index in range(30):
        published = T0 + timedelta(minutes=index)
        history = failed_event(f"evt_{index:02d}", published)
        if index % 3 == 0:
            history[-1] = history[-1].model_copy(update={"status": ExecutionStatus.SUCCEEDED})
        executions += history
    recovery = start()
    deps, deliveries, events = world(executions, recovery)
    # When the recovery runs page after page
    pages = run_to_the_end(deps, events, recovery)
    # Then every failed event was re-sent exactly once, and the work took several pages
    expected = [f"evt_{index:02d}" for index in range(30) if index % 3]
    assert [message.event_id for message in sent(deliveries)] == expected
    assert pages > 5
    done = deps.recoveries.get(TENANT, HOOK, "rec_1")
    assert done is not None and (done.scanned, done.found, done.queued, done.pages) == (90, 20, 20, pages)


def first_page_worked(monkeypatch) -> tuple[RecoveryDeps, FakeQueue, FakeQueue, RecoveryPage]:
    """Three failed events read two executions at a time: page 0 (message msg-1) decided the first only."""
    monkeypatch.setattr(worker, "QUERY_LIMIT", 2)
    executions = [failed_event(f"evt_{n}", T0 + timedelta(hours=n), 1)[0] for n in range(1, 4)]
    recovery = start()
    deps, deliveries, events = world(executions, recovery)
    first = EventMessage.model_validate_json(page_message(recovery).body).recovery
    assert first is not None
    work_page(TENANT, first, "msg-1", deps, STARTED)
    return deps, deliveries, events, first


def test_a_duplicate_page_message_sends_nothing(monkeypatch) -> None:
    # Given a recovery whose first page has been worked
    deps, deliveries, events, first = first_page_worked(monkeypatch)
    before = (len(deliveries.sent), len(events.sent))
    # When a second copy of that page's message (another SQS message id) arrives
    assert work_page(TENANT, first, "msg-1-copy", deps, STARTED) == 0
    # Then nothing more is sent and nothing more handed on
    assert (len(deliveries.sent), len(events.sent)) == before


def test_a_redelivered_message_that_recorded_its_page_hands_on_without_sending_again(monkeypatch) -> None:
    # Given a page worked and recorded, whose hand-on was lost (the function stopped before sending it)
    deps, deliveries, events, first = first_page_worked(monkeypatch)
    events.sent.clear()
    sends = len(deliveries.sent)
    # When SQS delivers the same message again
    work_page(TENANT, first, "msg-1", deps, STARTED)
    # Then the next page is handed on, and nothing is re-sent
    assert len(deliveries.sent) == sends
    [handed_on] = [EventMessage.model_validate_json(message.body).recovery for message in events.sent]
    assert handed_on is not None and handed_on.page == 1


def test_attempts_made_after_the_recovery_started_are_not_recovered_again() -> None:
    # Given a failed event whose re-send (made after the recovery started) failed too
    executions = failed_event("evt_a", T0 + timedelta(hours=1))
    executions.append(
        attempt("evt_a", T0 + timedelta(hours=1), 4, ExecutionStatus.FAILED, created_at=STARTED + timedelta(seconds=1))
    )
    recovery = start()
    deps, deliveries, events = world(executions, recovery)
    # When the recovery runs, Then the event is sent once, judged on its attempts before the start
    run_to_the_end(deps, events, recovery)
    assert [(m.event_id, m.attempt) for m in sent(deliveries)] == [("evt_a", 4)]


@pytest.mark.parametrize(("pattern", "expected"), [("order.*", ["evt_a", "evt_b"]), ("order.created", ["evt_a"])])
def test_replay_resends_every_event_of_the_type_whatever_its_state(pattern: str, expected: list[str]) -> None:
    # Given a succeeded order.created event, a failed order.paid one and an invoice event in range
    executions = [
        attempt("evt_a", T0 + timedelta(hours=1), 1, ExecutionStatus.SUCCEEDED),
        attempt("evt_b", T0 + timedelta(hours=2), 1, ExecutionStatus.FAILED, event_type="order.paid"),
        attempt("evt_c", T0 + timedelta(hours=3), 1, ExecutionStatus.SUCCEEDED, event_type="invoice.paid"),
    ]
    recovery = start(RecoveryKind.REPLAY, pattern)
    deps, deliveries, events = world(executions, recovery)
    # When the replay runs, Then every event of the type (or glob) is re-sent once
    run_to_the_end(deps, events, recovery)
    assert [message.event_id for message in sent(deliveries)] == expected


def test_a_page_message_for_a_finished_or_unknown_recovery_is_ignored() -> None:
    # Given a finished recovery
    recovery = start().model_copy(update={"status": RecoveryStatus.DONE, "pages": 1})
    deps, deliveries, events = world(failed_event("evt_a", T0 + timedelta(hours=1)), recovery)
    late = EventMessage.model_validate_json(page_message(start()).body).recovery
    assert late is not None
    # When a page message for it, or for an unknown recovery, arrives, Then nothing is read or sent
    assert work_page(TENANT, late, "m", deps, STARTED) == 0
    assert work_page(TENANT, late.model_copy(update={"recovery_id": "rec_x"}), "m", deps, STARTED) == 0
    assert deliveries.sent == [] and events.sent == []

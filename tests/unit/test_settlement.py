"""A succeeded manual retry settles (event, hook): automatic retries scheduled before it are dropped."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from functions.common.delivery import AttemptOutcome, Judgement, Verdict
from functions.common.errors import DependencyFailure
from functions.common.models import DeliveryMessage, Event, Execution, ExecutionStatus
from functions.deliver.settlement import (
    settle_manual_successes,
    superseded_by_manual_retry,
)

NOW = datetime(2026, 2, 1, 8, tzinfo=UTC)
FANNED_OUT = NOW - timedelta(hours=1)


def _event(settled: dict[str, datetime] | None = None, fanned_out_at: datetime = FANNED_OUT) -> Event:
    event = Event(
        id="evt_1", tenant_id="ten_1", type="t", data="{}", created_at=FANNED_OUT, fanned_out_at=fanned_out_at
    )
    event.settled = settled or {}
    return event


def _message(attempt: int = 3, manual: bool = False, hook_id: str = "hook_1") -> DeliveryMessage:
    return DeliveryMessage(tenant_id="ten_1", hook_id=hook_id, event_id="evt_1", attempt=attempt, manual=manual)


def test_an_automatic_retry_after_a_manual_success_is_superseded() -> None:
    # Given a manual retry delivered the event to hook_1 after the fan-out
    event = _event({"hook_1": NOW - timedelta(minutes=5)})
    # When / Then the automatic retry of that pair is superseded, other hooks' retries are not
    assert superseded_by_manual_retry(_message(), event)
    assert not superseded_by_manual_retry(_message(hook_id="hook_2"), event)


def test_first_attempts_and_manual_attempts_are_never_superseded() -> None:
    event = _event({"hook_1": NOW - timedelta(minutes=5)})
    assert not superseded_by_manual_retry(_message(attempt=1), event)
    assert not superseded_by_manual_retry(_message(manual=True), event)


def test_retries_of_a_replay_after_the_manual_success_go_on() -> None:
    # Given the event was replayed (fanned out again) after the manual success
    event = _event({"hook_1": NOW - timedelta(minutes=5)}, fanned_out_at=NOW - timedelta(minutes=1))
    # When / Then the replay's retries are not the manual retry's business
    assert not superseded_by_manual_retry(_message(), event)


@dataclass
class _Store:
    marks: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    fail: bool = False

    def mark_settled(self, tenant_id: str, event_id: str, hook_id: str, at: datetime) -> None:
        if self.fail:
            raise DependencyFailure("UpdateItem failed")
        self.marks.append((tenant_id, event_id, hook_id, at))


def _outcome(status: ExecutionStatus, manual: bool, test: bool = False) -> AttemptOutcome:
    execution = Execution(
        id="exe_1",
        hook_id="hook_1",
        tenant_id="ten_1",
        event_id="evt_1",
        event_type="t",
        attempt=2,
        status=status,
        manual=manual,
        test=test,
        created_at=NOW,
    )
    return AttemptOutcome(execution=execution, judgement=Judgement(Verdict.SUCCESS), retry_delay=None)


def test_only_a_succeeded_manual_retry_marks_the_pair_settled() -> None:
    # Given a batch's outcomes: manual success, manual failure, automatic success, test success
    outcomes = [
        _outcome(ExecutionStatus.SUCCEEDED, manual=True),
        _outcome(ExecutionStatus.FAILED, manual=True),
        _outcome(ExecutionStatus.SUCCEEDED, manual=False),
        _outcome(ExecutionStatus.SUCCEEDED, manual=True, test=True),
    ]
    store = _Store()
    # When the batch settles
    settle_manual_successes(outcomes, store, NOW)
    # Then exactly the manual success is marked
    assert store.marks == [("ten_1", "evt_1", "hook_1", NOW)]


def test_a_failed_mark_does_not_fail_the_batch() -> None:
    # Given the mark can't be written; When the batch settles; Then nothing raises (the retry just goes out)
    settle_manual_successes([_outcome(ExecutionStatus.SUCCEEDED, manual=True)], _Store(fail=True), NOW)

"""GET /events/{id}: each hook's state is its newest attempt's, by attempt time."""

from datetime import UTC, datetime, timedelta

from functions.api.logic.events import get_event
from functions.common.models import Event, Execution, ExecutionStatus
from tests.support.state_fakes import EventsFake, ExecutionsFake

NOW = datetime(2026, 2, 1, 8, tzinfo=UTC)
EVENT = Event(id="evt_1", tenant_id="ten_1", type="lead.created", data="{}", created_at=NOW, fanout_hooks=["hook_1"])


def _attempt(execution_id: str, minutes: int, status: ExecutionStatus, **fields) -> Execution:
    return Execution(
        id=execution_id,
        hook_id="hook_1",
        tenant_id="ten_1",
        event_id="evt_1",
        event_type="lead.created",
        attempt=fields.pop("attempt", 1),
        status=status,
        created_at=NOW + timedelta(minutes=minutes),
        **fields,
    )


def _state(*attempts: Execution):
    detail = get_event("ten_1", "evt_1", EventsFake({"evt_1": EVENT}), ExecutionsFake(list(attempts)), NOW)
    return detail.deliveries[0]


def test_a_succeeded_manual_retry_after_a_skipped_attempt_shows_succeeded() -> None:
    # Given a skipped attempt (hook disabled) whose id text sorts after the manual retry's id
    skipped = _attempt("exe_skip_evt_1_2", 5, ExecutionStatus.FAILED, attempt=2, error="not sent: the hook is disabled")
    manual = _attempt("exe_01aaaaaaaaaaaaaaaaaaaaaaaa", 9, ExecutionStatus.SUCCEEDED, attempt=3, manual=True)
    # When the event's state is read
    state = _state(manual, skipped)
    # Then the newest attempt (the manual retry) decides
    assert (state.state, state.last_execution_id, state.attempts) == ("succeeded", manual.id, 2)


def test_the_newest_attempt_wins_whatever_the_order_of_ids() -> None:
    # Given an older failure whose id sorts last
    older = _attempt("exe_zzzz", 1, ExecutionStatus.RETRYING, next_attempt_at=NOW + timedelta(minutes=2))
    newer = _attempt("exe_0000", 3, ExecutionStatus.FAILED, attempt=2, error="HTTP 500")
    # When / Then the newer one decides
    assert _state(older, newer).state == "failed"

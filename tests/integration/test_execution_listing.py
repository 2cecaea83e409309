"""Listing a hook's executions with a filter: the limit counts matching executions, and the cursor works."""

from datetime import UTC, datetime, timedelta

from functions.common import ids
from functions.common.dal import dynamo
from functions.common.dal.executions import ExecutionsRepository
from functions.common.models import Execution, ExecutionStatus

START = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _execution(index: int, status: ExecutionStatus) -> Execution:
    at = START + timedelta(seconds=index)
    return Execution(
        id=f"exe_{ids.sortable_id(int(at.timestamp() * 1000))}",
        hook_id="hook_list",
        tenant_id="ten_1",
        event_id=f"evt_{index}",
        event_type="lead.created",
        attempt=1,
        status=status,
        created_at=at,
    )


def _repository(aws_env) -> ExecutionsRepository:
    return ExecutionsRepository(aws_env.executions_table, 30)


def test_status_filter_applies_the_limit_after_the_filter_and_pages_on(aws_env) -> None:
    # Given 7 failed executions among 60 succeeded ones, the failed ones spread through the history
    repository = _repository(aws_env)
    failed_at = {3, 11, 25, 26, 40, 52, 59}
    history = [
        _execution(i, ExecutionStatus.FAILED if i in failed_at else ExecutionStatus.SUCCEEDED) for i in range(60)
    ]
    repository.put_many(history)
    # When the failed ones are listed 5 at a time
    first, cursor = repository.list_for_hook("hook_list", 5, None, status="failed")
    second, end = repository.list_for_hook("hook_list", 5, cursor, status="failed")
    # Then the first page holds 5 failed executions, newest first, and the cursor gives the other 2
    assert [e.event_id for e in first] == ["evt_59", "evt_52", "evt_40", "evt_26", "evt_25"]
    assert [e.event_id for e in second] == ["evt_11", "evt_3"]
    assert end is None


def test_a_filtered_page_cut_inside_a_read_resumes_right_after_its_last_item(aws_env) -> None:
    # Given only failed executions (every item read matches)
    repository = _repository(aws_env)
    repository.put_many([_execution(i, ExecutionStatus.FAILED) for i in range(12)])
    # When they are listed 4 at a time, with both filters
    seen, cursor = [], None
    for _ in range(3):
        page, cursor = repository.list_for_hook("hook_list", 4, cursor, status="failed", event_type="lead.created")
        seen += [e.event_id for e in page]
    # Then every execution comes exactly once, newest first
    assert seen == [f"evt_{i}" for i in range(11, -1, -1)]


def test_a_filtered_page_stops_reading_after_its_budget_and_keeps_a_cursor(aws_env, monkeypatch) -> None:
    # Given a small evaluation budget and no failed execution among the newest 30
    monkeypatch.setattr(dynamo, "MAX_EVALUATED_PER_PAGE", 10)
    repository = _repository(aws_env)
    repository.put_many(
        [_execution(i, ExecutionStatus.FAILED if i == 0 else ExecutionStatus.SUCCEEDED) for i in range(31)]
    )
    # When failed executions are listed
    page, cursor = repository.list_for_hook("hook_list", 5, None, status="failed")
    # Then the page is short but not the end: following the cursors finds the old failure
    assert page == []
    assert cursor is not None
    found = []
    while cursor:
        page, cursor = repository.list_for_hook("hook_list", 5, cursor, status="failed")
        found += [e.event_id for e in page]
    assert found == ["evt_0"]

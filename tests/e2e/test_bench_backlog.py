"""`python -m hookwire.bench_backlog` at a small size: the scenarios run and nothing is lost or duplicated."""

import pytest

from hookwire.bench_backlog import run

pytestmark = pytest.mark.slow


@pytest.mark.timeout(300)  # two runtimes start and a soak with retries runs: more than the default
def test_backlog_and_soak_scenarios_report_their_numbers() -> None:
    # Given a small backlog (60 deliveries queued) and a small soak (30 pairs, 25 % of attempts failing)
    result = run(events=20, hooks=3, probe_publishes=10, soak_events=10, soak_hooks=3, timeout=240)
    backlog, soak = result["backlog"], result["soak"]
    # Then every queued delivery arrived, and every soak pair was answered exactly once
    assert backlog["queued_deliveries"] == 60
    assert backlog["deliveries"] == 60
    assert backlog["deliveries_per_second"] > 0
    assert backlog["publish_ms_with_backlog"]["p99"] > 0
    assert soak["pairs"] == 30
    assert soak["attempts"] >= 30
    assert (soak["lost"], soak["duplicates"], soak["unexpected"]) == (0, 0, 0)

"""`python -m hookwire.bench_backlog` at a small size: the scenarios run and nothing is lost or duplicated."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

# The scenarios start runtimes of their own, and a runtime resets moto's process-wide backends: run them in a
# process of their own so the package's shared runtime (tests/e2e/conftest.py) keeps its resources.
SMALL_RUN = (
    "import json; from hookwire.bench_backlog import run; "
    "print(json.dumps(run(events=20, hooks=3, probe_publishes=10, soak_events=10, soak_hooks=3, timeout=240)))"
)


@pytest.mark.timeout(300)  # two runtimes start and a soak with retries runs: more than the default
def test_backlog_and_soak_scenarios_report_their_numbers() -> None:
    # Given a small backlog (60 deliveries queued) and a small soak (30 pairs, 25 % of attempts failing)
    # When the scenarios run
    finished = subprocess.run(
        [sys.executable, "-c", SMALL_RUN], capture_output=True, text=True, timeout=280, check=False
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    backlog, soak = result["backlog"], result["soak"]
    # Then every queued delivery arrived, and every soak pair was answered exactly once
    assert backlog["queued_deliveries"] == 60
    assert backlog["deliveries"] == 60
    assert backlog["deliveries_per_second"] > 0
    assert backlog["publish_ms_with_backlog"]["p99"] > 0
    assert soak["pairs"] == 30
    assert soak["attempts"] >= 30
    assert (soak["lost"], soak["duplicates"], soak["unexpected"]) == (0, 0, 0)

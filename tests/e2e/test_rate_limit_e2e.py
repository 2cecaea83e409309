"""Issue 16 item 1 on the local runtime: a hook's rate limit spreads its deliveries over the seconds ahead,
measured at the receiver by arrival times, while an unlimited hook on the same events is not held back."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Receiver

pytestmark = pytest.mark.slow
EVENTS = 7
LIMIT = 2


def test_a_rate_limited_hook_gets_its_events_spread_and_others_are_not_held_back(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    with Receiver() as limited, Receiver() as unlimited:
        # Given a hook limited to 2 deliveries a second and an unlimited hook on the same events
        slow = {"name": "slow", "url": limited.url, "on": "lead.created", "rate_limit_per_second": LIMIT}
        hook = tenant_client.call("POST", "/hooks", slow)
        tenant_client.call("POST", "/hooks", {"name": "fast", "url": unlimited.url, "on": "lead.created"})
        # When 7 events are published at once
        with ThreadPoolExecutor(max_workers=EVENTS) as publishers:
            list(publishers.map(_publish(tenant_client), range(EVENTS)))
        fast = unlimited.wait_for(EVENTS, timeout=15)
        slow_arrivals = limited.wait_for(EVENTS, timeout=30)
        assert runtime.wait_until_quiet(timeout=10)
    # Then the limited hook gets all 7, spread over 4 clock seconds (more than 2 s from first to last)
    assert len(slow_arrivals) == EVENTS
    assert slow_arrivals[-1].received_at - slow_arrivals[0].received_at > 2.0
    # And the unlimited hook got each event, at its own pace, no later than the limited one did
    assert len(fast) == EVENTS
    fast_at = {d.headers["webhook-id"]: d.received_at for d in fast}
    assert all(fast_at[d.headers["webhook-id"]] <= d.received_at + 0.5 for d in slow_arrivals)
    # And waiting left no execution behind: one succeeded attempt per event
    executions = tenant_client.call("GET", f"/hooks/{hook['id']}/executions")["items"]
    assert [e["status"] for e in executions] == ["succeeded"] * EVENTS
    assert {e["attempt"] for e in executions} == {1}


def _publish(client: HookwireClient) -> Callable[[int], object]:
    return lambda i: client.call("POST", "/events", {"type": "lead.created", "data": {"id": f"ld_{i}"}})

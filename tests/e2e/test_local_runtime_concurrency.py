"""The local runtime behaves like Lambda: concurrent API requests and delivery batches, isolated tenants."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Answer, Receiver

pytestmark = pytest.mark.slow

NEVER_ANSWERS = Answer(delay_seconds=60)  # longer than any delivery deadline


def new_tenant(runtime: LocalRuntime, name: str) -> HookwireClient:
    tenant = HookwireClient(runtime.url, runtime.admin_token).call("POST", "/tenants", {"name": name})
    return HookwireClient(runtime.url, tenant["token"])


def test_concurrent_api_requests_each_get_their_own_answer(runtime: LocalRuntime) -> None:
    """The api handler keeps the current request on its module-level `app`: concurrent requests must not
    see each other's. Each runs in its own worker process, so each answer matches its request."""
    # Given 8 tenants, each with its own hook
    clients = [new_tenant(runtime, f"concurrent-{index}") for index in range(8)]
    hooks = [
        client.call("POST", "/hooks", {"name": f"hook {index}", "url": f"http://127.0.0.1:9/{index}", "on": "*"})
        for index, client in enumerate(clients)
    ]

    # When 64 requests for those hooks run at once, through 16 connections
    def fetch(index: int) -> tuple[str, str]:
        owner = index % len(clients)
        return hooks[owner]["id"], clients[owner].call("GET", f"/hooks/{hooks[owner]['id']}")["id"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(fetch, range(64)))
    # Then every request got the hook it asked for
    assert len(answers) == 64
    assert all(asked == answered for asked, answered in answers)
    assert runtime.functions["api"].cold_starts > 1  # the API scaled out


def test_a_test_delivery_to_a_slow_hook_does_not_block_other_requests(runtime: LocalRuntime) -> None:
    # Given a hook whose receiver never answers, and a /test to it in flight
    client = new_tenant(runtime, "slow-test")
    with Receiver(lambda _delivery, _count: NEVER_ANSWERS) as slow:
        hook = client.call("POST", "/hooks", {"name": "slow", "url": slow.url, "on": "*"})
        testing = threading.Thread(target=client.request, args=("POST", f"/hooks/{hook['id']}/test", {}))
        testing.start()
        assert len(slow.wait_for(1, timeout=20)) == 1  # the test delivery is being held by the receiver
        # When other requests arrive meanwhile
        started = time.monotonic()
        health = HookwireClient(runtime.url, None).call("GET", "/health")
        listed = client.call("GET", "/hooks")
        elapsed = time.monotonic() - started
        # Then they are answered at once, not after the test delivery's deadline
        assert health == {"status": "ok"}
        assert [item["id"] for item in listed["items"]] == [hook["id"]]
        assert elapsed < 3
        testing.join(timeout=60)


def test_a_receiver_that_never_answers_does_not_delay_other_tenants(runtime: LocalRuntime) -> None:
    """With one poller, each batch holding a hostile delivery waited a full deadline (10 s) and the healthy
    tenant's deliveries queued behind them; batches now run concurrently (up to `delivery_concurrency`, 4),
    as the SQS event source scales out."""
    hostile = new_tenant(runtime, "hostile")
    healthy = new_tenant(runtime, "healthy")
    with Receiver(lambda _delivery, _count: NEVER_ANSWERS) as black_hole, Receiver() as receiver:
        hostile.call("POST", "/hooks", {"name": "black hole", "url": black_hole.url, "on": "*"})
        healthy.call("POST", "/hooks", {"name": "fine", "url": receiver.url, "on": "*"})
        # Given deliveries to the black hole in flight, holding up to three of the four delivery pollers
        for index in range(3):
            hostile.call("POST", "/events", {"type": "deal.created", "data": {"id": f"hostile-{index}"}})
        assert len(black_hole.wait_for(3, timeout=20)) == 3  # all three are being held by the receiver
        # When the healthy tenant publishes 10 events
        started = time.time()
        for index in range(10):
            healthy.call("POST", "/events", {"type": "deal.created", "data": {"id": f"healthy-{index}"}})
        deliveries = receiver.wait_for(10, timeout=30)
        # Then all 10 arrive well within one delivery deadline (10 s) of being published
        assert len(deliveries) == 10
        assert max(delivery.received_at for delivery in deliveries) - started < 8

"""Issue 16 item 2 on the local runtime: a FIFO hook gets its events in order, one at a time; a failing
event blocks the ones behind it until it succeeds, or until it is given up (then they proceed).

Order is kept from fan-out on (docs/delivery-controls.md#ordered-delivery): each event is published once
the previous one has been fanned out, as a producer that needs order across its own publishes would."""

import json
from functools import partial

import pytest

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Answer, Delivery, Receiver
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow
EVENTS = 4


def _seq(delivery: Delivery) -> int:
    return json.loads(delivery.body)["data"]["seq"]


def _order(deliveries: list[Delivery]) -> list[int]:
    return [_seq(d) for d in deliveries]


def _fanned_out(client: HookwireClient, event_id: str) -> bool:
    return client.call("GET", f"/events/{event_id}")["fanout"] == "done"


def _publish_in_order(client: HookwireClient) -> list[str]:
    """Events 1..4, each once the one before has reached its hooks' queues."""
    ids = []
    for seq in range(1, EVENTS + 1):
        event_id = client.call("POST", "/events", {"type": "lead.created", "data": {"seq": seq}})["id"]
        wait_until(partial(_fanned_out, client, event_id), 15, f"event {seq} fanned out")
        ids.append(event_id)
    return ids


def test_a_fifo_hook_gets_events_in_order_and_a_failing_one_blocks_those_behind_it(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    failures = {"left": 2}

    def fail_event_2_twice(delivery: Delivery, _count: int) -> Answer:
        if _seq(delivery) == 2 and failures["left"] > 0:
            failures["left"] -= 1
            return Answer(status=500)
        return Answer()

    with Receiver(fail_event_2_twice) as receiver:
        # Given a FIFO hook whose receiver fails event 2 twice, then accepts it
        body = {"name": "ordered", "url": receiver.url, "on": "lead.created", "ordering": "fifo"}
        hook = tenant_client.call("POST", "/hooks", body)
        assert hook["ordering"] == "fifo"
        # When events 1..4 are published in that order
        _publish_in_order(tenant_client)
        deliveries = receiver.wait_for(EVENTS + 2, timeout=30)
        assert runtime.wait_until_quiet(timeout=10)
    # Then the receiver saw 1, 2 (failed), 2 (failed), 2, 3, 4: nothing overtook event 2
    assert _order(deliveries) == [1, 2, 2, 2, 3, 4]
    # And event 2's history shows its three attempts, the last one succeeded
    attempts = [e for e in tenant_client.call("GET", f"/hooks/{hook['id']}/executions")["items"] if e["attempt"] > 1]
    assert sorted(e["attempt"] for e in attempts) == [2, 3]


def test_a_given_up_event_lets_the_next_proceed_and_its_skip_is_recorded(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    def always_fail_event_2(delivery: Delivery, _count: int) -> Answer:
        return Answer(status=500) if _seq(delivery) == 2 else Answer()

    with Receiver(always_fail_event_2) as receiver:
        # Given a FIFO hook whose receiver always fails event 2 (the runtime's schedule: 3 attempts)
        body = {"name": "ordered", "url": receiver.url, "on": "lead.created", "ordering": "fifo"}
        hook = tenant_client.call("POST", "/hooks", body)
        # When events 1..4 are published in that order
        ids = _publish_in_order(tenant_client)
        deliveries = receiver.wait_for(EVENTS + 2, timeout=30)
        assert runtime.wait_until_quiet(timeout=10)
    # Then event 2 was tried three times, given up, and 3 and 4 followed it, in order
    assert _order(deliveries) == [1, 2, 2, 2, 3, 4]
    # And the event shows the skip: its delivery to the hook failed
    states = tenant_client.call("GET", f"/events/{ids[1]}")["deliveries"]
    assert [(s["hook_id"], s["state"]) for s in states] == [(hook["id"], "failed")]

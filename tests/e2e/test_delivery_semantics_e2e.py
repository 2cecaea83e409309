"""Issue 3 points 1, 2, 3, 5 and 9 through the local runtime over HTTP, with real receivers."""

import json
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime, free_port
from hookwire.receiver import Answer, Receiver, always
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "all"


def _wait_for_history(client: HookwireClient, hook_id: str, count: int, timeout: float = 15) -> list[dict]:
    """The hook's executions, newest first, once there are `count` and the newest is no longer retrying."""

    def settled() -> list[dict] | None:
        items = client.call("GET", f"/hooks/{hook_id}/executions")["items"]
        return items if len(items) >= count and items[0]["status"] != "retrying" else None

    return wait_until(settled, timeout, f"{count} settled executions of {hook_id}", interval=0.1)


def test_during_rotation_grace_both_secrets_verify_a_delivery(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    # Given a hook rotated with 10 minutes of grace
    with Receiver() as receiver:
        hook = tenant_client.call("POST", "/hooks", {"name": "r", "url": receiver.url, "on": "lead.created"})
        rotated = tenant_client.call("POST", f"/hooks/{hook['id']}/rotate", {"grace_seconds": 600})
        # When an event is delivered
        tenant_client.call("POST", "/events", {"type": "lead.created", "data": {"id": "ld_1"}})
        [delivery] = receiver.wait_for(1)
    # Then the old and the new secret each verify it
    for secret in (hook["secret"], rotated["secret"]):
        Webhook(secret).verify(delivery.body, delivery.headers)


def test_a_test_delivery_reports_the_receivers_answer_or_the_connection_error(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    # Given a paused hook on a receiver answering 418
    with Receiver(lambda _d, _n: Answer(status=418, body=b"I'm a teapot")) as receiver:
        hook = tenant_client.call("POST", "/hooks", {"name": "t", "url": receiver.url, "on": "*", "status": "paused"})
        # When a test delivery is sent
        execution = tenant_client.call("POST", f"/hooks/{hook['id']}/test")
    # Then it failed with the status, body and error recorded
    assert execution["status"] == "failed" and execution["response_status"] == 418
    assert execution["response_body"] == "I'm a teapot" and execution["error"] == "HTTP 418"
    # When the hook points where nothing listens, then the error says the connection was refused
    tenant_client.call("PATCH", f"/hooks/{hook['id']}", {"url": f"http://127.0.0.1:{free_port()}/gone"})
    refused = tenant_client.call("POST", f"/hooks/{hook['id']}/test")
    assert refused["status"] == "failed" and refused["error"] == "connection refused"


def test_a_manual_retry_and_a_replay_each_deliver_again_with_the_same_webhook_id(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    # Given an event whose 3 attempts failed
    state = {"status": 500}
    with Receiver(lambda _d, _n: Answer(status=state["status"])) as receiver:
        hook = tenant_client.call("POST", "/hooks", {"name": "m", "url": receiver.url, "on": "deal.*"})
        event = tenant_client.call("POST", "/events", {"type": "deal.updated", "data": {"id": "dl_1"}})
        history = _wait_for_history(tenant_client, hook["id"], 3)
        assert history[0]["status"] == "failed"
        # When the receiver recovers, the failed execution is retried by hand and the event replayed
        state["status"] = 200
        tenant_client.call("POST", f"/hooks/{hook['id']}/executions/{history[0]['id']}/retry")
        receiver.wait_for(4)
        tenant_client.call("POST", f"/events/{event['id']}/replay", {"hook_ids": [hook["id"]]})
        deliveries = receiver.wait_for(5)
    # Then all 5 requests carry the event's id and its state is succeeded after 5 attempts
    assert {d.headers["webhook-id"] for d in deliveries} == {event["id"]}
    assert runtime.wait_until_quiet(timeout=10)
    states = tenant_client.call("GET", f"/events/{event['id']}")["deliveries"]
    assert states[0]["state"] == "succeeded" and states[0]["attempts"] == 5


def test_a_410_disables_its_hook_and_a_429_retry_after_delays_the_retry(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    # Given one receiver answering 410 and one answering 429 with Retry-After: 2 once
    with (
        Receiver(always(410)) as gone,
        Receiver(lambda _d, n: Answer(status=429, headers={"retry-after": "2"}) if n == 1 else Answer()) as limited,
    ):
        gone_hook = tenant_client.call("POST", "/hooks", {"name": "g", "url": gone.url, "on": "invoice.paid"})
        tenant_client.call("POST", "/hooks", {"name": "l", "url": limited.url, "on": "invoice.paid"})
        # When an event goes to both
        tenant_client.call("POST", "/events", {"type": "invoice.paid", "data": {"id": "inv_1"}})
        first, second = limited.wait_for(2, timeout=15)
        assert runtime.wait_until_quiet(timeout=10)
    # Then the retry waited 2 s, and the 410 hook is disabled saying so
    assert second.received_at - first.received_at >= 1.9
    got = tenant_client.call("GET", f"/hooks/{gone_hook['id']}")
    assert got["status"] == "disabled" and "410" in got["disabled_reason"]


def test_every_seed_sample_arrives_raw_at_a_data_hook_and_wrapped_at_an_envelope_hook(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    # Given a data-format and an envelope hook on every type
    index = json.loads((SAMPLES / "index.json").read_text())
    with Receiver() as data_receiver, Receiver() as envelope_receiver:
        tenant_client.call(
            "POST", "/hooks", {"name": "d", "url": data_receiver.url, "on": "*", "payload_format": "data"}
        )
        tenant_client.call("POST", "/hooks", {"name": "e", "url": envelope_receiver.url, "on": "*"})
        # When every seed sample is published as raw JSON
        raws = {}
        for sample in index:
            raw = (SAMPLES / sample["file"]).read_text()
            body = ('{"type":' + json.dumps(sample["type"]) + ',"data":' + raw + "}").encode()
            raws[tenant_client.call("POST", "/events", raw=body)["id"]] = raw
        data_deliveries = data_receiver.wait_for(len(index), timeout=20)
        envelope_deliveries = envelope_receiver.wait_for(len(index), timeout=20)
    # Then the data hook gets each sample's text unchanged and the envelope hook each event
    assert {d.headers["webhook-id"]: d.body.decode() for d in data_deliveries} == raws
    assert {json.loads(d.body)["id"] for d in envelope_deliveries} == set(raws)

"""The local runtime drains both DLQs into the dead-letter recorder, as the stack's dlq function does."""

import pytest

from functions.common.dal.clients import aws
from functions.common.models import DeliveryMessage
from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Receiver
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


def _wait_for_state(client: HookwireClient, event_id: str, wanted: str, timeout: float = 20) -> dict:
    """The event's one delivery state once it is `wanted`."""

    def reached() -> dict | None:
        deliveries = client.call("GET", f"/events/{event_id}")["deliveries"]
        return deliveries[0] if deliveries and deliveries[0]["state"] == wanted else None

    return wait_until(reached, timeout, f"event {event_id} delivery state {wanted}", interval=0.1)


def test_a_dead_lettered_delivery_shows_failed_through_the_local_runtime(runtime: LocalRuntime) -> None:
    # Given a tenant's delivered event
    tenant = HookwireClient(runtime.url, runtime.admin_token).call("POST", "/tenants", {"name": "dlq-e2e"})
    client = HookwireClient(runtime.url, tenant["token"])
    with Receiver() as receiver:
        hook = client.call("POST", "/hooks", {"name": "dlq", "url": receiver.url, "on": ["deal.created"]})
        event = client.call("POST", "/events", {"type": "deal.created", "data": {"id": "dl_9"}})
        _wait_for_state(client, event["id"], "succeeded")
    # When a later attempt of it lands in the deliveries DLQ (as after five crashed receives)
    assert runtime.resources
    message = DeliveryMessage(tenant_id=tenant["id"], hook_id=hook["id"], event_id=event["id"], attempt=2)
    aws.get("sqs").send_message(QueueUrl=runtime.resources.deliveries_dlq_url, MessageBody=message.model_dump_json())
    # Then the runtime's recorder turns it into the newest attempt: failed, with the reason
    state = _wait_for_state(client, event["id"], "failed")
    assert "dead-letter queue" in state["last_error"]

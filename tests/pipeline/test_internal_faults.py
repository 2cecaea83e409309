"""Internal faults never lose a delivery: each (event, hook) pair ends delivered, retrying, failed with a
record, or in a DLQ. Duplicates happen only where SQS redelivers, and carry the same webhook-id."""

import json
import math
import random

import pytest

from functions.common import contract
from functions.common.dal.clients import aws
from functions.common.models import DeliveryMessage
from functions.deliver import logic as deliver_logic
from tests.conftest import create_hook, publish
from tests.support.faults import FlakyClient


def _executions(api, token, hook_id):
    return api.get(f"/hooks/{hook_id}/executions?limit=100", token).body["items"]


def test_a_failing_dynamodb_call_in_deliver_is_retried_by_sqs(api, tenant, pipeline, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    pipeline.fanout.poll_once(0)
    # Given every DynamoDB write fails for one invocation (after the HTTP request went out; seed 20: none of
    # the failed writes took effect)
    real = aws.get("dynamodb")
    aws.inject("dynamodb", FlakyClient(real, random.Random(20), rate=1.0, operations={"batch_write_item", "put_item"}))
    pipeline.deliver.poll_once(0)
    assert _executions(api, token, hook["id"]) == []
    # When the fault clears and SQS redelivers after the visibility timeout
    aws.inject("dynamodb", real)
    pipeline.run_until_quiet()
    # Then the pair is delivered (twice, with one webhook-id) and recorded
    assert [d.headers["webhook-id"] for d in receiver.deliveries] == [event["id"], event["id"]]
    assert [e["status"] for e in _executions(api, token, hook["id"])] == ["succeeded"]


@pytest.mark.parametrize(("took_effect", "deliveries"), [(False, 1), (True, 2)])
def test_a_failing_sqs_send_in_fanout_is_retried(api, tenant, pipeline, receiver, took_effect, deliveries) -> None:
    # Given fanout's send to the deliveries queue fails once, before or after the messages were queued
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    real = aws.get("sqs")
    flaky = FlakyClient(real, random.Random(0), rate=1.0, operations={"send_message_batch"})
    flaky._roll = lambda: (True, took_effect)
    aws.inject("sqs", flaky)
    pipeline.fanout.poll_once(0)
    aws.inject("sqs", real)
    # When SQS redelivers the events message and the pipeline drains
    pipeline.run_until_quiet()
    # Then the event reaches the receiver: once, or twice with one webhook-id when the failed send had queued
    assert [d.headers["webhook-id"] for d in receiver.deliveries] == [event["id"]] * deliveries


def test_a_deliver_crash_after_sending_redelivers_with_the_same_webhook_id(
    api, tenant, pipeline, receiver, monkeypatch
) -> None:
    token = tenant["token"]
    for _ in range(4):
        create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    pipeline.fanout.poll_once(0)
    # Given deliver crashes outside the per-delivery guards (a bug, the invocation dying) after its requests
    # went out and before anything was recorded
    original = deliver_logic._record
    crashes = {"left": 1}

    def crash_once(*args):
        if crashes["left"]:
            crashes["left"] -= 1
            raise RuntimeError("simulated crash")
        return original(*args)

    monkeypatch.setattr(deliver_logic, "_record", crash_once)
    pipeline.deliver.poll_once(0)
    # fan-out sent the four hooks in group messages of `DELIVERY_GROUP_SIZE` hooks; all of them go back to SQS
    assert len(receiver.deliveries) == 4 and pipeline.pending() == math.ceil(4 / contract.DELIVERY_GROUP_SIZE)
    pipeline.run_until_quiet()
    # Then every hook got the event again with the same webhook-id, and each has its record
    assert len(receiver.deliveries) == 8
    assert {d.headers["webhook-id"] for d in receiver.deliveries} == {event["id"]}
    state = api.get(f"/events/{event['id']}", token).body["deliveries"]
    assert len(state) == 4 and {s["state"] for s in state} == {"succeeded"}


def test_the_same_delivery_message_twice_delivers_twice_with_one_webhook_id(
    api, tenant, pipeline, receiver, aws_env
) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created", status="paused")
    event = publish(api, token, "lead.created", {}).body
    pipeline.run_until_quiet()
    api.patch(f"/hooks/{hook['id']}", token, {"status": "active"})
    body = DeliveryMessage(tenant_id=tenant["id"], hook_id=hook["id"], event_id=event["id"]).model_dump_json()
    for _ in range(2):
        aws.get("sqs").send_message(QueueUrl=aws_env.deliveries_queue_url, MessageBody=body)
    pipeline.run_until_quiet()
    assert [d.headers["webhook-id"] for d in receiver.deliveries] == [event["id"], event["id"]]
    assert len(_executions(api, token, hook["id"])) == 2


def test_an_ambiguous_publish_failure_is_not_lost_when_the_producer_retries(api, tenant, pipeline, receiver) -> None:
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created")
    # Given the event write takes effect but the API sees an error (so it answers 503)
    real = aws.get("dynamodb")
    flaky = FlakyClient(real, random.Random(0), rate=1.0, operations={"put_item"})
    flaky._roll = lambda: (True, True)  # fail after the write
    aws.inject("dynamodb", flaky)
    first = publish(api, token, "lead.created", {}, id="evt_ambiguous")
    aws.inject("dynamodb", real)
    assert first.status == 503
    # When the producer retries with the same id, it hears 200 (seen before) ...
    again = publish(api, token, "lead.created", {}, id="evt_ambiguous")
    assert again.status == 200
    # ... and the event is delivered once all the same
    pipeline.run_until_quiet()
    assert [d.headers["webhook-id"] for d in receiver.deliveries] == ["evt_ambiguous"]


def test_racing_messages_for_one_event_fan_out_once(api, tenant, pipeline, receiver, aws_env) -> None:
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    body = json.dumps({"tenant_id": tenant["id"], "id": event["id"]})
    aws.get("sqs").send_message(QueueUrl=aws_env.events_queue_url, MessageBody=body)
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 1


@pytest.mark.parametrize(
    "operation", ["batch_get_item", "batch_write_item", "update_item", "query", "put_item", "get_item"]
)
def test_dynamodb_failures_anywhere_lose_nothing(api, tenant, pipeline, make_receiver, operation) -> None:
    from hookwire.receiver import always

    # Given 3 hooks, 5 events, and 30 % of one DynamoDB operation failing while the pipeline runs
    receiver = make_receiver(always(200))
    token = tenant["token"]
    hooks = [create_hook(api, token, receiver.url, on="lead.created") for _ in range(3)]
    events = [publish(api, token, "lead.created", {"n": n}).body for n in range(5)]
    real = aws.get("dynamodb")
    aws.inject("dynamodb", FlakyClient(real, random.Random(3), rate=0.3, operations={operation}))
    try:
        pipeline.run_until_quiet(timeout=60)
    finally:
        aws.inject("dynamodb", real)
    # When the fault clears and SQS has redelivered everything it still held
    pipeline.run_until_quiet()
    # Then every (event, hook) pair ended succeeded (SQS retried each failure well within its 5 receives),
    # every event reached the receiver, and nothing was dead-lettered
    for event in events:
        states = {d["hook_id"]: d["state"] for d in api.get(f"/events/{event['id']}", token).body["deliveries"]}
        assert states == {hook["id"]: "succeeded" for hook in hooks}
    assert {d.headers["webhook-id"] for d in receiver.deliveries} == {e["id"] for e in events}
    assert pipeline.dlq_depths() == (0, 0)

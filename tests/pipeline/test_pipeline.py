"""publish -> fanout -> deliver against a real HTTP receiver on 127.0.0.1 (schedule "1s,1s": 3 attempts)."""

import json

from standardwebhooks import Webhook

from functions.common.dal.clients import aws
from hookwire.receiver import Answer, always, fail_first
from tests.conftest import create_hook, publish


def _history(api, token, hook_id):
    return list(reversed(api.get(f"/hooks/{hook_id}/executions", token).body["items"]))


def test_success_is_signed_enveloped_and_recorded(api, tenant, pipeline, receiver) -> None:
    # Given a hook on every order-item event
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="ORDER_ITEM_*")
    # When a matching and a non-matching event are published and the pipeline runs
    event = publish(api, token, "ORDER_ITEM_UPDATE_STATUS", {"entity": {"id": "99999"}}).body
    publish(api, token, "CUSTOMER_CREATE", {})
    pipeline.run_until_quiet()
    # Then exactly one signed delivery arrived, in the envelope format
    assert len(receiver.deliveries) == 1
    delivery = receiver.deliveries[0]
    payload = Webhook(hook["secret"]).verify(delivery.body, delivery.headers)
    assert payload["id"] == event["id"] and payload["type"] == "ORDER_ITEM_UPDATE_STATUS"
    assert payload["data"] == {"entity": {"id": "99999"}} and payload["timestamp"].endswith("Z")
    assert delivery.headers["webhook-id"] == event["id"]
    # And one succeeded execution is recorded
    [execution] = _history(api, token, hook["id"])
    assert execution["status"] == "succeeded" and execution["attempt"] == 1 and execution["response_status"] == 200


def test_a_receiver_that_recovers_on_the_third_attempt(api, tenant, pipeline, make_receiver) -> None:
    receiver = make_receiver(fail_first(2, status=503))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {"id": "ld_1"}).body
    pipeline.run_until_quiet()
    history = _history(api, token, hook["id"])
    assert [(e["attempt"], e["status"]) for e in history] == [(1, "retrying"), (2, "retrying"), (3, "succeeded")]
    assert history[0]["next_attempt_at"] and history[0]["error"] == "HTTP 503"
    # Every attempt carries the same webhook-id, and waits at least the scheduled second
    assert {d.headers["webhook-id"] for d in receiver.deliveries} == {event["id"]}
    gaps = [b.received_at - a.received_at for a, b in zip(receiver.deliveries, receiver.deliveries[1:], strict=False)]
    assert all(gap >= 0.9 for gap in gaps)
    state = api.get(f"/events/{event['id']}", token).body["deliveries"][0]
    assert state["state"] == "succeeded" and state["attempts"] == 3


def test_exhaustion_ends_failed_and_nothing_more_is_sent(api, tenant, pipeline, make_receiver) -> None:
    receiver = make_receiver(always(500))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    pipeline.run_until_quiet()
    history = _history(api, token, hook["id"])
    assert [e["status"] for e in history] == ["retrying", "retrying", "failed"]
    assert history[-1]["next_attempt_at"] is None
    assert len(receiver.deliveries) == 3
    assert api.get(f"/events/{event['id']}", token).body["deliveries"][0]["state"] == "failed"
    assert pipeline.dlq_depths() == (0, 0)


def test_410_disables_the_hook_at_once(api, tenant, pipeline, make_receiver) -> None:
    receiver = make_receiver(always(410))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    got = api.get(f"/hooks/{hook['id']}", token).body
    assert got["status"] == "disabled" and "410" in got["disabled_reason"]
    assert len(receiver.deliveries) == 1
    # A disabled hook receives nothing more; re-enabling clears the reason
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 1
    enabled = api.patch(f"/hooks/{hook['id']}", token, {"status": "active"}).body
    assert enabled["status"] == "active" and enabled["disabled_reason"] is None


def test_paused_hooks_get_nothing(api, tenant, pipeline, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="*", status="paused")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    assert receiver.deliveries == []
    assert _history(api, token, hook["id"]) == []


def test_redirects_are_not_followed(api, tenant, pipeline, make_receiver) -> None:
    receiver = make_receiver(lambda _d, _n: Answer(status=302, headers={"location": "http://127.0.0.1:1/elsewhere"}))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    history = _history(api, token, hook["id"])
    assert "redirect not followed" in history[0]["error"] and history[-1]["status"] == "failed"


def test_retry_after_delays_the_next_attempt(api, tenant, pipeline, make_receiver) -> None:
    receiver = make_receiver(lambda _d, n: Answer(status=429, headers={"retry-after": "2"}) if n == 1 else Answer())
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    first, second = receiver.deliveries
    assert second.received_at - first.received_at >= 1.9
    assert [e["status"] for e in _history(api, token, hook["id"])] == ["retrying", "succeeded"]


def test_a_producer_may_send_straight_to_the_events_queue(api, tenant, pipeline, receiver, aws_env) -> None:
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="organisations.*", payload_format="data")
    data = '{"event_type": "organisations.deleted", "payload": {"id": "123", "org_number": "1234-1234"}}'
    body = (
        '{"tenant_id": "'
        + tenant["id"]
        + '", "type": "organisations.deleted", "id": "org-del-1", "data": '
        + data
        + "}"
    )
    aws.get("sqs").send_message(QueueUrl=aws_env.events_queue_url, MessageBody=body)
    aws.get("sqs").send_message(QueueUrl=aws_env.events_queue_url, MessageBody=body)  # a duplicate publish
    pipeline.run_until_quiet()
    assert [d.body for d in receiver.deliveries] == [data.encode()]
    assert api.get("/events/org-del-1", token).body["type"] == "organisations.deleted"


def test_unparseable_and_invalid_messages_end_in_the_dlq(api, tenant, pipeline, aws_env) -> None:
    sqs = aws.get("sqs")
    sqs.send_message(QueueUrl=aws_env.events_queue_url, MessageBody="not json")
    sqs.send_message(
        QueueUrl=aws_env.events_queue_url,
        MessageBody=json.dumps({"tenant_id": "ten_nope", "type": "lead.created", "data": {}}),
    )
    sqs.send_message(QueueUrl=aws_env.deliveries_queue_url, MessageBody='{"hook_id": 1}')
    pipeline.run_until_quiet(timeout=30)
    assert pipeline.dlq_depths() == (2, 1)


def test_fanout_routes_once_per_tenant_and_type_per_batch_reading_only_matching_hooks(
    api, tenant, pipeline, receiver, aws_env
) -> None:
    from unittest.mock import patch

    from functions.common.dal.hooks import HooksRepository

    # Given three hooks on lead.* and two on other types, and five lead.created events
    token = tenant["token"]
    for _ in range(3):
        create_hook(api, token, receiver.url, on="lead.*")
    create_hook(api, token, receiver.url, on="deal.created")
    create_hook(api, token, receiver.url, on=["deal.deleted", "lead.created"], status="paused")
    for index in range(5):
        publish(api, token, "lead.created", {"n": index})
    # When fanout takes the batch
    with (
        patch.object(HooksRepository, "route", autospec=True, side_effect=HooksRepository.route) as route,
        patch.object(HooksRepository, "list_hooks", autospec=True) as list_hooks,
    ):
        pipeline.fanout.poll_once(0)
    # Then it looked the routes up once, never listed the tenant's hooks, and only active matches receive
    assert route.call_count == 1 and list_hooks.call_count == 0
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 15


def test_deliveries_of_one_batch_go_out_concurrently(api, tenant, pipeline, make_receiver) -> None:
    import threading

    # Given a receiver that holds each request until four are in flight at once (or 3 s pass)
    arrived = threading.Barrier(4, timeout=3)

    def hold_until_all_arrive(_delivery, _count) -> Answer:
        arrived.wait()
        return Answer()

    receiver = make_receiver(hold_until_all_arrive)
    token = tenant["token"]
    for _ in range(4):
        create_hook(api, token, receiver.url, on="lead.created")
    # When one event fans out to the four hooks and deliver takes them as one batch
    publish(api, token, "lead.created", {})
    pipeline.fanout.poll_once(0)
    pipeline.deliver.poll_once(0)
    # Then all four requests were in flight together (a sequential sender would break the barrier)
    assert len(receiver.deliveries) == 4
    assert not arrived.broken

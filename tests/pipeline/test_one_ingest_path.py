"""One ingest path: `POST /events` and a producer's message straight to the events queue meet the same rules,
and bad records (a refused event, an unreadable event or hook) fail only themselves."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.common import metric_names as names
from functions.common.dal.clients import aws
from functions.common.dal.dynamo import s
from functions.common.dal.event_types import EventTypesRepository
from functions.common.dal.events import event_key
from functions.common.dal.hooks import hook_key
from functions.common.ingest import MAX_DATA_BYTES
from functions.common.models import EventType
from functions.common.validation import MAX_DATA_DEPTH
from hookwire.receiver import always
from tests.conftest import ADMIN_TOKEN, create_hook, publish
from tests.support.logs import captured_logs, log_lines

SCHEMA_TYPE = "x.with_schema"


def _nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


# (case, publish body fields) -> the field both paths must name
BAD_EVENTS: list[tuple[str, dict[str, Any], str]] = [
    ("unknown type", {"type": "nothing.like.this", "data": {}}, "type"),
    ("type shape", {"type": "bad type!", "data": {}}, "type"),
    ("id shape", {"type": "lead.created", "data": {}, "id": "has space"}, "id"),
    ("data not an object", {"type": "lead.created", "data": [1, 2]}, "data"),
    ("NaN", {"type": "lead.created", "data": {"v": float("nan")}}, "data.v"),
    ("Infinity", {"type": "lead.created", "data": {"v": [float("inf")]}}, "data.v[0]"),
    ("too deep", {"type": "lead.created", "data": _nested(MAX_DATA_DEPTH + 1)}, "data"),
    ("too large", {"type": "lead.created", "data": {"blob": "x" * MAX_DATA_BYTES}}, "data"),
    ("schema", {"type": SCHEMA_TYPE, "data": {"amount": "ten"}}, "data.amount"),
]


@pytest.fixture
def schema_type(api) -> None:
    schema = {"type": "object", "properties": {"amount": {"type": "number"}}}
    assert api.put(f"/event-types/{SCHEMA_TYPE}", ADMIN_TOKEN, {"schema": schema}).status == 200


def _send_to_queue(aws_env, tenant_id: str, fields: dict[str, Any]) -> str:
    """Sends like a producer inside AWS would; returns the message id."""
    return aws.get("sqs").send_message(
        QueueUrl=aws_env.events_queue_url, MessageBody=json.dumps({"tenant_id": tenant_id, **fields})
    )["MessageId"]


def _rejections(output: str) -> dict[str, set[str]]:
    """message id -> the fields its rejections named (one line per receive)."""
    found: dict[str, set[str]] = {}
    for line in log_lines(output):
        if line["message"].startswith("event rejected"):
            found.setdefault(line["message_id"], set()).add(line["field"])
    return found


def test_api_and_queue_give_the_same_verdicts(api, tenant, pipeline, receiver, aws_env, schema_type) -> None:
    # Given a hook that takes everything
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="*")
    api_fields = []
    for case, fields, field in BAD_EVENTS:
        # When each bad event is published through the API
        extra = {"id": fields["id"]} if "id" in fields else {}
        reply = publish(api, token, fields["type"], fields["data"], **extra)
        # Then it is a 4xx naming the field
        assert 400 <= reply.status < 500, (case, reply.body)
        assert reply.body["field"] == field, (case, reply.body)
        api_fields.append(reply.body["field"])
    # When the same events are sent straight to the events queue
    with captured_logs("WARNING") as logs:
        message_ids = [_send_to_queue(aws_env, tenant["id"], fields) for _case, fields, _field in BAD_EVENTS]
        pipeline.run_until_quiet(timeout=60)
    rejections = _rejections(logs.getvalue())
    queue_fields = [rejections.get(message_id) for message_id in message_ids]
    # Then each was rejected naming the same field as the API did
    assert queue_fields == [{field} for field in api_fields]
    # And every one is in the DLQ: none dropped, none delivered
    assert pipeline.dlq_depths() == (len(BAD_EVENTS), 0)
    assert receiver.deliveries == []


def test_a_valid_event_on_either_path_is_stored_and_delivered_once(
    api, tenant, pipeline, receiver, aws_env, schema_type
) -> None:
    token = tenant["token"]
    create_hook(api, token, receiver.url, on=SCHEMA_TYPE, payload_format="data")
    assert publish(api, token, SCHEMA_TYPE, {"amount": 1}, id="via-api").status == 202
    _send_to_queue(aws_env, tenant["id"], {"type": SCHEMA_TYPE, "data": {"amount": 2}, "id": "via-queue"})
    pipeline.run_until_quiet()
    assert sorted(d.body for d in receiver.deliveries) == [b'{"amount": 1}', b'{"amount": 2}']
    assert api.get("/events/via-queue", token).body["data"] == {"amount": 2}
    assert pipeline.dlq_depths() == (0, 0)


def _emitted(capsys) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith('{"_aws"'):
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    value = document[metric["Name"]]
                    totals[metric["Name"]] = totals.get(metric["Name"], 0) + (
                        sum(value) if isinstance(value, list) else value
                    )
    return totals


def test_a_rejected_queue_event_is_counted_and_ends_in_the_dlq(
    api, tenant, pipeline, aws_env, monkeypatch, capsys
) -> None:
    # Given metrics switched on
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    # When a producer sends an event the rules refuse straight to the queue
    _send_to_queue(aws_env, tenant["id"], {"type": "lead.created", "data": {"v": float("nan")}})
    pipeline.run_until_quiet(timeout=60)
    # Then it is counted as a rejected event (exactly once per event: tests/unit/test_fanout_guard.py) and sits
    # in the DLQ
    emitted = _emitted(capsys)
    assert emitted.get(names.EVENTS_REJECTED, 0) >= 1, emitted
    assert pipeline.dlq_depths() == (1, 0)


def test_an_unreadable_hook_fails_only_its_own_deliveries(
    api, tenant, other_tenant, pipeline, make_receiver, aws_env, monkeypatch, capsys
) -> None:
    # Given two hooks of one tenant and one of another, and one of the first tenant's stored hooks corrupted
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    healthy, other = make_receiver(always()), make_receiver(always())
    token = tenant["token"]
    broken = create_hook(api, token, healthy.url, on="lead.created")
    create_hook(api, token, healthy.url, on="lead.created")
    create_hook(api, other_tenant["token"], other.url, on="lead.created")
    aws.get("dynamodb").update_item(
        TableName=aws_env.subscriptions_table,
        Key=hook_key(tenant["id"], broken["id"]),
        UpdateExpression="SET doc = :doc",
        ExpressionAttributeValues={":doc": s('{"id": "' + broken["id"] + '", "on": 5}')},
    )
    # When both tenants publish in the same fanout batch
    publish(api, token, "lead.created", {"n": 1})
    publish(api, other_tenant["token"], "lead.created", {"n": 2})
    pipeline.run_until_quiet()
    # Then every readable hook got its event exactly once, nothing reached a DLQ, and the broken hook's
    # attempts are counted as item errors (each a failed execution saying why), never the batch's failure
    assert len(healthy.deliveries) == 1 and len(other.deliveries) == 1
    assert pipeline.dlq_depths() == (0, 0)
    assert _emitted(capsys)[names.DELIVERY_ITEM_ERRORS] >= 1


def test_one_bad_event_message_fails_only_itself(api, tenant, pipeline, receiver, aws_env) -> None:
    # Given a healthy hook, and a stored event record that no longer parses
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created")
    EventTypesRepository(aws_env.subscriptions_table).put_event_types([EventType(type="lead.created")])
    aws.get("dynamodb").put_item(
        TableName=aws_env.subscriptions_table,
        Item={
            **event_key(tenant["id"], "broken"),
            "doc": s("{not json"),
            "data": s("{}"),
            "expires_at": {"N": "9999999999"},
        },
    )
    # When a message for the broken event and a good publish share the events queue
    _send_to_queue(aws_env, tenant["id"], {"id": "broken"})
    assert publish(api, token, "lead.created", {"ok": True}).status == 202
    pipeline.run_until_quiet(timeout=60)
    # Then the good event is delivered once and only the broken message ends in the DLQ
    assert len(receiver.deliveries) == 1
    assert pipeline.dlq_depths() == (1, 0)

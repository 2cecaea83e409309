"""Fanout's per-record guard, on the handler with in-memory fakes: one bad record (a refused event, an
unreadable event) fails only itself, and is counted. Fanout reads the routing index, never hook records, so
an unreadable hook is deliver's concern (tests/pipeline/test_one_ingest_path.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.common import metric_names as names
from functions.common.models import EventType, Hook, Tenant
from functions.fanout import handler
from functions.fanout.logic import FanoutDeps
from tests.support.fakes import FakeQueue, FakeSubscriptions

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _record(message_id: str, body: dict[str, Any], receive_count: int = 1) -> dict[str, Any]:
    return {
        "messageId": message_id,
        "receiptHandle": f"rh-{message_id}",
        "body": json.dumps(body),
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
    }


def _hook(hook_id: str, tenant_id: str) -> Hook:
    return Hook(
        id=hook_id,
        tenant_id=tenant_id,
        name="h",
        url="https://hooks.example.com/",
        on=["*"],
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeSubscriptions, FakeQueue, dict[str, float]]:
    subscriptions = FakeSubscriptions(
        tenants={t: Tenant(id=t, name=t, created_at=NOW) for t in ("ten_a", "ten_b")},
        event_types={"lead.created": EventType(type="lead.created")},
        hooks={"ten_a": [_hook("hook_a", "ten_a")], "ten_b": [_hook("hook_b", "ten_b")]},
    )
    counted: dict[str, float] = {}

    def add_metric(name: str, unit: Any, value: float) -> None:
        counted[name] = counted.get(name, 0) + value

    monkeypatch.setattr(handler.metrics, "add_metric", add_metric)
    return subscriptions, FakeQueue(), counted


def _run(world, records: list[dict[str, Any]]) -> tuple[set[str], list[str]]:
    subscriptions, deliveries, _ = world
    # One in-memory table stands in for the four repositories fanout reads.
    deps = FanoutDeps(
        tenants=subscriptions,  # type: ignore[arg-type]
        event_types=subscriptions,  # type: ignore[arg-type]
        events=subscriptions,  # type: ignore[arg-type]
        hooks=subscriptions,  # type: ignore[arg-type]
        deliveries=deliveries,  # type: ignore[arg-type]
        event_retention_days=1,
    )
    response = handler.process_batch({"Records": records}, deps)
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    return failed, sorted(json.loads(m.body)["hook_id"] for m in deliveries.sent)


def test_a_refused_event_fails_only_its_record_and_is_counted_once(world) -> None:
    # Given a batch with a NaN event on its first receive, the same kind on its third, and two good events
    records = [
        _record("bad-first", {"tenant_id": "ten_a", "type": "lead.created", "data": {"v": float("nan")}}),
        _record("bad-again", {"tenant_id": "ten_a", "type": "nope", "data": {}}, receive_count=3),
        _record("good-a", {"tenant_id": "ten_a", "type": "lead.created", "data": {}, "id": "e1"}),
        _record("good-b", {"tenant_id": "ten_b", "type": "lead.created", "data": {}, "id": "e2"}),
    ]
    # When fanout handles it
    failed, delivered_to = _run(world, records)
    # Then only the refused records fail, the good ones fan out, and rejections count events, not receives
    assert failed == {"bad-first", "bad-again"}
    assert delivered_to == ["hook_a", "hook_b"]
    assert world[2][names.EVENTS_REJECTED] == 1


def test_messages_that_cant_be_processed_fail_alone_and_are_counted(world) -> None:
    # Given a body that is not JSON, a message for a stored event that no longer parses, and a good message
    world[0].unreadable_events.add(("ten_a", "e_broken"))
    records = [
        {**_record("not-json", {}), "body": "not json"},
        _record("broken", {"tenant_id": "ten_a", "id": "e_broken"}),
        _record("good", {"tenant_id": "ten_b", "type": "lead.created", "data": {}, "id": "e2"}),
    ]
    # When fanout handles them
    failed, delivered_to = _run(world, records)
    # Then the two bad ones fail (the first as a rejected event), each counted, and the good one goes through
    assert failed == {"not-json", "broken"}
    assert delivered_to == ["hook_b"]
    assert world[2][names.EVENTS_REJECTED] == 1
    assert world[2][names.EVENT_MESSAGES_FAILED] == 1

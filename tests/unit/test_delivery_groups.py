"""Group messages (one event to up to 10 hooks in one deliveries message), on in-memory fakes: fan-out sends
them in shared SendMessageBatch calls, deliver splits them per hook, and one member's trouble never repeats
the group's other deliveries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.common import contract
from functions.common.models import DeliveryMessage, Event, EventType, Hook, HookSecret, Tenant
from functions.deliver.handler import process_batch as deliver_records
from functions.fanout import handler as fanout_handler
from functions.fanout.logic import FanoutDeps
from tests.support.fakes import (
    FakeExecutions,
    FakeQueue,
    FakeStore,
    FakeSubscriptions,
    fake_deps,
    fake_fanout_deps,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=10) as pool:
        yield pool


def _hook(hook_id: str, tenant_id: str = "ten_1") -> Hook:
    secret = HookSecret(ciphertext="whsec_" + "a" * 43 + "=", created_at=NOW)
    return Hook(id=hook_id, tenant_id=tenant_id, name="h", url=f"https://receiver.example/{hook_id}", on=["*"],
                created_at=NOW, updated_at=NOW, secrets=[secret])  # fmt: skip


def _sqs(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"msg_{i}",
                "receiptHandle": f"rh_{i}",
                "body": body,
                "attributes": {},
                "eventSource": "aws:sqs",
            }
            for i, body in enumerate(bodies)
        ]
    }


def _group_store(hooks: int) -> tuple[FakeStore, str]:
    store = FakeStore()
    store.add(Event(id="evt_1", tenant_id="ten_1", type="lead.created", data="{}", created_at=NOW))
    for i in range(hooks):
        store.add(_hook(f"hook_{i}"))
    group = DeliveryMessage(
        tenant_id="ten_1", hook_id="hook_0", event_id="evt_1", more_hook_ids=[f"hook_{i}" for i in range(1, hooks)]
    )
    return store, group.model_dump_json()


def _single(hook_id: str) -> str:
    return DeliveryMessage(tenant_id="ten_1", hook_id=hook_id, event_id="evt_1").model_dump_json()


def _failed(response: dict[str, Any]) -> set[str]:
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def test_a_group_message_is_one_delivery_per_hook(executor) -> None:
    # Given one deliveries message carrying an event to three hooks
    store, group = _group_store(3)
    deps = fake_deps(executor, store=store)
    # When deliver handles it
    response = deliver_records(_sqs(group), deps, budget_seconds=60)
    # Then each hook got one attempt, each recorded on its own, and the message succeeded
    assert sorted(e.hook_id for e in deps.executions.written) == ["hook_0", "hook_1", "hook_2"]
    assert sorted(deps.http.requests) == [f"https://receiver.example/hook_{i}" for i in range(3)]
    assert _failed(response) == set()


def test_an_unrecordable_member_is_resent_alone_not_the_group(executor) -> None:
    # Given a group of three where hook_2's execution can't be written, not even without the response
    store, group = _group_store(3)
    executions = FakeExecutions(refuse=lambda e: e.hook_id == "hook_2")
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, executions=executions, queue=queue)
    # When deliver handles it
    response = deliver_records(_sqs(group), deps, budget_seconds=60)
    # Then the group message succeeds (no other hook is delivered twice) and hook_2's delivery is re-sent
    # as its own single-hook message, same attempt
    assert _failed(response) == set()
    assert sorted(e.hook_id for e in executions.written) == ["hook_0", "hook_1"]
    resent = [DeliveryMessage.model_validate_json(m.body) for m in queue.sent]
    assert [(m.hook_id, m.more_hook_ids, m.attempt) for m in resent] == [("hook_2", [], 1)]


def test_a_member_that_can_be_neither_recorded_nor_resent_fails_the_group_message(executor) -> None:
    # Given hook_2's execution can't be written and SQS refuses to take its message either
    store, group = _group_store(3)
    store.add(_hook("hook_3"))
    executions = FakeExecutions(refuse=lambda e: e.hook_id == "hook_2")
    queue = FakeQueue(refuse=lambda m: '"hook_2"' in m.body)
    deps = fake_deps(executor, store=store, executions=executions, queue=queue)
    # When deliver handles it, beside another message that goes through
    response = deliver_records(_sqs(_single("hook_3"), group), deps, budget_seconds=60)
    # Then the last resort: SQS delivers the group again (at least once; nothing is lost), not the other
    assert _failed(response) == {"msg_1"}


def _fanout_world(hooks: int) -> tuple[FakeSubscriptions, FakeQueue, FanoutDeps]:
    subscriptions = FakeSubscriptions(
        tenants={"ten_1": Tenant(id="ten_1", name="t", created_at=NOW)},
        event_types={"lead.created": EventType(type="lead.created")},
        hooks={"ten_1": [_hook(f"hook_{i:02d}") for i in range(hooks)]},
    )
    queue = FakeQueue()
    deps = fake_fanout_deps(subscriptions, queue)
    return subscriptions, queue, deps


def test_fanout_sends_one_message_per_event_and_ten_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given groups of 10 hooks, 25 hooks on a type and a batch of two producer events of that type
    monkeypatch.setattr(contract, "DELIVERY_GROUP_SIZE", 10)
    monkeypatch.setattr(fanout_handler.metrics, "add_metric", lambda **_: None)
    _, queue, deps = _fanout_world(25)
    events = [{"tenant_id": "ten_1", "type": "lead.created", "data": {}, "id": f"e{i}"} for i in range(2)]
    # When fanout handles the batch
    response = fanout_handler.process_batch(_sqs(*(json.dumps(e) for e in events)), deps)
    # Then each event went out as groups of at most 10 hooks that together name every hook once
    assert _failed(response) == set()
    messages = [DeliveryMessage.model_validate_json(m.body) for m in queue.sent]
    assert len(messages) == 6 and all(len(m.members()) <= 10 for m in messages)
    for event_id in ("e0", "e1"):
        hooks = [h.hook_id for m in messages if m.event_id == event_id for h in m.members()]
        assert sorted(hooks) == [f"hook_{i:02d}" for i in range(25)]


def test_fanout_fails_only_the_event_whose_deliveries_could_not_be_queued(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given groups of 10 hooks and SQS refusing the deliveries of event e1 only
    monkeypatch.setattr(contract, "DELIVERY_GROUP_SIZE", 10)
    monkeypatch.setattr(fanout_handler.metrics, "add_metric", lambda **_: None)
    _, queue, deps = _fanout_world(2)
    queue.refuse = lambda m: '"e1"' in m.body
    events = [{"tenant_id": "ten_1", "type": "lead.created", "data": {}, "id": f"e{i}"} for i in range(3)]
    # When fanout handles the batch
    response = fanout_handler.process_batch(_sqs(*(json.dumps(e) for e in events)), deps)
    # Then only e1's record comes back; e0 and e2 are queued
    assert _failed(response) == {"msg_1"}
    assert sorted(DeliveryMessage.model_validate_json(m.body).event_id for m in queue.sent) == ["e0", "e2"]

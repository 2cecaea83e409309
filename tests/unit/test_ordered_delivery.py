"""Ordered (FIFO) delivery on fakes: fan-out routes FIFO hooks to the FIFO queue (group = hook), deliver
keeps a retried FIFO message held until its retry is due and lets a given-up one go."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from functions.common.http_client import HttpResult
from functions.common.models import Event, EventMessage, EventType, Hook, Ordering, Tenant
from functions.deliver.handler import process_batch
from functions.fanout.logic import FanoutDeps, Routes, fan_out, ordered_deduplication_id
from tests.support.fakes import (
    FakeExecutions,
    FakeHeldQueue,
    FakeQueue,
    FakeStore,
    FakeSubscriptions,
    ScriptedSender,
    fake_deps,
    fake_fanout_deps,
    signed_hook,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
TENANT = "ten_1"
FIFO_ARN = "arn:aws:sqs:us-east-1:123456789012:hookwire-ordered-deliveries.fifo"


def _hook(hook_id: str, ordering: Ordering = Ordering.NONE) -> Hook:
    return signed_hook(hook_id, TENANT, NOW, ordering=ordering)


def _fifo_record(hook_id: str, receive_count: int) -> dict[str, Any]:
    return {
        "messageId": "msg-1",
        "receiptHandle": "rh-1",
        "body": json.dumps({"tenant_id": TENANT, "hook_id": hook_id, "event_id": "evt_1", "attempt": 1}),
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "eventSource": "aws:sqs",
        "eventSourceARN": FIFO_ARN,
    }


def _fanout_deps(subscriptions: FakeSubscriptions, standard: FakeQueue, ordered: FakeQueue) -> FanoutDeps:
    """One in-memory table stands in for the four repositories fanout reads."""
    return fake_fanout_deps(subscriptions, standard, ordered=ordered)


def test_fan_out_sends_fifo_hooks_to_the_fifo_queue_grouped_by_hook(executor) -> None:
    # Given an event type with a FIFO hook and a plain hook
    subscriptions = FakeSubscriptions(
        tenants={TENANT: Tenant(id=TENANT, name="t", created_at=NOW)},
        event_types={"lead.created": EventType(type="lead.created")},
        hooks={TENANT: [_hook("hook_fifo", Ordering.FIFO), _hook("hook_plain")]},
    )
    standard, ordered = FakeQueue(), FakeQueue()
    deps = _fanout_deps(subscriptions, standard, ordered)
    message = EventMessage(tenant_id=TENANT, type="lead.created", data={"n": 1}, id="evt_1")
    # When the event is fanned out
    fan_out(message, deps, Routes(subscriptions), NOW)  # type: ignore[arg-type]
    # Then the plain hook's delivery goes to the standard queue, the FIFO hook's to the FIFO queue, in its group
    assert [json.loads(m.body)["hook_id"] for m in standard.sent] == ["hook_plain"]
    [fifo] = ordered.sent
    assert json.loads(fifo.body)["hook_id"] == "hook_fifo"
    assert fifo.group_id == "hook_fifo"
    assert fifo.deduplication_id == ordered_deduplication_id("evt_1", "hook_fifo", "")
    assert fifo.delay_seconds == 0


def test_a_plain_event_type_costs_no_request_to_the_fifo_queue(executor) -> None:
    # Given only plain hooks
    subscriptions = FakeSubscriptions(
        tenants={TENANT: Tenant(id=TENANT, name="t", created_at=NOW)},
        event_types={"lead.created": EventType(type="lead.created")},
        hooks={TENANT: [_hook("hook_plain")]},
    )
    ordered = FakeQueue()
    deps = _fanout_deps(subscriptions, FakeQueue(), ordered)
    # When an event is fanned out
    fan_out(EventMessage(tenant_id=TENANT, type="lead.created", data={}, id="evt_1"), deps, Routes(subscriptions), NOW)  # type: ignore[arg-type]
    # Then nothing was sent to the FIFO queue
    assert ordered.sent == []


def test_a_replay_is_a_new_fifo_delivery_and_a_repeated_fan_out_is_not() -> None:
    # Given the deduplication ids of one delivery fanned out twice, and of two replays
    first, again = ordered_deduplication_id("evt_1", "hook_1", ""), ordered_deduplication_id("evt_1", "hook_1", "")
    replay_a, replay_b = (ordered_deduplication_id("evt_1", "hook_1", m) for m in ("m-a", "m-b"))
    # Then the repeat is deduplicated by SQS and each replay is delivered
    assert first == again
    assert len({first, replay_a, replay_b}) == 3


def _deliver_fifo(executor, answer_status: int, receive_count: int, schedule: str = "5s,1m"):
    store, held, queue, executions = FakeStore(), FakeHeldQueue(), FakeQueue(), FakeExecutions()
    store.add(
        _hook("hook_fifo", Ordering.FIFO), Event(id="evt_1", tenant_id=TENANT, type="t", data="{}", created_at=NOW)
    )
    sender = ScriptedSender(answer=lambda _url: HttpResult(status=answer_status, duration_ms=1))
    deps = fake_deps(executor, store=store, http=sender, queue=queue, executions=executions, ordered_queue=held,
                     schedule=schedule)  # fmt: skip
    response = process_batch({"Records": [_fifo_record("hook_fifo", receive_count)]}, deps)
    return response, held, queue, executions


def test_a_failed_fifo_delivery_keeps_its_message_held_until_the_retry_is_due(executor) -> None:
    # Given a FIFO delivery received for the first time, and a receiver answering 500
    # When deliver handles it
    response, held, queue, executions = _deliver_fifo(executor, 500, receive_count=1)
    # Then the message is held for the first retry delay and reported failed (its group waits behind it)
    assert held.held == {"rh-1": 5.0}
    assert response["batchItemFailures"] == [{"itemIdentifier": "msg-1"}]
    # And no new message was sent; the attempt is recorded as retrying
    assert queue.sent == []
    assert [(e.attempt, e.status.value) for e in executions.written] == [(1, "retrying")]


def test_the_receive_count_is_the_attempt_number_and_the_last_failure_lets_the_group_go_on(executor) -> None:
    # Given the third receive of a FIFO delivery with a two-retry schedule, and a receiver answering 500
    # When deliver handles it
    response, held, _, executions = _deliver_fifo(executor, 500, receive_count=3)
    # Then attempt 3 is recorded as failed (given up), and the message is done: the next event proceeds
    assert [(e.attempt, e.status.value) for e in executions.written] == [(3, "failed")]
    assert held.held == {}
    assert response["batchItemFailures"] == []


def test_a_succeeded_fifo_delivery_is_done(executor) -> None:
    response, held, _, executions = _deliver_fifo(executor, 200, receive_count=2)
    assert [(e.attempt, e.status.value) for e in executions.written] == [(2, "succeeded")]
    assert held.held == {}
    assert response["batchItemFailures"] == []

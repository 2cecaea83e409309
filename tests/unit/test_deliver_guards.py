"""The deliver logic's per-delivery guards and time budget, on in-memory fakes."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from functions.common.http_client import HttpResult
from functions.common.models import DeliveryMessage, Event, ExecutionStatus, Hook, HookSecret
from functions.deliver.logic import RECORDING_MARGIN_SECONDS, QueuedDelivery, deliver_batch
from tests.support.fakes import FakeClock, FakeExecutions, FakeQueue, FakeStore, ScriptedSender, fake_deps

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=10) as pool:
        yield pool


def _store(count: int) -> tuple[FakeStore, list[QueuedDelivery]]:
    store = FakeStore()
    store.add(Event(id="evt_1", tenant_id="ten_1", type="lead.created", data="{}", created_at=NOW))
    batch = []
    for i in range(count):
        secret = HookSecret(ciphertext="whsec_" + "a" * 43 + "=", created_at=NOW)
        url = f"https://receiver.example/{i}"
        store.add(Hook(id=f"hook_{i}", tenant_id="ten_1", name="h", url=url, on=["*"], created_at=NOW,
                       updated_at=NOW, secrets=[secret]))  # fmt: skip
        message = DeliveryMessage(tenant_id="ten_1", hook_id=f"hook_{i}", event_id="evt_1")
        batch.append(QueuedDelivery(f"msg_{i}", message))
    return store, batch


def test_a_hook_that_cannot_be_read_fails_alone_as_a_recorded_execution(executor) -> None:
    # Given a batch where one hook's stored record is broken (it raises when read)
    store, batch = _store(3)
    store.broken_hooks.add("hook_1")
    sender = ScriptedSender()
    deps = fake_deps(executor, store=store, http=sender)
    # When the batch is delivered
    report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then the other two were sent once each, the broken one is a failed execution saying why, nothing redelivered
    assert sorted(sender.requests) == ["https://receiver.example/0", "https://receiver.example/2"]
    written = {e.hook_id: e for e in deps.executions.written}
    assert written["hook_1"].status is ExecutionStatus.RETRYING and written["hook_1"].failure_class == "internal"
    assert "reading the hook and event" in (written["hook_1"].error or "")
    assert report.redeliver == set() and report.item_errors == 1


def test_an_exception_while_sending_is_that_deliverys_failed_attempt(executor) -> None:
    # Given a sender that raises for one URL only
    def answer(url: str) -> HttpResult:
        if url.endswith("/1"):
            raise RuntimeError("boom")
        return HttpResult(status=200, duration_ms=1)

    store, batch = _store(3)
    deps = fake_deps(executor, store=store, http=ScriptedSender(answer=answer))
    report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    statuses = {e.hook_id: (e.status, e.error) for e in deps.executions.written}
    assert statuses["hook_0"] == statuses["hook_2"] == (ExecutionStatus.SUCCEEDED, None)
    assert statuses["hook_1"] == (ExecutionStatus.RETRYING, "internal error while sending: RuntimeError: boom")
    assert report.item_errors == 1 and report.redeliver == set()


def test_an_execution_the_store_refuses_is_written_without_the_response(executor) -> None:
    # Given a store that refuses hook_1's full execution (as DynamoDB refuses an item over 400 KB)
    store, batch = _store(3)
    executions = FakeExecutions(refuse=lambda e: e.hook_id == "hook_1" and e.response_body is not None)
    deps = fake_deps(executor, store=store, executions=executions)
    report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then all three are recorded; hook_1's without the answer and saying so
    written = {e.hook_id: e for e in executions.written}
    assert sorted(written) == ["hook_0", "hook_1", "hook_2"]
    assert written["hook_1"].response_body is None and "could not be written in full" in (written["hook_1"].error or "")
    assert report.redeliver == set()


def test_a_next_attempt_that_cannot_be_queued_redelivers_only_its_own_message(executor) -> None:
    # Given every receiver fails (so each needs a next attempt) and SQS refuses hook_1's
    store, batch = _store(3)
    queue = FakeQueue(refuse=lambda m: '"hook_1"' in m.body)
    failing = ScriptedSender(answer=lambda _url: HttpResult(status=500, duration_ms=1))
    deps = fake_deps(executor, store=store, http=failing, queue=queue)
    report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then only hook_1's message goes back to SQS; the others' next attempts are queued
    assert report.redeliver == {"msg_1"}
    assert sorted('"hook_0"' in m.body for m in queue.sent) == [False, True]


def test_deliveries_that_cannot_finish_in_the_budget_are_put_back_unchanged(executor) -> None:
    # Given a batch of three, one attempt at a time, each taking the whole 10 s timeout, and 27 s left
    store, batch = _store(3)
    clock = FakeClock()
    sender = ScriptedSender(clock=clock, seconds_per_request=10)
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, http=sender, queue=queue, clock=clock, timeout_seconds=10, concurrency=1)
    # When the batch runs with 27 s of budget (5 s of it kept to record and schedule)
    report = deliver_batch(batch, deps, NOW, budget_seconds=RECORDING_MARGIN_SECONDS + 22)
    # Then two attempts ran, the third was not started: its message is back on the queue as it was
    assert len(sender.requests) == 2 and report.deferred == 1
    assert [m.body for m in queue.sent] == [batch[2].message.model_dump_json()]
    assert {e.hook_id for e in deps.executions.written} == {"hook_0", "hook_1"}
    assert report.redeliver == set()

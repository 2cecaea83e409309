"""Per-hook rate limits in deliver: excess deliveries wait (delayed, same attempt, no execution), other
hooks are untouched, and hooks without a limit cost no request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.common.models import DeliveryMessage, Event, Hook
from functions.deliver.logic import QueuedDelivery, deliver_batch
from functions.deliver.rate_limit import COUNTER_UNAVAILABLE_WAIT_SECONDS, seconds_to_wait
from tests.support.fakes import (
    FakeClock,
    FakeExecutions,
    FakeQueue,
    FakeRateCounter,
    FakeStore,
    ScriptedSender,
    fake_deps,
    signed_hook,
)

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
TENANT = "ten_1"


def _hook(hook_id: str, limit: int | None) -> Hook:
    return signed_hook(hook_id, TENANT, NOW, rate_limit_per_second=limit)


def _batch(store: FakeStore, events: int, hooks: list[Hook], attempt: int = 1) -> list[QueuedDelivery]:
    store.add(*hooks)
    batch = []
    for i in range(events):
        store.add(Event(id=f"evt_{i}", tenant_id=TENANT, type="lead.created", data="{}", created_at=NOW))
        for hook in hooks:
            message = DeliveryMessage(tenant_id=TENANT, hook_id=hook.id, event_id=f"evt_{i}", attempt=attempt)
            batch.append(QueuedDelivery(f"msg_{hook.id}_{i}", message))
    return batch


def test_a_limited_hook_gets_at_most_its_limit_and_the_rest_wait_unchanged(executor) -> None:
    # Given 10 deliveries (attempt 3) to a hook limited to 3/s, in one batch
    store, queue, executions, sender = FakeStore(), FakeQueue(), FakeExecutions(), ScriptedSender()
    batch = _batch(store, 10, [_hook("hook_slow", 3)], attempt=3)
    deps = fake_deps(executor, store=store, queue=queue, executions=executions, http=sender)
    # When the batch is delivered
    report = deliver_batch(batch, deps, NOW)
    # Then 3 are sent and recorded; 7 go back unchanged (same attempt), spread over the next seconds
    assert len(sender.requests) == 3
    assert len(executions.written) == 3
    assert report.rate_limited == 7
    assert report.sent == 3
    waiting = [DeliveryMessage.model_validate_json(m.body) for m in queue.sent]
    assert {m.attempt for m in waiting} == {3}
    assert sorted(m.delay_seconds for m in queue.sent) == [1, 1, 1, 2, 2, 2, 3]


def test_a_limited_hook_never_delays_other_hooks_in_the_same_batch(executor) -> None:
    # Given 6 events for a hook limited to 1/s and for an unlimited hook, in one batch
    store, queue, sender = FakeStore(), FakeQueue(), ScriptedSender()
    batch = _batch(store, 6, [_hook("hook_slow", 1), _hook("hook_fast", None)])
    deps = fake_deps(executor, store=store, queue=queue, http=sender)
    # When the batch is delivered
    deliver_batch(batch, deps, NOW)
    # Then the unlimited hook gets all 6 now, the limited one 1, and only the limited one's deliveries wait
    assert sender.requests.count("https://receiver.example/hook_fast") == 6
    assert sender.requests.count("https://receiver.example/hook_slow") == 1
    assert {DeliveryMessage.model_validate_json(m.body).hook_id for m in queue.sent} == {"hook_slow"}


def test_a_waiting_delivery_takes_a_slot_in_the_second_it_comes_back(executor) -> None:
    # Given a hook limited to 2/s whose second is already full
    counter = FakeRateCounter()
    hooks = [_hook("hook_slow", 2)]
    assert seconds_to_wait(hooks * 2, counter, NOW) == [0, 0]
    # When one more delivery asks in the same second, then in the next one
    same_second = seconds_to_wait(hooks, counter, NOW + timedelta(milliseconds=900))
    next_second = seconds_to_wait(hooks, counter, NOW + timedelta(seconds=1))
    # Then it waits in the full second and goes in the next
    assert same_second == [1]
    assert next_second == [0]


def test_hooks_without_a_limit_cost_no_counter_request(executor) -> None:
    # Given a batch of deliveries to hooks without a rate limit
    store, counter = FakeStore(), FakeRateCounter()
    batch = _batch(store, 5, [_hook("hook_a", None), _hook("hook_b", None)])
    deps = fake_deps(executor, store=store, rate_counter=counter)
    # When the batch is delivered
    report = deliver_batch(batch, deps, NOW)
    # Then the counter is never touched and nothing waits
    assert counter.updates == 0
    assert report.rate_limited == 0
    assert report.sent == 10


def test_a_limited_hook_costs_one_counter_update_per_batch(executor) -> None:
    # Given 8 deliveries to one limited hook in one batch
    store, counter = FakeStore(), FakeRateCounter()
    batch = _batch(store, 8, [_hook("hook_slow", 100)])
    deps = fake_deps(executor, store=store, rate_counter=counter)
    # When the batch is delivered
    deliver_batch(batch, deps, NOW)
    # Then one counter update took all 8 slots
    assert counter.updates == 1


def test_an_unreachable_counter_makes_the_limited_deliveries_wait_not_fail(executor) -> None:
    # Given a limited and an unlimited hook, and a counter that can't be reached
    store, queue, executions = FakeStore(), FakeQueue(), FakeExecutions()
    counter = FakeRateCounter(unavailable=True)
    batch = _batch(store, 2, [_hook("hook_slow", 5), _hook("hook_fast", None)])
    deps = fake_deps(executor, store=store, queue=queue, executions=executions, rate_counter=counter)
    # When the batch is delivered
    report = deliver_batch(batch, deps, NOW)
    # Then the limited hook's deliveries wait (no execution), the other hook's are delivered
    assert report.rate_limited == 2
    assert {e.hook_id for e in executions.written} == {"hook_fast"}
    assert [m.delay_seconds for m in queue.sent] == [COUNTER_UNAVAILABLE_WAIT_SECONDS] * 2


def test_slots_are_counted_in_the_second_the_attempts_go_out(executor) -> None:
    # Given a batch that came at 12:00:00.0 and whose reads take 1.5 s (on an injected clock)
    store, counter, clock = FakeStore(), FakeRateCounter(), FakeClock()
    batch = _batch(store, 1, [_hook("hook_slow", 5)])
    slow_store = _SlowReads(store, clock, seconds=1.5)
    deps = fake_deps(executor, store=slow_store, rate_counter=counter, clock=clock)  # type: ignore[arg-type]
    # When the batch is delivered
    deliver_batch(batch, deps, NOW)
    # Then its slot was taken in 12:00:01, the second it was sent in
    assert list(counter.counts) == [("hook_slow", int(NOW.timestamp()) + 1)]


class _SlowReads:
    """The store, with batch reads that take `seconds` on the fake clock."""

    def __init__(self, store: FakeStore, clock: FakeClock, seconds: float) -> None:
        self._store, self._clock, self._seconds = store, clock, seconds

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def get_hooks(self, keys: object) -> object:
        self._clock.advance(self._seconds)
        return self._store.get_hooks(keys)  # type: ignore[arg-type]

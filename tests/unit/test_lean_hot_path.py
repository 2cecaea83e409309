"""The delivery hot path's resources are process-wide: one connection pool per destination sized to the
batch's concurrency and reused across invocations, one executor, one deadline thread; one INFO line per
delivery."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from functions.common.dal.repositories import build_repositories
from functions.common.delivery.factory import delivery_deps, reset_shared_clients
from functions.common.http_client import Watchdog
from functions.common.models import DeliveryMessage, Event, Hook
from functions.common.settings import DeliverSettings
from functions.deliver.logic import QueuedDelivery, deliver_batch
from hookwire.receiver import Receiver
from tests.support.fakes import FakeStore, fake_deps
from tests.support.logs import captured_logs, log_lines

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def _settings(concurrency: int = 7) -> DeliverSettings:
    return DeliverSettings(
        subscriptions_table="subs",
        executions_table="exes",
        kms_key_id="key",
        deliveries_queue_url="https://queue",
        delivery_concurrency=concurrency,
        allow_http=True,
        allowed_cidrs="127.0.0.0/8",
    )


@pytest.fixture
def fresh_clients() -> Iterator[None]:
    reset_shared_clients()
    yield
    reset_shared_clients()


def test_two_invocations_share_one_client_one_executor_and_one_open_connection(fresh_clients: None) -> None:
    # Given the dependencies two invocations of one container build
    settings = _settings()
    first = delivery_deps(settings, build_repositories(settings))
    second = delivery_deps(settings, build_repositories(settings))
    # Then they are the same client and executor, the pool sized to the batch's concurrency
    assert first.http is second.http and first.executor is second.executor
    assert first.http.connections_per_destination == 7  # type: ignore[attr-defined]
    # When each invocation posts to the same receiver
    with Receiver() as receiver:
        for deps in (first, second):
            assert deps.http.post(receiver.url, {}, b"{}", 2).status == 200
        # Then both went through one pool on one connection
        pools = list(first.http._pools.values())  # type: ignore[attr-defined]
    assert len(pools) == 1 and pools[0].num_connections == 1


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool


def _batch(size: int) -> tuple[FakeStore, list[QueuedDelivery]]:
    hook = Hook(
        id="hk_1", tenant_id="t1", name="h", url="https://example.com/h", on=["*"], created_at=NOW, updated_at=NOW
    )
    store = FakeStore()
    store.add(hook)
    queued = []
    for index in range(size):
        event = Event(id=f"evt_{index}", tenant_id="t1", type="a.b", data="{}", created_at=NOW)
        store.add(event)
        queued.append(QueuedDelivery(f"m{index}", DeliveryMessage(tenant_id="t1", hook_id="hk_1", event_id=event.id)))
    return store, queued


def test_a_batch_creates_no_executor(executor: ThreadPoolExecutor, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a container's executor, and any new executor counted
    created: list[object] = []
    original = concurrent.futures.ThreadPoolExecutor.__init__

    def counting(self: ThreadPoolExecutor, *args: object, **kwargs: object) -> None:
        created.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(concurrent.futures.ThreadPoolExecutor, "__init__", counting)
    store, queued = _batch(8)
    # When two batches are delivered
    for _ in range(2):
        report = deliver_batch(queued, fake_deps(executor, store=store, concurrency=4), NOW)
        assert report.succeeded == 8
    # Then no executor was created
    assert created == []


def test_successful_deliveries_log_nothing_at_info_and_a_line_and_its_details_each_at_debug(
    executor: ThreadPoolExecutor,
) -> None:
    # Given a batch of five deliveries that succeed
    store, queued = _batch(5)
    # When it is delivered with INFO logging, then with DEBUG
    with captured_logs("INFO") as info:
        deliver_batch(queued, fake_deps(executor, store=store), NOW)
    with captured_logs("DEBUG") as debug:
        deliver_batch(queued, fake_deps(executor, store=store), NOW)
    # Then INFO has no line per success (the handler writes one per batch), and DEBUG has the attempt line
    # and one line of details each
    assert log_lines(info.getvalue()) == []
    messages = [line["message"] for line in log_lines(debug.getvalue())]
    assert messages.count("delivery attempt") == 5
    details = [line for line in log_lines(debug.getvalue()) if line["message"] == "delivery attempt details"]
    assert len(details) == 5 and all("duration_ms" in line for line in details)


class _Socket:
    def __init__(self) -> None:
        self.cut = threading.Event()

    def shutdown(self, _how: int) -> None:
        self.cut.set()


class _Connection:
    def __init__(self) -> None:
        self.sock = _Socket()


def test_an_earlier_deadline_added_after_a_later_one_still_fires_on_time() -> None:
    # Given a watchdog already waiting for a deadline 60 s away (it is not woken for later ones)
    watchdog = Watchdog()
    later = watchdog.start_watch(watchdog._clock() + 60)
    # When an attempt with a deadline 0.1 s away starts on another connection
    connection = _Connection()
    soon = watchdog.start_watch(watchdog._clock() + 0.1)
    soon.connection = connection
    # Then its socket is cut within a second, the later attempt untouched
    assert connection.sock.cut.wait(timeout=1.0)
    assert watchdog.finish(soon) and not watchdog.finish(later)

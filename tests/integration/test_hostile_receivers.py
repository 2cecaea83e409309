"""Isolation on the deliver logic (in-memory fakes, real HTTP client, real sockets): one tenant's hostile
receivers, mixed into the same batches, never harm another tenant's deliveries."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from functions.common.http_client import WebhookHttpClient
from functions.common.models import DeliveryMessage, Event, ExecutionStatus, Hook, HookSecret
from functions.common.ssrf import UrlGuard
from functions.deliver.logic import QueuedDelivery, deliver_batch
from hookwire.receiver import Receiver
from tests.support.fakes import FakeQueue, FakeStore, fake_deps
from tests.support.hostile import BEHAVIOURS, HostileServer

TIMEOUT = 1.0
DYNAMODB_ITEM_LIMIT = 400 * 1024
SECRET = "whsec_" + "a" * 43 + "="


def make_hook(hook_id: str, tenant_id: str, url: str, headers: dict[str, str] | None = None) -> Hook:
    now = datetime.now(UTC)
    return Hook(
        id=hook_id,
        tenant_id=tenant_id,
        name=hook_id,
        url=url,
        on=["*"],
        headers=headers or {},
        created_at=now,
        updated_at=now,
        secrets=[HookSecret(ciphertext=SECRET, created_at=now)],
    )


def make_event(event_id: str, tenant_id: str) -> Event:
    return Event(id=event_id, tenant_id=tenant_id, type="lead.created", data="{}", created_at=datetime.now(UTC))


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=10) as pool:
        yield pool


@pytest.fixture
def hostile_urls() -> Iterator[dict[str, str]]:
    servers = {name: HostileServer(behaviour).start() for name, behaviour in BEHAVIOURS.items()}
    yield {name: server.url for name, server in servers.items()}
    for server in servers.values():
        server.stop()


def hostile_hooks(urls: dict[str, str], healthy_port: int) -> dict[str, Hook]:
    """Tenant B: one hook per hostile case. The non-latin-1 header is refused when saved through the API; it
    is put straight into the store here, as a record older than that check would be."""
    cases = dict(urls)
    cases["non-latin-1 header"] = f"http://127.0.0.1:{healthy_port}/latin"
    return {
        name: make_hook(f"hook_b{i}", "ten_b", url, {"X-Price": "price €5"} if name == "non-latin-1 header" else None)
        for i, (name, url) in enumerate(cases.items())
    }


def test_hostile_receivers_never_delay_duplicate_or_fail_another_tenants_deliveries(executor, hostile_urls) -> None:
    with Receiver() as receiver:
        # Given tenant A with four healthy hooks, tenant B with a hook per hostile case, two events each
        healthy = [make_hook(f"hook_a{i}", "ten_a", f"{receiver.url}/a{i}") for i in range(3)]
        # (one stored with a host that is valid only after IDNA mapping: it is sent to the mapped host)
        port = receiver.server.server_address[1]
        healthy.append(make_hook("hook_a3", "ten_a", f"http://ⓛocalhost:{port}/a3"))
        hostile = hostile_hooks(hostile_urls, receiver.server.server_address[1])
        events_a = [make_event(f"evt_a{i}", "ten_a") for i in range(2)]
        events_b = [make_event(f"evt_b{i}", "ten_b") for i in range(2)]
        store = FakeStore()
        store.add(*healthy, *hostile.values(), *events_a, *events_b)
        queue = FakeQueue()
        http = WebhookHttpClient(UrlGuard.from_settings(allow_http=True, allowed_cidrs="127.0.0.0/8"))
        deps = fake_deps(executor, store=store, http=http, queue=queue, timeout_seconds=TIMEOUT)
        # ... and their deliveries interleaved, so every batch of ten holds both tenants
        pairs_a = [(h, e) for e in events_a for h in healthy]
        pairs_b = [(h, e) for e in events_b for h in hostile.values()]
        mixed = [p for pair in itertools.zip_longest(pairs_a, pairs_b) for p in pair if p]
        messages = [
            QueuedDelivery(f"msg_{n}", DeliveryMessage(tenant_id=h.tenant_id, hook_id=h.id, event_id=e.id))
            for n, (h, e) in enumerate(mixed)
        ]
        # When the deliver logic handles them in batches of ten
        batch_starts: dict[str, float] = {}
        for start in range(0, len(messages), 10):
            batch = messages[start : start + 10]
            started = time.time()
            batch_starts |= {q.message.event_id + q.message.hook_id: started for q in batch}
            report = deliver_batch(batch, deps, datetime.now(UTC), budget_seconds=60)
            # Then each batch ends at the attempt deadline, and nothing is left for SQS (or a DLQ)
            assert time.time() - started < TIMEOUT + 1.5
            assert report.redeliver == set()
        # Then every healthy hook got every event exactly once, within half a second of its batch starting
        received = Counter((d.path.rsplit("/", 1)[-1], d.headers["webhook-id"]) for d in receiver.deliveries)
        assert received == Counter({(h.url.rsplit("/", 1)[-1], e.id): 1 for h, e in pairs_a})
        for delivery in receiver.deliveries:
            hook_id = "hook_" + delivery.path.rsplit("/", 1)[-1]
            assert delivery.received_at - batch_starts[delivery.headers["webhook-id"] + hook_id] < 0.5
    written = deps.executions.written  # type: ignore[attr-defined]
    by_hook = {hook_id: [e for e in written if e.hook_id == hook_id] for hook_id in store.hooks}
    assert all(e.status is ExecutionStatus.SUCCEEDED for h in healthy for e in by_hook[h.id])
    assert not [m for m in queue.sent if '"hook_a' in m.body]  # no retry scheduled for a healthy hook
    # And every hostile hook has one recorded execution per event, with an error, each a bounded item
    for name, hook in hostile.items():
        executions = by_hook[hook.id]
        assert len(executions) == 2, name
        assert all(e.status is ExecutionStatus.RETRYING and e.error for e in executions), (name, executions)
        assert all(len(e.model_dump_json().encode()) < DYNAMODB_ITEM_LIMIT / 8 for e in executions), name
    classes = {name: by_hook[hook.id][0].failure_class for name, hook in hostile.items()}
    assert classes == {
        "huge headers": "http_5xx",
        "odd Retry-After": "http_4xx",
        "trickling body": "timeout",
        "trickling headers": "timeout",
        "never answers": "timeout",
        "connection reset": "connection",
        "redirect loop": "http_4xx",
        "garbage": "connection",
        "non-latin-1 header": "request",
    }
    huge = by_hook[hostile["huge headers"].id][0]
    assert huge.response_headers_truncated and "x-big-0" not in huge.response_headers
    assert "redirect not followed" in (by_hook[hostile["redirect loop"].id][0].error or "")

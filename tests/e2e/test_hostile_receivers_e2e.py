"""Isolation end to end through the local runtime: one tenant's hostile receivers in the same batches as
another tenant's healthy ones (the runtime's hook timeout is 2 s)."""

from __future__ import annotations

import time
from collections import Counter
from contextlib import ExitStack

import pytest

from functions.common.dal.hooks import HooksRepository
from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Receiver
from tests.support.hostile import BEHAVIOURS, HostileServer

pytestmark = pytest.mark.slow


def _tenant(runtime: LocalRuntime, name: str) -> tuple[HookwireClient, str]:
    admin = HookwireClient(runtime.url, runtime.admin_token)
    tenant = admin.call("POST", "/tenants", {"name": name})
    return HookwireClient(runtime.url, tenant["token"]), tenant["id"]


def test_hostile_receivers_never_harm_another_tenant_end_to_end(runtime: LocalRuntime) -> None:
    healthy_client, _ = _tenant(runtime, "healthy")
    hostile_client, hostile_tenant = _tenant(runtime, "hostile")
    with ExitStack() as stack:
        receivers = [stack.enter_context(Receiver()) for _ in range(3)]
        servers = {name: stack.enter_context(HostileServer(b)) for name, b in BEHAVIOURS.items()}
        # Given tenant A's three healthy hooks and tenant B's hook per hostile case
        for receiver in receivers:
            healthy_client.call("POST", "/hooks", {"name": "ok", "url": receiver.url, "on": "lead.created"})
        hostile = {
            name: hostile_client.call("POST", "/hooks", {"name": name, "url": server.url, "on": "lead.created"})
            for name, server in servers.items()
        }
        # ... and one that the API refuses today, written straight to the table as an older record would be (a
        # stored non-ASCII host is no such case: it is sent to its IDNA-mapped form, see test_hostile_hooks_api)
        store = HooksRepository(runtime.resources.subscriptions_table)  # type: ignore[union-attr]
        unsendable = {"non-latin-1 header": {"headers": {"X-Price": "price €5"}}}
        for name, update in unsendable.items():
            hook = hostile_client.call("POST", "/hooks", {"name": name, "url": receivers[0].url, "on": "lead.created"})
            store.update_hook(hostile_tenant, hook["id"], lambda h, u=update: h.model_copy(update=u))
            hostile[name] = hook
        # When both tenants publish, interleaved
        published_at = time.time()
        events = []
        for i in range(2):
            hostile_client.call("POST", "/events", {"type": "lead.created", "data": {"n": i}})
            events.append(healthy_client.call("POST", "/events", {"type": "lead.created", "data": {"n": i}})["id"])
        # Then every healthy hook gets every event exactly once, promptly
        for receiver in receivers:
            deliveries = receiver.wait_for(2, timeout=15)
            assert Counter(d.headers["webhook-id"] for d in deliveries) == Counter(events)
            assert all(d.received_at - published_at < 10 for d in deliveries)
        assert runtime.wait_until_quiet(timeout=90)
        assert all(len(receiver.deliveries) == 2 for receiver in receivers)  # no duplicate came later
    # And every hostile hook has recorded executions with an error, and no DLQ holds anything
    for name, hook in hostile.items():
        executions = hostile_client.call("GET", f"/hooks/{hook['id']}/executions")["items"]
        assert executions and all(e["error"] and e["status"] != "succeeded" for e in executions), name
    depths = runtime.queue_depths()
    assert depths["events_dlq"] == 0 and depths["deliveries_dlq"] == 0

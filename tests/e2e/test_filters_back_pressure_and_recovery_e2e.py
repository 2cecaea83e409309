"""Payload filters, receiver back-pressure and recovery on the local runtime, driven through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from hookwire.cli.main import main
from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Answer, Receiver
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def hookwire(runtime: LocalRuntime, tenant_client: HookwireClient, capsys, monkeypatch, tmp_path) -> Callable:
    """Runs `hookwire --json ARGS` as the tenant; returns the parsed output (asserting exit code 0)."""
    monkeypatch.setenv("HOOKWIRE_CONFIG", str(tmp_path / "config.json"))
    token = tenant_client.token

    def run(*argv: str) -> Any:
        code = main(["--api-url", runtime.url, "--token", token, "--json", *argv])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return json.loads(captured.out)

    return run


def test_a_filter_set_with_the_cli_lets_only_matching_events_through(hookwire, tenant_client) -> None:
    with Receiver() as filtered_receiver, Receiver() as plain_receiver:
        # Given a hook registered with a filter through the CLI, and one without
        shipped_only = '{"data.status": {"$in": ["shipped", "delivered"]}}'
        hook = hookwire(
            "hooks", "register", "--name", "shipped", "--url", filtered_receiver.url, "--on", "order.*",
            "--filter", shipped_only,
        )  # fmt: skip
        plain = hookwire("hooks", "register", "--name", "all", "--url", plain_receiver.url, "--on", "order.*")
        assert hookwire("hooks", "get", hook["id"])["filter"] == json.loads(shipped_only)
        # When a cancelled and a shipped order event are published
        cancelled = tenant_client.call("POST", "/events", {"type": "order.status.changed", "data": {"status": "x"}})
        shipped = tenant_client.call("POST", "/events", {"type": "order.status.changed", "data": {"status": "shipped"}})
        # Then the unfiltered hook gets both, the filtered one only the shipped event
        plain_receiver.wait_for(2)
        assert [d.headers["webhook-id"] for d in filtered_receiver.wait_for(1)] == [shipped["id"]]
        # And the cancelled event was fanned out to the plain hook alone: nothing recorded for the filtered one
        state = tenant_client.call("GET", f"/events/{cancelled['id']}")
        assert [delivery["hook_id"] for delivery in state["deliveries"]] == [plain["id"]]
        assert hookwire("hooks", "update", hook["id"], "--no-filter")["filter"] is None


def test_abort_stops_retries_then_recover_with_the_cli_resends_it(hookwire, tenant_client) -> None:
    # Given a receiver that answers 503 with Webhook-Delivery: abort until it is fixed
    fixed = {"now": False}

    def answer(_delivery, _count: int) -> Answer:
        return Answer() if fixed["now"] else Answer(status=503, headers={"Webhook-Delivery": "abort"})

    with Receiver(answer) as receiver:
        hook = hookwire("hooks", "register", "--name", "down", "--url", receiver.url, "--on", "lead.created")
        event = tenant_client.call("POST", "/events", {"type": "lead.created", "data": {"n": 1}})
        # When the event is delivered once, the receiver asks to abort: it ends failed with no retry
        receiver.wait_for(1)
        state = wait_until(lambda: _state_if_settled(tenant_client, event["id"]), 20, "the event settled")
        assert state["state"] == "failed" and "asked to abort" in state["last_error"]
        # And once the receiver is fixed, `hooks recover --since 1h --wait` re-sends it, once
        fixed["now"] = True
        recovery = hookwire("hooks", "recover", hook["id"], "--since", "1h", "--wait", "--interval", "0.1")
        assert recovery["status"] == "done" and (recovery["found"], recovery["queued"]) == (1, 1)
        assert [d.headers["webhook-id"] for d in receiver.wait_for(2)] == [event["id"]] * 2
        assert wait_until(lambda: _state_if_settled(tenant_client, event["id"], "succeeded"), 20, "the event succeeded")
        assert hookwire("hooks", "recovery", hook["id"], recovery["id"])["queued"] == 1
        # And a bulk replay of the type re-sends it once more
        replay = hookwire("hooks", "replay", hook["id"], "--type", "lead.*", "--since", "1h", "--wait")
        assert replay["kind"] == "replay" and replay["queued"] == 1
        assert len(receiver.wait_for(3)) == 3


def _state_if_settled(client: HookwireClient, event_id: str, state: str = "failed") -> dict[str, Any] | None:
    deliveries = client.call("GET", f"/events/{event_id}")["deliveries"]
    return deliveries[0] if deliveries and deliveries[0]["state"] == state else None

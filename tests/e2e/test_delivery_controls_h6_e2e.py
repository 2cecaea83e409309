"""Payload filters, receiver back-pressure and recovery on the local runtime, driven through the CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from hookwire.cli.main import main
from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Receiver

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


def _until(condition: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met before the deadline")


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

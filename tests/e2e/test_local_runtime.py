"""The local runtime started in-process, driven over HTTP like a user would, with a real receiver."""

import pytest
from standardwebhooks import Webhook

from hookwire.client import HookwireClient
from hookwire.demo import run as run_demo
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Receiver, fail_first

pytestmark = pytest.mark.slow


def test_runtime_serves_the_api_on_127_0_0_1(runtime: LocalRuntime) -> None:
    assert runtime.url.startswith("http://127.0.0.1:")
    assert HookwireClient(runtime.url, None).call("GET", "/health") == {"status": "ok"}
    assert HookwireClient(runtime.url, "wrong").request("GET", "/hooks").status == 401
    assert runtime.catalog_size == 62


def test_publish_to_delivery_over_http(runtime: LocalRuntime, tenant_client: HookwireClient) -> None:
    with Receiver(fail_first(1)) as receiver:
        hook = tenant_client.call("POST", "/hooks", {"name": "e2e", "url": receiver.url, "on": ["deal.*"]})
        event = tenant_client.call("POST", "/events", {"type": "deal.created", "data": {"id": "dl_1"}})
        deliveries = receiver.wait_for(2, timeout=20)
    assert len(deliveries) == 2
    for delivery in deliveries:
        assert Webhook(hook["secret"]).verify(delivery.body, delivery.headers)["id"] == event["id"]
    assert runtime.wait_until_quiet(timeout=20)
    history = tenant_client.call("GET", f"/hooks/{hook['id']}/executions")["items"]
    assert [e["status"] for e in history] == ["succeeded", "retrying"]


def test_make_demo_sees_four_verified_deliveries(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo(runtime.url, runtime.admin_token) == 0
    out = capsys.readouterr().out
    assert "4 verified deliveries" in out
    for event_type in ("CUSTOMER_CREATE", "organisations.created", "order.status.changed", "deal.created"):
        assert event_type in out

"""The local runtime started in-process, driven over HTTP like a user would, with a real receiver."""

import pytest
from standardwebhooks import Webhook

from hookwire.client import HookwireClient
from hookwire.demo import run as run_demo
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Receiver, fail_first

pytestmark = pytest.mark.slow


def test_the_runtime_serves_the_api_on_loopback_with_the_catalogue_seeded(runtime: LocalRuntime) -> None:
    # Given the local runtime started
    assert runtime.url.startswith("http://127.0.0.1:")
    # When the API is called over HTTP
    # Then health answers, a wrong token is 401, and 62 types are seeded
    assert HookwireClient(runtime.url, None).call("GET", "/health") == {"status": "ok"}
    assert HookwireClient(runtime.url, "wrong").request("GET", "/hooks").status == 401
    assert runtime.catalog_size == 62


def test_an_event_published_over_http_is_delivered_and_retried_once(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    # Given a receiver that fails its first request
    with Receiver(fail_first(1)) as receiver:
        hook = tenant_client.call("POST", "/hooks", {"name": "e2e", "url": receiver.url, "on": ["deal.*"]})
        # When an event is published over HTTP
        event = tenant_client.call("POST", "/events", {"type": "deal.created", "data": {"id": "dl_1"}})
        deliveries = receiver.wait_for(2, timeout=20)
    # Then both attempts are signed with the hook's secret and recorded retrying then succeeded
    assert len(deliveries) == 2
    for delivery in deliveries:
        assert Webhook(hook["secret"]).verify(delivery.body, delivery.headers)["id"] == event["id"]
    assert runtime.wait_until_quiet(timeout=20)
    history = tenant_client.call("GET", f"/hooks/{hook['id']}/executions")["items"]
    assert [e["status"] for e in history] == ["succeeded", "retrying"]


def test_make_demo_sees_four_verified_deliveries(runtime: LocalRuntime, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the local runtime
    # When `make demo` runs against it
    assert run_demo(runtime.url, runtime.admin_token) == 0
    # Then it reports four verified deliveries, one per seed product
    out = capsys.readouterr().out
    assert "4 verified deliveries" in out
    for event_type in ("CUSTOMER_CREATE", "organisations.created", "order.status.changed", "deal.created"):
        assert event_type in out

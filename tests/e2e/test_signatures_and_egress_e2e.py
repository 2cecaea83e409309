"""Ed25519 (`v1a`) hooks end to end on the local runtime (created with the CLI, delivered to a real receiver,
verified with the public key, rotated with grace), and `hookwire egress-ips`."""

import json

import pytest

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime
from hookwire.receiver import Receiver
from hookwire.verify import verify_delivery
from tests.support.cli import run_cli

pytestmark = pytest.mark.slow


def test_an_ed25519_hook_is_delivered_v1a_and_verified_with_its_public_key(
    runtime: LocalRuntime, tenant_client: HookwireClient, capsys: pytest.CaptureFixture[str], monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("HOOKWIRE_CONFIG", str(tmp_path / "config.json"))
    token = tenant_client.token or ""
    with Receiver() as receiver:
        # Given a hook registered with `hookwire hooks register --signature-scheme ed25519`
        code, out, err = run_cli(
            capsys, runtime.url, token, "--json", "hooks", "register", "--name", "v1a", "--url", receiver.url,
            "--on", "deal.*", "--signature-scheme", "ed25519",
        )  # fmt: skip
        assert code == 0, err
        hook = json.loads(out)
        public_key = hook["public_key"]
        # When an event is published
        tenant_client.call("POST", "/events", {"type": "deal.created", "data": {"id": "dl_1"}})
        [delivery] = receiver.wait_for(1, timeout=20)
        # Then the delivery carries one v1a signature that verifies with the public key shown
        assert public_key.startswith("whpk_") and hook["secret"] == public_key
        assert delivery.headers["webhook-signature"].startswith("v1a,")
        assert verify_delivery(public_key, delivery.headers, delivery.body).valid
        # And `hookwire hooks get` shows the scheme and the public key again
        code, out, _ = run_cli(capsys, runtime.url, token, "hooks", "get", hook["id"])
        assert code == 0 and public_key in out and "ed25519" in out

        # When the key is rotated with grace and another event published
        code, out, err = run_cli(capsys, runtime.url, token, "--json", "hooks", "rotate", hook["id"], "--grace", "1h")
        assert code == 0, err
        rotated = json.loads(out)
        tenant_client.call("POST", "/events", {"type": "deal.created", "data": {"id": "dl_2"}})
        second = receiver.wait_for(2, timeout=20)[1]
    # Then both keys sign it (two v1a signatures), and a receiver holding either public key verifies it
    assert [part.split(",")[0] for part in second.headers["webhook-signature"].split()] == ["v1a", "v1a"]
    assert verify_delivery(public_key, second.headers, second.body).valid
    assert verify_delivery(rotated["public_key"], second.headers, second.body).valid
    assert rotated["public_key"] != public_key


def test_hookwire_egress_ips_says_when_a_deployment_has_no_static_addresses(
    runtime: LocalRuntime, tenant_client: HookwireClient, capsys: pytest.CaptureFixture[str], monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("HOOKWIRE_CONFIG", str(tmp_path / "config.json"))
    # Given the local runtime (deployed without static_egress_ips)
    # When a tenant asks for the addresses
    code, out, err = run_cli(capsys, runtime.url, tenant_client.token or "", "egress-ips")
    answer = tenant_client.call("GET", "/egress-ips")
    # Then the CLI says there are none to allow-list, and the API answers not static
    assert code == 0 and out == "" and "no static egress IPs" in err
    assert answer == {"static": False, "ips": []}

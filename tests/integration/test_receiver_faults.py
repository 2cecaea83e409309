"""Receiver faults end as the design says, recorded: reset, huge bodies, slow answers, invalid TLS,
and the SSRF guard at connect time (rebinding) and its pinned connection."""

import socket
import threading
import time

import pytest

from functions.common import ssrf
from hookwire.receiver import Answer
from tests.conftest import create_hook, publish
from tests.support.tls import tls_receiver


def _read_request(connection: socket.socket) -> None:
    """Reads the whole request (head and Content-Length body), so the reset can only meet the client's read."""
    received = b""
    while not _complete(received):
        chunk = connection.recv(65536)
        if not chunk:
            return
        received += chunk


def _complete(request: bytes) -> bool:
    head, separator, body = request.partition(b"\r\n\r\n")
    lengths = [line.split(b":", 1)[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    return bool(separator) and len(body) >= int(lengths[0] if lengths else 0)


@pytest.fixture
def resetting_server():
    """Accepts, reads the request, then resets the connection (RST) without answering."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            _read_request(connection)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    stop.set()
    thread.join()
    server.close()


def _test_delivery(api, token, url):
    hook = create_hook(api, token, url)
    return api.post(f"/hooks/{hook['id']}/test", token).body


def test_a_reset_connection_is_a_recorded_failure(api, tenant, resetting_server) -> None:
    # Given a receiver that reads the request and resets the connection
    # When a test delivery is sent to it
    execution = _test_delivery(api, tenant["token"], resetting_server)
    # Then it is a failed execution without a status, saying the receiver reset the connection
    assert execution["status"] == "failed" and execution["response_status"] is None
    assert (execution["failure_class"], execution["error"]) == ("connection", "connection reset by the receiver")


def test_a_10_mb_response_is_read_up_to_the_cap_then_dropped(api, tenant, make_receiver) -> None:
    # Given a receiver answering 10 MB
    receiver = make_receiver(lambda _d, _n: Answer(status=200, body=b"y" * (10 * 1024 * 1024)))
    started = time.monotonic()
    # When a test delivery is sent to it
    execution = _test_delivery(api, tenant["token"], receiver.url)
    # Then it succeeded with the first 4 KiB kept and marked truncated, without reading the rest
    assert execution["status"] == "succeeded" and execution["response_body_truncated"]
    assert len(execution["response_body"]) == 4 * 1024
    assert time.monotonic() - started < 5


def test_a_slow_answer_within_the_timeout_succeeds(api, tenant, make_receiver) -> None:
    # Given a receiver answering after 1 s (the timeout is 2 s)
    # When a test delivery is sent to it
    receiver = make_receiver(lambda _d, _n: Answer(delay_seconds=1))
    execution = _test_delivery(api, tenant["token"], receiver.url)
    # Then it succeeded, taking at least that second
    assert execution["status"] == "succeeded" and execution["duration_ms"] >= 1000


def test_a_receiver_with_an_untrusted_certificate_fails_tls_and_gets_nothing(api, tenant, tmp_path) -> None:
    # Given an https receiver with a self-signed certificate
    receiver = tls_receiver(tmp_path)
    try:
        url = f"https://127.0.0.1:{receiver.server.server_address[1]}/hook"
        # When a test delivery is sent to it
        execution = _test_delivery(api, tenant["token"], url)
    finally:
        receiver.stop()
    # Then it failed in the TLS handshake, saying the certificate did not verify, and nothing arrived
    assert execution["status"] == "failed" and "TLS handshake failed" in execution["error"]
    assert "certificate verify failed" in execution["error"]
    assert receiver.deliveries == []


def test_dns_rebinding_is_refused_at_connect_time(api, tenant, pipeline, receiver, monkeypatch) -> None:
    # Given a host that resolves to a public address when the hook is registered
    answers = {"rebind.example.test": ["93.184.216.34"]}
    monkeypatch.setattr(ssrf, "default_resolver", lambda host, _port: answers[host])
    monkeypatch.setenv("HOOKWIRE_ALLOWED_CIDRS", "")
    from functions.api.deps import api_deps
    from functions.common.delivery.factory import reset_shared_clients
    from functions.common.settings import reset_settings_cache

    reset_settings_cache()
    api_deps.cache_clear()
    reset_shared_clients()
    token = tenant["token"]
    hook = create_hook(api, token, "http://rebind.example.test/hook", on="lead.created")
    # When the DNS answer changes to loopback before delivery
    answers["rebind.example.test"] = ["127.0.0.1"]
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    # Then nothing reached the loopback receiver and the attempts say why
    executions = api.get(f"/hooks/{hook['id']}/executions", token).body["items"]
    assert executions and all("loopback" in e["error"] for e in executions)
    assert receiver.deliveries == []
    reset_shared_clients()


def test_delivery_connects_to_the_checked_address_with_the_original_host(api, tenant, receiver, monkeypatch) -> None:
    # Given a name only our resolver knows: the request can only arrive if we connect to the address it gave
    port = receiver.server.server_address[1]
    only_we_know = {"pinned.example.test": ["127.0.0.1"]}
    monkeypatch.setattr(ssrf, "default_resolver", lambda host, _port: only_we_know.get(host, []))
    # When a test delivery is sent to it
    execution = _test_delivery(api, tenant["token"], f"http://pinned.example.test:{port}/hook")
    # Then it arrived, with the original host in the Host header
    assert execution["status"] == "succeeded"
    assert receiver.deliveries[-1].headers["host"] == f"pinned.example.test:{port}"


def test_registration_refuses_private_destinations_naming_the_rule(api, tenant) -> None:
    from functions.api.deps import api_deps

    api_deps.cache_clear()
    # Given the default guard
    # When a hook is registered on the cloud metadata address
    reply = api.post("/hooks", tenant["token"], {"name": "x", "url": "http://169.254.169.254/latest", "on": "*"})
    # Then it is refused naming the url field and the metadata rule
    assert reply.status == 422 and reply.body["field"] == "url" and "metadata" in reply.body["message"]

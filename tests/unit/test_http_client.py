"""The HTTP client's total deadline and response caps, against raw-socket receivers on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from functions.common.http_client import RESPONSE_BODY_CAP, RESPONSE_HEADERS_CAP, WebhookHttpClient, cap_headers
from functions.common.ssrf import UrlGuard
from tests.support.hostile import BEHAVIOURS, HostileServer, _read_request

CLIENT = WebhookHttpClient(UrlGuard.from_settings(allow_http=True, allowed_cidrs="127.0.0.0/8"))


@pytest.mark.parametrize("case", ["trickling body", "trickling headers", "never answers"])
def test_one_deadline_covers_the_whole_attempt(case: str) -> None:
    # Given a receiver that answers byte by byte (each byte well within any per-read timeout), or never
    with HostileServer(BEHAVIOURS[case]) as server:
        started = time.monotonic()
        # When we post with a 0.5 s timeout
        result = CLIENT.post(server.url, {}, b"{}", 0.5)
        elapsed = time.monotonic() - started
    # Then the attempt ends at the deadline as a timeout
    assert result.status is None and result.failure == "timeout"
    assert result.error == "timeout: timed out after 0.5 s without a complete answer"
    assert 0.5 <= elapsed < 0.9


def _answer_with(raw: bytes):
    def behaviour(connection: socket.socket, _stop: threading.Event) -> None:
        _read_request(connection)
        connection.sendall(raw)

    return behaviour


def test_huge_headers_are_capped_and_small_ones_after_them_kept() -> None:
    big = b"".join(b"X-Big-%d: %s\r\n" % (i, b"h" * 60_000) for i in range(10))
    raw = b"HTTP/1.1 429 Slow Down\r\n" + big + b"Retry-After: 7\r\nContent-Length: 0\r\n\r\n"
    with HostileServer(_answer_with(raw)) as server:
        result = CLIENT.post(server.url, {}, b"{}", 2)
    assert result.status == 429 and result.headers_truncated
    assert result.headers["retry-after"] == "7" and not any(name.startswith("x-big") for name in result.headers)
    assert sum(len(k) + len(v) for k, v in result.headers.items()) <= RESPONSE_HEADERS_CAP


def test_the_body_is_read_up_to_the_cap_and_marked_truncated() -> None:
    body = b"y" * 100_000
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with HostileServer(_answer_with(raw)) as server:
        result = CLIENT.post(server.url, {}, b"{}", 2)
    assert result.status == 200 and result.body_truncated and len(result.body) == RESPONSE_BODY_CAP


def test_cap_headers_keeps_order_and_joins_repeats() -> None:
    kept, truncated = cap_headers([("A", "1"), ("B", "x" * 100), ("a", "2")], budget=20)
    assert kept == {"a": "1, 2"} and truncated


def test_a_header_value_outside_latin_1_is_a_request_failure_not_an_exception() -> None:
    with HostileServer(BEHAVIOURS["never answers"]) as server:
        result = CLIENT.post(server.url, {"X-Price": "price €5"}, b"{}", 1)
    assert result.status is None and result.failure == "request" and "latin-1" in (result.error or "")

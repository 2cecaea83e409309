"""Every outbound webhook request goes through here.

- The SSRF guard checks the URL again at connect time, and the connection goes to the address it
  checked (one DNS lookup, no rebinding window); TLS is still verified for the URL's host name.
- Connections are pooled per destination and shared by all delivery threads of the container.
- Redirects are never followed, and at most 16 KiB of a response is read.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import urllib3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from functions.common.observability import tracer
from functions.common.ssrf import Destination, UrlGuard, UrlRefused

RESPONSE_BODY_CAP = 16 * 1024
MAX_POOLS = 256
CONNECTIONS_PER_DESTINATION = 4


@dataclass(frozen=True)
class HttpResult:
    """What came back, or `error` in words a person understands when nothing (complete) did.

    `failure` classifies transport failures: ssrf, dns, timeout, tls or connection.
    """

    status: int | None
    duration_ms: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_truncated: bool = False
    error: str | None = None
    failure: str | None = None


def describe_failure(exc: BaseException, timeout: float) -> tuple[str, str]:
    """(failure class, one sentence naming the cause) for urllib3's exception chain."""
    cause = exc.reason if isinstance(exc, MaxRetryError) and exc.reason else exc
    if isinstance(cause, NameResolutionError):
        return "dns", "DNS lookup failed: the host name does not resolve"
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2, so it must be checked first.
    if isinstance(cause, NewConnectionError):
        text = str(cause).lower()
        if "refused" in text:
            return "connection", "connection refused"
        if "timed out" in text:
            return "timeout", f"connection timed out after {timeout:g} s"
        return "connection", f"could not connect: {cause}"
    if isinstance(cause, ConnectTimeoutError):
        return "timeout", f"connection timed out after {timeout:g} s"
    if isinstance(cause, ReadTimeoutError | TimeoutError | socket.timeout):
        return "timeout", f"timed out after {timeout:g} s waiting for the response"
    if isinstance(cause, SSLError | ssl.SSLError):
        return "tls", f"TLS handshake failed: {cause}"
    if isinstance(cause, ProtocolError | ConnectionError):
        text = str(cause).lower()
        if "reset" in text:
            return "connection", "connection reset by the receiver"
        return "connection", f"the connection broke: {cause}"
    return "connection", f"request failed: {cause}"


class WebhookHttpClient:
    """Thread-safe; one per container."""

    def __init__(self, guard: UrlGuard, ca_certs: str | None = None) -> None:
        self.guard = guard
        self.ca_certs = ca_certs
        self._pools: OrderedDict[tuple[str, str, int, str], HTTPConnectionPool] = OrderedDict()
        self._lock = threading.Lock()

    def _pool_for(self, destination: Destination) -> HTTPConnectionPool:
        key = (destination.scheme, destination.address, destination.port, destination.host)
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            common = {"maxsize": CONNECTIONS_PER_DESTINATION, "block": False, "retries": False}
            if destination.scheme == "https":
                pool = HTTPSConnectionPool(
                    destination.address,
                    destination.port,
                    server_hostname=destination.host,
                    assert_hostname=destination.host,
                    cert_reqs="CERT_REQUIRED",
                    ca_certs=self.ca_certs,
                    **common,
                )
            else:
                pool = HTTPConnectionPool(destination.address, destination.port, **common)
            self._pools[key] = pool
            if len(self._pools) > MAX_POOLS:
                self._pools.popitem(last=False)[1].close()
            return pool

    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResult:
        started = time.perf_counter()
        try:
            destination = self.guard.check(url)
        except UrlRefused as refused:
            elapsed = _elapsed_ms(started)
            return HttpResult(status=None, duration_ms=elapsed, error=f"refused: {refused}", failure="ssrf")
        with tracer.provider.in_subsegment("## webhook POST") as subsegment:
            subsegment.put_annotation("webhook_host", destination.host)
            result = self._send(destination, headers, body, timeout, started)
            subsegment.put_metadata("response_status", result.status)
            subsegment.put_metadata("failure", result.failure)
            return result

    def _send(
        self, destination: Destination, headers: dict[str, str], body: bytes, timeout: float, started: float
    ) -> HttpResult:
        response = None
        fully_read = False
        try:
            response = self._pool_for(destination).urlopen(
                "POST",
                destination.target,
                body=body,
                headers={**headers, "host": destination.host_header},
                timeout=urllib3.Timeout(connect=min(timeout, 5.0), read=timeout),
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            received = response.read(RESPONSE_BODY_CAP + 1, decode_content=True)
            fully_read = len(received) <= RESPONSE_BODY_CAP
            return HttpResult(
                status=response.status,
                duration_ms=_elapsed_ms(started),
                headers={name.lower(): value for name, value in response.headers.items()},
                body=received[:RESPONSE_BODY_CAP],
                body_truncated=not fully_read,
            )
        except (HTTPError, OSError) as exc:
            failure, message = describe_failure(exc, timeout)
            return HttpResult(status=None, duration_ms=_elapsed_ms(started), error=message, failure=failure)
        finally:
            if response is not None:
                if not fully_read:
                    # We stop reading at the cap: that connection can't be reused, so close it.
                    response.close()
                response.release_conn()


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)

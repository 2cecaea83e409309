"""Every outbound webhook request goes through here: pooled urllib3, no redirects, capped reads."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass, field

import urllib3
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

RESPONSE_BODY_CAP = 16 * 1024


@dataclass(frozen=True)
class HttpResult:
    """What came back, or `error` in words a person understands when nothing (complete) did."""

    status: int | None
    duration_ms: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    body_truncated: bool = False
    error: str | None = None


def _describe(exc: BaseException, timeout: float) -> str:
    """Turn urllib3's exception chain into one sentence naming the cause."""
    cause = exc.reason if isinstance(exc, MaxRetryError) and exc.reason else exc
    if isinstance(cause, NameResolutionError):
        return "DNS lookup failed: the host name does not resolve"
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2, so it must be checked first.
    if isinstance(cause, NewConnectionError):
        text = str(cause).lower()
        if "refused" in text:
            return "connection refused"
        if "timed out" in text:
            return f"connection timed out after {timeout:g} s"
        return f"could not connect: {cause}"
    if isinstance(cause, ConnectTimeoutError):
        return f"connection timed out after {timeout:g} s"
    if isinstance(cause, ReadTimeoutError | TimeoutError | socket.timeout):
        return f"timed out after {timeout:g} s waiting for the response"
    if isinstance(cause, SSLError | ssl.SSLError):
        return f"TLS handshake failed: {cause}"
    if isinstance(cause, ProtocolError):
        text = str(cause).lower()
        if "reset" in text:
            return "connection reset by the receiver"
        return f"the connection broke: {cause}"
    return f"request failed: {cause}"


class WebhookHttpClient:
    """Thread-safe: one PoolManager shared by every delivery thread of the container."""

    def __init__(self, max_connections: int = 50, ca_certs: str | None = None) -> None:
        self._pool = urllib3.PoolManager(
            num_pools=max_connections,
            maxsize=4,
            block=False,
            retries=False,
            ca_certs=ca_certs,
        )

    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResult:
        started = time.perf_counter()
        response = None
        fully_read = False
        try:
            response = self._pool.request(
                "POST",
                url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=min(timeout, 5.0), read=timeout),
                redirect=False,
                retries=False,
                preload_content=False,
            )
            received = response.read(RESPONSE_BODY_CAP + 1, decode_content=True)
            fully_read = len(received) <= RESPONSE_BODY_CAP
            return HttpResult(
                status=response.status,
                duration_ms=_elapsed_ms(started),
                headers={name.lower(): value for name, value in response.headers.items()},
                body=received[:RESPONSE_BODY_CAP],
                body_truncated=len(received) > RESPONSE_BODY_CAP,
            )
        except (HTTPError, OSError) as exc:
            return HttpResult(status=None, duration_ms=_elapsed_ms(started), error=_describe(exc, timeout))
        finally:
            if response is not None:
                if not fully_read:
                    # We stop reading at the cap: that connection can't be reused, so close it.
                    response.close()
                response.release_conn()


def _elapsed_ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)

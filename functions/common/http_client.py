"""Every outbound webhook request goes through here.

- The SSRF guard checks the URL again at connect time, and the connection goes to the address it
  checked (one DNS lookup, no rebinding window); TLS is still verified for the URL's host name.
- Connections are pooled per destination and shared by all delivery threads of the container.
- One wall-clock deadline per attempt covers DNS, connect, TLS, send and the whole response read: a
  watchdog shuts the socket down when it passes, so a receiver trickling headers or body byte by byte
  is cut there. Per-read socket timeouts alone would let it go on for ever.
- Redirects are never followed; at most 4 KiB of body and 8 KiB of headers are kept (truncation marked).
- Works with urllib3 1.26 and 2.x (the Lambda runtime ships either).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from functions.common.observability import tracer
from functions.common.ssrf import Destination, UrlGuard, UrlRefused

try:  # urllib3 2.x
    from urllib3.exceptions import NameResolutionError
except ImportError:  # urllib3 1.26 reports a failed lookup as a plain NewConnectionError

    class NameResolutionError(NewConnectionError):  # type: ignore[no-redef]
        """Never raised by urllib3 1.26; keeps the isinstance checks below valid on both versions."""


RESPONSE_BODY_CAP = 4 * 1024
RESPONSE_HEADERS_CAP = 8 * 1024
MAX_POOLS = 256
DEFAULT_CONNECTIONS_PER_DESTINATION = 10
# How often the watchdog looks again for a socket that was still being opened when the deadline passed.
_WATCHDOG_RECHECK_SECONDS = 0.05


@dataclass(frozen=True)
class HttpResult:
    """What came back, or `error` in words a person understands when nothing (complete) did.

    `failure` classifies transport failures: ssrf, timeout, request (it can't be sent as HTTP) or
    connection (refused, reset, DNS, TLS, not HTTP).
    """

    status: int | None
    duration_ms: int
    headers: dict[str, str] = field(default_factory=dict)
    headers_truncated: bool = False
    body: bytes = b""
    body_truncated: bool = False
    error: str | None = None
    failure: str | None = None


def timeout_message(timeout: float) -> str:
    return f"timeout: timed out after {timeout:g} s without a complete answer"


def describe_failure(exc: BaseException, timeout: float) -> tuple[str, str]:
    """(failure class, one sentence naming the cause) for urllib3's exception chain."""
    cause = exc.reason if isinstance(exc, MaxRetryError) and exc.reason else exc
    if isinstance(cause, NameResolutionError):
        return "connection", "DNS lookup failed: the host name does not resolve"
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2, so it must be checked first.
    if isinstance(cause, NewConnectionError):
        text = str(cause).lower()
        if "refused" in text:
            return "connection", "connection refused"
        if "timed out" in text:
            return "timeout", timeout_message(timeout)
        return "connection", f"could not connect: {cause}"
    if isinstance(cause, ConnectTimeoutError | ReadTimeoutError | TimeoutError | socket.timeout):
        return "timeout", timeout_message(timeout)
    if isinstance(cause, SSLError | ssl.SSLError):
        return "tls", f"TLS handshake failed: {cause}"
    if isinstance(cause, ProtocolError | ConnectionError):
        text = str(cause).lower()
        if "reset" in text:
            return "connection", "connection reset by the receiver"
        return "connection", f"the connection broke: {cause}"
    if isinstance(cause, ValueError):  # UnicodeEncodeError, http.client's checks on header names and values
        return "request", f"the request can't be sent as HTTP: {cause}"
    return "connection", f"request failed: {cause}"


def cap_headers(headers: Iterable[tuple[str, str]], budget: int = RESPONSE_HEADERS_CAP) -> tuple[dict[str, str], bool]:
    """Lower-cased headers that fit in `budget` characters, in order; a header that doesn't fit is dropped
    (the small ones after it, Retry-After say, are still kept). True when anything was dropped."""
    kept: dict[str, str] = {}
    truncated = False
    for name, value in headers:
        size = len(name) + len(value) + 4  # as on the wire: "name: value\r\n"
        if size > budget:
            truncated = True
            continue
        budget -= size
        key = name.lower()
        kept[key] = f"{kept[key]}, {value}" if key in kept else value
    return kept, truncated


class _Watch:
    """One attempt under the watchdog."""

    __slots__ = ("connection", "deadline", "done", "fired")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.connection: Any = None
        self.done = False
        self.fired = False


class Watchdog:
    """One thread per container that shuts an attempt's socket down when its deadline passes."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._condition = threading.Condition()
        self._heap: list[tuple[float, int, _Watch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._local = threading.local()

    def start_watch(self, deadline: float) -> _Watch:
        watch = _Watch(deadline)
        with self._condition:
            # The thread sleeps until the earliest deadline: wake it only when this one comes first (with one
            # timeout for every attempt, almost never), not once per request.
            earliest = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, next(self._order), watch))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="http-deadline-watchdog", daemon=True)
                self._thread.start()
            elif earliest:
                self._condition.notify()
        self._local.watch = watch
        return watch

    def attach(self, connection: Any) -> None:
        """The connection the calling thread's attempt is using (called by the pool)."""
        watch = getattr(self._local, "watch", None)
        if watch is not None:
            watch.connection = connection

    def finish(self, watch: _Watch) -> bool:
        """Ends the watch; True when the deadline had already cut the attempt."""
        self._local.watch = None
        with self._condition:
            watch.done = True
            return watch.fired

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._condition.wait()
                    continue
                deadline, _, watch = self._heap[0]
                wait = deadline - self._clock()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                heapq.heappop(self._heap)
                watch.fired = True
                if not _shut_down(watch.connection):
                    # Still connecting: look again shortly (the connect timeout bounds this too).
                    retry_at = self._clock() + _WATCHDOG_RECHECK_SECONDS
                    heapq.heappush(self._heap, (retry_at, next(self._order), watch))


def _shut_down(connection: Any) -> bool:
    sock = getattr(connection, "sock", None) or getattr(connection, "watched_socket", None)
    if sock is None:
        return False
    with contextlib.suppress(OSError):  # already closed: nothing left to cut
        sock.shutdown(socket.SHUT_RDWR)
    return True


class _WatchedHTTPConnection(HTTPConnection):
    """Keeps its socket after http.client drops `sock` (a `Connection: close` answer), so the watchdog can
    still cut a body that trickles in after the headers."""

    watched_socket: Any = None

    def connect(self) -> None:
        super().connect()
        self.watched_socket = self.sock


class _WatchedHTTPSConnection(HTTPSConnection):
    watched_socket: Any = None

    def connect(self) -> None:
        super().connect()
        self.watched_socket = self.sock


class _WatchedPoolMixin:
    watchdog: Watchdog

    def _make_request(self, conn: Any, *args: Any, **kwargs: Any) -> Any:
        self.watchdog.attach(conn)
        return super()._make_request(conn, *args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPPool(_WatchedPoolMixin, HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(_WatchedPoolMixin, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WebhookHttpClient:
    """Thread-safe; one per container. `connections_per_destination` matches the delivery concurrency, so a
    batch to one receiver reuses its connections instead of opening and discarding extra ones."""

    def __init__(
        self,
        guard: UrlGuard,
        connections_per_destination: int = DEFAULT_CONNECTIONS_PER_DESTINATION,
    ) -> None:
        self.guard = guard
        self.connections_per_destination = connections_per_destination
        self.watchdog = Watchdog()
        self._pools: OrderedDict[tuple[str, str, int, str], HTTPConnectionPool] = OrderedDict()
        self._lock = threading.Lock()

    def _pool_for(self, destination: Destination) -> HTTPConnectionPool:
        key = (destination.scheme, destination.address, destination.port, destination.host)
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
            common = {"maxsize": self.connections_per_destination, "block": False, "retries": False}
            if destination.scheme == "https":
                pool = _WatchedHTTPSPool(
                    destination.address,
                    destination.port,
                    server_hostname=destination.host,
                    assert_hostname=destination.host,
                    cert_reqs="CERT_REQUIRED",
                    **common,
                )
            else:
                pool = _WatchedHTTPPool(destination.address, destination.port, **common)
            pool.watchdog = self.watchdog
            self._pools[key] = pool
            if len(self._pools) > MAX_POOLS:
                self._pools.popitem(last=False)[1].close()
            return pool

    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResult:
        """POST within `timeout` seconds of wall-clock time, whatever the receiver does."""
        started = time.monotonic()
        try:
            destination = self.guard.check(url)
        except UrlRefused as refused:
            elapsed = _elapsed_ms(started)
            return HttpResult(status=None, duration_ms=elapsed, error=f"refused: {refused}", failure="ssrf")
        if tracer.disabled:  # no subsegment to open: skip the context manager on every request
            return self._send(destination, headers, body, timeout, started)
        with tracer.provider.in_subsegment("## webhook POST") as subsegment:
            subsegment.put_annotation("webhook_host", destination.host)
            result = self._send(destination, headers, body, timeout, started)
            subsegment.put_metadata("response_status", result.status)
            subsegment.put_metadata("failure", result.failure)
            return result

    def _send(
        self, destination: Destination, headers: dict[str, str], body: bytes, timeout: float, started: float
    ) -> HttpResult:
        remaining = started + timeout - time.monotonic()
        if remaining <= 0:
            return _timed_out(started, timeout)
        watch = self.watchdog.start_watch(started + timeout)
        response = None
        fully_read = False
        result: HttpResult
        try:
            response = self._pool_for(destination).urlopen(
                "POST",
                destination.target,
                body=body,
                headers={**headers, "host": destination.host_header},
                timeout=urllib3.Timeout(connect=remaining, read=remaining),
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
            received = response.read(RESPONSE_BODY_CAP + 1, decode_content=True)
            fully_read = len(received) <= RESPONSE_BODY_CAP
            kept_headers, headers_truncated = cap_headers(response.headers.items())
            result = HttpResult(
                status=response.status,
                duration_ms=_elapsed_ms(started),
                headers=kept_headers,
                headers_truncated=headers_truncated,
                body=received[:RESPONSE_BODY_CAP],
                body_truncated=not fully_read,
            )
        except (HTTPError, OSError, ValueError) as exc:
            failure, message = describe_failure(exc, timeout)
            result = HttpResult(status=None, duration_ms=_elapsed_ms(started), error=message, failure=failure)
        finally:
            cut = self.watchdog.finish(watch)
            if response is not None:
                if cut or not fully_read:
                    # Cut at the deadline, or we stopped reading at the cap: that connection can't be reused.
                    response.close()
                response.release_conn()
        return _timed_out(started, timeout) if cut else result


def _timed_out(started: float, timeout: float) -> HttpResult:
    return HttpResult(status=None, duration_ms=_elapsed_ms(started), error=timeout_message(timeout), failure="timeout")


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)

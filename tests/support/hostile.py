"""Raw-socket receivers that misbehave on purpose, each on 127.0.0.1:0.

Each behaviour gets the accepted connection and a stop event; it must return soon after stop is set.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType

Behaviour = Callable[[socket.socket, threading.Event], None]
TRICKLE_INTERVAL = 0.1


def _read_request(connection: socket.socket) -> None:
    """Reads the whole request, headers and body: a socket closed with unread bytes sends a reset, which
    would turn a behaviour's answer into 'connection reset' depending on timing."""
    connection.settimeout(5)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = connection.recv(65536)
        if not chunk:
            return
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
        0,
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return
        body += chunk


def _trickle(connection: socket.socket, stop: threading.Event, head: bytes, trickled: bytes) -> None:
    _read_request(connection)
    connection.sendall(head)
    for byte in trickled:
        if stop.wait(TRICKLE_INTERVAL):
            return
        connection.sendall(bytes([byte]))


def huge_headers(connection: socket.socket, _stop: threading.Event) -> None:
    """200 with ten 60 KB headers, then a Retry-After after them."""
    _read_request(connection)
    big = b"".join(b"X-Big-%d: %s\r\n" % (i, b"h" * 60_000) for i in range(10))
    connection.sendall(b"HTTP/1.1 500 Internal Server Error\r\n" + big + b"Content-Length: 2\r\n\r\nno")


def odd_retry_after(connection: socket.socket, _stop: threading.Event) -> None:
    _read_request(connection)
    connection.sendall(
        "HTTP/1.1 429 Too Many Requests\r\nRetry-After: ²\r\nContent-Length: 0\r\n\r\n".encode("latin-1")
    )


def trickling_body(connection: socket.socket, stop: threading.Event) -> None:
    """Headers at once, then the body one byte every 100 ms: it would take 100 s."""
    _trickle(connection, stop, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", b"x" * 1000)


def trickling_headers(connection: socket.socket, stop: threading.Event) -> None:
    """The status line, then headers one byte every 100 ms, never ending."""
    _trickle(connection, stop, b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"s" * 1000)


def never_answers(connection: socket.socket, stop: threading.Event) -> None:
    _read_request(connection)
    stop.wait()


def resets(connection: socket.socket, _stop: threading.Event) -> None:
    _read_request(connection)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def redirect_loop(connection: socket.socket, _stop: threading.Event) -> None:
    """302 to itself, for ever (if anyone followed it)."""
    _read_request(connection)
    port = connection.getsockname()[1]
    location = f"http://127.0.0.1:{port}/hook".encode()
    connection.sendall(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")


def garbage(connection: socket.socket, _stop: threading.Event) -> None:
    """Bytes that are not HTTP at all, then close."""
    _read_request(connection)
    connection.sendall(b"\x00\xff\xfeSSH-2.0-not-http\r\n\x1b[31mgarbage\r\n\r\n")


class HostileServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.stop_event = threading.Event()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.listener.settimeout(0.1)
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"

    def _accept(self) -> None:
        while not self.stop_event.is_set():
            try:
                connection, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, connection: socket.socket) -> None:
        # OSError: the client hung up (at its deadline, say), which is the point
        with connection, contextlib.suppress(OSError):
            self.behaviour(connection, self.stop_event)

    def start(self) -> HostileServer:
        self._accepting.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self._accepting.join()
        for thread in self._threads:
            thread.join(timeout=5)
        self.listener.close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


# Every hostile case reachable over a socket, by name.
BEHAVIOURS: dict[str, Behaviour] = {
    "huge headers": huge_headers,
    "odd Retry-After": odd_retry_after,
    "trickling body": trickling_body,
    "trickling headers": trickling_headers,
    "never answers": never_answers,
    "connection reset": resets,
    "redirect loop": redirect_loop,
    "garbage": garbage,
}

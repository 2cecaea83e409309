"""A webhook receiver on 127.0.0.1 that records every delivery and answers as scripted.

Used by `make demo`, the tests, and `hookwire listen`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0


Script = Callable[[Delivery, int], Answer]


def always(status: int = 200) -> Script:
    return lambda _delivery, _count: Answer(status=status)


def fail_first(failures: int, status: int = 500) -> Script:
    """Fails the first `failures` deliveries, then succeeds: a receiver that recovers."""
    return lambda _delivery, count: Answer(status=status if count <= failures else 200)


class _QuietServer(ThreadingHTTPServer):
    """A sender that hangs up early (e.g. after reading 16 KiB of a huge answer) is normal here."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class Receiver:
    def __init__(self, script: Script | None = None, port: int = 0) -> None:
        self.script = script or always(200)
        self.deliveries: list[Delivery] = []
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # answer in one round trip, not after a 40 ms delayed ACK

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                delivery = Delivery(
                    path=self.path,
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length),
                    received_at=time.time(),
                )
                with receiver._lock:
                    receiver.deliveries.append(delivery)
                    count = len(receiver.deliveries)
                    receiver._lock.notify_all()
                answer = receiver.script(delivery, count)
                if answer.delay_seconds:
                    time.sleep(answer.delay_seconds)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

        self.server = _QuietServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhook"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.deliveries) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._lock.wait(remaining)
            return list(self.deliveries)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

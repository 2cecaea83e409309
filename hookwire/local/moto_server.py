"""moto's server on 127.0.0.1, on a port the OS picks, with a hook that sees every AWS request.

The functions run in worker processes and reach moto over HTTP, so the one place that sees every AWS
request they make (as AWS would bill it) is this server: `observe(listener)` calls
`listener(operation, body)` for each request, e.g. ("PutItem", b'{"TableName": ...}').
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

RequestListener = Callable[[str, bytes], None]


def operation_name(environ: dict[str, Any], body: bytes) -> str:
    """JSON protocols name the operation in X-Amz-Target ("DynamoDB_20120810.PutItem"), query ones in Action."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rpartition(".")[2]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action") or parse_qs(body.decode("latin-1")).get("Action")
    return action[0] if action else "Unknown"


class MotoServer:
    def __init__(self, host: str) -> None:
        self.host = host
        self._app = DomainDispatcherApplication(create_backend_app)
        self._listeners: list[RequestListener] = []
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def observe(self, listener: RequestListener) -> None:
        self._listeners.append(listener)

    def _observed(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self._listeners:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            name = operation_name(environ, body)
            for listener in self._listeners:
                listener(name, body)
        return self._app(environ, start_response)

    def start(self) -> str:
        """Starts serving; returns the endpoint URL."""
        self._server = make_server(self.host, 0, self._observed, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)
        self._thread.start()
        return f"http://{self.host}:{self._server.server_port}"

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

"""`make run`: the whole service on 127.0.0.1 with moto in-process, running the same handler code.

- moto's server runs in a thread on 127.0.0.1 (never 0.0.0.0); every boto3 client reaches it through
  AWS_ENDPOINT_URL, so the handlers run unmodified.
- An HTTP gateway turns requests into API Gateway v2 events for the api handler.
- Pollers drain the events and deliveries queues, and both DLQs (into the dead-letter recorder), the way
  Lambda's SQS event source does.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import time
import traceback
import urllib.request
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

from functions.common import contract
from functions.common.catalog import catalog_files, load_catalog
from functions.common.contract import Env
from hookwire.local.lambda_emulation import (
    QueuePoller,
    SerialInvoker,
    http_api_event,
    queue_depth,
)
from hookwire.local.provision import Provisioned, environment, provision

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOG_DIR = PROJECT_ROOT / "catalogs"
LOCALHOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


@dataclass
class LocalConfig:
    port: int = 8080
    admin_token: str | None = None
    catalog: str = ""
    retry_schedule: str | None = None
    delivery_timeout_seconds: float | None = None
    visibility_timeout_seconds: int = 30
    poll_wait_seconds: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)


def _local_environment(config: LocalConfig, endpoint: str) -> dict[str, str]:
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        # Local only: receivers on this machine over plain http are allowed.
        Env.ALLOW_HTTP: "true",
        Env.ALLOWED_CIDRS: "127.0.0.0/8",
    }
    if config.retry_schedule:
        env[Env.RETRY_SCHEDULE] = config.retry_schedule
    if config.delivery_timeout_seconds:
        env[Env.DELIVERY_TIMEOUT_SECONDS] = str(config.delivery_timeout_seconds)
    env.update(config.extra_env)
    return env


def _reset_function_caches() -> None:
    """The functions cache settings and clients per container; a new runtime is a new container."""
    from functions.api.deps import api_deps
    from functions.common.dal.clients import aws
    from functions.common.settings import reset_settings_cache

    aws.reset()
    reset_settings_cache()
    api_deps.cache_clear()


class LocalRuntime:
    def __init__(self, config: LocalConfig | None = None) -> None:
        self.config = config or LocalConfig()
        self.admin_token = self.config.admin_token or os.environ.get(Env.ADMIN_TOKEN) or secrets.token_urlsafe(24)
        self.resources: Provisioned | None = None
        self.pollers: list[QueuePoller] = []
        self._moto: Any = None
        self._http: ThreadingHTTPServer | None = None
        self.port = self.config.port
        self.catalog_size = 0
        self._saved_env: dict[str, str | None] = {}

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def start(self) -> LocalRuntime:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
        # Locally metrics are off; Powertools would warn about an empty flush on every invocation.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        moto_port = free_port()
        self._moto = ThreadedMotoServer(ip_address=LOCALHOST, port=moto_port, verbose=False)
        self._moto.start()
        # moto's backends are process-wide: start from empty even if another runtime ran here before.
        endpoint = f"http://{LOCALHOST}:{moto_port}"
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
        self._set_env(_local_environment(self.config, endpoint))
        _reset_function_caches()

        from functions.common.dal.clients import aws

        self.resources = provision(aws, self.admin_token, visibility_override=self.config.visibility_timeout_seconds)
        self._set_env(environment(self.resources))
        _reset_function_caches()
        self._seed_catalog()
        self._start_pollers()
        self._start_gateway()
        return self

    def _set_env(self, values: dict[str, str]) -> None:
        """Sets variables for the in-process functions, remembering what to restore on stop()."""
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def _restore_env(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        _reset_function_caches()

    def _seed_catalog(self) -> None:
        from functions.common.dal.subscriptions import SubscriptionsRepository

        assert self.resources
        spec = self.config.catalog or os.environ.get(Env.CATALOG, "")
        event_types = load_catalog(catalog_files(spec, DEFAULT_CATALOG_DIR))
        SubscriptionsRepository(self.resources.subscriptions_table).put_event_types(event_types)
        self.catalog_size = len(event_types)

    def _start_pollers(self) -> None:
        from functions.common.dal.clients import aws
        from functions.deliver.handler import lambda_handler as deliver_handler
        from functions.dlq.handler import lambda_handler as dead_letters_handler
        from functions.fanout.handler import lambda_handler as fanout_handler

        assert self.resources
        sqs = aws.get("sqs")
        self.pollers = [
            QueuePoller(
                sqs,
                self.resources.events_queue_url,
                SerialInvoker("fanout", fanout_handler),
                contract.EVENTS_CONSUMER.batch_size,
                self.config.poll_wait_seconds,
            ),
            QueuePoller(
                sqs,
                self.resources.deliveries_queue_url,
                SerialInvoker("deliver", deliver_handler),
                contract.DELIVERIES_CONSUMER.batch_size,
                self.config.poll_wait_seconds,
            ),
        ]
        dead_letters = SerialInvoker("dlq", dead_letters_handler)
        self.pollers += [
            QueuePoller(
                sqs, dlq_url, dead_letters, contract.DEAD_LETTERS_CONSUMER.batch_size, self.config.poll_wait_seconds
            )
            for dlq_url in (self.resources.events_dlq_url, self.resources.deliveries_dlq_url)
        ]
        for poller in self.pollers:
            poller.start()

    def _start_gateway(self) -> None:
        from functions.api.handler import lambda_handler as api_handler

        invoke = SerialInvoker("api", api_handler)

        class Gateway(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms.
            disable_nagle_algorithm = True

            def _handle(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    result = invoke(http_api_event(self.command, path, query, dict(self.headers.items()), body))
                except Exception:  # noqa: BLE001 - a crashed function is a 500, as API Gateway answers
                    traceback.print_exc()
                    result = {"statusCode": 500, "body": '{"message":"Internal Server Error"}'}
                payload = (result.get("body") or "").encode()
                self.send_response(int(result.get("statusCode", 500)))
                for name, value in (result.get("headers") or {}).items():
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def __getattr__(self, name: str) -> Any:
                # API Gateway's $default route forwards every method (even TRACE or QUERY); so does this.
                if name.startswith("do_"):
                    return self._handle
                raise AttributeError(name)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                pass

        self._http = ThreadingHTTPServer((LOCALHOST, self.port), Gateway)
        self.port = self._http.server_address[1]
        Thread(target=self._http.serve_forever, name="gateway", daemon=True).start()

    def queue_depths(self) -> dict[str, int]:
        from functions.common.dal.clients import aws

        assert self.resources
        sqs = aws.get("sqs")
        return {
            "events": queue_depth(sqs, self.resources.events_queue_url),
            "deliveries": queue_depth(sqs, self.resources.deliveries_queue_url),
            "events_dlq": queue_depth(sqs, self.resources.events_dlq_url),
            "deliveries_dlq": queue_depth(sqs, self.resources.deliveries_dlq_url),
        }

    def wait_until_quiet(self, timeout: float = 30.0, settle: float = 0.3) -> bool:
        """True once both work queues stay empty (nothing visible, in flight or delayed) for `settle` s."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            depths = self.queue_depths()
            if depths["events"] == 0 and depths["deliveries"] == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return True
            else:
                quiet_since = None
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        if self._http:
            self._http.shutdown()
            self._http.server_close()
        if self._moto:
            self._moto.stop()
        self._restore_env()

    def banner(self) -> str:
        return "\n".join(
            [
                f"Hookwire {contract.VERSION} is running at {self.url} (moto in-process, no AWS account)",
                f"Event types seeded: {self.catalog_size}",
                "",
                f"Admin token: {self.admin_token}",
                "",
                "Use it from another shell:",
                f"  export HOOKWIRE_URL={self.url}",
                f"  export HOOKWIRE_TOKEN={self.admin_token}",
                "  make demo                      # four verified deliveries",
                "  .venv/bin/hookwire hooks list  # the CLI uses the same two variables",
                "",
                "Ctrl-C stops.",
            ]
        )


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both end the runtime cleanly, also when started from a script that ignores SIGINT."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def main() -> None:
    _stop_on_signals()
    config = LocalConfig(port=int(os.environ.get("HOOKWIRE_PORT", "8080")))
    runtime = LocalRuntime(config).start()
    print(runtime.banner(), flush=True)
    state_file = PROJECT_ROOT / ".hookwire-local.json"
    state_file.write_text(json.dumps({"url": runtime.url, "admin_token": runtime.admin_token}))
    state_file.chmod(0o600)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
    finally:
        runtime.stop()
        state_file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

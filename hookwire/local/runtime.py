"""`make run`: the whole service on 127.0.0.1 with moto in-process, running the same handler code.

- moto's server runs in a thread on 127.0.0.1 (never 0.0.0.0); its SQS keeps an indexed message store
  (`sqs_store`), so queue calls cost the same with 10 or 10,000 messages queued.
- Each function (api, fanout, deliver) runs in its own worker processes (`workers.ProcessInvoker`), one
  invocation at a time per process, reaching moto through AWS_ENDPOINT_URL: Lambda's model, so the
  handlers run unmodified and concurrent invocations share nothing.
- An HTTP gateway turns requests into API Gateway v2 events; it serves requests concurrently, up to
  `api_concurrency` api invocations at once.
- Pollers drain the events and deliveries queues the way Lambda's SQS event source does, up to
  `fanout_concurrency` / `delivery_concurrency` batches at once, and both DLQs into the dead-letter recorder.
- State lives in memory only: stopping the runtime forgets every tenant, hook and queued event. The admin
  token is never written to disk: `.hookwire-local.json` holds URLs only, and `make demo` reads the
  token from the local Secrets Manager, as one would on AWS.
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import signal
import socket
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

from functions.common import contract
from functions.common.catalog import catalog_files, load_catalog
from functions.common.contract import Env
from hookwire.local import sqs_store
from hookwire.local.lambda_emulation import (
    FUNCTION_TIMEOUT_SECONDS,
    LOG_NAME,
    QueuePoller,
    http_api_event,
    queue_depth,
)
from hookwire.local.moto_server import MotoServer, RequestListener
from hookwire.local.provision import Provisioned, environment, provision
from hookwire.local.state import STATE_FILE, LocalState
from hookwire.local.workers import ProcessInvoker

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CATALOG_DIR = PROJECT_ROOT / "catalogs"
LOCALHOST = "127.0.0.1"
EXIT_PORT_IN_USE = 3
log = logging.getLogger(LOG_NAME)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return sock.getsockname()[1]


class PortInUseError(Exception):
    def __init__(self, port: int) -> None:
        super().__init__(
            f"port {port} on {LOCALHOST} is already in use (another `make run`?): "
            f"stop that process or pick another port, e.g. HOOKWIRE_PORT={port + 1} make run"
        )
        self.port = port


@dataclass
class LocalConfig:
    port: int = 8080
    admin_token: str | None = None
    catalog: str = ""
    retry_schedule: str | None = None
    delivery_timeout_seconds: float | None = None
    # Locally shorter than the stack's (6x the function timeout), so a crashed batch retries in 30 s.
    # The queue consumers' function timeout is capped to it, as Lambda requires visibility >= timeout.
    visibility_timeout_seconds: int = 30
    poll_wait_seconds: int = 1
    # How many invocations of each function may run at once (Lambda concurrency / the SQS event source's
    # maximum concurrency). Not HOOKWIRE_DELIVERY_CONCURRENCY, the parallel requests inside one batch.
    api_concurrency: int = 4
    fanout_concurrency: int = 2
    delivery_concurrency: int = 4
    # False keeps moto's own SQS store, whose calls slow down as queues grow (for comparison only).
    indexed_sqs: bool = True
    # "module:function" every worker process calls before importing its handler (tests: refuse DNS).
    worker_init: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_environment(cls) -> LocalConfig:
        """`make run`'s settings: HOOKWIRE_PORT and the HOOKWIRE_LOCAL_*_CONCURRENCY variables."""
        return cls(
            port=int(os.environ.get("HOOKWIRE_PORT", "8080")),
            api_concurrency=int(os.environ.get("HOOKWIRE_LOCAL_API_CONCURRENCY", "4")),
            fanout_concurrency=int(os.environ.get("HOOKWIRE_LOCAL_FANOUT_CONCURRENCY", "2")),
            delivery_concurrency=int(os.environ.get("HOOKWIRE_LOCAL_DELIVERY_CONCURRENCY", "4")),
        )


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
        self.functions: dict[str, ProcessInvoker] = {}
        self.moto_endpoint = ""
        self._moto = MotoServer(LOCALHOST)
        self._sqs_backend: Any = None
        self._http: ThreadingHTTPServer | None = None
        self.port = self.config.port
        self.catalog_size = 0
        self._saved_env: dict[str, str | None] = {}

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}"

    def start(self) -> LocalRuntime:
        """Raises PortInUseError before starting anything else when the gateway's port is taken."""
        self._bind_gateway()
        try:
            self._start_backend()
            self._start_functions()
        except BaseException:
            self.stop()
            raise
        Thread(target=self._http.serve_forever, name="gateway", daemon=True).start()  # type: ignore[union-attr]
        return self

    def observe_aws_requests(self, listener: RequestListener) -> None:
        """`listener(operation, body)` for every AWS request, from every function process and the pollers."""
        self._moto.observe(listener)

    def _start_backend(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
        self.moto_endpoint = self._moto.start()
        # moto's backends are process-wide: start from empty even if another runtime ran here before.
        reset = urllib.request.Request(f"{self.moto_endpoint}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=10).close()
        self._set_env(_local_environment(self.config, self.moto_endpoint))
        _reset_function_caches()

        from functions.common.dal.clients import aws

        self.resources = provision(aws, self.admin_token, visibility_override=self.config.visibility_timeout_seconds)
        if self.config.indexed_sqs:
            # The queue ARN names the account and region whose SQS backend the functions use.
            _, _, _, region, account, _ = self._queue_arn(self.resources.events_queue_url).split(":")
            self._sqs_backend = sqs_store.install(account, region)
        self._set_env(environment(self.resources))
        _reset_function_caches()
        self._seed_catalog()

    def _queue_arn(self, queue_url: str) -> str:
        from functions.common.dal.clients import aws

        attributes = aws.get("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        return attributes["Attributes"]["QueueArn"]

    def _set_env(self, values: dict[str, str]) -> None:
        """Sets variables for the functions, remembering what to restore on stop()."""
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
        from functions.common.dal.event_types import EventTypesRepository

        assert self.resources
        spec = self.config.catalog or os.environ.get(Env.CATALOG, "")
        event_types = load_catalog(catalog_files(spec, DEFAULT_CATALOG_DIR))
        EventTypesRepository(self.resources.subscriptions_table).put_event_types(event_types)
        self.catalog_size = len(event_types)

    def _start_functions(self) -> None:
        from functions.common.dal.clients import aws

        assert self.resources
        config = self.config
        function_env = {name: value for name, value in os.environ.items() if name in self._saved_env}
        consumer_timeout = min(FUNCTION_TIMEOUT_SECONDS["deliver"], config.visibility_timeout_seconds)
        specs = {
            "api": ("functions.api.handler:lambda_handler", FUNCTION_TIMEOUT_SECONDS["api"], config.api_concurrency),
            "fanout": ("functions.fanout.handler:lambda_handler", consumer_timeout, config.fanout_concurrency),
            "deliver": ("functions.deliver.handler:lambda_handler", consumer_timeout, config.delivery_concurrency),
            "dlq": ("functions.dlq.handler:lambda_handler", consumer_timeout, 1),
        }
        for name, (handler, timeout, concurrency) in specs.items():
            self.functions[name] = ProcessInvoker(name, handler, function_env, timeout, concurrency, config.worker_init)
        for function in self.functions.values():
            function.warm()  # all three start at once; each imports its handler in its own process
        for function in self.functions.values():
            function.wait_ready()
        sqs = aws.get("sqs")
        # Fan-out's batches are filled within the batching window, as on Lambda. Deliver's are not: a filled
        # batch shares its request concurrency among more tenants, and a receiver that never answers could
        # then hold the others' deliveries for a whole timeout (tests/e2e/test_local_runtime_concurrency.py).
        queues = (
            (self.resources.events_queue_url, "fanout", contract.EVENTS_CONSUMER, config.fanout_concurrency, True),
            (
                self.resources.deliveries_queue_url,
                "deliver",
                contract.DELIVERIES_CONSUMER,
                config.delivery_concurrency,
                False,
            ),
            # One poller: moto's own FIFO queues (kept for FIFO semantics) are not safe for concurrent receives.
            (self.resources.ordered_deliveries_queue_url, "deliver", contract.ORDERED_DELIVERIES_CONSUMER, 1, False),
        )
        self.pollers = [
            QueuePoller(
                sqs,
                url,
                self.functions[name],
                spec.batch_size,
                config.poll_wait_seconds,
                concurrency,
                spec.max_batching_window_seconds if fill else 0,
            )
            for url, name, spec, concurrency, fill in queues
        ]
        self.pollers += [
            QueuePoller(
                sqs, dlq_url, self.functions["dlq"], contract.DEAD_LETTERS_CONSUMER.batch_size, config.poll_wait_seconds
            )
            for dlq_url in (
                self.resources.events_dlq_url,
                self.resources.deliveries_dlq_url,
                self.resources.ordered_deliveries_dlq_url,
            )
        ]
        for poller in self.pollers:
            poller.start()

    def _bind_gateway(self) -> None:
        invoke_api = lambda event: self.functions["api"](event)  # noqa: E731 - bound before the functions start

        class Gateway(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms.
            disable_nagle_algorithm = True

            def _handle(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    result = invoke_api(http_api_event(self.command, path, query, dict(self.headers.items()), body))
                except Exception:  # a crashed function is a 500, as API Gateway answers
                    log.exception("api: invocation failed for %s %s", self.command, path)
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

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # a burst of clients connecting at once is queued, not refused

        try:
            self._http = Server((LOCALHOST, self.port), Gateway)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(self.port) from exc
            raise
        self.port = self._http.server_address[1]

    def queue_depths(self) -> dict[str, int]:
        from functions.common.dal.clients import aws

        assert self.resources
        sqs = aws.get("sqs")
        return {
            "events": queue_depth(sqs, self.resources.events_queue_url),
            "deliveries": queue_depth(sqs, self.resources.deliveries_queue_url),
            "events_dlq": queue_depth(sqs, self.resources.events_dlq_url),
            "deliveries_dlq": queue_depth(sqs, self.resources.deliveries_dlq_url),
            "ordered_deliveries": queue_depth(sqs, self.resources.ordered_deliveries_queue_url),
            "ordered_deliveries_dlq": queue_depth(sqs, self.resources.ordered_deliveries_dlq_url),
        }

    def wait_until_quiet(self, timeout: float = 30.0, settle: float = 0.3) -> bool:
        """True once the work queues stay empty (nothing visible, in flight or delayed) for `settle` s."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            depths = self.queue_depths()
            if depths["events"] == depths["deliveries"] == depths["ordered_deliveries"] == 0:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return True
            else:
                quiet_since = None
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        for poller in self.pollers:
            poller.request_stop()
        if self._http:
            self._http.shutdown()
            self._http.server_close()
        for function in self.functions.values():
            function.stop()
        for poller in self.pollers:
            poller.stop()
        if self._sqs_backend is not None:
            sqs_store.uninstall(self._sqs_backend)
        self._moto.stop()
        self._restore_env()

    def state(self) -> LocalState:
        assert self.resources
        return LocalState(self.url, self.moto_endpoint, self.resources.admin_secret_arn)

    def banner(self) -> str:
        config = self.config
        return "\n".join(
            [
                f"Hookwire {contract.VERSION} is running at {self.url} (moto in-process, no AWS account)",
                "State is in memory only: stopping it forgets every tenant, hook and queued event.",
                f"Event types seeded: {self.catalog_size}. At once: up to {config.api_concurrency} API requests, "
                f"{config.fanout_concurrency} fanout and {config.delivery_concurrency} delivery batches.",
                "",
                f"Admin token (never written to disk): {self.admin_token}",
                "",
                "From another shell:",
                "  make demo                                # a tenant, a hook, four verified deliveries",
                f"  export HOOKWIRE_URL={self.url}",
                f"  export HOOKWIRE_TOKEN={self.admin_token}",
                "  .venv/bin/hookwire tenants create acme  # with the admin token: prints the tenant's token",
                "  .venv/bin/hookwire --token TENANT_TOKEN hooks list  # TENANT_TOKEN: the token printed above",
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        runtime = LocalRuntime(LocalConfig.from_environment()).start()
    except PortInUseError as exc:
        print(f"hookwire local: {exc}", file=sys.stderr)
        sys.exit(EXIT_PORT_IN_USE)
    print(runtime.banner(), flush=True)
    runtime.state().write(STATE_FILE)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping", flush=True)
    finally:
        runtime.stop()
        STATE_FILE.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

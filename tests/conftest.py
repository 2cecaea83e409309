"""Shared fixtures: moto-backed resources, an in-process API caller, a queue drainer, a receiver."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

from moto import mock_aws

from functions.common.catalog import catalog_files, load_catalog
from functions.common.contract import Env
from functions.common.dal.clients import aws
from functions.common.dal.event_types import EventTypesRepository
from hookwire.local.lambda_emulation import (
    QueuePoller,
    SerialInvoker,
    http_api_event,
    queue_depth,
)
from hookwire.local.provision import Provisioned, environment, provision
from hookwire.local.runtime import DEFAULT_CATALOG_DIR, _reset_function_caches
from hookwire.receiver import Receiver, Script

ADMIN_TOKEN = "admin-test-token-0123456789"
FAST_SCHEDULE = "1s,1s"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provisioned]:
    """Every Hookwire resource on moto (in-process), the functions' environment set, catalogue seeded."""
    with mock_aws():
        aws.reset()
        provisioned = provision(aws, ADMIN_TOKEN, visibility_override=2)
        for name, value in environment(provisioned).items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv(Env.ALLOW_HTTP, "true")
        monkeypatch.setenv(Env.ALLOWED_CIDRS, "127.0.0.0/8")
        monkeypatch.setenv(Env.RETRY_SCHEDULE, FAST_SCHEDULE)
        monkeypatch.setenv(Env.RETRY_JITTER, "0")
        monkeypatch.setenv(Env.DELIVERY_TIMEOUT_SECONDS, "2")
        _reset_function_caches()
        EventTypesRepository(provisioned.subscriptions_table).put_event_types(
            load_catalog(catalog_files("", DEFAULT_CATALOG_DIR))
        )
        yield provisioned
        _reset_function_caches()


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class InProcessApi:
    """Calls the api handler with real API Gateway v2 events, no HTTP server involved."""

    def __init__(self) -> None:
        from functions.api.handler import lambda_handler

        self.invoke = SerialInvoker("api", lambda_handler)

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        path, _, query = path.partition("?")
        sent = {"content-type": "application/json"}
        if token:
            sent["authorization"] = f"Bearer {token}"
        sent.update(headers or {})
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        result = self.invoke(http_api_event(method, path, query, sent, data))
        text = result.get("body") or ""
        headers = result.get("headers") or {}
        is_json = "json" in {name.lower(): value for name, value in headers.items()}.get("content-type", "json")
        return Reply(int(result["statusCode"]), json.loads(text) if text and is_json else text or None, headers)

    def get(self, path: str, token: str | None = None) -> Reply:
        return self.request("GET", path, token)

    def post(self, path: str, token: str | None = None, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", path, token, body, **kwargs)

    def patch(self, path: str, token: str | None = None, body: Any = None) -> Reply:
        return self.request("PATCH", path, token, body)

    def put(self, path: str, token: str | None = None, body: Any = None) -> Reply:
        return self.request("PUT", path, token, body)

    def delete(self, path: str, token: str | None = None) -> Reply:
        return self.request("DELETE", path, token)


@pytest.fixture
def api(aws_env: Provisioned) -> InProcessApi:
    return InProcessApi()


@pytest.fixture
def tenant(api: InProcessApi) -> dict[str, Any]:
    reply = api.post("/tenants", ADMIN_TOKEN, {"name": "acme"})
    assert reply.status == 201, reply.body
    return reply.body


@pytest.fixture
def other_tenant(api: InProcessApi) -> dict[str, Any]:
    return api.post("/tenants", ADMIN_TOKEN, {"name": "globex"}).body


class Pipeline:
    """Drains both queues through the real fanout and deliver handlers, as Lambda's event source would."""

    def __init__(self, provisioned: Provisioned) -> None:
        from functions.deliver.handler import lambda_handler as deliver
        from functions.dlq.handler import lambda_handler as dead_letters
        from functions.fanout.handler import lambda_handler as fanout

        sqs = aws.get("sqs")
        self.sqs = sqs
        self.provisioned = provisioned
        self.fanout = QueuePoller(sqs, provisioned.events_queue_url, SerialInvoker("fanout", fanout), 10, 0)
        self.deliver = QueuePoller(sqs, provisioned.deliveries_queue_url, SerialInvoker("deliver", deliver), 10, 0)
        recorder = SerialInvoker("dlq", dead_letters)
        self.dead_letters = [
            QueuePoller(sqs, url, recorder, 10, 0)
            for url in (provisioned.events_dlq_url, provisioned.deliveries_dlq_url)
        ]

    def pending(self) -> int:
        return queue_depth(self.sqs, self.provisioned.events_queue_url) + queue_depth(
            self.sqs, self.provisioned.deliveries_queue_url
        )

    def run_until_quiet(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            worked = self.fanout.poll_once(0) + self.deliver.poll_once(0)
            if not worked:
                if self.pending() == 0:
                    return
                time.sleep(0.1)
        raise AssertionError(f"pipeline still busy after {timeout}s")

    def record_dead_letters(self) -> int:
        """One pass of the dead-letter recorder over both DLQs (kept letters stay, invisible for hours)."""
        return sum(poller.poll_once(0) for poller in self.dead_letters)

    def dlq_depths(self) -> tuple[int, int]:
        return (
            queue_depth(self.sqs, self.provisioned.events_dlq_url),
            queue_depth(self.sqs, self.provisioned.deliveries_dlq_url),
        )


@pytest.fixture
def pipeline(aws_env: Provisioned) -> Pipeline:
    return Pipeline(aws_env)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as started:
        yield started


@pytest.fixture
def make_receiver() -> Iterator[Any]:
    started: list[Receiver] = []

    def make(script: Script) -> Receiver:
        receiver = Receiver(script).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


def create_hook(api: InProcessApi, token: str, url: str, on: Any = "*", **fields: Any) -> dict[str, Any]:
    reply = api.post("/hooks", token, {"name": "test hook", "url": url, "on": on, **fields})
    assert reply.status == 201, reply.body
    return reply.body


def publish(api: InProcessApi, token: str, event_type: str, data: dict[str, Any], **fields: Any) -> Reply:
    return api.post("/events", token, {"type": event_type, "data": data, **fields})

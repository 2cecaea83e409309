"""Invoking the real handlers the way AWS does: API Gateway v2 events and SQS event-source batches."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class FakeLambdaContext:
    """The attributes Powertools reads from a LambdaContext."""

    function_name: str
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def http_api_event(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the real integration sends it."""
    params: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params[name] = f"{params[name]},{value}" if name in params else value  # v2 joins repeats with commas
    text = body.decode("utf-8", errors="replace") if body else None
    request_id = str(uuid.uuid4())
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        # API Gateway adds the scheme the client used; this gateway speaks plain http on 127.0.0.1.
        "headers": {"x-forwarded-proto": "http", **{name.lower(): value for name, value in headers.items()}},
        "queryStringParameters": params or None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "127.0.0.1",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": ""},
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "body": text,
        "isBase64Encoded": False,
    }


def _drop_unflushed_metrics() -> None:
    """With POWERTOOLS_METRICS_DISABLED, Powertools never clears its metric set, so it would grow for the
    life of the process (and print itself at 100 values). On Lambda every invocation flushes; do the same."""
    from functions.common.observability import metrics

    metrics.clear_metrics()


class SerialInvoker:
    """One warm 'container': invocations run one at a time, as they do in a Lambda execution environment."""

    def __init__(self, name: str, handler: Handler) -> None:
        self.name = name
        self.handler = handler
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            try:
                return self.handler(event, FakeLambdaContext(self.name))
            finally:
                _drop_unflushed_metrics()


def sqs_records(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for message in messages
        ]
    }


class QueuePoller:
    """What Lambda's SQS event source does: receive a batch, invoke, delete what succeeded.

    Failed records (`batchItemFailures`) are left alone: they come back after the visibility timeout,
    and SQS moves them to the DLQ after maxReceiveCount receives.
    """

    def __init__(self, sqs: Any, queue_url: str, invoke: SerialInvoker, batch_size: int, wait_seconds: int = 1) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.invoke = invoke
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.errors = 0

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """One receive-invoke-delete cycle; returns how many messages it received."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=self.wait_seconds if wait_seconds is None else wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        self.batches += 1
        try:
            result = self.invoke(sqs_records(messages, self.queue_arn))
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - a crashed invocation fails the whole batch, as on Lambda
            self.errors += 1
            return len(messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
            ]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        return len(messages)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"poller-{self.invoke.name}", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stop taking new batches (like setting the event source mapping to disabled)."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._running.wait(timeout=0.2):
                continue
            try:
                self.poll_once()
            except Exception:  # noqa: BLE001 - keep polling, like the managed event source does
                self.errors += 1
                time.sleep(0.5)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=self.wait_seconds + 5)


def queue_depth(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def response_json(result: dict[str, Any]) -> Any:
    return json.loads(result.get("body") or "null")

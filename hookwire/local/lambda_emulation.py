"""Invoking the real handlers the way AWS does: API Gateway v2 events and SQS event-source batches."""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl

from functions.common import contract

# Not a child of the functions' "hookwire" logger (Powertools), whose JSON handler it would go through.
LOG_NAME = "hookwire-local"
# SQS returns at most 10 messages per ReceiveMessage and deletes at most 10 per DeleteMessageBatch.
RECEIVE_LIMIT = 10
log = logging.getLogger(LOG_NAME)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


# Each function's timeout, as the stack configures it: the context counts down from it.
FUNCTION_TIMEOUT_SECONDS = {
    "api": contract.API_FUNCTION_TIMEOUT_SECONDS,
    "fanout": contract.EVENTS_CONSUMER.function_timeout_seconds,
    "deliver": contract.DELIVERIES_CONSUMER.function_timeout_seconds,
    "dlq": contract.DEAD_LETTERS_CONSUMER.function_timeout_seconds,
}


@dataclass
class FakeLambdaContext:
    """The attributes Powertools reads from a LambdaContext, with a remaining time that counts down
    from the function's timeout since the invocation started, as on Lambda."""

    function_name: str
    timeout_seconds: float = 30.0
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    clock: Callable[[], float] = time.monotonic
    started_at: float = field(init=False)

    def __post_init__(self) -> None:
        self.started_at = self.clock()

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = self.clock() - self.started_at
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


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


def drop_unflushed_metrics() -> None:
    """With POWERTOOLS_METRICS_DISABLED, Powertools never clears its metric set, so it would grow for the
    life of the process (and print itself at 100 values). On Lambda every invocation flushes; do the same."""
    from functions.common.observability import metrics

    metrics.clear_metrics()


class Invoker(Protocol):
    """A function the runtime invokes: in this process (SerialInvoker) or in worker processes."""

    name: str

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]: ...


class SerialInvoker:
    """One warm 'container' in this process: invocations run one at a time, as they do in a Lambda
    execution environment. For in-process tests; the local runtime uses `workers.ProcessInvoker`."""

    def __init__(self, name: str, handler: Handler, timeout_seconds: float | None = None) -> None:
        self.name = name
        self.handler = handler
        self.timeout_seconds = timeout_seconds or FUNCTION_TIMEOUT_SECONDS.get(name, 30)
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            try:
                return self.handler(event, FakeLambdaContext(self.name, self.timeout_seconds))
            finally:
                drop_unflushed_metrics()


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

    Like the event source, a poller fills its batch: it receives up to 10 messages a call and, while the
    batch has fewer than `batch_size` messages, keeps receiving until the batching window
    (`batching_window_seconds`, the mapping's MaximumBatchingWindowInSeconds) has passed. So a backlog is
    drained in full batches, and a trickle waits at most the window.

    `concurrency` pollers run at once (the event source's maximum concurrency), each waiting for its
    invocation, so up to that many batches are in the function at the same time. Failed records
    (`batchItemFailures`) are left alone: they come back after the visibility timeout, and SQS moves them
    to the DLQ after maxReceiveCount receives. A crashed invocation fails its whole batch and is logged
    with its traceback.
    """

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        invoke: Invoker,
        batch_size: int,
        wait_seconds: int = 1,
        concurrency: int = 1,
        batching_window_seconds: float = 0.0,
    ) -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.invoke = invoke
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        self.concurrency = concurrency
        self.batching_window_seconds = batching_window_seconds
        self.queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._threads: list[threading.Thread] = []
        self._count_lock = threading.Lock()
        self._idle = threading.Condition()  # notified when a poller finishes a cycle
        self._active = 0  # pollers inside a receive-invoke-delete cycle
        self.batches = 0
        self.messages = 0
        self.errors = 0

    def _count(self, batches: int = 0, messages: int = 0, errors: int = 0) -> None:
        with self._count_lock:
            self.batches += batches
            self.messages += messages
            self.errors += errors

    @property
    def mean_batch_size(self) -> float:
        return self.messages / self.batches if self.batches else 0.0

    def _receive(self, count: int, wait_seconds: int) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(RECEIVE_LIMIT, count),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return response.get("Messages", [])

    def _fill_batch(self, wait_seconds: int) -> list[dict[str, Any]]:
        """Up to `batch_size` messages: the first receive waits `wait_seconds`; once one message is in, more
        are received until the batch is full, a receive finds none, or the batching window has passed."""
        messages = self._receive(self.batch_size, wait_seconds)
        window_ends = time.monotonic() + self.batching_window_seconds
        while messages and len(messages) < self.batch_size:
            remaining = window_ends - time.monotonic()
            if remaining <= 0:
                break
            # Whole seconds only (SQS's WaitTimeSeconds), rounded down so the window is never overrun: a
            # rounded-up final long poll held every trickle's batch up to a second past its window.
            more = self._receive(self.batch_size - len(messages), math.floor(remaining))
            if not more:
                break
            messages += more
        return messages

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """One receive-invoke-delete cycle; returns how many messages it received."""
        messages = self._fill_batch(self.wait_seconds if wait_seconds is None else wait_seconds)
        if not messages:
            return 0
        self._count(batches=1, messages=len(messages))
        try:
            result = self.invoke(sqs_records(messages, self.queue_arn))
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
        except Exception:  # a crashed invocation fails the whole batch, as on Lambda
            self._count(errors=1)
            log.exception(
                "%s: invocation failed; its %d messages come back after the visibility timeout",
                self.invoke.name,
                len(messages),
            )
            return len(messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), RECEIVE_LIMIT):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(done[start : start + RECEIVE_LIMIT])
            ]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
        return len(messages)

    def start(self) -> None:
        self._threads = [
            threading.Thread(target=self._run, name=f"poller-{self.invoke.name}-{index}", daemon=True)
            for index in range(self.concurrency)
        ]
        for thread in self._threads:
            thread.start()

    def pause(self, timeout: float = 120.0) -> None:
        """Stop taking new batches (like disabling the event source mapping); returns once no batch is
        being received or handled, so nothing reaches the function after this returns."""
        self._running.clear()
        with self._idle:
            self._idle.wait_for(lambda: self._active == 0, timeout=timeout)

    def resume(self) -> None:
        self._running.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._running.wait(timeout=0.2):
                continue
            with self._idle:
                if not self._running.is_set():
                    continue  # paused meanwhile
                self._active += 1
            try:
                self.poll_once()
            except Exception:  # keep polling, like the managed event source does
                self._count(errors=1)
                log.exception("%s: polling %s failed", self.invoke.name, self.queue_url)
                self._stop.wait(0.5)
            finally:
                with self._idle:
                    self._active -= 1
                    self._idle.notify_all()

    def request_stop(self) -> None:
        """Take no new batch; the ones being handled finish (stop() waits for them)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.wait_seconds + 5)


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

"""The SQS behaviour the functions rely on, pinned on moto's own store and on the local runtime's indexed one.

Every behaviour test runs twice (`store` = moto, indexed): the indexed store must answer exactly as moto
(and SQS) does. Waits use SQS long polling (a condition with a deadline), never a sleep.
"""

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from hookwire.local import sqs_store
from tests.support.concurrency import run_in_threads

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture(params=["moto", "indexed"])
def sqs(request: pytest.FixtureRequest) -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("sqs", region_name=REGION)
        if request.param == "indexed":
            backend = sqs_store.install(ACCOUNT, REGION)
        yield client
        if request.param == "indexed":
            sqs_store.uninstall(backend)


@pytest.fixture
def indexed_sqs() -> Iterator[Any]:
    with mock_aws():
        backend = sqs_store.install(ACCOUNT, REGION)
        yield boto3.client("sqs", region_name=REGION)
        sqs_store.uninstall(backend)


def make_queue(sqs: Any, name: str = "work", visibility: int = 30, max_receive_count: int = 3) -> tuple[str, str]:
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": str(visibility), "RedrivePolicy": policy})[
        "QueueUrl"
    ]
    return url, dlq


def receive(sqs: Any, url: str, count: int = 10, wait: int = 0, **kwargs: Any) -> list[dict[str, Any]]:
    return sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=count, WaitTimeSeconds=wait, AttributeNames=["All"], **kwargs
    ).get("Messages", [])


def depths(sqs: Any, url: str) -> tuple[int, int, int]:
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return tuple(int(attributes[name]) for name in names)  # type: ignore[return-value]


def test_a_received_message_is_hidden_for_the_visibility_timeout_then_comes_back(sqs: Any) -> None:
    # Given a message received with a 1 s visibility timeout
    url, _ = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = receive(sqs, url, VisibilityTimeout=1)
    # Then it is in flight: not received again at once
    assert [m["Body"] for m in first] == ["m"]
    assert receive(sqs, url) == []
    assert depths(sqs, url) == (0, 1, 0)
    # When the timeout passes (long poll), it is received again, with its receive count at 2
    started = time.monotonic()
    again = receive(sqs, url, wait=5)
    assert [m["Body"] for m in again] == ["m"]
    assert time.monotonic() - started < 4
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again[0]["ReceiptHandle"] != first[0]["ReceiptHandle"]


def test_change_visibility_to_zero_makes_a_message_visible_at_once(sqs: Any) -> None:
    url, _ = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="m")
    (message,) = receive(sqs, url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    assert [m["Body"] for m in receive(sqs, url)] == ["m"]


def test_delay_seconds_holds_a_message_back(sqs: Any) -> None:
    # Given a message sent with DelaySeconds=1
    url, _ = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    # Then it is counted as delayed and not received yet
    assert depths(sqs, url) == (0, 0, 1)
    assert receive(sqs, url) == []
    # When the delay passes, a long poll receives it
    assert [m["Body"] for m in receive(sqs, url, wait=5)] == ["later"]


def test_a_message_goes_to_the_dlq_after_max_receive_count_receives(sqs: Any) -> None:
    # Given a queue whose redrive policy allows 2 receives
    url, dlq = make_queue(sqs, max_receive_count=2)
    sqs.send_message(QueueUrl=url, MessageBody="poison")
    counts = []
    for _ in range(2):
        (message,) = receive(sqs, url)
        counts.append(message["Attributes"]["ApproximateReceiveCount"])
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    # When it is due a third time, it is moved to the DLQ instead of being received
    assert counts == ["1", "2"]
    assert receive(sqs, url) == []
    assert depths(sqs, url) == (0, 0, 0)
    assert [m["Body"] for m in receive(sqs, dlq)] == ["poison"]


def test_batch_send_and_delete_and_depths(sqs: Any) -> None:
    # Given 10 messages sent in one batch, 3 of them delayed
    url, _ = make_queue(sqs)
    entries = [{"Id": str(i), "MessageBody": f"m{i}", "DelaySeconds": 60 if i < 3 else 0} for i in range(10)]
    sent = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert len(sent["Successful"]) == 10
    assert depths(sqs, url) == (7, 0, 3)
    # When 7 are received and 5 of them deleted in one batch
    received = receive(sqs, url)
    assert sorted(m["Body"] for m in received) == [f"m{i}" for i in range(3, 10)]
    assert depths(sqs, url) == (0, 7, 3)
    batch = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(received[:5])]
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=batch)
    # Then the depths count what is left; deleting again succeeds; an unknown handle is refused
    assert len(deleted["Successful"]) == 5
    assert depths(sqs, url) == (0, 2, 3)
    assert len(sqs.delete_message_batch(QueueUrl=url, Entries=batch)["Successful"]) == 5
    refused = sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": "x", "ReceiptHandle": "not-a-handle"}])
    assert refused["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"


def test_message_attributes_are_returned_as_sent(sqs: Any) -> None:
    url, _ = make_queue(sqs)
    attributes = {"kind": {"DataType": "String", "StringValue": "retry"}}
    sqs.send_message(QueueUrl=url, MessageBody="m", MessageAttributes=attributes)
    (message,) = receive(sqs, url, MessageAttributeNames=["All"])
    assert message["MessageAttributes"] == attributes
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    (again,) = receive(sqs, url)  # asking for no attributes doesn't strip them from the stored message
    assert "MessageAttributes" not in again
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0)
    (third,) = receive(sqs, url, MessageAttributeNames=["All"])
    assert third["MessageAttributes"] == attributes


def test_a_long_poll_returns_as_soon_as_a_message_is_sent(sqs: Any) -> None:
    url, _ = make_queue(sqs)
    threading.Timer(0.3, lambda: sqs.send_message(QueueUrl=url, MessageBody="m")).start()
    started = time.monotonic()
    assert [m["Body"] for m in receive(sqs, url, wait=10)] == ["m"]
    assert time.monotonic() - started < 5


def test_concurrent_receivers_never_get_the_same_message(indexed_sqs: Any) -> None:
    # Given 300 messages and 6 receivers polling at once
    url, _ = make_queue(indexed_sqs)
    for start in range(0, 300, 10):
        entries = [{"Id": str(i), "MessageBody": str(start + i)} for i in range(10)]
        indexed_sqs.send_message_batch(QueueUrl=url, Entries=entries)
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def drain() -> None:
        while messages := receive(indexed_sqs, url):
            with lock:
                seen.update(m["Body"] for m in messages)

    run_in_threads(drain, 6)
    # Then each message was received exactly once
    assert len(seen) == 300
    assert set(seen.values()) == {1}


def test_queue_calls_cost_the_same_with_a_long_backlog(indexed_sqs: Any) -> None:
    """moto's own store walks every message on each call: 100 cycles over 10,000 queued are far slower."""
    # Given 10,000 messages queued, half of them in flight
    url, _ = make_queue(indexed_sqs)
    backend = sqs_store.sqs_backends[ACCOUNT][REGION]
    for index in range(10_000):
        backend.send_message("work", f"backlog {index}")
    for _ in range(500):
        backend.receive_message("work", 10, 0, 300)
    assert depths(indexed_sqs, url) == (5_000, 5_000, 0)
    # When 100 send/receive/delete cycles run
    started = time.monotonic()
    for index in range(100):
        indexed_sqs.send_message(QueueUrl=url, MessageBody=f"new {index}")
        for message in receive(indexed_sqs, url, count=1):
            indexed_sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        depths(indexed_sqs, url)
    # Then they take about what they take on an empty queue (generous bound for a shared machine)
    assert time.monotonic() - started < 10

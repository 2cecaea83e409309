"""The local runtime's Lambda emulation: the context's clock, crash logging, and worker processes."""

import logging
from pathlib import Path
from typing import Any

import pytest

from functions.common import contract
from hookwire.local.lambda_emulation import LOG_NAME, FakeLambdaContext, QueuePoller, SerialInvoker
from hookwire.local.workers import InvocationError, ProcessInvoker
from tests.support.concurrency import run_in_threads


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_remaining_time_counts_down_from_the_function_timeout() -> None:
    # Given an invocation of a function with a 60 s timeout, started at t=1000
    clock = FakeClock()
    context = FakeLambdaContext("deliver", timeout_seconds=60, clock=clock)
    assert context.get_remaining_time_in_millis() == 60_000
    # When 12.5 s pass, 47.5 s remain; past the timeout, none
    clock.now += 12.5
    assert context.get_remaining_time_in_millis() == 47_500
    clock.now += 100
    assert context.get_remaining_time_in_millis() == 0


def test_each_function_gets_its_own_timeout_from_the_contract() -> None:
    seen: dict[str, int] = {}

    def handler(_event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen[context.function_name] = context.get_remaining_time_in_millis()
        return {}

    for name in ("api", "deliver"):
        SerialInvoker(name, handler)({})
    assert contract.API_FUNCTION_TIMEOUT_SECONDS * 1000 - 1000 < seen["api"] <= 29_000
    deliver_ms = contract.DELIVERIES_CONSUMER.function_timeout_seconds * 1000
    assert deliver_ms - 1000 < seen["deliver"] <= deliver_ms


class OneBatchSqs:
    """Hands out one batch of two messages, then nothing."""

    def __init__(self) -> None:
        self.deleted: list[str] = []
        self.batches = [[{"MessageId": f"m{i}", "ReceiptHandle": f"h{i}", "Body": "{}"} for i in range(2)]]

    def get_queue_attributes(self, **_kwargs: Any) -> dict[str, Any]:
        return {"Attributes": {"QueueArn": "arn:aws:sqs:us-east-1:000000000000:q"}}

    def receive_message(self, **_kwargs: Any) -> dict[str, Any]:
        return {"Messages": self.batches.pop()} if self.batches else {}

    def delete_message_batch(self, **kwargs: Any) -> None:
        self.deleted += [entry["ReceiptHandle"] for entry in kwargs["Entries"]]


class BacklogSqs(OneBatchSqs):
    """A backlog of `count` messages, handed out at most `MaxNumberOfMessages` (10) per receive."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.backlog = [{"MessageId": f"m{i}", "ReceiptHandle": f"h{i}", "Body": "{}"} for i in range(count)]
        self.receives: list[int] = []
        self.waits: list[int] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["MaxNumberOfMessages"] <= 10  # SQS's limit per call
        taken, self.backlog = (
            self.backlog[: kwargs["MaxNumberOfMessages"]],
            self.backlog[kwargs["MaxNumberOfMessages"] :],
        )
        self.receives.append(len(taken))
        self.waits.append(kwargs["WaitTimeSeconds"])
        return {"Messages": taken} if taken else {}


def test_a_backlog_is_drained_in_full_batches_above_ten() -> None:
    # Given 130 queued messages and a poller with batch size 100 and a batching window, as the events source
    sqs = BacklogSqs(130)
    seen: list[int] = []
    handler = lambda event, _context: seen.append(len(event["Records"])) or {}  # noqa: E731
    poller = QueuePoller(sqs, "http://queue", SerialInvoker("fanout", handler), 100, 0, batching_window_seconds=5)
    # When it polls until the queue is empty
    while poller.poll_once():
        pass
    # Then the function saw one full batch of 100 and the 30 left, each filled 10 per receive, and all deleted
    assert seen == [100, 30]
    assert poller.mean_batch_size == 65 and len(sqs.deleted) == 130
    assert sqs.receives == [10] * 13 + [0, 0]  # an empty receive ends the 30's window early, then the queue is empty


def test_filling_a_batch_never_waits_past_the_batching_window() -> None:
    # Given one queued message and a poller with a 1 s batching window (the events source's)
    sqs = BacklogSqs(1)
    poller = QueuePoller(
        sqs, "http://queue", SerialInvoker("fanout", lambda _e, _c: {}), 100, 0, batching_window_seconds=1
    )
    # When it takes a batch
    assert poller.poll_once() == 1
    # Then the receive that tries to fill it waits whole seconds rounded down: less than a second left is no wait
    assert sqs.waits == [0, 0]


def test_a_crashed_batch_is_logged_with_its_traceback_and_left_on_the_queue(caplog: pytest.LogCaptureFixture) -> None:
    # Given a deliver function that raises
    def crashing(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
        raise ZeroDivisionError("boom in the handler")

    sqs = OneBatchSqs()
    poller = QueuePoller(sqs, "http://queue", SerialInvoker("deliver", crashing), 10, 0)
    # When it gets a batch
    with caplog.at_level(logging.ERROR, logger=LOG_NAME):
        assert poller.poll_once() == 2
    # Then the crash is logged with the traceback, counted, and nothing is deleted (SQS redelivers)
    (record,) = caplog.records
    assert "deliver: invocation failed; its 2 messages come back" in record.getMessage()
    assert "ZeroDivisionError: boom in the handler" in caplog.text
    assert poller.errors == 1
    assert sqs.deleted == []


@pytest.fixture
def echo_function() -> Any:
    function = ProcessInvoker(
        "echo", "tests.support.lambda_handlers:overlapping_echo", {}, timeout_seconds=5, max_workers=2
    )
    yield function
    function.stop()


def test_a_worker_process_runs_the_handler_with_a_counting_down_context(
    echo_function: ProcessInvoker, tmp_path: Path
) -> None:
    # Given a function with a 5 s timeout; when it is invoked
    event = {"n": 1, "marks": str(tmp_path), "overlap": 1}
    result = echo_function(event)
    # Then the handler saw the event and a context counting down from the timeout
    assert result["event"] == event
    assert 0 < result["remaining_ms"] < 5000


def test_concurrent_invocations_scale_out_to_separate_processes(echo_function: ProcessInvoker, tmp_path: Path) -> None:
    """Three overlapping invocations of a function limited to two: two environments, the third waits."""
    pids: list[int] = []
    # Each invocation holds its environment until two have started, so two must run at once
    event = {"n": 2, "marks": str(tmp_path), "overlap": 2}

    def call() -> None:
        pids.append(echo_function(event)["pid"])

    run_in_threads(call, 3)
    assert len(pids) == 3
    assert len(set(pids)) == 2
    assert echo_function.cold_starts == 2
    assert echo_function(event)["pid"] in set(pids)  # warm environments are reused


def test_a_handler_exception_comes_back_with_its_traceback() -> None:
    function = ProcessInvoker("crash", "tests.support.lambda_handlers:crash", {}, timeout_seconds=5, max_workers=1)
    try:
        with pytest.raises(InvocationError) as raised:
            function({"name": "batch-7"})
        assert "RuntimeError: handler crashed on batch-7" in str(raised.value)
        assert "lambda_handlers.py" in str(raised.value)  # the remote traceback names the frame
    finally:
        function.stop()


def test_an_invocation_past_the_timeout_is_stopped_and_the_environment_replaced() -> None:
    function = ProcessInvoker("hang", "tests.support.lambda_handlers:hang", {}, timeout_seconds=0.5, max_workers=1)
    try:
        with pytest.raises(InvocationError, match=r"Task timed out after 0\.50 seconds"):
            function({})
        with pytest.raises(InvocationError, match="timed out"):
            function({})  # a fresh environment (cold start) takes the next invocation
        assert function.cold_starts == 2
    finally:
        function.stop()


def test_an_init_failure_is_reported_with_its_cause() -> None:
    function = ProcessInvoker(
        "broken",
        "tests.support.lambda_handlers:echo",
        {},
        timeout_seconds=5,
        max_workers=1,
        init_ref="tests.support.lambda_handlers:fail_to_import",
    )
    try:
        with pytest.raises(InvocationError, match=r"failed to start(.|\n)*this function's init failed"):
            function({})
    finally:
        function.stop()

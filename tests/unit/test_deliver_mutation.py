"""Deliver rules on in-memory fakes, through `deliver_batch` only: a message that arrives before its
`not_before` hops back onto the queue (the chain that carries the 30 min .. 10 h retries past SQS's
15-minute delay cap), and the BatchReport counters that feed the metrics, asserted exactly."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from functions.common import contract
from functions.common.dal.queues import OutgoingMessage
from functions.common.errors import DependencyFailure
from functions.common.http_client import HttpResult
from functions.common.ids import event_group
from functions.common.models import DeliveryMessage, Event, Execution, ExecutionStatus, Hook, HookSecret, HookStatus
from functions.common.retry import RetrySchedule
from functions.deliver.logic import RECORDING_MARGIN_SECONDS, BatchReport, QueuedDelivery, deliver_batch
from tests.support.fakes import FakeClock, FakeExecutions, FakeQueue, FakeStore, ScriptedSender, fake_deps
from tests.support.logs import captured_logs, log_lines
from tests.support.random_source import PinnedRandom

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
OVERDUE = NOW - timedelta(minutes=1)
SECRET = HookSecret(ciphertext="whsec_" + "a" * 43 + "=", created_at=NOW - timedelta(days=1))


class SettlingStore(FakeStore):
    """FakeStore that also records the settled marks a succeeded manual retry writes."""

    def __init__(self) -> None:
        super().__init__()
        self.settled: list[tuple[str, str, str, datetime]] = []

    def mark_settled(self, tenant_id: str, event_id: str, hook_id: str, at: datetime) -> None:
        self.settled.append((tenant_id, event_id, hook_id, at))


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool


def _hook(hook_id: str, status: HookStatus = HookStatus.ACTIVE) -> Hook:
    return Hook(
        id=hook_id,
        tenant_id="ten_1",
        name=hook_id,
        url=f"https://receiver.example/{hook_id}",
        on=["*"],
        status=status,
        created_at=NOW,
        updated_at=NOW,
        secrets=[SECRET],
    )


def _answers(statuses: dict[str, int]) -> ScriptedSender:
    """A receiver answering per hook (the last path segment of the URL)."""
    return ScriptedSender(answer=lambda url: HttpResult(status=statuses[url.rsplit("/", 1)[1]], duration_ms=3))


def _queued(message_id: str, hook_id: str, event_id: str = "evt_1", **fields: object) -> QueuedDelivery:
    return QueuedDelivery(message_id, DeliveryMessage(tenant_id="ten_1", hook_id=hook_id, event_id=event_id, **fields))


def _counters(report: BatchReport) -> dict[str, object]:
    return {
        "sent": report.sent,
        "succeeded": report.succeeded,
        "retrying": report.retrying,
        "failed": report.failed,
        "deferred": report.deferred,
        "hooks_disabled": report.hooks_disabled,
        "item_errors": report.item_errors,
        "retries_cancelled": report.retries_cancelled,
        "lags_ms": report.lags_ms,
        "redeliver": report.redeliver,
    }


@pytest.mark.parametrize(
    ("step", "hops"),
    [("30m", 1), ("2h", 7), ("5h", 19), ("10h", 39)],
)
def test_a_retry_past_the_sqs_delay_cap_hops_back_until_its_time(executor, step: str, hops: int) -> None:
    # Given a hook whose first attempt fails, on a schedule whose next step is longer than SQS's 15 min cap
    store = FakeStore()
    store.add(_hook("hook_1"), Event(id="evt_1", tenant_id="ten_1", type="t", data="{}", created_at=NOW))
    sender = ScriptedSender(answer=lambda _url: HttpResult(status=500, duration_ms=1))
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, http=sender, queue=queue, schedule=step)
    deliver_batch([_queued("m0", "hook_1")], deps, NOW, budget_seconds=60)
    retry = DeliveryMessage.model_validate_json(queue.sent[-1].body)
    assert queue.sent[-1].delay_seconds == contract.SQS_MAX_DELAY_SECONDS
    # When SQS hands the message back each time its delay runs out
    at, hopped = NOW, 0
    sender.answer = lambda _url: HttpResult(status=200, duration_ms=1)
    for _ in range(100):
        at += timedelta(seconds=queue.sent[-1].delay_seconds)
        message = DeliveryMessage.model_validate_json(queue.sent[-1].body)
        report = deliver_batch([QueuedDelivery(f"m{hopped + 1}", message)], deps, at, budget_seconds=60)
        if report.deferred == 0:
            break
        hopped += 1
        # each hop re-sends the message unchanged, for at most 15 minutes, and sends nothing to the receiver
        assert queue.sent[-1].body == retry.model_dump_json()
        assert queue.sent[-1].delay_seconds == min(
            contract.SQS_MAX_DELAY_SECONDS, (retry.not_before - at).total_seconds()
        )
        assert len(sender.requests) == 1
    # Then it hopped back once per further 15 minutes and was attempted (attempt 2) at exactly its not_before
    assert retry.attempt == 2 and retry.not_before == NOW + deps.schedule.delays[0] * timedelta(seconds=1)
    assert hopped == hops
    assert at == retry.not_before
    assert len(sender.requests) == 2
    assert [(e.attempt, e.status) for e in deps.executions.written] == [
        (1, ExecutionStatus.RETRYING),
        (2, ExecutionStatus.SUCCEEDED),
    ]


@pytest.mark.parametrize(
    ("wait", "delay"),
    [(timedelta(seconds=1.5), 2), (timedelta(minutes=15), 900), (timedelta(minutes=15, seconds=1), 900)],
)
def test_an_early_message_goes_back_for_its_remaining_time_capped_at_15_minutes(
    executor, wait: timedelta, delay: int
) -> None:
    # Given a message due some time from now
    store = FakeStore()
    store.add(_hook("hook_1"), Event(id="evt_1", tenant_id="ten_1", type="t", data="{}", created_at=NOW))
    queue, sender = FakeQueue(), ScriptedSender()
    deps = fake_deps(executor, store=store, http=sender, queue=queue)
    early = _queued("m", "hook_1", attempt=2, not_before=NOW + wait)
    # When it arrives now
    report = deliver_batch([early], deps, NOW, budget_seconds=60)
    # Then it goes back unchanged with the remaining time (whole seconds, rounded up, at most 900), nothing sent
    assert queue.sent == [OutgoingMessage(body=early.message.model_dump_json(), delay_seconds=delay)]
    assert sender.requests == [] and deps.executions.written == []
    assert _counters(report) == {**_counters(BatchReport()), "deferred": 1}


@pytest.mark.parametrize("wait", [timedelta(seconds=1), timedelta(0), timedelta(seconds=-30)])
def test_a_message_within_a_second_of_its_time_is_sent_now(executor, wait: timedelta) -> None:
    # Given a message due at most a second from now (or overdue)
    store = FakeStore()
    store.add(_hook("hook_1"), Event(id="evt_1", tenant_id="ten_1", type="t", data="{}", created_at=NOW))
    sender = ScriptedSender()
    deps = fake_deps(executor, store=store, http=sender)
    # When it arrives now
    report = deliver_batch([_queued("m", "hook_1", attempt=2, not_before=NOW + wait)], deps, NOW, budget_seconds=60)
    # Then it is attempted now
    assert sender.requests == ["https://receiver.example/hook_1"]
    assert (report.sent, report.succeeded, report.deferred) == (1, 1, 0)


def test_the_batch_report_counts_every_kind_of_outcome_exactly(executor) -> None:
    # Given one batch holding every kind of delivery
    store = FakeStore()
    event = Event(
        id="evt_1",
        tenant_id="ten_1",
        type="lead.created",
        data="{}",
        created_at=NOW - timedelta(seconds=2),
        fanned_out_at=NOW - timedelta(minutes=5),
        settled={"hook_settled": NOW - timedelta(minutes=1)},  # a manual retry delivered it after fan-out
    )
    store.add(
        event,
        *(_hook(h) for h in ("hook_ok", "hook_500", "hook_gone", "hook_last", "hook_settled")),
        _hook("hook_paused", HookStatus.PAUSED),
    )
    sender = _answers({"hook_ok": 200, "hook_500": 500, "hook_gone": 410, "hook_last": 503})
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, http=sender, queue=queue, schedule="1s,1s")
    batch = [
        _queued("m_ok", "hook_ok"),  # succeeds
        _queued("m_500", "hook_500"),  # fails, retried
        _queued("m_gone", "hook_gone"),  # 410: fails for good, disables the hook
        _queued("m_last", "hook_last", attempt=3),  # fails on the last attempt
        _queued("m_paused", "hook_paused"),  # not sent, recorded
        _queued("m_deleted", "hook_deleted", not_before=OVERDUE),  # the hook is gone: dropped
        _queued("m_expired", "hook_ok", event_id="evt_gone", not_before=OVERDUE),  # the event is gone: dropped
        _queued("m_early", "hook_ok", attempt=2, not_before=NOW + timedelta(hours=1)),  # hops
        _queued("m_settled", "hook_settled", attempt=2),  # cancelled by the manual retry
    ]
    # When the batch is delivered
    with captured_logs() as logs:
        report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then each counter that feeds a metric counts exactly its deliveries
    assert _counters(report) == {
        "sent": 4,
        "succeeded": 1,
        "retrying": 1,
        "failed": 2,
        "deferred": 1,
        "hooks_disabled": 1,
        "item_errors": 0,
        "retries_cancelled": 1,
        "lags_ms": [2000, 2000, 2000],  # first attempts only: published -> attempted
        "redeliver": set(),
    }
    assert [o.execution.hook_id for o in report.outcomes] == ["hook_ok", "hook_500", "hook_gone", "hook_last"]
    # and the attempts, the skip and the follow-ups are what those counters describe
    assert sorted(sender.requests) == [
        f"https://receiver.example/{h}" for h in ("hook_500", "hook_gone", "hook_last", "hook_ok")
    ]
    assert [(e.hook_id, e.status) for e in deps.executions.written] == [
        ("hook_ok", ExecutionStatus.SUCCEEDED),
        ("hook_500", ExecutionStatus.RETRYING),
        ("hook_gone", ExecutionStatus.FAILED),
        ("hook_last", ExecutionStatus.FAILED),
        ("hook_paused", ExecutionStatus.FAILED),
    ]
    assert deps.executions.written[-1].error == "not sent: the hook is paused"
    follow_ups = [(DeliveryMessage.model_validate_json(m.body), m.delay_seconds) for m in queue.sent]
    assert follow_ups == [
        (batch[1].message.model_copy(update={"attempt": 2, "not_before": NOW + timedelta(seconds=1)}), 1),
        (batch[7].message, 900),
    ]
    assert store.hooks["hook_gone"].status is HookStatus.DISABLED
    assert store.hooks["hook_500"].failing_since == NOW and store.hooks["hook_ok"].failing_since is None
    # and each delivery that ends without an attempt says why, with its message's fields
    dropped = [
        line for line in log_lines(logs.getvalue()) if "dropped" in line["message"] or "cancelled" in line["message"]
    ]
    fields = ("level", "message", "hook_id", "event_id", "tenant_id", "attempt", "not_before")
    assert [tuple(line.get(key) for key in fields) for line in dropped] == [
        ("INFO", "hook deleted; delivery dropped", "hook_deleted", "evt_1", "ten_1", 1, "2026-01-01T11:59:00Z"),
        (
            "WARNING",
            "event no longer retained; delivery dropped",
            "hook_ok",
            "evt_gone",
            "ten_1",
            1,
            "2026-01-01T11:59:00Z",
        ),
        (
            "INFO",
            "automatic retry cancelled: a manual retry delivered the event",
            "hook_settled",
            "evt_1",
            "ten_1",
            None,
            None,
        ),
    ]


def test_a_manual_attempt_to_a_paused_hook_is_sent_and_not_a_first_attempt_lag(executor) -> None:
    # Given a paused hook and a manual retry for it
    store = SettlingStore()
    store.add(
        _hook("hook_1", HookStatus.PAUSED),
        Event(id="evt_1", tenant_id="ten_1", type="t", data="{}", created_at=NOW - timedelta(hours=1)),
    )
    sender = ScriptedSender()
    deps = fake_deps(executor, store=store, http=sender)
    # When it is delivered
    report = deliver_batch([_queued("m", "hook_1", manual=True)], deps, NOW)  # no budget: no deadline
    # Then it is sent (a person asked for it), settles the event for the hook, and is counted, but it is no
    # publish-to-delivery lag
    assert sender.requests == ["https://receiver.example/hook_1"]
    assert store.settled == [("ten_1", "evt_1", "hook_1", NOW)]
    assert _counters(report) == {**_counters(BatchReport()), "sent": 1, "succeeded": 1}


# --- what happens when a write, a read or a send fails: exact records, counters and log lines ---------------


def _world(statuses: dict[str, int], store: FakeStore | None = None) -> tuple[FakeStore, list[QueuedDelivery]]:
    """An event and one active hook per entry of `statuses`, and a first-attempt message for each."""
    store = store if store is not None else FakeStore()
    store.add(Event(id="evt_1", tenant_id="ten_1", type="lead.created", data="{}", created_at=NOW))
    store.add(*(_hook(hook_id) for hook_id in statuses))
    return store, [_queued(f"msg_{hook_id}", hook_id) for hook_id in statuses]


def _sender(statuses: dict[str, int]) -> ScriptedSender:
    """A receiver answering per hook with a header and a body, so a bare record differs from a full one."""

    def answer(url: str) -> HttpResult:
        return HttpResult(status=statuses[url.rsplit("/", 1)[1]], duration_ms=3, headers={"x-r": "1"}, body=b"ok")

    return ScriptedSender(answer=answer)


def _logged(text: str) -> list[tuple[str, str, str | None]]:
    """(level, message, hook_id) of every line the logic wrote."""
    return [(line["level"], line["message"], line.get("hook_id")) for line in log_lines(text)]


class CountingExecutions(FakeExecutions):
    """FakeExecutions that also records each single write it was asked for, refused or not."""

    def __init__(self, refuse: Callable[[Execution], bool]) -> None:
        super().__init__(refuse=refuse)
        self.asked: list[str] = []

    def put(self, execution: Execution) -> None:
        self.asked.append(execution.hook_id)
        super().put(execution)


def test_a_batch_write_that_fails_is_retried_one_by_one_and_the_refused_ones_written_bare(executor) -> None:
    # Given three deliveries (200, 500, 200) and a store that refuses the full records of the last two
    statuses = {"hook_0": 200, "hook_1": 500, "hook_2": 200}
    store, batch = _world(statuses)
    executions = FakeExecutions(refuse=lambda e: e.hook_id != "hook_0" and e.response_body is not None)
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, http=_sender(statuses), executions=executions, queue=queue)
    # When the batch is delivered
    with captured_logs("ERROR") as logs:
        report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then each execution is written on its own: the first in full, the refused ones without the answer and
    # without the request headers, saying so after the attempt's own error
    written = [
        (e.hook_id, e.response_status, e.response_body, e.response_headers, bool(e.request_headers), e.error)
        for e in executions.written
    ]
    assert written == [
        ("hook_0", 200, "ok", {"x-r": "1"}, True, None),
        ("hook_1", 500, None, {}, False, "HTTP 500; the record could not be written in full: ValueError"),
        ("hook_2", 200, None, {}, False, "attempt made; the record could not be written in full: ValueError"),
    ]
    # and nothing is redelivered: hook_1's next attempt is scheduled
    assert report.redeliver == set() and report.item_errors == 0
    assert [DeliveryMessage.model_validate_json(m.body).hook_id for m in queue.sent] == ["hook_1"]
    assert _logged(logs.getvalue()) == [
        ("ERROR", "executions not written as a batch; writing each on its own", None),
        ("ERROR", "execution not written; writing it without the response", "hook_1"),
        ("ERROR", "execution not written; writing it without the response", "hook_2"),
    ]


def test_an_execution_that_cannot_be_written_at_all_redelivers_it_and_the_rest_untried(executor) -> None:
    # Given three failing deliveries and a store that refuses every write of hook_1's execution
    statuses = {"hook_0": 500, "hook_1": 500, "hook_2": 500}
    store, batch = _world(statuses)
    executions = CountingExecutions(refuse=lambda e: e.hook_id == "hook_1")
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, http=_sender(statuses), executions=executions, queue=queue)
    # When the batch is delivered
    with captured_logs("ERROR") as logs:
        report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then hook_0 is written; hook_1 is tried in full and bare, then its message and every later one goes back
    # to SQS untried (the store is down) and unscheduled; only hook_0's next attempt is queued
    assert executions.asked == ["hook_0", "hook_1", "hook_1"]
    assert [e.hook_id for e in executions.written] == ["hook_0"]
    assert report.redeliver == {"msg_hook_1", "msg_hook_2"} and report.item_errors == 2
    assert [DeliveryMessage.model_validate_json(m.body).hook_id for m in queue.sent] == ["hook_0"]
    assert _logged(logs.getvalue()) == [
        ("ERROR", "executions not written as a batch; writing each on its own", None),
        ("ERROR", "execution not written; writing it without the response", "hook_1"),
        ("ERROR", "execution not written; SQS will deliver this message again", "hook_1"),
    ]
    per_message = [line for line in log_lines(logs.getvalue()) if line["message"].startswith("execution not written")]
    assert [(line["tenant_id"], line["hook_id"], line["event_id"]) for line in per_message] == [
        ("ten_1", "hook_1", "evt_1"),
        ("ten_1", "hook_1", "evt_1"),
    ]


class UnreachableStore(FakeStore):
    def get_hooks(self, keys: Iterable[tuple[str, str]]) -> dict[str, Hook]:
        raise DependencyFailure("BatchGetItem failed: ServiceUnavailable")


def test_when_the_store_is_unreachable_the_whole_batch_comes_back(executor) -> None:
    # Given a store whose batch read fails for an AWS outage
    store, batch = _world({"hook_0": 200, "hook_1": 200}, UnreachableStore())
    sender = ScriptedSender()
    deps = fake_deps(executor, store=store, http=sender)
    # When the batch is delivered
    with captured_logs() as logs:
        report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then nothing is sent or recorded and SQS delivers every message again
    assert sender.requests == [] and deps.executions.written == []
    assert _counters(report) == {**_counters(BatchReport()), "redeliver": {"msg_hook_0", "msg_hook_1"}}
    assert _logged(logs.getvalue()) == [
        ("ERROR", "hooks and events could not be read; SQS will deliver the batch again", None)
    ]


class BrokenEventStore(FakeStore):
    def get_event(self, tenant_id: str, event_id: str, now: datetime | None = None) -> Event | None:
        if event_id == "evt_broken":
            raise ValueError("event evt_broken does not parse")
        return super().get_event(tenant_id, event_id, now)


def test_an_event_that_cannot_be_read_is_a_failed_attempt_of_an_unknown_type(executor) -> None:
    # Given a batch where one delivery's event is unreadable (so the batch read fails too)
    store, batch = _world({"hook_0": 200, "hook_1": 200}, BrokenEventStore())
    batch[1] = _queued("msg_hook_1", "hook_1", event_id="evt_broken")
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, queue=queue)
    # When the batch is delivered
    with captured_logs() as logs:
        report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then the readable delivery goes out and the other is a recorded internal failure, retried on the schedule
    broken = deps.executions.written[-1]
    assert (broken.hook_id, broken.event_type, broken.status, broken.failure_class) == (
        "hook_1",
        "unknown",
        ExecutionStatus.RETRYING,
        "internal",
    )
    assert (
        broken.error == "internal error while reading the hook and event: ValueError: event evt_broken does not parse"
    )
    assert _counters(report) == {
        **_counters(BatchReport()),
        "sent": 2,
        "succeeded": 1,
        "retrying": 1,
        "item_errors": 1,
        "lags_ms": [0],
    }
    retry = DeliveryMessage.model_validate_json(queue.sent[0].body)
    assert (retry.hook_id, retry.attempt, retry.not_before, queue.sent[0].delay_seconds) == (
        "hook_1",
        2,
        NOW + timedelta(seconds=1),
        1,
    )
    assert [m for m in _logged(logs.getvalue()) if m[0] == "ERROR"] == [
        ("ERROR", "batch read failed; reading each delivery's hook and event on its own", None),
        ("ERROR", "delivery failed while reading the hook and event", "hook_1"),
    ]


class DownQueue(FakeQueue):
    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[int]:
        raise DependencyFailure("SendMessageBatch failed")


def test_when_no_next_attempt_can_be_queued_each_of_those_messages_comes_back(executor) -> None:
    # Given two failing deliveries and one that succeeds, and a queue that refuses every send
    statuses = {"hook_0": 500, "hook_1": 200, "hook_2": 500}
    store, batch = _world(statuses)
    deps = fake_deps(executor, store=store, http=_sender(statuses), queue=DownQueue())
    # When the batch is delivered
    with captured_logs() as logs:
        report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then every attempt is recorded, and the two that needed a next attempt come back from SQS instead
    assert sorted(e.hook_id for e in deps.executions.written) == ["hook_0", "hook_1", "hook_2"]
    assert report.redeliver == {"msg_hook_0", "msg_hook_2"} and report.item_errors == 2
    assert [m for m in _logged(logs.getvalue()) if m[0] == "ERROR"] == [
        ("ERROR", "next attempts not scheduled; SQS will deliver these messages again", None),
        ("ERROR", "next attempt not scheduled; SQS will deliver this message again", "hook_0"),
        ("ERROR", "next attempt not scheduled; SQS will deliver this message again", "hook_2"),
    ]


class PatchedMeanwhileStore(FakeStore):
    """A user renames and pauses every hook right after deliver read it; hook updates are recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.updated: list[tuple[str, str]] = []

    def get_hooks(self, keys: Iterable[tuple[str, str]]) -> dict[str, Hook]:
        hooks = super().get_hooks(keys)
        for hook in hooks.values():
            edit = {"name": "renamed", "status": HookStatus.PAUSED, "updated_at": NOW - timedelta(minutes=1)}
            self.hooks[hook.id] = hook.model_copy(update=edit)
        return hooks

    def update_hook(self, tenant_id: str, hook_id: str, change: Callable[[Hook], Hook | None]) -> Hook:
        self.updated.append((tenant_id, hook_id))
        return super().update_hook(tenant_id, hook_id, change)


def test_a_hook_state_change_keeps_a_concurrent_user_edit(executor) -> None:
    # Given a hook answering 410 and one answering 500, both renamed and paused by a user mid-batch
    statuses = {"hook_gone": 410, "hook_500": 500}
    store, batch = _world(statuses, PatchedMeanwhileStore())
    deps = fake_deps(executor, store=store, http=_sender(statuses))
    # When the batch is delivered
    with captured_logs("WARNING") as logs:
        deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then the 410 disables the hook and the 500 starts its failure window; the user's name and pause stay
    gone, failing = store.hooks["hook_gone"], store.hooks["hook_500"]
    assert (gone.name, gone.status, gone.updated_at) == ("renamed", HookStatus.DISABLED, NOW)
    assert gone.disabled_reason == "receiver answered 410 Gone: the hook was disabled"
    assert (failing.name, failing.status, failing.failing_since) == ("renamed", HookStatus.PAUSED, NOW)
    lines = log_lines(logs.getvalue())
    assert [(line["message"], line["hook_id"], line["tenant_id"], line["reason"]) for line in lines] == [
        ("hook disabled", "hook_gone", "ten_1", "receiver answered 410 Gone: the hook was disabled")
    ]
    assert store.updated == [("ten_1", "hook_gone"), ("ten_1", "hook_500")]


class ReadOnlyHooksStore(FakeStore):
    def update_hook(self, tenant_id: str, hook_id: str, change: Callable[[Hook], Hook | None]) -> Hook:
        raise DependencyFailure("UpdateItem failed")


def test_a_hook_state_that_cannot_be_saved_fails_nothing(executor) -> None:
    # Given a hook answering 410 and a store that refuses hook updates
    store, batch = _world({"hook_gone": 410}, ReadOnlyHooksStore())
    deps = fake_deps(executor, store=store, http=_sender({"hook_gone": 410}))
    # When the batch is delivered
    with captured_logs("ERROR") as logs:
        report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then the attempt is recorded and counted, the hook keeps its state, and the failure is logged
    assert [e.status for e in deps.executions.written] == [ExecutionStatus.FAILED]
    assert (report.failed, report.hooks_disabled, report.redeliver) == (1, 1, set())
    assert store.hooks["hook_gone"].status is HookStatus.ACTIVE
    lines = log_lines(logs.getvalue())
    assert [(line["message"], line["hook_id"], line["tenant_id"]) for line in lines] == [
        ("hook state not updated", "hook_gone", "ten_1")
    ]


def test_each_attempt_is_one_info_line_with_its_ids_and_outcome_and_details_at_debug(executor) -> None:
    # Given one delivery answered 503
    store, batch = _world({"hook_0": 503})
    deps = fake_deps(executor, store=store, http=_sender({"hook_0": 503}))
    # When it is delivered
    with captured_logs("DEBUG") as logs:
        deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then one INFO line names the ids and outcome and one DEBUG line the details, never the payload
    execution = deps.executions.written[0]
    lines = {line["message"]: line for line in log_lines(logs.getvalue())}
    info, debug = lines["delivery attempt"], lines["delivery attempt details"]
    assert (info["level"], debug["level"]) == ("INFO", "DEBUG")
    assert {key: info.get(key) for key in ("tenant_id", "hook_id", "event_id", "execution_id", "attempt")} == {
        "tenant_id": "ten_1",
        "hook_id": "hook_0",
        "event_id": "evt_1",
        "execution_id": execution.id,
        "attempt": 1,
    }
    assert (info["status"], info["failure_class"], info["error"]) == ("retrying", execution.failure_class, "HTTP 503")
    assert {key: debug.get(key) for key in ("execution_id", "event_type", "response_status", "duration_ms")} == {
        "execution_id": execution.id,
        "event_type": "lead.created",
        "response_status": 503,
        "duration_ms": 3,
    }
    assert (debug["response_headers_truncated"], debug["response_body_truncated"]) == (False, False)


def test_a_hook_that_cannot_be_read_is_a_failed_attempt_filed_under_its_event(executor) -> None:
    # Given a delivery whose hook record is broken while its event reads fine
    store, batch = _world({"hook_0": 200})
    store.broken_hooks.add("hook_0")
    deps = fake_deps(executor, store=store)
    # When it is delivered
    deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then the failed attempt carries the event's type and is filed under the event's group of executions
    execution = deps.executions.written[0]
    assert (execution.event_type, execution.status) == ("lead.created", ExecutionStatus.RETRYING)
    assert execution.id.startswith(f"exe_{event_group('evt_1', NOW)}")
    assert execution.error == "internal error while reading the hook and event: ValueError: hook hook_0 does not parse"


def test_an_internal_failure_on_the_last_attempt_fails_for_good(executor) -> None:
    # Given the last attempts (3 of 3) of two deliveries whose event can't be read
    store, _ = _world({"hook_0": 200, "hook_1": 200}, BrokenEventStore())
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, queue=queue, schedule="1s,1s")
    batch = [_queued(f"m{i}", f"hook_{i}", event_id="evt_broken", attempt=3) for i in range(2)]
    # When they are delivered
    report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then each is a failed execution with no next attempt, each counted
    assert [e.status for e in deps.executions.written] == [ExecutionStatus.FAILED, ExecutionStatus.FAILED]
    assert queue.sent == []
    assert _counters(report) == {**_counters(BatchReport()), "sent": 2, "failed": 2, "item_errors": 2}


def test_retry_jitter_comes_from_the_injected_random_source(executor) -> None:
    # Given a 10 s step with 50 % jitter, a random source pinned to its highest draw, a delivery answered 500
    # and one whose event can't be read
    store, batch = _world({"hook_0": 500, "hook_1": 200}, BrokenEventStore())
    batch[1] = _queued("msg_hook_1", "hook_1", event_id="evt_broken")
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, http=_sender({"hook_0": 500, "hook_1": 200}), queue=queue)
    deps = replace(deps, schedule=RetrySchedule((10.0,), jitter=0.5), rng=PinnedRandom(1.0))  # type: ignore[arg-type]
    # When the batch is delivered
    deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then both next attempts wait 15 s: the draw came from the injected source
    assert sorted(m.delay_seconds for m in queue.sent) == [15, 15]
    assert deps.rng.bounds == [(-0.5, 0.5), (-0.5, 0.5)]  # type: ignore[attr-defined]


class AlreadyFailingStore(FakeStore):
    """Another batch records the same failure window right after this one read the hook; counts writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def get_hooks(self, keys: Iterable[tuple[str, str]]) -> dict[str, Hook]:
        hooks = super().get_hooks(keys)
        for hook in hooks.values():
            self.hooks[hook.id] = hook.model_copy(update={"failing_since": NOW})
        return hooks

    def update_hook(self, tenant_id: str, hook_id: str, change: Callable[[Hook], Hook | None]) -> Hook:
        before = self.hooks[hook_id]
        after = super().update_hook(tenant_id, hook_id, change)
        self.writes += after is not before
        return after


def test_a_hook_change_already_made_by_another_batch_is_not_written_again(executor) -> None:
    # Given a failing delivery whose hook another batch has just marked failing since now
    store, batch = _world({"hook_0": 500}, AlreadyFailingStore())
    deps = fake_deps(executor, store=store, http=_sender({"hook_0": 500}))
    # When it is delivered
    deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then the hook already holds the change, so it is not written
    assert store.writes == 0
    assert store.hooks["hook_0"].failing_since == NOW


def test_each_success_and_each_retry_is_counted(executor) -> None:
    # Given two deliveries answered 200 and two answered 500
    statuses = {"hook_0": 200, "hook_1": 500, "hook_2": 200, "hook_3": 500}
    store, batch = _world(statuses)
    deps = fake_deps(executor, store=store, http=_sender(statuses))
    # When they are delivered
    report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then the report counts two of each
    assert (report.sent, report.succeeded, report.retrying, report.failed) == (4, 2, 2, 0)


def test_a_zero_delay_retry_is_due_at_once(executor) -> None:
    # Given a schedule whose first step is 0 s and a delivery answered 500
    store, batch = _world({"hook_0": 500})
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, http=_sender({"hook_0": 500}), queue=queue, schedule="0s")
    # When it is delivered
    deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then the next attempt is queued with no delay, due now
    retry = DeliveryMessage.model_validate_json(queue.sent[0].body)
    assert (queue.sent[0].delay_seconds, retry.attempt, retry.not_before) == (0, 2, NOW)


def test_deliveries_that_end_without_an_attempt_are_each_counted(executor) -> None:
    # Given two of each: paused hooks, deleted hooks, early messages and retries a manual retry settled
    store = FakeStore()
    event = Event(
        id="evt_1", tenant_id="ten_1", type="t", data="{}", created_at=NOW, settled={"hook_s0": NOW, "hook_s1": NOW}
    )
    store.add(event, _hook("hook_p0", HookStatus.PAUSED), _hook("hook_p1", HookStatus.PAUSED))
    store.add(_hook("hook_s0"), _hook("hook_s1"), _hook("hook_e0"), _hook("hook_e1"))
    later = NOW + timedelta(hours=1)
    batch = [
        *(_queued(f"m_p{i}", f"hook_p{i}") for i in range(2)),
        *(_queued(f"m_d{i}", f"hook_d{i}") for i in range(2)),
        *(_queued(f"m_e{i}", f"hook_e{i}", attempt=2, not_before=later) for i in range(2)),
        *(_queued(f"m_s{i}", f"hook_s{i}", attempt=2) for i in range(2)),
    ]
    sender = ScriptedSender()
    deps = fake_deps(executor, store=store, http=sender)
    # When the batch is delivered
    report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then nothing is sent and each is counted once
    assert sender.requests == []
    assert _counters(report) == {**_counters(BatchReport()), "deferred": 2, "retries_cancelled": 2}


def test_an_attempt_that_fits_the_budget_exactly_is_made_and_the_rest_put_back(executor) -> None:
    # Given four deliveries, one attempt at a time, each taking its whole 10 s timeout, and exactly 20 s of
    # budget after the recording margin
    store, batch = _world({f"hook_{i}": 200 for i in range(4)})
    clock = FakeClock()
    sender = ScriptedSender(clock=clock, seconds_per_request=10)
    queue = FakeQueue()
    deps = fake_deps(executor, store=store, http=sender, queue=queue, clock=clock, timeout_seconds=10, concurrency=1)
    # When the batch runs
    with captured_logs("WARNING") as logs:
        report = deliver_batch(batch, deps, NOW, budget_seconds=RECORDING_MARGIN_SECONDS + 20)
    # Then the second attempt, which ends exactly at the deadline, is made; the other two go back unchanged
    assert len(sender.requests) == 2
    assert (report.sent, report.deferred) == (2, 2)
    assert queue.sent == [OutgoingMessage(body=queued.message.model_dump_json()) for queued in batch[2:]]
    lines = log_lines(logs.getvalue())
    assert [(line["message"], line["hook_id"], line["event_id"], line["tenant_id"]) for line in lines] == [
        ("no time left in this invocation; delivery put back on the queue", f"hook_{i}", "evt_1", "ten_1")
        for i in (2, 3)
    ]


def test_two_answers_from_one_hook_in_a_batch_are_merged_into_its_state(executor) -> None:
    # Given one hook with two events in the batch, answered 410 and then 500
    store, _ = _world({"hook_0": 410})
    store.add(Event(id="evt_2", tenant_id="ten_1", type="lead.created", data="{}", created_at=NOW))
    answers = iter([410, 500])
    sender = ScriptedSender(answer=lambda _url: HttpResult(status=next(answers), duration_ms=1))
    deps = fake_deps(executor, store=store, http=sender, concurrency=1)
    batch = [_queued("m1", "hook_0"), _queued("m2", "hook_0", event_id="evt_2")]
    # When the batch is delivered
    report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then the second answer is judged against the hook the first one disabled: it stays disabled
    hook = store.hooks["hook_0"]
    assert (hook.status, hook.failing_since, report.hooks_disabled) == (HookStatus.DISABLED, NOW, 1)

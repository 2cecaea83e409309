"""Deliver rules on in-memory fakes, through `deliver_batch` only: a message that arrives before its
`not_before` hops back onto the queue (the chain that carries the 30 min .. 10 h retries past SQS's
15-minute delay cap), and the BatchReport counters that feed the metrics, asserted exactly."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from functions.common import contract
from functions.common.dal.queues import OutgoingMessage
from functions.common.http_client import HttpResult
from functions.common.models import DeliveryMessage, Event, ExecutionStatus, Hook, HookSecret, HookStatus
from functions.deliver.logic import BatchReport, QueuedDelivery, deliver_batch
from tests.support.fakes import FakeQueue, FakeStore, ScriptedSender, fake_deps

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
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
        "skipped": report.skipped,
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
        _queued("m_deleted", "hook_deleted"),  # the hook is gone: dropped
        _queued("m_expired", "hook_ok", event_id="evt_gone"),  # the event is gone: dropped
        _queued("m_early", "hook_ok", attempt=2, not_before=NOW + timedelta(hours=1)),  # hops
        _queued("m_settled", "hook_settled", attempt=2),  # cancelled by the manual retry
    ]
    # When the batch is delivered
    report = deliver_batch(batch, deps, NOW, budget_seconds=60)
    # Then each counter that feeds a metric counts exactly its deliveries
    assert _counters(report) == {
        "sent": 4,
        "succeeded": 1,
        "retrying": 1,
        "failed": 2,
        "deferred": 1,
        "skipped": 3,
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
    report = deliver_batch([_queued("m", "hook_1", manual=True)], deps, NOW, budget_seconds=60)
    # Then it is sent (a person asked for it), settles the event for the hook, and is counted, but it is no
    # publish-to-delivery lag
    assert sender.requests == ["https://receiver.example/hook_1"]
    assert store.settled == [("ten_1", "evt_1", "hook_1", NOW)]
    assert _counters(report) == {**_counters(BatchReport()), "sent": 1, "succeeded": 1}

"""Delivery and publishing rules at the unit level, on the in-memory fakes of tests/support/fakes.py: the
retry chain and state of each attempt, rotation grace, disabling a hook that only fails, idempotent publish.
The integration tests keep checking the same rules through the AWS wiring on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from functions.common.contract import DEFAULT_DISABLE_AFTER_SECONDS
from functions.common.http_client import HttpResult
from functions.common.ingest import Submission, ingest
from functions.common.models import (
    DeliveryMessage,
    Event,
    EventType,
    Execution,
    ExecutionStatus,
    Hook,
    HookSecret,
    HookStatus,
)
from functions.deliver.logic import QueuedDelivery, deliver_batch
from tests.support.fakes import FakeStore, FakeSubscriptions, ScriptedSender, fake_deps

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
CURRENT = "whsec_" + "a" * 43 + "="
PREVIOUS = "whsec_" + "b" * 43 + "="
EVENT = Event(id="evt_1", tenant_id="ten_1", type="lead.created", data="{}", created_at=NOW)


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


def _hook(**fields: object) -> Hook:
    values: dict[str, object] = {
        "id": "hook_1",
        "tenant_id": "ten_1",
        "name": "h",
        "url": "https://receiver.example/hook",
        "on": ["*"],
        "created_at": NOW,
        "updated_at": NOW,
        "secrets": [HookSecret(ciphertext=CURRENT, created_at=NOW)],
    }
    values.update(fields)
    return Hook.model_validate(values)


def _answering(status: int) -> ScriptedSender:
    return ScriptedSender(answer=lambda _url: HttpResult(status=status, duration_ms=1))


def _deliver(
    executor: ThreadPoolExecutor, hook: Hook, sender: ScriptedSender, *, attempt: int = 1, now: datetime = NOW, **deps
) -> tuple[FakeStore, list[Execution], list[DeliveryMessage]]:
    """One delivery of EVENT to `hook` at `now`: the store after it, the executions written, the follow-ups."""
    store = FakeStore()
    store.add(hook, EVENT)
    built = fake_deps(executor, store=store, http=sender, **deps)
    message = DeliveryMessage(tenant_id="ten_1", hook_id=hook.id, event_id=EVENT.id, attempt=attempt)
    deliver_batch([QueuedDelivery("msg_1", message)], built, now, budget_seconds=60)
    follow_ups = [DeliveryMessage.model_validate_json(sent.body) for sent in built.deliveries.sent]
    return store, built.executions.written, follow_ups


# Retry schedule and the state of each attempt ---------------------------------------------------------
def test_a_failed_first_attempt_is_retrying_and_queues_the_second_after_the_first_delay(executor) -> None:
    # Given a 5 s, 5 min schedule and a receiver answering 500
    # When the first attempt is made
    _, [execution], [follow_up] = _deliver(executor, _hook(), _answering(500), schedule="5s,5m")
    # Then it is recorded retrying, due again in 5 s, and attempt 2 is queued for that moment
    assert execution.status is ExecutionStatus.RETRYING and execution.attempt == 1
    assert execution.next_attempt_at == NOW + timedelta(seconds=5)
    assert (follow_up.attempt, follow_up.not_before) == (2, NOW + timedelta(seconds=5))


def test_the_last_scheduled_attempt_that_fails_is_failed_and_queues_nothing(executor) -> None:
    # Given a 2-step schedule (3 attempts) and a receiver answering 500
    # When the third attempt is made
    _, [execution], follow_ups = _deliver(executor, _hook(), _answering(500), attempt=3, schedule="5s,5m")
    # Then the pair is failed for good: no next attempt, nothing queued
    assert (execution.status, execution.next_attempt_at, follow_ups) == (ExecutionStatus.FAILED, None, [])


def test_a_retry_that_succeeds_is_succeeded_and_ends_the_chain(executor) -> None:
    # Given the second attempt of a delivery, and a receiver that now answers 200
    # When it is made
    _, [execution], follow_ups = _deliver(executor, _hook(), _answering(200), attempt=2)
    # Then it is succeeded and nothing more is queued
    assert (execution.status, execution.attempt, follow_ups) == (ExecutionStatus.SUCCEEDED, 2, [])


# Rotation grace -----------------------------------------------------------------------------------------
def _rotated_hook(grace_ends: datetime) -> Hook:
    previous = HookSecret(ciphertext=PREVIOUS, created_at=NOW - timedelta(days=1), expires_at=grace_ends)
    return _hook(secrets=[previous, HookSecret(ciphertext=CURRENT, created_at=NOW)])


def test_during_the_grace_period_both_secrets_sign_the_newest_first(executor) -> None:
    # Given a hook rotated with grace until an hour from now
    sender = _answering(200)
    # When it is delivered to now
    _deliver(executor, _rotated_hook(NOW + timedelta(hours=1)), sender)
    # Then the signature header carries one signature per live secret
    [headers] = sender.headers
    assert len(headers["webhook-signature"].split(" ")) == 2


def test_once_the_grace_period_ends_only_the_new_secret_signs(executor) -> None:
    # Given a hook whose previous secret's grace ended a second ago
    sender = _answering(200)
    # When it is delivered to
    _deliver(executor, _rotated_hook(NOW - timedelta(seconds=1)), sender)
    # Then one signature is sent
    [headers] = sender.headers
    assert len(headers["webhook-signature"].split(" ")) == 1


# Disabling a hook that only fails -------------------------------------------------------------------------
def test_a_hook_failing_for_the_configured_time_is_disabled_with_the_reason(executor) -> None:
    # Given a hook that has failed every delivery for 5 days (the default limit)
    failing_since = NOW - timedelta(seconds=DEFAULT_DISABLE_AFTER_SECONDS)
    hook = _hook(failing_since=failing_since)
    # When one more delivery fails
    store, _, _ = _deliver(executor, hook, _answering(500), disable_after_seconds=DEFAULT_DISABLE_AFTER_SECONDS)
    # Then the hook is disabled, saying for how long it failed
    disabled = store.hooks[hook.id]
    assert disabled.status is HookStatus.DISABLED
    assert (disabled.disabled_reason or "").startswith("every delivery failed for 5 days")


def test_a_hook_failing_for_less_than_the_configured_time_stays_active(executor) -> None:
    # Given a hook that has failed for one second less than 5 days
    hook = _hook(failing_since=NOW - timedelta(seconds=DEFAULT_DISABLE_AFTER_SECONDS - 1))
    # When one more delivery fails
    store, _, _ = _deliver(executor, hook, _answering(500), disable_after_seconds=DEFAULT_DISABLE_AFTER_SECONDS)
    # Then it stays active and keeps its failure record
    assert (store.hooks[hook.id].status, store.hooks[hook.id].failing_since) == (HookStatus.ACTIVE, hook.failing_since)


def test_a_disabled_hook_gets_no_request_and_the_attempt_is_a_failed_execution(executor) -> None:
    # Given a disabled hook with a delivery still queued
    sender = _answering(200)
    # When the delivery comes up
    _, [execution], follow_ups = _deliver(executor, _hook(status=HookStatus.DISABLED), sender)
    # Then nothing is sent, and the attempt is recorded as failed, saying why
    assert sender.requests == [] and follow_ups == []
    assert (execution.status, execution.error) == (ExecutionStatus.FAILED, "not sent: the hook is disabled")


# Idempotent publish ------------------------------------------------------------------------------------
def test_publishing_an_id_again_keeps_the_first_event() -> None:
    # Given an event published with a producer's id
    store = FakeSubscriptions(event_types={"lead.created": EventType(type="lead.created", description="d")})
    first = ingest(Submission("ten_1", "lead.created", {"n": 1}, id="evt_same"), store, store, 30, NOW)
    # When the same id is published again, later and with other data
    again = ingest(
        Submission("ten_1", "lead.created", {"n": 2}, id="evt_same"), store, store, 30, NOW + timedelta(hours=1)
    )
    # Then the first is created, the second is not, and both answer with the first event unchanged
    assert (first.created, again.created) == (True, False)
    assert again.event == first.event and json.loads(again.event.data) == {"n": 1}
    assert list(store.events) == [("ten_1", "evt_same")]


def test_the_same_id_under_another_tenant_is_another_event() -> None:
    # Given an event published by one tenant
    store = FakeSubscriptions(event_types={"lead.created": EventType(type="lead.created", description="d")})
    ingest(Submission("ten_1", "lead.created", {"n": 1}, id="evt_same"), store, store, 30, NOW)
    # When another tenant publishes the same id
    other = ingest(Submission("ten_2", "lead.created", {"n": 2}, id="evt_same"), store, store, 30, NOW)
    # Then it is created as its own event
    assert other.created and json.loads(other.event.data) == {"n": 2}

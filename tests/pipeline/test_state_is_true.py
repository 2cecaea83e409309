"""State is true: GET /events/{id} shows the newest attempt's state, a succeeded manual retry ends the
automatic schedule, and a message that reached a DLQ shows as failed with a reason."""

import pytest

from functions.api.deps import api_deps
from functions.common.contract import Env
from functions.common.dal.clients import aws
from functions.common.dal.executions import ExecutionsRepository
from functions.common.dal.queues import QueueClient
from functions.common.errors import DependencyFailure
from functions.common.settings import reset_settings_cache
from hookwire.receiver import Answer, fail_first
from tests.conftest import create_hook, publish
from tests.support.waiting import wait_until


def _history(api, token, hook_id):
    return list(reversed(api.get(f"/hooks/{hook_id}/executions", token).body["items"]))


def _state(api, token, event_id):
    [state] = api.get(f"/events/{event_id}", token).body["deliveries"]
    return state


def _first_attempt_failed(api, token, pipeline, make_receiver):
    """A hook whose receiver fails once, and an event whose first attempt to it has been made."""
    receiver = make_receiver(fail_first(1, status=500))
    hook = create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    pipeline.fanout.poll_once(0)
    pipeline.deliver.poll_once(0)
    return receiver, hook, event


@pytest.fixture
def two_second_schedule(monkeypatch) -> None:
    """One retry, 2 s after the first attempt: time enough to retry by hand before it is due."""
    monkeypatch.setenv(Env.RETRY_SCHEDULE, "2s")
    reset_settings_cache()
    api_deps.cache_clear()


def test_a_succeeded_manual_retry_cancels_the_scheduled_automatic_retry(
    api, tenant, pipeline, make_receiver, two_second_schedule
) -> None:
    # Given a first attempt that failed and left an automatic retry scheduled
    token = tenant["token"]
    receiver, hook, event = _first_attempt_failed(api, token, pipeline, make_receiver)
    [first] = _history(api, token, hook["id"])
    assert first["status"] == "retrying"
    # When the customer retries by hand, the manual attempt succeeds, and the pipeline then runs to the end
    assert api.post(f"/hooks/{hook['id']}/executions/{first['id']}/retry", token).status == 202
    pipeline.deliver.poll_once(0)
    pipeline.run_until_quiet()
    # Then nothing more was sent: two deliveries, two executions, and the state is the manual success
    assert len(receiver.deliveries) == 2
    assert [(e["status"], e["manual"]) for e in _history(api, token, hook["id"])] == [
        ("retrying", False),
        ("succeeded", True),
    ]
    assert _state(api, token, event["id"])["state"] == "succeeded"


def test_a_manual_retry_after_a_skipped_attempt_shows_succeeded(api, tenant, pipeline, make_receiver) -> None:
    # Given an attempt skipped because the hook was paused while its retry waited
    token = tenant["token"]
    _, hook, event = _first_attempt_failed(api, token, pipeline, make_receiver)
    api.patch(f"/hooks/{hook['id']}", token, {"status": "paused"})
    pipeline.run_until_quiet()
    history = _history(api, token, hook["id"])
    assert history[-1]["error"] == "not sent: the hook is paused"
    # When the customer retries the skipped attempt by hand and it succeeds
    api.post(f"/hooks/{hook['id']}/executions/{history[-1]['id']}/retry", token)
    pipeline.run_until_quiet()
    # Then the event shows the newest attempt: succeeded, and the list has it first
    state = _state(api, token, event["id"])
    assert (state["state"], state["attempts"]) == ("succeeded", 3)
    assert api.get(f"/hooks/{hook['id']}/executions", token).body["items"][0]["manual"] is True


def test_listing_by_status_fills_the_page(api, tenant, pipeline, make_receiver, monkeypatch) -> None:
    # Given a hook with 3 failed deliveries (their retries an hour away) among 9 successes, the failed ones oldest
    monkeypatch.setenv(Env.RETRY_SCHEDULE, "1h")
    reset_settings_cache()
    outcomes = iter([500] * 3 + [200] * 9)
    receiver = make_receiver(lambda _d, _n: Answer(status=next(outcomes)))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    for index in range(12):
        publish(api, token, "lead.created", {"n": index}, id=f"evt_page_{index:02d}")
        pipeline.fanout.poll_once(0)
        pipeline.deliver.poll_once(0)
    assert len(receiver.deliveries) == 12
    # When the newest 2 retrying ones are listed, then the rest
    first = api.get(f"/hooks/{hook['id']}/executions?status=retrying&limit=2", token).body
    rest = api.get(f"/hooks/{hook['id']}/executions?status=retrying&limit=2&cursor={first['next_cursor']}", token)
    # Then the limit counts matching executions and the cursor goes on
    assert [e["event_id"] for e in first["items"]] == ["evt_page_02", "evt_page_01"]
    assert [e["event_id"] for e in rest.body["items"]] == ["evt_page_00"]


def _failing(*_args, **_kwargs) -> None:
    raise DependencyFailure("injected: the write failed before taking effect")


def _run_until_dead_lettered(pipeline, which: int) -> None:
    """Let SQS redeliver (visibility 2 s here) until the message moved to the DLQ."""

    def dead_lettered() -> bool:
        pipeline.fanout.poll_once(0) + pipeline.deliver.poll_once(0)
        return pipeline.dlq_depths()[which] > 0

    wait_until(dead_lettered, 60, "the message reaching the DLQ", interval=0.2)


def test_a_delivery_that_reached_the_dlq_shows_failed_and_can_be_retried(
    api, tenant, pipeline, receiver, monkeypatch
) -> None:
    # Given a delivery whose deliver invocation fails at every receive (its executions can't be written)
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    pipeline.fanout.poll_once(0)
    with monkeypatch.context() as patch:
        patch.setattr(ExecutionsRepository, "put_many", _failing)
        patch.setattr(ExecutionsRepository, "put", _failing)
        _run_until_dead_lettered(pipeline, 1)
    assert _state(api, token, event["id"])["state"] == "pending"
    # When the dead-letter recorder runs
    assert pipeline.record_dead_letters() == 1
    # Then the hook's state is failed with the reason, the DLQ is empty, and a manual retry delivers it
    state = _state(api, token, event["id"])
    assert state["state"] == "failed"
    assert "reached the dead-letter queue after 5 receives" in state["last_error"]
    assert pipeline.dlq_depths() == (0, 0)
    api.post(f"/hooks/{hook['id']}/executions/{state['last_execution_id']}/retry", token)
    pipeline.run_until_quiet()
    assert _state(api, token, event["id"])["state"] == "succeeded"


def test_an_event_whose_fanout_reached_the_dlq_shows_failed_until_replayed(
    api, tenant, pipeline, receiver, monkeypatch
) -> None:
    # Given an event whose fan-out fails at every receive (deliveries can't be queued)
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    with monkeypatch.context() as patch:
        patch.setattr(QueueClient, "send_each", lambda _self, messages: list(range(len(messages))))
        _run_until_dead_lettered(pipeline, 0)
    # When the dead-letter recorder runs
    pipeline.record_dead_letters()
    # Then the event says its fan-out failed, and why
    detail = api.get(f"/events/{event['id']}", token).body
    assert detail["fanout"] == "failed"
    assert "dead-letter queue after 5 receives" in detail["fanout_error"]
    # And a replay delivers it and clears the failure
    assert api.post(f"/events/{event['id']}/replay", token, {}).status == 202
    pipeline.run_until_quiet()
    detail = api.get(f"/events/{event['id']}", token).body
    assert (detail["fanout"], detail["fanout_error"]) == ("done", None)
    assert [d["state"] for d in detail["deliveries"]] == ["succeeded"]


def test_an_unattributable_dead_letter_stays_in_the_dlq(api, tenant, pipeline, aws_env) -> None:
    # Given an unparseable message in the events DLQ
    aws.get("sqs").send_message(QueueUrl=aws_env.events_dlq_url, MessageBody="not json")
    # When the recorder runs
    pipeline.record_dead_letters()
    # Then it is still there for the operator (in flight for hours, not deleted)
    assert pipeline.dlq_depths() == (1, 0)

"""State is true: GET /events/{id} shows the newest attempt's state, a succeeded manual retry ends the
automatic schedule, and a message that reached a DLQ shows as failed with a reason."""

import pytest

from functions.api.deps import api_deps
from functions.common.contract import Env
from functions.common.settings import reset_settings_cache
from hookwire.receiver import Answer, fail_first
from tests.conftest import create_hook, publish


def _history(api, token, hook_id):
    return list(reversed(api.get(f"/hooks/{hook_id}/executions", token).body["items"]))


def _state(api, token, event_id):
    [state] = api.get(f"/events/{event_id}", token).body["deliveries"]
    return state


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
    receiver = make_receiver(fail_first(1, status=500))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    pipeline.fanout.poll_once(0)
    pipeline.deliver.poll_once(0)
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
    receiver = make_receiver(fail_first(1, status=500))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    pipeline.fanout.poll_once(0)
    pipeline.deliver.poll_once(0)
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

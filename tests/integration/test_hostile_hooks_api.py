"""Hooks that could never be sent (saved before the input checks existed) through the API's test, retry
and replay: always a recorded failed execution and a 2xx, never a 500 or a DLQ message."""

from __future__ import annotations

import pytest

from functions.common.dal.hooks import HooksRepository
from tests.conftest import create_hook, publish


def _stored_bypassing_checks(api, tenant, aws_env, receiver, update: dict) -> dict:
    """A hook whose stored record bypassed the API's checks (written straight to the table)."""
    hook = create_hook(api, tenant["token"], receiver.url, on="lead.created")
    store = HooksRepository(aws_env.subscriptions_table)
    store.update_hook(tenant["id"], hook["id"], lambda current: current.model_copy(update=update))
    return hook


@pytest.fixture
def unsendable_hook(api, tenant, aws_env, receiver) -> dict:
    return _stored_bypassing_checks(api, tenant, aws_env, receiver, {"headers": {"X-Price": "price €5"}})


def test_a_stored_non_ascii_host_is_sent_to_its_idna_mapped_form(api, tenant, aws_env, receiver) -> None:
    # Given a hook stored with a host that is valid only after IDNA mapping
    port = receiver.server.server_address[1]
    hook = _stored_bypassing_checks(api, tenant, aws_env, receiver, {"url": f"http://ⓛocalhost:{port}/webhook"})
    # When a test delivery is sent
    reply = api.post(f"/hooks/{hook['id']}/test", tenant["token"])
    # Then it reaches the receiver at the mapped host (localhost)
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "succeeded"
    assert len(receiver.deliveries) == 1


def test_a_test_delivery_to_an_unsendable_hook_is_a_failed_execution(api, tenant, unsendable_hook, receiver) -> None:
    reply = api.post(f"/hooks/{unsendable_hook['id']}/test", tenant["token"])
    assert reply.status == 200, reply.body
    assert reply.body["status"] == "failed" and reply.body["failure_class"] == "request"
    assert "latin-1" in reply.body["error"]
    assert receiver.deliveries == []


def test_retry_and_replay_of_an_unsendable_hook_are_recorded_failures(
    api, tenant, unsendable_hook, pipeline, receiver
) -> None:
    token, hook_id = tenant["token"], unsendable_hook["id"]
    event = publish(api, token, "lead.created", {}).body
    pipeline.run_until_quiet()
    first = api.get(f"/hooks/{hook_id}/executions", token).body["items"]
    assert first and all(e["error"] and e["status"] != "succeeded" for e in first)
    # When the tenant retries the last attempt and replays the event
    assert api.post(f"/hooks/{hook_id}/executions/{first[0]['id']}/retry", token).status == 202
    assert api.post(f"/events/{event['id']}/replay", token, {}).status == 202
    pipeline.run_until_quiet()
    # Then each is one more recorded failed execution, and nothing went to a DLQ
    after = api.get(f"/hooks/{hook_id}/executions", token).body["items"]
    assert len(after) > len(first) and all(e["failure_class"] == "request" for e in after)
    assert pipeline.dlq_depths() == (0, 0)
    assert receiver.deliveries == []

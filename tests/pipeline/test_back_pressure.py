"""Receiver back-pressure through publish -> fanout -> deliver on moto (schedule "1s,1s": 3 attempts):
`Webhook-Delivery: abort` ends a message's retries, the event is failed for that hook and can still be
retried by hand. (Retry-After on a 500: tests/pipeline/test_pipeline.py.)"""

from hookwire.receiver import Answer
from tests.conftest import create_hook, publish


def _history(api, token, hook_id):
    return list(reversed(api.get(f"/hooks/{hook_id}/executions", token).body["items"]))


def test_abort_header_stops_retries_and_a_manual_retry_still_delivers(api, tenant, pipeline, make_receiver) -> None:
    # Given a receiver whose first answer is a 500 asking Hookwire to abort, then 200s
    receiver = make_receiver(
        lambda _d, n: Answer(status=500, headers={"Webhook-Delivery": "Abort"}) if n == 1 else Answer()
    )
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    # When an event is published and the pipeline runs dry
    event = publish(api, token, "lead.created", {}).body
    pipeline.run_until_quiet()
    # Then there was one attempt only, recorded failed with the receiver's request as the reason
    [execution] = _history(api, token, hook["id"])
    assert len(receiver.deliveries) == 1
    assert execution["status"] == "failed" and execution["next_attempt_at"] is None
    assert "asked to abort" in execution["error"]
    state = api.get(f"/events/{event['id']}", token).body["deliveries"][0]
    assert state["state"] == "failed"
    # And a manual retry still delivers it
    assert api.post(f"/hooks/{hook['id']}/executions/{execution['id']}/retry", token).status == 202
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 2
    assert api.get(f"/events/{event['id']}", token).body["deliveries"][0]["state"] == "succeeded"

"""Issue 3: what happens around a delivery — rotation, test, retry, idempotency, signals, disabling,
execution detail, payload formats, schemas, custom headers. In-process against moto."""

import json
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from functions.api.deps import api_deps
from functions.common.contract import Env
from functions.common.dal.clients import aws
from functions.common.dal.events import event_key
from functions.common.settings import reset_settings_cache
from functions.common.timeutil import utcnow
from hookwire.receiver import Answer, always
from tests.conftest import ADMIN_TOKEN, create_hook, publish

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "all"


def _history(api, token, hook_id, query=""):
    return api.get(f"/hooks/{hook_id}/executions{query}", token).body["items"]


# 1. Secret rotation -------------------------------------------------------------------------------
def test_after_seven_rotations_the_current_and_five_newest_old_secrets_sign(api, tenant, receiver) -> None:
    # Given a hook rotated 7 times, each old secret with an hour of grace
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    secrets = [hook["secret"]]
    for _ in range(7):
        secrets.append(api.post(f"/hooks/{hook['id']}/rotate", token, {"grace_seconds": 3600}).body["secret"])
    # When a test delivery is sent
    api.post(f"/hooks/{hook['id']}/test", token)
    # Then 6 secrets sign it (the current and the 5 newest old ones), and the oldest does not
    delivery = receiver.deliveries[-1]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 6
    for secret in secrets[-6:]:
        Webhook(secret).verify(delivery.body, delivery.headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(secrets[0]).verify(delivery.body, delivery.headers)


def test_old_secret_stops_signing_when_its_grace_ends(api, tenant, receiver, monkeypatch) -> None:
    # Given a secret rotated with one second of grace: both secrets sign
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    api.post(f"/hooks/{hook['id']}/rotate", token, {"grace_seconds": 1})
    api.post(f"/hooks/{hook['id']}/test", token)
    assert len(receiver.deliveries[-1].headers["webhook-signature"].split(" ")) == 2
    # When the API's clock is past the grace period
    later = utcnow() + timedelta(seconds=2)
    monkeypatch.setattr("functions.api.routes.hooks.now", lambda: later)
    api.post(f"/hooks/{hook['id']}/test", token)
    # Then only the new secret signs
    assert len(receiver.deliveries[-1].headers["webhook-signature"].split(" ")) == 1


def test_a_negative_grace_period_is_refused_naming_the_field(api, tenant, receiver) -> None:
    # Given a hook
    hook = create_hook(api, tenant["token"], receiver.url)
    # When it is rotated with a negative grace period
    reply = api.post(f"/hooks/{hook['id']}/rotate", tenant["token"], {"grace_seconds": -1})
    # Then the API answers 422 naming grace_seconds
    assert reply.status == 422 and reply.body["field"] == "grace_seconds"


# 2. Test delivery ----------------------------------------------------------------------------------
def test_test_delivery_works_on_paused_hooks_with_the_callers_type_and_data(api, tenant, receiver) -> None:
    # Given a paused hook
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, status="paused")
    # When the tenant sends a test delivery with its own type and data
    execution = api.post(f"/hooks/{hook['id']}/test", token, {"type": "lead.created", "data": {"id": "ld_9"}}).body
    # Then it is sent, with that type and data, and the execution records the exact body
    assert execution["status"] == "succeeded" and execution["event_type"] == "lead.created"
    payload = json.loads(receiver.deliveries[-1].body)
    assert payload["type"] == "lead.created" and payload["data"] == {"id": "ld_9"}
    assert execution["request_body"] == receiver.deliveries[-1].body.decode()


def test_a_test_delivery_without_a_body_sends_a_webhook_test_sample(api, tenant, receiver) -> None:
    # Given a hook
    hook = create_hook(api, tenant["token"], receiver.url)
    # When a test delivery is sent without a body
    execution = api.post(f"/hooks/{hook['id']}/test", tenant["token"]).body
    # Then the receiver gets a webhook.test event naming the hook, and the answer is recorded
    payload = json.loads(receiver.deliveries[-1].body)
    assert payload["type"] == "webhook.test" and payload["data"]["hook_id"] == hook["id"]
    assert execution["response_body"] == "ok" and 0 <= execution["duration_ms"] < 2000  # within the 2 s timeout


def test_a_test_delivery_to_a_slow_receiver_fails_saying_it_timed_out(api, tenant, make_receiver) -> None:
    # Given a receiver slower than the 2 s delivery timeout
    receiver = make_receiver(lambda _d, _n: Answer(delay_seconds=3))
    hook = create_hook(api, tenant["token"], receiver.url)
    # When a test delivery is sent
    execution = api.post(f"/hooks/{hook['id']}/test", tenant["token"]).body
    # Then it failed, saying after how long it timed out
    assert execution["status"] == "failed" and "timed out after 2 s" in execution["error"]


def test_a_test_delivery_to_a_server_without_tls_fails_saying_tls_failed(api, tenant, receiver) -> None:
    # Given an https URL whose server speaks plain http
    hook = create_hook(api, tenant["token"], receiver.url.replace("http://", "https://"))
    # When a test delivery is sent
    execution = api.post(f"/hooks/{hook['id']}/test", tenant["token"]).body
    # Then it failed with the TLS handshake error
    assert execution["status"] == "failed" and execution["error"].startswith("TLS handshake failed")


# 3. Manual retry and replay ------------------------------------------------------------------------
def test_a_manual_retry_works_after_exhaustion_even_on_a_disabled_hook(api, tenant, pipeline, make_receiver) -> None:
    # Given an event whose 3 attempts all failed
    answers = {"status": 500}
    receiver = make_receiver(lambda _d, _n: Answer(status=answers["status"]))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    last = _history(api, token, hook["id"])[0]
    assert last["status"] == "failed" and last["attempt"] == 3
    # And the hook then disabled by a 410
    # The hook gets disabled (410) — a manual retry does not need it re-enabled
    answers["status"] = 410
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    assert api.get(f"/hooks/{hook['id']}", token).body["status"] == "disabled"
    # When the receiver recovers and the tenant retries the failed execution by hand
    answers["status"] = 200
    assert api.post(f"/hooks/{hook['id']}/executions/{last['id']}/retry", token).status == 202
    pipeline.run_until_quiet()
    # Then the newest attempt of that event is the manual one, succeeded
    # The history lists the newest event first, each event's attempts together (newest attempt first)
    of_first_event = [e for e in _history(api, token, hook["id"]) if e["event_id"] == last["event_id"]]
    newest = of_first_event[0]
    assert newest["manual"] and newest["status"] == "succeeded" and newest["event_id"] == last["event_id"]


def test_a_failed_manual_retry_is_not_retried_again(api, tenant, pipeline, make_receiver) -> None:
    # Given an event whose attempts all failed
    receiver = make_receiver(always(500))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    before = len(receiver.deliveries)
    last = _history(api, token, hook["id"])[0]
    # When a manual retry fails too
    api.post(f"/hooks/{hook['id']}/executions/{last['id']}/retry", token)
    pipeline.run_until_quiet()
    # Then exactly one more request was made, and the manual attempt is failed with no next attempt
    assert len(receiver.deliveries) == before + 1
    newest = _history(api, token, hook["id"])[0]
    assert newest["manual"] and newest["status"] == "failed" and newest["next_attempt_at"] is None


# 4. Idempotent publish -----------------------------------------------------------------------------
def test_four_racing_publishes_of_one_id_create_one_event_delivered_once(api, tenant, pipeline, receiver) -> None:
    from functions.api.logic.events import publish as publish_logic
    from functions.api.schemas import PublishEvent
    from functions.common.timeutil import utcnow

    # Given a hook, and one event body with a producer's id
    create_hook(api, tenant["token"], receiver.url, on="lead.created")
    deps = api_deps()
    body = PublishEvent(type="lead.created", data={"n": 1}, id="evt_race")
    results = []

    def publish_once() -> None:
        results.append(
            publish_logic(
                tenant["id"],
                body,
                None,
                deps.event_types,
                deps.events,
                deps.events_queue,
                30,
                deps.publish_limiter,
                utcnow(),
            ).created
        )

    # When four threads publish it at once
    threads = [threading.Thread(target=publish_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly one publish created it, and it is delivered once
    assert sorted(results) == [False, False, False, True]
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 1


def test_an_expired_event_id_can_be_published_again(api, tenant, aws_env) -> None:
    # Given an event whose retention has expired
    token = tenant["token"]
    assert publish(api, token, "lead.created", {}, id="evt_old").status == 202
    aws.get("dynamodb").update_item(
        TableName=aws_env.subscriptions_table,
        Key=event_key(tenant["id"], "evt_old"),
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    # When its id is read and published again
    assert api.get("/events/evt_old", token).status == 404
    # Then it is gone, and the id is accepted as a new event
    assert publish(api, token, "lead.created", {}, id="evt_old").status == 202


# 5. Receiver signals -------------------------------------------------------------------------------
def test_a_503_with_an_http_date_retry_after_schedules_the_retry_at_that_date(
    api, tenant, pipeline, make_receiver, monkeypatch
) -> None:
    from email.utils import formatdate

    # Given deliver's clock on a whole second, and a receiver that first answers 503 with a Retry-After date
    # 2 s later (inside the [1 s, 2 s] a 1 s schedule step accepts)
    first_attempt_at = utcnow().replace(microsecond=0)
    retry_at = first_attempt_at + timedelta(seconds=2)
    retry_after = formatdate(retry_at.timestamp(), usegmt=True)
    receiver = make_receiver(
        lambda _d, n: Answer(status=503, headers={"retry-after": retry_after}) if n == 1 else Answer()
    )
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.fanout.poll_once(0)
    # When the first attempt runs at that moment
    with monkeypatch.context() as patch:
        patch.setattr("functions.deliver.handler.utcnow", lambda: first_attempt_at)
        assert pipeline.deliver.poll_once(0) == 1
    # Then the retry is scheduled for exactly the receiver's date
    [retrying] = _history(api, token, hook["id"])
    assert retrying["status"] == "retrying"
    assert datetime.fromisoformat(retrying["next_attempt_at"]) == retry_at
    # When the clock runs on, the retry is made no earlier than that date, and succeeds
    pipeline.run_until_quiet()
    _first, second = receiver.deliveries
    assert second.received_at >= retry_at.timestamp()
    assert [e["status"] for e in _history(api, token, hook["id"])] == ["succeeded", "retrying"]


def test_a_timed_out_attempt_is_retrying_with_the_cause(api, tenant, pipeline, make_receiver) -> None:
    # Given a receiver that answers its first request too late
    receiver = make_receiver(lambda _d, n: Answer(delay_seconds=3) if n == 1 else Answer())
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    # When an event is delivered
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    # Then the first attempt is retrying and says it timed out
    retrying = _history(api, token, hook["id"])[-1]
    assert retrying["status"] == "retrying" and "timed out" in retrying["error"]


# 6. Auto-disable -----------------------------------------------------------------------------------
def test_a_hook_failing_for_the_configured_time_is_disabled(api, tenant, pipeline, make_receiver, monkeypatch) -> None:
    # Given hooks are disabled after failing for 1.5 s, and a receiver that always answers 500
    monkeypatch.setenv(Env.DISABLE_AFTER_SECONDS, "1.5")
    monkeypatch.setenv(Env.RETRY_SCHEDULE, "1s,1s,1s")
    reset_settings_cache()
    api_deps.cache_clear()
    receiver = make_receiver(always(500))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    # When an event's attempts keep failing past that time
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    # Then the hook is disabled with the reason, and the next attempt is not sent
    got = api.get(f"/hooks/{hook['id']}", token).body
    assert got["status"] == "disabled" and got["disabled_reason"].startswith("every delivery failed for")
    history = _history(api, token, hook["id"])
    assert history[0]["error"] == "not sent: the hook is disabled"
    # When the tenant re-enables it, the reason is cleared
    # Re-enabling clears the failure record: the next failure starts a new window
    enabled = api.patch(f"/hooks/{hook['id']}", token, {"status": "active"}).body
    assert enabled["status"] == "active" and enabled["disabled_reason"] is None


# 7. Execution detail ------------------------------------------------------------------------------
def test_execution_detail_shows_what_was_sent_and_received(api, tenant, pipeline, make_receiver) -> None:
    # Given a hook with a custom header, and a receiver answering 20 KB with a header
    big = b"x" * (20 * 1024)
    receiver = make_receiver(lambda _d, _n: Answer(status=200, body=big, headers={"x-receiver": "yes"}))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created", headers={"X-Team": "crm"})
    # When an event is delivered and its execution read
    publish(api, token, "lead.created", {"id": "ld_1"})
    pipeline.run_until_quiet()
    [summary] = _history(api, token, hook["id"])
    detail = api.get(f"/hooks/{hook['id']}/executions/{summary['id']}", token).body
    # Then it shows the request (headers, never the secret, exact body) and the capped response
    assert detail["request_headers"]["X-Team"] == "crm" and detail["request_headers"]["webhook-signature"]
    assert hook["secret"] not in json.dumps(detail)
    assert detail["request_body"] == receiver.deliveries[0].body.decode()
    assert detail["response_headers"]["x-receiver"] == "yes"
    assert len(detail["response_body"]) == 4 * 1024 and detail["response_body_truncated"]
    assert detail["attempt"] == 1 and detail["duration_ms"] is not None


def test_executions_filter_by_status_and_event_type(api, tenant, pipeline, make_receiver) -> None:
    # Given a receiver that fails lead.deleted and accepts lead.created
    receiver = make_receiver(lambda delivery, _n: Answer(status=500 if b"lead.deleted" in delivery.body else 200))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.*")
    # When one of each is delivered
    publish(api, token, "lead.created", {})
    publish(api, token, "lead.deleted", {})
    pipeline.run_until_quiet()
    # Then the history filters by status and by event type, and refuses an unknown status
    assert {e["event_type"] for e in _history(api, token, hook["id"], "?status=succeeded")} == {"lead.created"}
    assert [e["status"] for e in _history(api, token, hook["id"], "?status=failed")] == ["failed"]
    assert len(_history(api, token, hook["id"], "?event_type=lead.deleted")) == 3
    assert api.get(f"/hooks/{hook['id']}/executions?status=bogus", token).status == 422


# 8. Event delivery state ---------------------------------------------------------------------------
def test_event_state_shows_retrying_with_the_next_time(api, tenant, pipeline, make_receiver) -> None:
    # Given a receiver answering 500
    receiver = make_receiver(always(500))
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created")
    # When the first attempt of an event fails
    event = publish(api, token, "lead.created", {}).body
    pipeline.fanout.poll_once(0)
    pipeline.deliver.poll_once(0)
    # Then the event's state for the hook is retrying, with the attempt count, next time and error
    [state] = api.get(f"/events/{event['id']}", token).body["deliveries"]
    assert state["state"] == "retrying" and state["attempts"] == 1 and state["next_attempt_at"]
    assert state["last_error"] == "HTTP 500"
    pipeline.run_until_quiet()


# 9. Payload formats --------------------------------------------------------------------------------
def test_every_seed_sample_arrives_byte_for_byte_or_enveloped(api, tenant, pipeline, make_receiver) -> None:
    # Given a data-format hook and an envelope hook on every type
    data_receiver, envelope_receiver = make_receiver(always(200)), make_receiver(always(200))
    token = tenant["token"]
    create_hook(api, token, data_receiver.url, on="*", payload_format="data")
    create_hook(api, token, envelope_receiver.url, on="*")
    # When every seed sample is published as raw JSON
    index = json.loads((SAMPLES / "index.json").read_text())
    published = {}
    for sample in index:
        raw = (SAMPLES / sample["file"]).read_text()
        body = ('{"type": ' + json.dumps(sample["type"]) + ', "data": ' + raw + "}").encode()
        reply = api.post("/events", token, raw=body)
        assert reply.status == 202, reply.body
        published[reply.body["id"]] = (sample["type"], raw)
    pipeline.run_until_quiet(timeout=30)
    # Then the data hook gets each sample's bytes unchanged, the envelope hook each wrapped
    assert len(published) == 17
    received = {d.headers["webhook-id"]: d.body for d in data_receiver.deliveries}
    assert {event_id: raw.encode() for event_id, (_, raw) in published.items()} == received
    for delivery in envelope_receiver.deliveries:
        envelope = json.loads(delivery.body)
        event_type, raw = published[envelope["id"]]
        assert set(envelope) == {"id", "type", "timestamp", "data"}
        assert envelope["type"] == event_type and envelope["data"] == json.loads(raw)
        assert delivery.body.endswith(raw.encode() + b"}")
    assert len(envelope_receiver.deliveries) == 17


# 10. Event schemas ---------------------------------------------------------------------------------
def test_a_schema_failure_names_the_nested_path(api, tenant) -> None:
    # Given an event type with a JSON Schema
    schema = {
        "type": "object",
        "properties": {"entity": {"type": "object", "properties": {"id": {"type": "string"}}}},
    }
    api.put("/event-types/CUSTOMER_CREATE", ADMIN_TOKEN, {"description": "Customer Created", "schema": schema})
    # When data breaks it at a nested field
    reply = publish(api, tenant["token"], "CUSTOMER_CREATE", {"entity": {"id": 67890}})
    # Then the 422 names the nested path and the rule, and a type without a schema takes anything
    assert reply.status == 422 and reply.body["field"] == "data.entity.id"
    assert "must be string" in reply.body["message"]
    assert publish(api, tenant["token"], "CUSTOMER_UPDATE_DETAILS", {"anything": [1, 2]}).status == 202


# 11. Custom headers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["webhook-id", "Webhook-Signature", "content-type", "Host", "content-length", "user-agent"]
)
def test_custom_headers_may_not_override_protocol_headers(api, tenant, receiver, name) -> None:
    # Given a hook asking for a custom header the protocol owns
    # When it is created
    reply = api.post("/hooks", tenant["token"], {"name": "x", "url": receiver.url, "on": "*", "headers": {name: "v"}})
    # Then it is refused naming the headers field
    assert reply.status == 422 and reply.body["field"] == "headers" and "can't be overridden" in reply.body["message"]


def test_a_hook_has_at_most_twenty_custom_headers_and_sends_them(api, tenant, receiver) -> None:
    # Given 21 custom headers
    headers = {f"X-H{i}": "v" for i in range(21)}
    # When a hook is created with them, it is refused naming the field
    reply = api.post("/hooks", tenant["token"], {"name": "x", "url": receiver.url, "on": "*", "headers": headers})
    assert reply.status == 422 and reply.body["field"] == "headers"
    # When one is dropped, the hook is created and sends all 20
    headers.pop("X-H20")
    hook = create_hook(api, tenant["token"], receiver.url, headers=headers)
    api.post(f"/hooks/{hook['id']}/test", tenant["token"])
    assert receiver.deliveries[-1].headers["x-h19"] == "v"

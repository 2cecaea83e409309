"""Issue 3: what happens around a delivery — rotation, test, retry, idempotency, signals, disabling,
execution detail, payload formats, schemas, custom headers. In-process against moto."""

import json
import threading
import time
from datetime import timedelta
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
def test_at_most_five_old_secrets_stay_live(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    secrets = [hook["secret"]]
    for _ in range(7):
        secrets.append(api.post(f"/hooks/{hook['id']}/rotate", token, {"grace_seconds": 3600}).body["secret"])
    api.post(f"/hooks/{hook['id']}/test", token)
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


def test_rotate_refuses_negative_grace(api, tenant, receiver) -> None:
    hook = create_hook(api, tenant["token"], receiver.url)
    reply = api.post(f"/hooks/{hook['id']}/rotate", tenant["token"], {"grace_seconds": -1})
    assert reply.status == 422 and reply.body["field"] == "grace_seconds"


# 2. Test delivery ----------------------------------------------------------------------------------
def test_test_delivery_works_on_paused_hooks_with_the_callers_type_and_data(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, status="paused")
    execution = api.post(f"/hooks/{hook['id']}/test", token, {"type": "lead.created", "data": {"id": "ld_9"}}).body
    assert execution["status"] == "succeeded" and execution["event_type"] == "lead.created"
    payload = json.loads(receiver.deliveries[-1].body)
    assert payload["type"] == "lead.created" and payload["data"] == {"id": "ld_9"}
    assert execution["request_body"] == receiver.deliveries[-1].body.decode()


def test_test_delivery_default_sample(api, tenant, receiver) -> None:
    hook = create_hook(api, tenant["token"], receiver.url)
    execution = api.post(f"/hooks/{hook['id']}/test", tenant["token"]).body
    payload = json.loads(receiver.deliveries[-1].body)
    assert payload["type"] == "webhook.test" and payload["data"]["hook_id"] == hook["id"]
    assert execution["response_body"] == "ok" and execution["duration_ms"] >= 0


def test_test_delivery_explains_a_timeout(api, tenant, make_receiver) -> None:
    receiver = make_receiver(lambda _d, _n: Answer(delay_seconds=3))
    hook = create_hook(api, tenant["token"], receiver.url)
    execution = api.post(f"/hooks/{hook['id']}/test", tenant["token"]).body
    assert execution["status"] == "failed" and "timed out after 2 s" in execution["error"]


def test_test_delivery_explains_a_tls_failure(api, tenant, receiver) -> None:
    # Given an https URL whose server speaks plain http
    hook = create_hook(api, tenant["token"], receiver.url.replace("http://", "https://"))
    execution = api.post(f"/hooks/{hook['id']}/test", tenant["token"]).body
    assert execution["status"] == "failed" and execution["error"].startswith("TLS handshake failed")


# 3. Manual retry and replay ------------------------------------------------------------------------
def test_manual_retry_after_exhaustion_and_on_a_disabled_hook(api, tenant, pipeline, make_receiver) -> None:
    answers = {"status": 500}
    receiver = make_receiver(lambda _d, _n: Answer(status=answers["status"]))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    last = _history(api, token, hook["id"])[0]
    assert last["status"] == "failed" and last["attempt"] == 3
    # The hook gets disabled (410) — a manual retry does not need it re-enabled
    answers["status"] = 410
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    assert api.get(f"/hooks/{hook['id']}", token).body["status"] == "disabled"
    answers["status"] = 200
    assert api.post(f"/hooks/{hook['id']}/executions/{last['id']}/retry", token).status == 202
    pipeline.run_until_quiet()
    # The history lists the newest event first, each event's attempts together (newest attempt first)
    of_first_event = [e for e in _history(api, token, hook["id"]) if e["event_id"] == last["event_id"]]
    newest = of_first_event[0]
    assert newest["manual"] and newest["status"] == "succeeded" and newest["event_id"] == last["event_id"]


def test_a_failed_manual_retry_is_not_retried_again(api, tenant, pipeline, make_receiver) -> None:
    receiver = make_receiver(always(500))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    before = len(receiver.deliveries)
    last = _history(api, token, hook["id"])[0]
    api.post(f"/hooks/{hook['id']}/executions/{last['id']}/retry", token)
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == before + 1
    newest = _history(api, token, hook["id"])[0]
    assert newest["manual"] and newest["status"] == "failed" and newest["next_attempt_at"] is None


# 4. Idempotent publish -----------------------------------------------------------------------------
def test_racing_identical_publishes_create_one_event(api, tenant, pipeline, receiver) -> None:
    from functions.api.logic.events import publish as publish_logic
    from functions.api.schemas import PublishEvent
    from functions.common.timeutil import utcnow

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

    threads = [threading.Thread(target=publish_once) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 1


def test_an_expired_event_id_can_be_published_again(api, tenant, aws_env) -> None:
    token = tenant["token"]
    assert publish(api, token, "lead.created", {}, id="evt_old").status == 202
    aws.get("dynamodb").update_item(
        TableName=aws_env.subscriptions_table,
        Key=event_key(tenant["id"], "evt_old"),
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    assert api.get("/events/evt_old", token).status == 404
    assert publish(api, token, "lead.created", {}, id="evt_old").status == 202


# 5. Receiver signals -------------------------------------------------------------------------------
def test_503_with_an_http_date_retry_after(api, tenant, pipeline, make_receiver) -> None:
    from email.utils import formatdate

    receiver = make_receiver(
        lambda _d, n: (
            Answer(status=503, headers={"retry-after": formatdate(time.time() + 2, usegmt=True)})
            if n == 1
            else Answer()
        )
    )
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    first, second = receiver.deliveries
    assert second.received_at - first.received_at >= 1.0  # at least the scheduled 1 s, at most 2 s
    assert [e["status"] for e in _history(api, token, hook["id"])] == ["succeeded", "retrying"]


def test_timeouts_are_failures_with_the_cause(api, tenant, pipeline, make_receiver) -> None:
    receiver = make_receiver(lambda _d, n: Answer(delay_seconds=3) if n == 1 else Answer())
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    retrying = _history(api, token, hook["id"])[-1]
    assert retrying["status"] == "retrying" and "timed out" in retrying["error"]


# 6. Auto-disable -----------------------------------------------------------------------------------
def test_a_hook_failing_for_the_configured_time_is_disabled(api, tenant, pipeline, make_receiver, monkeypatch) -> None:
    monkeypatch.setenv(Env.DISABLE_AFTER_SECONDS, "1.5")
    monkeypatch.setenv(Env.RETRY_SCHEDULE, "1s,1s,1s")
    reset_settings_cache()
    api_deps.cache_clear()
    receiver = make_receiver(always(500))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    publish(api, token, "lead.created", {})
    pipeline.run_until_quiet()
    got = api.get(f"/hooks/{hook['id']}", token).body
    assert got["status"] == "disabled" and "failed for" in got["disabled_reason"]
    history = _history(api, token, hook["id"])
    assert history[0]["error"] == "not sent: the hook is disabled"
    # Re-enabling clears the failure record: the next failure starts a new window
    enabled = api.patch(f"/hooks/{hook['id']}", token, {"status": "active"}).body
    assert enabled["status"] == "active" and enabled["disabled_reason"] is None


# 7. Execution detail ------------------------------------------------------------------------------
def test_execution_detail_shows_what_was_sent_and_received(api, tenant, pipeline, make_receiver) -> None:
    big = b"x" * (20 * 1024)
    receiver = make_receiver(lambda _d, _n: Answer(status=200, body=big, headers={"x-receiver": "yes"}))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created", headers={"X-Team": "crm"})
    publish(api, token, "lead.created", {"id": "ld_1"})
    pipeline.run_until_quiet()
    [summary] = _history(api, token, hook["id"])
    detail = api.get(f"/hooks/{hook['id']}/executions/{summary['id']}", token).body
    assert detail["request_headers"]["X-Team"] == "crm" and detail["request_headers"]["webhook-signature"]
    assert hook["secret"] not in json.dumps(detail)
    assert detail["request_body"] == receiver.deliveries[0].body.decode()
    assert detail["response_headers"]["x-receiver"] == "yes"
    assert len(detail["response_body"]) == 4 * 1024 and detail["response_body_truncated"]
    assert detail["attempt"] == 1 and detail["duration_ms"] is not None


def test_executions_filter_by_status_and_event_type(api, tenant, pipeline, make_receiver) -> None:
    receiver = make_receiver(lambda delivery, _n: Answer(status=500 if b"lead.deleted" in delivery.body else 200))
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.*")
    publish(api, token, "lead.created", {})
    publish(api, token, "lead.deleted", {})
    pipeline.run_until_quiet()
    assert {e["event_type"] for e in _history(api, token, hook["id"], "?status=succeeded")} == {"lead.created"}
    assert [e["status"] for e in _history(api, token, hook["id"], "?status=failed")] == ["failed"]
    assert len(_history(api, token, hook["id"], "?event_type=lead.deleted")) == 3
    assert api.get(f"/hooks/{hook['id']}/executions?status=bogus", token).status == 422


# 8. Event delivery state ---------------------------------------------------------------------------
def test_event_state_shows_retrying_with_the_next_time(api, tenant, pipeline, make_receiver) -> None:
    receiver = make_receiver(always(500))
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    pipeline.fanout.poll_once(0)
    pipeline.deliver.poll_once(0)
    [state] = api.get(f"/events/{event['id']}", token).body["deliveries"]
    assert state["state"] == "retrying" and state["attempts"] == 1 and state["next_attempt_at"]
    assert state["last_error"] == "HTTP 500"
    pipeline.run_until_quiet()


# 9. Payload formats --------------------------------------------------------------------------------
def test_every_seed_sample_arrives_byte_for_byte_or_enveloped(api, tenant, pipeline, make_receiver) -> None:
    data_receiver, envelope_receiver = make_receiver(always(200)), make_receiver(always(200))
    token = tenant["token"]
    create_hook(api, token, data_receiver.url, on="*", payload_format="data")
    create_hook(api, token, envelope_receiver.url, on="*")
    index = json.loads((SAMPLES / "index.json").read_text())
    published = {}
    for sample in index:
        raw = (SAMPLES / sample["file"]).read_text()
        body = ('{"type": ' + json.dumps(sample["type"]) + ', "data": ' + raw + "}").encode()
        reply = api.post("/events", token, raw=body)
        assert reply.status == 202, reply.body
        published[reply.body["id"]] = (sample["type"], raw)
    pipeline.run_until_quiet(timeout=30)
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
    schema = {
        "type": "object",
        "properties": {"entity": {"type": "object", "properties": {"id": {"type": "string"}}}},
    }
    api.put("/event-types/CUSTOMER_CREATE", ADMIN_TOKEN, {"description": "Customer Created", "schema": schema})
    reply = publish(api, tenant["token"], "CUSTOMER_CREATE", {"entity": {"id": 67890}})
    assert reply.status == 422 and reply.body["field"] == "data.entity.id"
    assert "must be string" in reply.body["message"]
    assert publish(api, tenant["token"], "CUSTOMER_UPDATE_DETAILS", {"anything": [1, 2]}).status == 202


# 11. Custom headers --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["webhook-id", "Webhook-Signature", "content-type", "Host", "content-length", "user-agent"]
)
def test_protected_headers_are_refused(api, tenant, receiver, name) -> None:
    reply = api.post("/hooks", tenant["token"], {"name": "x", "url": receiver.url, "on": "*", "headers": {name: "v"}})
    assert reply.status == 422 and reply.body["field"] == "headers" and "can't be overridden" in reply.body["message"]


def test_at_most_twenty_custom_headers(api, tenant, receiver) -> None:
    headers = {f"X-H{i}": "v" for i in range(21)}
    reply = api.post("/hooks", tenant["token"], {"name": "x", "url": receiver.url, "on": "*", "headers": headers})
    assert reply.status == 422 and reply.body["field"] == "headers"
    headers.pop("X-H20")
    hook = create_hook(api, tenant["token"], receiver.url, headers=headers)
    api.post(f"/hooks/{hook['id']}/test", tenant["token"])
    assert receiver.deliveries[-1].headers["x-h19"] == "v"

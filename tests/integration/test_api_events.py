"""POST /events, GET /events/{id}, replay, manual retry — through the api handler against moto."""

import json

from tests.conftest import ADMIN_TOKEN, create_hook, publish


def test_publish_answers_202_and_assigns_a_sortable_id(api, tenant) -> None:
    reply = publish(api, tenant["token"], "lead.created", {"id": "ld_1"})
    assert reply.status == 202
    assert reply.body["id"].startswith("evt_") and reply.body["type"] == "lead.created"
    later = publish(api, tenant["token"], "lead.created", {"id": "ld_2"}).body
    assert later["id"] > reply.body["id"]


def test_same_id_again_returns_the_original_with_200(api, tenant) -> None:
    first = publish(api, tenant["token"], "lead.created", {"id": "ld_1"}, id="evt_fixed")
    again = publish(api, tenant["token"], "lead.created", {"id": "changed"}, id="evt_fixed")
    assert first.status == 202 and again.status == 200
    assert again.body == first.body


def test_publish_validation(api, tenant) -> None:
    token = tenant["token"]
    unknown = publish(api, token, "not.catalogued", {})
    assert unknown.status == 422 and unknown.body["field"] == "type"
    not_object = api.post("/events", token, {"type": "lead.created", "data": [1, 2]})
    assert not_object.status == 422 and not_object.body["field"] == "data"
    missing = api.post("/events", token, {"type": "lead.created"})
    assert missing.status == 422 and missing.body["field"] == "data"
    bad_id = publish(api, token, "lead.created", {}, id="has spaces")
    assert bad_id.status == 422 and bad_id.body["field"] == "id"
    too_big = publish(api, token, "lead.created", {"blob": "x" * (257 * 1024)})
    assert too_big.status == 413


def test_admin_publishes_for_a_named_tenant(api, tenant) -> None:
    assert publish(api, ADMIN_TOKEN, "lead.created", {}).status == 422
    reply = publish(api, ADMIN_TOKEN, "lead.created", {"id": "ld_1"}, tenant_id=tenant["id"])
    assert reply.status == 202
    assert api.get(f"/events/{reply.body['id']}", tenant["token"]).status == 200


def test_event_schema_is_enforced(api, tenant) -> None:
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    api.put("/event-types/lead.created", ADMIN_TOKEN, {"description": "New lead", "category": "CRM", "schema": schema})
    bad = publish(api, tenant["token"], "lead.created", {"id": 5})
    assert bad.status == 422 and "data.id" in bad.body["message"] and bad.body["field"] == "data.id"
    assert publish(api, tenant["token"], "lead.created", {"id": "ld_1"}).status == 202


def test_get_event_shows_each_matching_hook_state(api, tenant, pipeline, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.*")
    create_hook(api, token, receiver.url, on="deal.*")  # does not match
    event = publish(api, token, "lead.created", {"id": "ld_1"}).body
    pending = api.get(f"/events/{event['id']}", token).body
    assert pending["deliveries"] == [] and pending["data"] == {"id": "ld_1"}
    pipeline.run_until_quiet()
    detail = api.get(f"/events/{event['id']}", token).body
    assert [d["hook_id"] for d in detail["deliveries"]] == [hook["id"]]
    assert detail["deliveries"][0]["state"] == "succeeded" and detail["deliveries"][0]["attempts"] == 1
    assert api.get("/events/evt_missing", token).status == 404


def test_replay_delivers_again_optionally_to_chosen_hooks(api, tenant, pipeline, receiver) -> None:
    token = tenant["token"]
    first = create_hook(api, token, receiver.url, on="lead.*")
    create_hook(api, token, receiver.url, on="lead.*")
    event = publish(api, token, "lead.created", {"id": "ld_1"}).body
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 2
    assert api.post(f"/events/{event['id']}/replay", token).status == 202
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 4
    assert api.post(f"/events/{event['id']}/replay", token, {"hook_ids": [first["id"]]}).status == 202
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 5
    assert {d.headers["webhook-id"] for d in receiver.deliveries} == {event["id"]}
    assert api.post(f"/events/{event['id']}/replay", token, {"hook_ids": ["hook_missing"]}).status == 422


def test_manual_retry_delivers_again_and_is_recorded_as_manual(api, tenant, pipeline, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.*")
    publish(api, token, "lead.created", {"id": "ld_1"})
    pipeline.run_until_quiet()
    execution = api.get(f"/hooks/{hook['id']}/executions", token).body["items"][0]
    assert api.post(f"/hooks/{hook['id']}/executions/{execution['id']}/retry", token).status == 202
    pipeline.run_until_quiet()
    history = api.get(f"/hooks/{hook['id']}/executions", token).body["items"]
    assert len(history) == 2 and history[0]["manual"] and history[0]["attempt"] == 2
    assert len(receiver.deliveries) == 2


def test_data_hook_receives_the_published_bytes(api, tenant, pipeline, receiver) -> None:
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created", payload_format="data")
    data = '{\n  "id" : "ld_1",\n  "value": 5000.50,  "name": "Jos\\u00e9"\n}'
    body = ('{"type": "lead.created", "data": ' + data + "}").encode()
    assert api.post("/events", token, raw=body).status == 202
    pipeline.run_until_quiet()
    assert receiver.deliveries[0].body == data.encode()
    assert json.loads(receiver.deliveries[0].body)["name"] == "José"

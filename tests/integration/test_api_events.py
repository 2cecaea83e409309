"""POST /events, GET /events/{id}, replay, manual retry — through the api handler against moto."""

import json

from tests.conftest import ADMIN_TOKEN, create_hook, publish


def test_a_published_event_is_accepted_with_an_id_that_sorts_by_time(api, tenant) -> None:
    # When a tenant publishes an event without an id
    reply = publish(api, tenant["token"], "lead.created", {"id": "ld_1"})
    # Then it is accepted (202) with a new evt_ id
    assert reply.status == 202
    assert reply.body["id"].startswith("evt_") and reply.body["type"] == "lead.created"
    # And a later event's id sorts after it
    later = publish(api, tenant["token"], "lead.created", {"id": "ld_2"}).body
    assert later["id"] > reply.body["id"]


def test_publishing_an_id_again_answers_200_with_the_original_event(api, tenant) -> None:
    # Given an event published with a producer's id
    first = publish(api, tenant["token"], "lead.created", {"id": "ld_1"}, id="evt_fixed")
    # When the same id is published again with other data
    again = publish(api, tenant["token"], "lead.created", {"id": "changed"}, id="evt_fixed")
    # Then the API answers 200 with the original event, unchanged
    assert first.status == 202 and again.status == 200
    assert again.body == first.body


def test_each_invalid_event_is_refused_naming_the_field(api, tenant) -> None:
    # Given a tenant
    token = tenant["token"]
    # When it publishes an uncatalogued type, non-object or missing data, a bad id, or 257 KiB
    unknown = publish(api, token, "not.catalogued", {})
    # Then each is refused, naming the field (or 413 for the size)
    assert unknown.status == 422 and unknown.body["field"] == "type"
    not_object = api.post("/events", token, {"type": "lead.created", "data": [1, 2]})
    assert not_object.status == 422 and not_object.body["field"] == "data"
    missing = api.post("/events", token, {"type": "lead.created"})
    assert missing.status == 422 and missing.body["field"] == "data"
    bad_id = publish(api, token, "lead.created", {}, id="has spaces")
    assert bad_id.status == 422 and bad_id.body["field"] == "id"
    too_big = publish(api, token, "lead.created", {"blob": "x" * (257 * 1024)})
    assert too_big.status == 413


def test_the_admin_publishes_only_for_a_named_tenant(api, tenant) -> None:
    # When the admin publishes without naming a tenant, then it is refused
    assert publish(api, ADMIN_TOKEN, "lead.created", {}).status == 422
    # When it names one, then the event is that tenant's
    reply = publish(api, ADMIN_TOKEN, "lead.created", {"id": "ld_1"}, tenant_id=tenant["id"])
    assert reply.status == 202
    assert api.get(f"/events/{reply.body['id']}", tenant["token"]).status == 200


def test_data_that_breaks_the_types_schema_is_refused_naming_the_path(api, tenant) -> None:
    # Given lead.created with a JSON Schema
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    api.put("/event-types/lead.created", ADMIN_TOKEN, {"description": "New lead", "category": "CRM", "schema": schema})
    # When data breaks it
    bad = publish(api, tenant["token"], "lead.created", {"id": 5})
    # Then the 422 names data.id; data that fits is accepted
    assert bad.status == 422 and "data.id" in bad.body["message"] and bad.body["field"] == "data.id"
    assert publish(api, tenant["token"], "lead.created", {"id": "ld_1"}).status == 202


def test_get_event_shows_each_matching_hook_state(api, tenant, pipeline, receiver) -> None:
    # Given a hook on lead.* and one on deal.*
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.*")
    create_hook(api, token, receiver.url, on="deal.*")  # does not match
    # When a lead.created event is published
    event = publish(api, token, "lead.created", {"id": "ld_1"}).body
    # Then before fanout it has no delivery states
    pending = api.get(f"/events/{event['id']}", token).body
    assert pending["deliveries"] == [] and pending["data"] == {"id": "ld_1"}
    # When the pipeline runs, then only the matching hook has a state: succeeded at attempt 1
    pipeline.run_until_quiet()
    detail = api.get(f"/events/{event['id']}", token).body
    assert [d["hook_id"] for d in detail["deliveries"]] == [hook["id"]]
    assert detail["deliveries"][0]["state"] == "succeeded" and detail["deliveries"][0]["attempts"] == 1
    assert api.get("/events/evt_missing", token).status == 404


def test_replay_delivers_again_optionally_to_chosen_hooks(api, tenant, pipeline, receiver) -> None:
    # Given an event delivered to two hooks
    token = tenant["token"]
    first = create_hook(api, token, receiver.url, on="lead.*")
    create_hook(api, token, receiver.url, on="lead.*")
    event = publish(api, token, "lead.created", {"id": "ld_1"}).body
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 2
    # When it is replayed
    # Then both hooks get it again
    assert api.post(f"/events/{event['id']}/replay", token).status == 202
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 4
    # When it is replayed to one hook, then only that one gets it, always with the same webhook-id
    assert api.post(f"/events/{event['id']}/replay", token, {"hook_ids": [first["id"]]}).status == 202
    pipeline.run_until_quiet()
    assert len(receiver.deliveries) == 5
    assert {d.headers["webhook-id"] for d in receiver.deliveries} == {event["id"]}
    # And an unknown hook id is refused
    assert api.post(f"/events/{event['id']}/replay", token, {"hook_ids": ["hook_missing"]}).status == 422


def test_manual_retry_delivers_again_and_is_recorded_as_manual(api, tenant, pipeline, receiver) -> None:
    # Given a delivered event
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.*")
    publish(api, token, "lead.created", {"id": "ld_1"})
    pipeline.run_until_quiet()
    execution = api.get(f"/hooks/{hook['id']}/executions", token).body["items"][0]
    # When its execution is retried by hand
    assert api.post(f"/hooks/{hook['id']}/executions/{execution['id']}/retry", token).status == 202
    pipeline.run_until_quiet()
    # Then it is sent again, recorded as manual attempt 2
    history = api.get(f"/hooks/{hook['id']}/executions", token).body["items"]
    assert len(history) == 2 and history[0]["manual"] and history[0]["attempt"] == 2
    assert len(receiver.deliveries) == 2


def test_a_data_hook_receives_the_published_bytes_unchanged(api, tenant, pipeline, receiver) -> None:
    # Given a data-format hook
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created", payload_format="data")
    data = '{\n  "id" : "ld_1",\n  "value": 5000.50,  "name": "Jos\\u00e9"\n}'
    # When an event is published with oddly spaced JSON and an escape
    body = ('{"type": "lead.created", "data": ' + data + "}").encode()
    assert api.post("/events", token, raw=body).status == 202
    pipeline.run_until_quiet()
    # Then the receiver gets exactly those bytes
    assert receiver.deliveries[0].body == data.encode()
    assert json.loads(receiver.deliveries[0].body)["name"] == "José"

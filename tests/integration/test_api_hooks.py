"""Hooks CRUD, rotation, test delivery, executions — through the api handler against moto."""

from standardwebhooks import Webhook

from hookwire.local.runtime import free_port
from tests.conftest import ADMIN_TOKEN, create_hook


def test_create_hook_returns_the_secret_once(api, tenant, receiver) -> None:
    token = tenant["token"]
    # When a hook is created with `on` as one string
    hook = create_hook(api, token, receiver.url, on="order.status.changed", description="ops")
    # Then it is active, envelope format, `on` a list, with a whsec_ secret
    assert hook["status"] == "active" and hook["payload_format"] == "envelope"
    assert hook["on"] == ["order.status.changed"] and hook["secret"].startswith("whsec_")
    # And reading it back never shows the secret
    got = api.get(f"/hooks/{hook['id']}", token).body
    assert "secret" not in got and got["name"] == "test hook"
    listed = api.get("/hooks", token).body["items"]
    assert [h["id"] for h in listed] == [hook["id"]] and "secret" not in listed[0]


def test_create_hook_validation_names_the_field(api, tenant, receiver) -> None:
    token = tenant["token"]
    cases = [
        ({"url": receiver.url, "on": "*"}, "name"),
        ({"name": "x", "on": "*"}, "url"),
        ({"name": "x", "url": receiver.url}, "on"),
        ({"name": "x", "url": receiver.url, "on": []}, "on"),
        ({"name": "x", "url": receiver.url, "on": ["nothing.matches.*"]}, "on"),
        ({"name": "x", "url": receiver.url, "on": ["UNKNOWN_TYPE"]}, "on"),
        ({"name": "x", "url": receiver.url, "on": ["bad type!"]}, "on"),
        ({"name": "x", "url": "ftp://example.com", "on": "*"}, "url"),
        ({"name": "x", "url": "https://user:pw@example.com", "on": "*"}, "url"),
        ({"name": "x", "url": "not a url", "on": "*"}, "url"),
        ({"name": "x", "url": receiver.url, "on": "*", "status": "disabled"}, "status"),
        ({"name": "x", "url": receiver.url, "on": "*", "payload_format": "xml"}, "payload_format"),
        ({"name": "x", "url": receiver.url, "on": "*", "headers": {"bad header": "v"}}, "headers"),
        ({"name": "x", "url": receiver.url, "on": "*", "surprise": True}, "surprise"),
    ]
    for body, field in cases:
        reply = api.post("/hooks", token, body)
        assert reply.status == 422, (body, reply.body)
        assert reply.body["field"] == field, (body, reply.body)


def test_update_hook_with_put_and_patch(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="*")
    paused = api.put(f"/hooks/{hook['id']}", token, {"status": "paused"})
    assert paused.status == 200 and paused.body["status"] == "paused" and paused.body["name"] == "test hook"
    patched = api.patch(
        f"/hooks/{hook['id']}", token, {"name": "renamed", "on": ["lead.*"], "headers": {"X-Env": "prod"}}
    )
    assert patched.status == 200
    assert patched.body["name"] == "renamed" and patched.body["on"] == ["lead.*"] and patched.body["status"] == "paused"
    assert patched.body["updated_at"] >= hook["updated_at"]
    assert api.patch(f"/hooks/{hook['id']}", token, {"on": ["nope.*"]}).status == 422
    assert api.patch(f"/hooks/{hook['id']}", token, {"name": None}).status == 422
    assert api.patch("/hooks/hook_missing", token, {"name": "x"}).status == 404


def test_delete_hook(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    assert api.delete(f"/hooks/{hook['id']}", token).status == 204
    assert api.get(f"/hooks/{hook['id']}", token).status == 404
    assert api.delete(f"/hooks/{hook['id']}", token).status == 404


def test_hooks_paginate(api, tenant, receiver) -> None:
    for _ in range(3):
        create_hook(api, tenant["token"], receiver.url)
    page = api.get("/hooks?limit=2", tenant["token"]).body
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get(f"/hooks?limit=2&cursor={page['next_cursor']}", tenant["token"]).body
    assert len(rest["items"]) == 1


def test_rotate_replaces_the_secret_and_the_old_one_dies_at_once(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    rotated = api.post(f"/hooks/{hook['id']}/rotate", token)
    assert rotated.status == 200 and rotated.body["secret"] != hook["secret"]
    api.post(f"/hooks/{hook['id']}/test", token)
    delivery = receiver.deliveries[-1]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated.body["secret"]).verify(delivery.body, delivery.headers)


def test_rotate_with_grace_signs_with_both_secrets(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    rotated = api.post(f"/hooks/{hook['id']}/rotate", token, {"grace_seconds": 3600}).body
    api.post(f"/hooks/{hook['id']}/test", token)
    delivery = receiver.deliveries[-1]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    Webhook(hook["secret"]).verify(delivery.body, delivery.headers)
    Webhook(rotated["secret"]).verify(delivery.body, delivery.headers)
    assert api.post(f"/hooks/{hook['id']}/rotate", token, {"grace_seconds": 8 * 86400}).status == 422


def test_test_delivery_returns_the_execution(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    reply = api.post(f"/hooks/{hook['id']}/test", token)
    assert reply.status == 200
    execution = reply.body
    assert execution["status"] == "succeeded" and execution["response_status"] == 200 and execution["test"]
    assert execution["event_type"] == "webhook.test" and execution["request_headers"]["webhook-signature"]
    Webhook(hook["secret"]).verify(receiver.deliveries[-1].body, receiver.deliveries[-1].headers)
    # It is in the history
    history = api.get(f"/hooks/{hook['id']}/executions", token).body["items"]
    assert [e["id"] for e in history] == [execution["id"]]
    detail = api.get(f"/hooks/{hook['id']}/executions/{execution['id']}", token).body
    assert detail["request_headers"]["webhook-id"] == execution["event_id"]


def test_test_delivery_reports_a_refused_connection_in_words(api, tenant) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, f"http://127.0.0.1:{free_port()}/nothing-listens")
    execution = api.post(f"/hooks/{hook['id']}/test", token, {"type": "lead.created", "data": {"id": "ld_1"}}).body
    assert execution["status"] == "failed" and execution["response_status"] is None
    assert "refused" in execution["error"]


def test_admin_must_name_a_tenant_for_tenant_routes(api, tenant, receiver) -> None:
    reply = api.get("/hooks", ADMIN_TOKEN)
    assert reply.status == 422 and reply.body["field"] == "tenant_id"
    assert api.get(f"/hooks?tenant_id={tenant['id']}", ADMIN_TOKEN).status == 200
    assert api.get("/hooks?tenant_id=ten_missing", ADMIN_TOKEN).status == 422
    created = api.post(f"/hooks?tenant_id={tenant['id']}", ADMIN_TOKEN, {"name": "a", "url": receiver.url, "on": "*"})
    assert created.status == 201
    assert [h["id"] for h in api.get("/hooks", tenant["token"]).body["items"]] == [created.body["id"]]


def test_unknown_execution_is_404(api, tenant, receiver) -> None:
    hook = create_hook(api, tenant["token"], receiver.url)
    assert api.get(f"/hooks/{hook['id']}/executions/exe_missing", tenant["token"]).status == 404
    assert api.post(f"/hooks/{hook['id']}/executions/exe_missing/retry", tenant["token"]).status == 404
    assert api.get("/hooks/hook_missing/executions", tenant["token"]).status == 404

"""Hooks CRUD, rotation, test delivery, executions — through the api handler against moto."""

from standardwebhooks import Webhook

from hookwire.local.runtime import free_port
from tests.conftest import ADMIN_TOKEN, create_hook


def test_a_created_hook_shows_its_secret_once_and_never_again(api, tenant, receiver) -> None:
    # Given a tenant
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


def test_each_invalid_hook_field_is_refused_naming_that_field(api, tenant, receiver) -> None:
    # Given one invalid body per field
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
    # When each is posted, then each is refused with 422 naming its field
    for body, field in cases:
        reply = api.post("/hooks", token, body)
        assert reply.status == 422, (body, reply.body)
        assert reply.body["field"] == field, (body, reply.body)


def test_put_and_patch_change_only_the_given_fields_and_validate_them(api, tenant, receiver) -> None:
    # Given a hook
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="*")
    # When it is paused with PUT, then renamed and re-routed with PATCH
    paused = api.put(f"/hooks/{hook['id']}", token, {"status": "paused"})
    assert paused.status == 200 and paused.body["status"] == "paused" and paused.body["name"] == "test hook"
    patched = api.patch(
        f"/hooks/{hook['id']}", token, {"name": "renamed", "on": ["lead.*"], "headers": {"X-Env": "prod"}}
    )
    # Then each change keeps the other fields
    assert patched.status == 200
    assert patched.body["name"] == "renamed" and patched.body["on"] == ["lead.*"] and patched.body["status"] == "paused"
    assert patched.body["updated_at"] >= hook["updated_at"]
    # And invalid changes and unknown hooks are refused
    assert api.patch(f"/hooks/{hook['id']}", token, {"on": ["nope.*"]}).status == 422
    assert api.patch(f"/hooks/{hook['id']}", token, {"name": None}).status == 422
    assert api.patch("/hooks/hook_missing", token, {"name": "x"}).status == 404


def test_a_deleted_hook_is_gone(api, tenant, receiver) -> None:
    # Given a hook
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    # When it is deleted, then reading or deleting it again finds nothing
    assert api.delete(f"/hooks/{hook['id']}", token).status == 204
    assert api.get(f"/hooks/{hook['id']}", token).status == 404
    assert api.delete(f"/hooks/{hook['id']}", token).status == 404


def test_the_hook_list_pages_with_a_cursor(api, tenant, receiver) -> None:
    # Given 3 hooks
    for _ in range(3):
        create_hook(api, tenant["token"], receiver.url)
    # When they are listed 2 at a time
    page = api.get("/hooks?limit=2", tenant["token"]).body
    # Then the first page has 2 and a cursor, the next the last one
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get(f"/hooks?limit=2&cursor={page['next_cursor']}", tenant["token"]).body
    assert len(rest["items"]) == 1


def test_rotate_replaces_the_secret_and_the_old_one_dies_at_once(api, tenant, receiver) -> None:
    # Given a hook
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    # When its secret is rotated without grace
    rotated = api.post(f"/hooks/{hook['id']}/rotate", token)
    # Then a new secret is returned and only it signs the next delivery
    assert rotated.status == 200 and rotated.body["secret"] != hook["secret"]
    api.post(f"/hooks/{hook['id']}/test", token)
    delivery = receiver.deliveries[-1]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 1
    Webhook(rotated.body["secret"]).verify(delivery.body, delivery.headers)


def test_rotate_with_grace_signs_with_both_secrets(api, tenant, receiver) -> None:
    # Given a hook
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    # When its secret is rotated with an hour of grace
    rotated = api.post(f"/hooks/{hook['id']}/rotate", token, {"grace_seconds": 3600}).body
    api.post(f"/hooks/{hook['id']}/test", token)
    # Then both secrets sign the next delivery, and a grace over 7 days is refused
    delivery = receiver.deliveries[-1]
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2
    Webhook(hook["secret"]).verify(delivery.body, delivery.headers)
    Webhook(rotated["secret"]).verify(delivery.body, delivery.headers)
    assert api.post(f"/hooks/{hook['id']}/rotate", token, {"grace_seconds": 8 * 86400}).status == 422


def test_a_test_delivery_answers_with_its_execution_which_is_in_the_history(api, tenant, receiver) -> None:
    # Given a hook
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    # When a test delivery is sent
    reply = api.post(f"/hooks/{hook['id']}/test", token)
    # Then the answer is the succeeded, signed execution
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
    # Given a hook on a port where nothing listens
    token = tenant["token"]
    hook = create_hook(api, token, f"http://127.0.0.1:{free_port()}/nothing-listens")
    # When a test delivery is sent
    execution = api.post(f"/hooks/{hook['id']}/test", token, {"type": "lead.created", "data": {"id": "ld_1"}}).body
    # Then it failed without a response status, saying the connection was refused
    assert execution["status"] == "failed" and execution["response_status"] is None
    assert (execution["failure_class"], execution["error"]) == ("connection", "connection refused")


def test_admin_must_name_a_tenant_for_tenant_routes(api, tenant, receiver) -> None:
    # Given an admin token
    # When it lists hooks without a tenant
    # Then the 422 names tenant_id
    reply = api.get("/hooks", ADMIN_TOKEN)
    assert reply.status == 422 and reply.body["field"] == "tenant_id"
    # When it names an existing tenant it can read and create that tenant's hooks
    assert api.get(f"/hooks?tenant_id={tenant['id']}", ADMIN_TOKEN).status == 200
    assert api.get("/hooks?tenant_id=ten_missing", ADMIN_TOKEN).status == 422
    created = api.post(f"/hooks?tenant_id={tenant['id']}", ADMIN_TOKEN, {"name": "a", "url": receiver.url, "on": "*"})
    assert created.status == 201
    assert [h["id"] for h in api.get("/hooks", tenant["token"]).body["items"]] == [created.body["id"]]


def test_unknown_executions_and_hooks_are_404(api, tenant, receiver) -> None:
    # Given a hook
    hook = create_hook(api, tenant["token"], receiver.url)
    # When an unknown execution or hook is read or retried, then each is 404
    assert api.get(f"/hooks/{hook['id']}/executions/exe_missing", tenant["token"]).status == 404
    assert api.post(f"/hooks/{hook['id']}/executions/exe_missing/retry", tenant["token"]).status == 404
    assert api.get("/hooks/hook_missing/executions", tenant["token"]).status == 404

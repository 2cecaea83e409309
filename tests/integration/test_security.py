"""Secrets at rest, token storage, admin scoping and input limits."""

import json
import logging

import pytest

from functions.common.dal.clients import aws
from functions.common.dal.hooks import hook_key
from functions.common.dal.secret_box import SecretBox, encryption_context
from functions.common.errors import DependencyFailure
from tests.conftest import ADMIN_TOKEN, create_hook


def _raw_items(table: str) -> str:
    return json.dumps(aws.get("dynamodb").scan(TableName=table)["Items"])


def test_hook_secrets_are_stored_encrypted_and_bound_to_their_hook(api, tenant, receiver, aws_env) -> None:
    # Given a hook, rotated once with grace
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)
    rotated = api.post(f"/hooks/{hook['id']}/rotate", token, {"grace_seconds": 60}).body
    # Then neither secret appears anywhere in the table
    stored = _raw_items(aws_env.subscriptions_table)
    assert hook["secret"] not in stored and rotated["secret"] not in stored
    assert "whsec_" not in stored
    # And a stored ciphertext only opens with its own hook's encryption context
    item = aws.get("dynamodb").get_item(
        TableName=aws_env.subscriptions_table,
        Key=hook_key(tenant["id"], hook["id"]),
    )["Item"]
    ciphertext = json.loads(item["doc"]["S"])["secrets"][0]["ciphertext"]
    box = SecretBox(aws_env.kms_key_id)
    assert box.open(ciphertext, encryption_context(tenant["id"], hook["id"])) == rotated["secret"]
    with pytest.raises(DependencyFailure):
        SecretBox(aws_env.kms_key_id).open(ciphertext, encryption_context(tenant["id"], "hook_other"))


def test_secrets_are_never_returned_after_create_and_rotate(api, tenant, receiver, pipeline) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    api.post("/events", token, {"type": "lead.created", "data": {}})
    pipeline.run_until_quiet()
    execution = api.get(f"/hooks/{hook['id']}/executions", token).body["items"][0]
    answers = [
        api.get("/hooks", token).body,
        api.get(f"/hooks/{hook['id']}", token).body,
        api.patch(f"/hooks/{hook['id']}", token, {"name": "n"}).body,
        api.get(f"/hooks/{hook['id']}/executions", token).body,
        api.get(f"/hooks/{hook['id']}/executions/{execution['id']}", token).body,
        api.post(f"/hooks/{hook['id']}/test", token).body,
    ]
    assert hook["secret"] not in json.dumps(answers)


def test_secrets_and_tokens_never_reach_the_logs(api, tenant, receiver, pipeline, caplog, capsys) -> None:
    caplog.set_level(logging.DEBUG)
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url, on="lead.created")
    api.post(f"/hooks/{hook['id']}/test", token)
    api.post("/events", token, {"type": "lead.created", "data": {}})
    pipeline.run_until_quiet()
    logged = caplog.text + capsys.readouterr().out
    assert hook["secret"] not in logged and token not in logged


def test_tokens_are_stored_only_as_hashes(api, tenant, aws_env) -> None:
    stored = _raw_items(aws_env.subscriptions_table)
    assert tenant["token"] not in stored
    import hashlib

    assert hashlib.sha256(tenant["token"].encode()).hexdigest() in stored


def test_the_admin_must_name_a_tenant_on_every_tenant_route(api, tenant, receiver) -> None:
    hook = create_hook(api, tenant["token"], receiver.url)
    routes = [
        ("GET", "/hooks", None),
        ("POST", "/hooks", {"name": "x", "url": receiver.url, "on": "*"}),
        ("GET", f"/hooks/{hook['id']}", None),
        ("PATCH", f"/hooks/{hook['id']}", {"name": "x"}),
        ("PUT", f"/hooks/{hook['id']}", {"name": "x"}),
        ("DELETE", f"/hooks/{hook['id']}", None),
        ("POST", f"/hooks/{hook['id']}/rotate", {}),
        ("POST", f"/hooks/{hook['id']}/test", {}),
        ("GET", f"/hooks/{hook['id']}/executions", None),
        ("GET", f"/hooks/{hook['id']}/executions/exe_x", None),
        ("POST", f"/hooks/{hook['id']}/executions/exe_x/retry", None),
        ("POST", "/events", {"type": "lead.created", "data": {}}),
        ("GET", "/events/evt_x", None),
        ("POST", "/events/evt_x/replay", {}),
    ]
    for method, path, body in routes:
        reply = api.request(method, path, ADMIN_TOKEN, body)
        assert reply.status == 422 and reply.body["field"] == "tenant_id", (method, path, reply.body)
    named = api.request("GET", f"/hooks/{hook['id']}?tenant_id={tenant['id']}", ADMIN_TOKEN)
    assert named.status == 200


LIMITS = [
    ({"name": "x" * 201, "url": "URL", "on": "*"}, 422, "name"),
    ({"name": "x", "url": "https://e.com/" + "a" * 2048, "on": "*"}, 422, "url"),
    ({"name": "x", "url": "URL", "on": "*", "description": "d" * 2001}, 422, "description"),
    ({"name": "x", "url": "URL", "on": [f"lead.{i}*" for i in range(101)]}, 422, "on"),
    ({"name": "x", "url": "URL", "on": "*", "headers": {"X-" + "h" * 200: "v"}}, 422, "headers"),
    ({"name": "x", "url": "URL", "on": "*", "headers": {"X-Long": "v" * 4097}}, 422, "headers"),
    ({"name": "x", "url": "URL", "on": "*", "headers": {"X-Split": "a\r\nInjected: yes"}}, 422, "headers"),
    ({"name": "x", "url": "URL", "on": "*", "unknown": 1}, 422, "unknown"),
    ({"name": 5, "url": "URL", "on": "*"}, 422, "name"),
]


@pytest.mark.parametrize(("body", "status", "field"), LIMITS)
def test_hook_input_limits(api, tenant, receiver, body, status, field) -> None:
    body = {k: (v.replace("URL", receiver.url) if isinstance(v, str) else v) for k, v in body.items()}
    reply = api.post("/hooks", tenant["token"], body)
    assert reply.status == status and reply.body["field"] == field, reply.body


def test_request_level_limits(api, tenant) -> None:
    token = tenant["token"]
    huge = api.post("/events", token, raw=b'{"type":"lead.created","data":{"x":"' + b"a" * (301 * 1024) + b'"}}')
    assert huge.status == 413 and huge.body["field"] == "body"
    assert api.post("/events", token, raw=b'{"type": ').status == 400
    wrong = api.post("/events", token, raw=b"type=lead.created", headers={"content-type": "text/plain"})
    assert wrong.status == 400 and wrong.body["field"] == "content-type"
    long_id = api.post("/events", token, {"type": "lead.created", "data": {}, "id": "e" * 129})
    assert long_id.status == 422 and long_id.body["field"] == "id"
    assert api.post("/tenants", ADMIN_TOKEN, {"name": "n" * 201}).status == 422

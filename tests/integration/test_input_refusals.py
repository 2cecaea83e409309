"""Input that can't be sent or stored safely is refused up front: a 4xx whose `field` names what is wrong.

Table-driven through the api handler (the one error mapping), one table per resource. Each row is
(what is sent, expected status, expected field).
"""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import patch

from functions.common.dal.event_types import EventTypesRepository
from functions.common.models import EventType
from functions.common.validation import MAX_DATA_DEPTH
from tests.conftest import ADMIN_TOKEN, create_hook, publish


def _nested(levels: int) -> dict[str, Any]:
    """`levels` objects inside each other, `data` itself included."""
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def _assert_refused(reply: Any, status: int, field: str, case: Any) -> None:
    assert reply.status == status, (case, reply.body)
    assert reply.body["field"] == field, (case, reply.body)
    assert reply.body["message"], (case, reply.body)


def test_hook_urls_that_cant_be_sent_are_refused_naming_url(api, tenant, receiver) -> None:
    # Given a tenant; When it registers hooks whose URL could not go on the wire as written
    host = "hooks.example.com"
    cases = [
        f"https://{host}/a\r\nX-Injected: 1",
        f"https://{host}/a\nb",
        f"https://{host}/a b",
        f"https://{host}/a\tb",
        f" https://{host}/",
        f"https://{host}/\x00",
        f"https://{host}/\x7f",
        f"https://{host}/\u200b",  # zero-width space
        f"https://{host}/\u00a0",  # no-break space
        "https://a..b.example.com/",  # empty label
        "https://" + "a" * 64 + ".example.com/",  # label longer than 63
        'https://exa"mple.com/',
        "https://exa\\mple.com/",
        "https://[::1/",
    ]
    for url in cases:
        reply = api.post("/hooks", tenant["token"], {"name": "x", "url": url, "on": "*"})
        # Then each is a 422 naming url
        _assert_refused(reply, 422, "url", url)


def test_non_ascii_hosts_are_stored_in_their_idna_mapped_ascii_form(api, tenant, receiver) -> None:
    # Given a receiver on 127.0.0.1 (the test deployment allowlists 127.0.0.0/8)
    port = receiver.url.split(":")[2].split("/")[0]
    # When hooks name it with hosts that are non-ASCII but valid after IDNA mapping
    circled = create_hook(api, tenant["token"], f"http://\u24dbocalhost:{port}/hook")
    ideographic = create_hook(api, tenant["token"], f"http://127\u30020\u30020\u30021:{port}/p\u00e4th?q=\u20ac")
    # Then the stored URL is the ASCII form that is sent (path and query percent-encoded as UTF-8)
    assert circled["url"] == f"http://localhost:{port}/hook"
    assert ideographic["url"] == f"http://127.0.0.1:{port}/p%C3%A4th?q=%E2%82%AC"
    # And an update is mapped the same way
    updated = api.patch(f"/hooks/{circled['id']}", tenant["token"], {"url": f"http://\u24dbocalhost:{port}/x"})
    assert updated.status == 200 and updated.body["url"] == f"http://localhost:{port}/x"


def test_custom_headers_that_cant_be_sent_are_refused_naming_headers(api, tenant, receiver) -> None:
    cases = [
        {"X-A": "a\r\nX-Injected: 1"},
        {"X-A": "a\nb"},
        {"X-A": "a\x00"},
        {"X-A": "a\x7f"},
        {"X-A": "a\x85"},  # C1 next line
        {"X-A": "price \u20ac5"},  # outside Latin-1
        {"X-A": "\U0001f600"},
        {"Connection": "close"},
        {"Transfer-Encoding": "chunked"},
        {"Content-Length": "5"},
        {"Host": "evil.example.com"},
        {"TE": "trailers"},
        {"Upgrade": "h2c"},
        {"Keep-Alive": "timeout=5"},
        {"Proxy-Authorization": "Basic eA=="},
        {"Proxy-Connection": "close"},
        {"webhook-id": "forged"},
        {"Webhook-Signature": "v1,forged"},
        {"User-Agent": "forged"},
        {"Content-Type": "text/plain"},
        {"bad header": "v"},
        {"X-\u00e9": "v"},
        {"": "v"},
        {"X-A": "1", "x-a": "2"},
    ]
    for headers in cases:
        body = {"name": "x", "url": receiver.url, "on": "*", "headers": headers}
        _assert_refused(api.post("/hooks", tenant["token"], body), 422, "headers", headers)


def test_latin1_header_values_and_tabs_are_accepted(api, tenant, receiver) -> None:
    hook = create_hook(api, tenant["token"], receiver.url, headers={"X-Name": "caf\u00e9\tbar"})
    assert hook["headers"] == {"X-Name": "caf\u00e9\tbar"}


def test_names_and_descriptions_with_control_characters_are_refused(api, tenant, receiver) -> None:
    token = tenant["token"]
    cases = [
        ("POST", "/hooks", token, {"name": "a\nb", "url": receiver.url, "on": "*"}, "name"),
        (
            "POST",
            "/hooks",
            token,
            {"name": "ok", "url": receiver.url, "on": "*", "description": "\x1b[31mred"},
            "description",
        ),
        ("POST", "/tenants", ADMIN_TOKEN, {"name": "acme\x00"}, "name"),
        ("PUT", "/event-types/x.created", ADMIN_TOKEN, {"description": "line\rbreak"}, "description"),
        ("PUT", "/event-types/x.created", ADMIN_TOKEN, {"category": "a\x07"}, "category"),
    ]
    hook = create_hook(api, token, receiver.url)
    cases.append(("PATCH", f"/hooks/{hook['id']}", token, {"name": "tab\there"}, "name"))
    for method, path, who, body, field in cases:
        _assert_refused(api.request(method, path, who, body), 422, field, (method, path, body))


def test_event_data_that_is_not_json_or_too_deep_is_refused(api, tenant, receiver) -> None:
    token = tenant["token"]
    cases = [
        ({"price": float("nan")}, "data.price"),
        ({"price": float("inf")}, "data.price"),
        ({"items": [1, float("-inf")]}, "data.items[1]"),
        (_nested(MAX_DATA_DEPTH + 1), "data"),
    ]
    for data, field in cases:
        _assert_refused(publish(api, token, "lead.created", data), 422, field, data)
    # And the deepest data allowed goes through
    assert publish(api, token, "lead.created", _nested(MAX_DATA_DEPTH)).status == 202
    # And a test delivery's data meets the same rules
    hook = create_hook(api, token, receiver.url)
    reply = api.post(f"/hooks/{hook['id']}/test", token, {"data": {"x": float("nan")}})
    _assert_refused(reply, 422, "data", "test delivery")


def test_schemas_that_reach_outside_or_cost_unbounded_time_are_refused_naming_schema(api) -> None:
    deep: dict[str, Any] = {"type": "object"}
    for _ in range(40):
        deep = {"type": "object", "properties": {"a": deep}}
    cases = [
        {"$ref": "http://127.0.0.1:9/schema.json"},
        {"$ref": "https://json-schema.org/draft-07/schema"},
        {"$ref": "file:///etc/passwd"},
        {"$ref": "other.json#/x"},
        {"properties": {"a": {"$ref": "//127.0.0.1:9/x"}}},
        {"properties": {"a": {"$id": "http://127.0.0.1:9/", "$ref": "#/x"}}},  # a local-looking $ref, rebased
        {"$ref": 5},
        deep,
        {"type": "string", "pattern": "(("},
        {"type": "string", "pattern": "(a+)+$"},
        {"type": "string", "pattern": "(a)\\1"},
        {"type": "string", "pattern": "a" * 1001},
        {"type": "object", "patternProperties": {"[": {}}},
        {"type": "object", "enum": ["x" * 70_000]},
        {"type": 5},
        {"required": "x"},
    ]
    with patch("urllib.request.urlopen", side_effect=AssertionError("a schema reached for the network")):
        for schema in cases:
            reply = api.put("/event-types/x.created", ADMIN_TOKEN, {"schema": schema})
            _assert_refused(reply, 422, "schema", json.dumps(schema)[:200])


def test_a_stored_schema_with_a_remote_ref_is_never_fetched(api, tenant, aws_env) -> None:
    # Given a schema with a remote $ref stored before these rules existed (written past the API)
    EventTypesRepository(aws_env.subscriptions_table).put_event_types(
        [EventType(type="legacy.created", json_schema={"$ref": "http://127.0.0.1:9/schema.json"})]
    )
    # When an event of that type is published
    with patch("urllib.request.urlopen", side_effect=AssertionError("a schema reached for the network")):
        reply = publish(api, tenant["token"], "legacy.created", {"a": 1})
    # Then it is refused naming the type, and nothing was fetched
    _assert_refused(reply, 422, "type", "legacy schema")


def test_local_refs_and_safe_patterns_are_accepted(api, tenant) -> None:
    schema = {
        "$id": "https://example.com/order.json",
        "definitions": {"id": {"type": "string", "pattern": "^[a-z]{3}_\\d+$"}},
        "type": "object",
        "properties": {
            "id": {"$ref": "#/definitions/id"},
            "tags": {"type": "array", "items": {"$ref": "#/definitions/id"}},
        },
        "required": ["id"],
    }
    assert api.put("/event-types/x.created", ADMIN_TOKEN, {"schema": schema}).status == 200
    assert publish(api, tenant["token"], "x.created", {"id": "ord_1", "tags": ["abc_2"]}).status == 202
    _assert_refused(publish(api, tenant["token"], "x.created", {"id": "nope"}), 422, "data.id", "pattern")

"""Odd query and path input (bad cursors, out-of-range limits, huge values, wrong types) is a 4xx naming the
parameter on every route, never a 5xx."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from tests.conftest import ADMIN_TOKEN, create_hook

HUGE = "h" * 5000


def _cursor(key: object) -> str:
    return quote(base64.urlsafe_b64encode(json.dumps(key).encode()).decode())


def test_odd_parameters_are_refused_naming_them_on_every_route(api, tenant, receiver) -> None:
    token = tenant["token"]
    hook = create_hook(api, token, receiver.url)["id"]
    tenant_id = tenant["id"]
    hook_pk = {"S": f"HOOK#{hook}"}
    cases = [
        # (method, path, token, field)
        ("GET", "/tenants?limit=0", ADMIN_TOKEN, "limit"),
        ("GET", "/tenants?limit=101", ADMIN_TOKEN, "limit"),
        ("GET", "/tenants?limit=abc", ADMIN_TOKEN, "limit"),
        ("GET", "/tenants?limit=1.5", ADMIN_TOKEN, "limit"),
        ("GET", "/tenants?limit=" + "9" * 400, ADMIN_TOKEN, "limit"),
        ("GET", "/tenants?cursor=%%%", ADMIN_TOKEN, "cursor"),
        ("GET", "/tenants?cursor=" + "A" * 3000, ADMIN_TOKEN, "cursor"),
        ("GET", "/tenants?cursor=" + _cursor([1, 2]), ADMIN_TOKEN, "cursor"),
        ("GET", "/tenants?cursor=" + _cursor({"pk": {"S": "TENANTS"}, "sk": {"N": "1"}}), ADMIN_TOKEN, "cursor"),
        ("GET", "/tenants?cursor=" + _cursor({"pk": {"S": "TENANTS"}}), ADMIN_TOKEN, "cursor"),
        ("GET", "/tenants?cursor=" + _cursor({"pk": {"S": "TENANTS"}, "sk": {"S": "x" * 2000}}), ADMIN_TOKEN, "cursor"),
        (
            "GET",
            "/tenants?cursor=" + _cursor({"pk": {"S": "TENANTS"}, "sk": {"S": "T"}, "extra": {"S": "x"}}),
            ADMIN_TOKEN,
            "cursor",
        ),
        ("GET", f"/tenants/{HUGE}", ADMIN_TOKEN, "tenant_id"),
        ("GET", "/tenants/a%00b", ADMIN_TOKEN, "tenant_id"),
        ("DELETE", f"/tenants/{HUGE}", ADMIN_TOKEN, "tenant_id"),
        ("POST", f"/tenants/{HUGE}/tokens", ADMIN_TOKEN, "tenant_id"),
        ("DELETE", f"/tenants/{tenant_id}/tokens/{HUGE}", ADMIN_TOKEN, "token_id"),
        ("PUT", f"/event-types/{HUGE}", ADMIN_TOKEN, "type_name"),
        ("GET", f"/hooks?tenant_id={HUGE}", ADMIN_TOKEN, "tenant_id"),
        ("GET", "/hooks?tenant_id=a%0Ab", ADMIN_TOKEN, "tenant_id"),
        ("GET", "/hooks?limit=-1", token, "limit"),
        (
            "GET",
            "/hooks?cursor=" + _cursor({"pk": {"S": "TENANT#someone-else"}, "sk": {"S": "HOOK#x"}}),
            token,
            "cursor",
        ),
        ("GET", f"/hooks/{HUGE}", token, "hook_id"),
        ("PUT", f"/hooks/{HUGE}", token, "hook_id"),
        ("PATCH", f"/hooks/{HUGE}", token, "hook_id"),
        ("DELETE", f"/hooks/{HUGE}", token, "hook_id"),
        ("POST", f"/hooks/{HUGE}/rotate", token, "hook_id"),
        ("POST", f"/hooks/{HUGE}/test", token, "hook_id"),
        ("GET", f"/hooks/{HUGE}/executions", token, "hook_id"),
        ("GET", f"/hooks/{hook}/executions?status=bogus", token, "status"),
        ("GET", f"/hooks/{hook}/executions?limit=1000000", token, "limit"),
        ("GET", f"/hooks/{hook}/executions?event_type={HUGE}", token, "event_type"),
        ("GET", f"/hooks/{hook}/executions?cursor=" + _cursor({"pk": hook_pk, "sk": {"N": "5"}}), token, "cursor"),
        ("GET", f"/hooks/{hook}/executions/{HUGE}", token, "execution_id"),
        ("POST", f"/hooks/{hook}/executions/{HUGE}/retry", token, "execution_id"),
        ("GET", f"/events/{HUGE}", token, "event_id"),
        ("GET", "/events/a%20b", token, "event_id"),
        ("POST", f"/events/{HUGE}/replay", token, "event_id"),
    ]
    for method, path, who, field in cases:
        body = {} if method in ("PUT", "PATCH") else None
        reply = api.request(method, path, who, body)
        assert 400 <= reply.status < 500, (method, path[:120], reply.status, reply.body)
        assert reply.body["field"] == field, (method, path[:120], reply.body)

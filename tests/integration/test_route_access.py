"""Each route enforces the rule it declares in api/access.py, walked over every route of the OpenAPI document."""

import json
import re

import pytest

from functions.api.access import ROUTE_ACCESS
from functions.api.logic.auth import SAFE_METHODS
from functions.common.models import Scope
from tests.conftest import ADMIN_TOKEN

ROUTES = sorted(ROUTE_ACCESS.items())


def _concrete(route: str) -> tuple[str, str]:
    method, _, path = route.partition(" ")
    return method, re.sub(r"<([^>]+)>", r"x_\1", path)


@pytest.fixture
def tokens(api, tenant) -> dict[str, str]:
    """For each scope, an admin token holding every other scope; plus a read-only tenant token."""
    made = {}
    for scope in Scope:
        others = [other for other in Scope if other is not scope]
        reply = api.post("/admin/tokens", ADMIN_TOKEN, {"name": f"all but {scope}", "scopes": others})
        assert reply.status == 201, reply.body
        made[scope] = reply.body["token"]
    every = api.post("/admin/tokens", ADMIN_TOKEN, {"name": "every scope", "scopes": list(Scope)}).body["token"]
    read_only = api.post(f"/tenants/{tenant['id']}/tokens", ADMIN_TOKEN, {"read_only": True}).body["token"]
    return {**made, "every": every, "tenant": tenant["token"], "read_only": read_only}


def test_every_route_refuses_the_tokens_its_rule_excludes(api, tokens) -> None:
    for route, access in ROUTES:
        method, path = _concrete(route)
        if access.public:
            # Given a public route, when called without a token, then no token is asked for
            assert api.request(method, path).status not in (401, 403), route
            continue
        # A token without the route's scope (or, for root-only routes, any scoped token) gets 403 naming it
        scoped = tokens[access.scope] if access.scope else tokens["every"]
        refused = api.request(method, path, scoped, {})
        assert refused.status == 403, (route, refused.body)
        assert (str(access.scope) if access.scope else "root admin token") in refused.body["message"], route
        # A tenant token is refused where tenants aren't allowed; a read-only one on every write
        tenant_reply = api.request(method, path, tokens["tenant"], {})
        assert (tenant_reply.status == 403) is not access.tenants, (route, tenant_reply.body)
        read_only_reply = api.request(method, path, tokens["read_only"], {})
        refused_read_only = not access.tenants or method not in SAFE_METHODS
        assert (read_only_reply.status == 403) is refused_read_only, (route, read_only_reply.body)


def test_a_token_with_the_scope_gets_past_the_gate_on_every_route(api, tokens) -> None:
    # Given a token with every scope (or the root token on root-only routes)
    for route, access in ROUTES:
        method, path = _concrete(route)
        token = tokens["every"] if access.scope else ADMIN_TOKEN
        # When it calls the route (with made-up ids), then it is never refused: 2xx, 404 or 422 follow
        reply = api.request(method, path, token, {})
        assert reply.status != 403 and reply.status != 401, (route, json.dumps(reply.body))

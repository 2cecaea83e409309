"""Who may call each route: the one table every route declares its access rule in.

`_gate` (api/handler.py) looks the request up here before any route code runs; a route missing from this
table fails the suite (tests/unit/test_route_access.py walks the OpenAPI document).

- `scope`: what a scoped admin token needs (the root token has every scope); None = root token only.
- `tenants`: whether tenant tokens may call it (a read-only tenant token: GET/HEAD/OPTIONS only).
"""

from __future__ import annotations

from dataclasses import dataclass

from functions.common.models import Scope


@dataclass(frozen=True)
class Access:
    scope: Scope | None = None
    tenants: bool = False
    public: bool = False


PUBLIC = Access(public=True)
ROOT_ONLY = Access()


def admin(scope: Scope) -> Access:
    return Access(scope=scope)


def tenant_or_admin(scope: Scope) -> Access:
    return Access(scope=scope, tenants=True)


READ, PUBLISH, MANAGE, CATALOG = Scope.READ, Scope.EVENTS_PUBLISH, Scope.TENANTS_MANAGE, Scope.CATALOG_MANAGE

# "METHOD path", the path spelled as the routes spell it (<param> for a path parameter).
ROUTE_ACCESS: dict[str, Access] = {
    "GET /health": PUBLIC,
    # the operator's own surface
    "POST /admin/tokens": ROOT_ONLY,
    "GET /admin/tokens": ROOT_ONLY,
    "DELETE /admin/tokens/<token_id>": ROOT_ONLY,
    "POST /tenants": admin(MANAGE),
    "GET /tenants": admin(READ),
    "GET /tenants/<tenant_id>": admin(READ),
    "PATCH /tenants/<tenant_id>": admin(MANAGE),
    "DELETE /tenants/<tenant_id>": admin(MANAGE),
    "POST /tenants/<tenant_id>/tokens": admin(MANAGE),
    "GET /tenants/<tenant_id>/tokens": admin(READ),
    "DELETE /tenants/<tenant_id>/tokens/<token_id>": admin(MANAGE),
    "PUT /event-types/<type_name>": admin(CATALOG),
    "DELETE /event-types/<type_name>": admin(CATALOG),
    # what tenants do for themselves (and an admin token does naming tenant_id)
    "GET /event-types": tenant_or_admin(READ),
    "POST /events": tenant_or_admin(PUBLISH),
    "GET /events/<event_id>": tenant_or_admin(READ),
    "POST /events/<event_id>/replay": tenant_or_admin(PUBLISH),
    "POST /hooks": tenant_or_admin(MANAGE),
    "GET /hooks": tenant_or_admin(READ),
    "GET /hooks/<hook_id>": tenant_or_admin(READ),
    "PUT /hooks/<hook_id>": tenant_or_admin(MANAGE),
    "PATCH /hooks/<hook_id>": tenant_or_admin(MANAGE),
    "DELETE /hooks/<hook_id>": tenant_or_admin(MANAGE),
    "POST /hooks/<hook_id>/rotate": tenant_or_admin(MANAGE),
    "POST /hooks/<hook_id>/test": tenant_or_admin(MANAGE),
    "GET /hooks/<hook_id>/executions": tenant_or_admin(READ),
    "GET /hooks/<hook_id>/executions/<execution_id>": tenant_or_admin(READ),
    "POST /hooks/<hook_id>/executions/<execution_id>/retry": tenant_or_admin(MANAGE),
    "POST /hooks/<hook_id>/recover": tenant_or_admin(MANAGE),
    "POST /hooks/<hook_id>/replay": tenant_or_admin(MANAGE),
    "GET /hooks/<hook_id>/recoveries/<recovery_id>": tenant_or_admin(READ),
    "GET /egress-ips": tenant_or_admin(READ),
    # the customer portal: its page and assets are public, a link's code is its own credential
    "GET /portal": PUBLIC,
    "GET /portal/assets/<name>": PUBLIC,
    "GET /portal/branding": PUBLIC,
    "POST /portal/sessions/exchange": PUBLIC,
    "POST /portal/sessions": tenant_or_admin(MANAGE),
    "DELETE /tenants/<tenant_id>/portal-sessions": admin(MANAGE),
}


def _segments(path: str) -> tuple[str, ...] | None:
    """The path's segments, one trailing slash ignored; None when it is not an absolute path."""
    if not path.startswith("/"):
        return None
    return tuple(path.removesuffix("/").split("/")[1:]) if path != "/" else ("",)


def _key(route: str) -> tuple[str, tuple[str, ...]]:
    method, _, path = route.partition(" ")
    segments = _segments(path)
    assert segments is not None, route
    return method, segments


# Plain segment lists, not one regular expression per route: compiling thirty-odd patterns cost every cold
# start more than matching a request against the lists does.
_ROUTES = [(*_key(route), access) for route, access in ROUTE_ACCESS.items()]


def _matches(pattern: tuple[str, ...], segments: tuple[str, ...]) -> bool:
    """A <parameter> segment matches any non-empty segment; every other segment matches itself."""
    return len(pattern) == len(segments) and all(
        want == got or (want.startswith("<") and got != "") for want, got in zip(pattern, segments, strict=True)
    )


def access_for(method: str, path: str) -> Access | None:
    """The rule of the route this request resolves to; None when no route matches (the resolver 404s)."""
    method, segments = method.upper(), _segments(path)
    if segments is None:
        return None
    for route_method, pattern, access in _ROUTES:
        if route_method == method and _matches(pattern, segments):
            return access
    return None

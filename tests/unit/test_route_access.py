"""Every route declares its access rule in api/access.py: a new route without one fails here."""

import json

from functions.api.access import ROUTE_ACCESS, access_for
from functions.api.openapi import ACCESS_EXTENSION, render


def _documented_routes() -> set[str]:
    document = json.loads(render())
    return {
        f"{method.upper()} {path.replace('{', '<').replace('}', '>')}"
        for path, operations in document["paths"].items()
        for method in operations
    }


def test_every_openapi_route_has_exactly_the_rules_the_table_declares() -> None:
    # Given the routes the code serves (the generated OpenAPI document)
    routes = _documented_routes()
    # Then each one has a rule, and the table names no route that doesn't exist
    assert sorted(routes - ROUTE_ACCESS.keys()) == [], "add these routes to ROUTE_ACCESS in functions/api/access.py"
    assert sorted(ROUTE_ACCESS.keys() - routes) == [], "ROUTE_ACCESS names routes the API doesn't serve"


def test_every_route_documents_its_rule_in_the_openapi_document() -> None:
    document = json.loads(render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert ACCESS_EXTENSION in operation, f"{method} {path}"
    assert document["paths"]["/events"]["post"][ACCESS_EXTENSION] == {
        "admin_scope": "events:publish",
        "tenant_tokens": True,
    }
    assert document["paths"]["/admin/tokens"]["post"][ACCESS_EXTENSION] == {
        "admin_scope": "root",
        "tenant_tokens": False,
    }


def test_a_request_resolves_to_its_route_rule_and_unknown_routes_to_none() -> None:
    assert (
        access_for("GET", "/hooks/hook_1/executions/exe_2")
        == ROUTE_ACCESS["GET /hooks/<hook_id>/executions/<execution_id>"]
    )
    assert access_for("get", "/health") == ROUTE_ACCESS["GET /health"]
    assert access_for("GET", "/hooks/a/b/c/d") is None
    assert access_for("PATCH", "/tenants") is None

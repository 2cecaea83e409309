"""The OpenAPI document, generated from the code (Powertools), with Hookwire's auth and error bodies.

`python -m functions.api.openapi` writes docs/openapi.json; a test fails when code and file drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from functions.api.access import Access, access_for
from functions.api.handler import app
from functions.api.schemas import ErrorBody
from functions.common.contract import VERSION

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
ACCESS_EXTENSION = "x-hookwire-access"
ERROR_RESPONSES = {
    "400": "Malformed JSON, wrong content type, or a bad cursor",
    "401": "Missing, wrong or revoked token",
    "403": "The token may not call this route (`message` names the missing scope), or the token or portal "
    "session is read-only",
    "404": "No such resource (or it belongs to another tenant)",
    "413": "Request body or event data too large",
    "422": "A field is invalid; `field` names it",
    "503": "An AWS dependency failed; retry",
}
# Routes whose success is not 200 (Powertools documents every success as 200).
SUCCESS_STATUS: dict[tuple[str, str], tuple[str, ...]] = {
    ("/admin/tokens", "post"): ("201",),
    ("/admin/tokens/{token_id}", "delete"): ("204",),
    ("/tenants", "post"): ("201",),
    ("/tenants/{tenant_id}", "delete"): ("204",),
    ("/tenants/{tenant_id}/tokens", "post"): ("201",),
    ("/tenants/{tenant_id}/tokens/{token_id}", "delete"): ("204",),
    ("/event-types/{type_name}", "delete"): ("204",),
    ("/hooks", "post"): ("201",),
    ("/hooks/{hook_id}", "delete"): ("204",),
    ("/hooks/{hook_id}/executions/{execution_id}/retry", "post"): ("202",),
    ("/events", "post"): ("202", "200"),  # 200: the id was seen before
    ("/events/{event_id}/replay", "post"): ("202",),
    ("/portal/sessions", "post"): ("201",),
}
# Routes under a per-tenant abuse limit (deployment configuration): 429 with Retry-After past it.
LIMITED = {
    ("/events", "post"): "The tenant's publish rate was exceeded; retry after Retry-After seconds",
    ("/hooks", "post"): "The tenant has as many hooks as its limit allows",
}


def _error_ref(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }


def openapi_document() -> dict[str, Any]:
    document = json.loads(
        app.get_openapi_json_schema(
            title="Hookwire",
            version=VERSION,
            description="Webhook delivery as a service: tenants, hooks, events, executions.",
            security_schemes={"bearer": HTTPBearer(description="Admin token, tenant token or portal session")},
            security=[{"bearer": []}],
        )
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorBody"] = ErrorBody.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            _set_success_status(responses, SUCCESS_STATUS.get((path, method), ("200",)))
            access = access_for(method, path.replace("{", "<").replace("}", ">"))
            if access is not None:
                operation[ACCESS_EXTENSION] = _access_doc(access)
            public = access is not None and access.public
            if public:
                operation["security"] = []
            if (path, method) == ("/health", "get"):
                responses.pop("422", None)
                continue
            for status, description in ERROR_RESPONSES.items():
                if not (public and status == "403"):
                    responses[status] = _error_ref(description)
            if (path, method) in LIMITED:
                responses["429"] = _error_ref(LIMITED[(path, method)])
                responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    _drop_unreferenced(schemas, document)
    return document


def _access_doc(access: Access) -> dict[str, Any]:
    """The route's rule from api/access.py, so readers of the API reference see which token it takes."""
    if access.public:
        return {"public": True}
    return {"admin_scope": str(access.scope) if access.scope else "root", "tenant_tokens": access.tenants}


def _set_success_status(responses: dict[str, Any], statuses: tuple[str, ...]) -> None:
    success = responses.pop("200")
    for status in statuses:
        responses[status] = {"description": "No content"} if status == "204" else success


def _drop_unreferenced(schemas: dict[str, Any], document: dict[str, Any]) -> None:
    """Powertools adds its own validation-error schemas; ours replace them, so drop what nothing uses."""
    while True:
        text = json.dumps(document)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(render())
    sys.stdout.write(f"wrote {DOCUMENT}\n")


if __name__ == "__main__":
    main()

"""What every route reads: the caller, the dependencies, the clock, and shared parameter types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from functions.api.deps import ApiDeps, api_deps
from functions.api.logic.auth import tenant_scope
from functions.common.ingest import ID_PATTERN
from functions.common.models import Principal
from functions.common.timeutil import utcnow

PRINCIPAL_KEY = "principal"

Limit = Annotated[int, Query(ge=1, le=100, description="Page size, 1-100")]
Cursor = Annotated[str | None, Query(max_length=2048, description="next_cursor of the previous page")]
TenantParam = Annotated[str | None, Query(pattern=ID_PATTERN, description="Admin token only: the tenant to act for")]
# Every id in a path has the id shape, so an odd or huge value is a 422 naming it, never a failed lookup.
IdPath = Annotated[str, Path(pattern=ID_PATTERN, description="An id: 1-128 letters, digits and _ . : -")]


def deps() -> ApiDeps:
    return api_deps()


def now() -> datetime:
    return utcnow()


def principal_of(context: dict) -> Principal:
    return context[PRINCIPAL_KEY]


def tenant(context: dict, named_tenant: str | None = None) -> str:
    return tenant_scope(principal_of(context), named_tenant, deps().tenants)


def reply(status: int, body: Any = None) -> Response[Any]:
    """A JSON answer with a status other than 200 (the body is still validated against the route's model)."""
    return Response(status, content_types.APPLICATION_JSON, body)

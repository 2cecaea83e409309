"""Admin routes: tenants, tokens, the event-type catalogue."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api.logic import event_types, tenants
from functions.api.routes.context import Cursor, IdPath, Limit, deps, now, reply
from functions.api.schemas import (
    CreateTenant,
    CreateTenantToken,
    EventTypeList,
    EventTypeView,
    ItemList,
    Page,
    PutEventType,
    TenantCreated,
    TenantTokenView,
    TenantView,
    TokenCreated,
    UpdateTenant,
)
from functions.common.ingest import TYPE_PATTERN

router = APIGatewayHttpRouter()
TypePath = Annotated[str, Path(pattern=TYPE_PATTERN)]


@router.post("/tenants", summary="Create a tenant and its first token")
def create_tenant(body: CreateTenant) -> Response[TenantCreated]:
    return reply(201, tenants.create_tenant(body, deps().tenants, deps().tokens, now()))


@router.get("/tenants", summary="List tenants")
def list_tenants(limit: Limit = 50, cursor: Cursor = None) -> Page[TenantView]:
    return tenants.list_tenants(limit, cursor, deps().tenants)


@router.get("/tenants/<tenant_id>", summary="Get a tenant")
def get_tenant(tenant_id: IdPath) -> TenantView:
    return tenants.get_tenant(tenant_id, deps().tenants)


@router.patch("/tenants/<tenant_id>", summary="Rename a tenant or set its default payload_format")
def update_tenant(tenant_id: IdPath, body: UpdateTenant) -> TenantView:
    return tenants.update_tenant(tenant_id, body, deps().tenants)


@router.delete("/tenants/<tenant_id>", summary="Delete a tenant, its tokens and its hooks")
def delete_tenant(tenant_id: IdPath) -> Response[None]:
    d = deps()
    tenants.delete_tenant(tenant_id, d.tenants, d.tokens, d.hooks, d.portal_sessions)
    return Response(204)


@router.post("/tenants/<tenant_id>/tokens", summary="Issue another token for a tenant, optionally read-only")
def create_token(tenant_id: IdPath, body: CreateTenantToken | None = None) -> Response[TokenCreated]:
    d = deps()
    return reply(201, tenants.create_token(tenant_id, body or CreateTenantToken(), d.tenants, d.tokens, now()))


@router.get("/tenants/<tenant_id>/tokens", summary="List a tenant's tokens (ids, never the tokens themselves)")
def list_tokens(tenant_id: IdPath) -> ItemList[TenantTokenView]:
    return tenants.list_tokens(tenant_id, deps().tenants, deps().tokens)


@router.delete("/tenants/<tenant_id>/tokens/<token_id>", summary="Revoke a token")
def revoke_token(tenant_id: IdPath, token_id: IdPath) -> Response[None]:
    tenants.revoke_token(tenant_id, token_id, deps().tokens)
    return Response(204)


@router.get("/event-types", summary="The event-type catalogue")
def list_event_types() -> EventTypeList:
    return event_types.list_event_types(deps().event_types)


@router.put("/event-types/<type_name>", summary="Add or replace an event type")
def put_event_type(type_name: TypePath, body: PutEventType) -> EventTypeView:
    return event_types.put_event_type(type_name, body, deps().event_types)


@router.delete("/event-types/<type_name>", summary="Remove an event type")
def delete_event_type(type_name: TypePath) -> Response[None]:
    event_types.delete_event_type(type_name, deps().event_types)
    return Response(204)

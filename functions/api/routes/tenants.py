"""Admin routes: tenants, tokens, the event-type catalogue."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api.logic import event_types, tenants
from functions.api.routes.context import Cursor, Limit, admin, deps, now, reply
from functions.api.schemas import (
    CreateTenant,
    EventTypeList,
    EventTypeView,
    Page,
    PutEventType,
    TenantCreated,
    TenantView,
    TokenCreated,
    UpdateTenant,
)

router = APIGatewayHttpRouter()
TypePath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.\-]{1,200}$")]


@router.post("/tenants", summary="Create a tenant and its first token")
def create_tenant(body: CreateTenant) -> Response[TenantCreated]:
    admin(router.context)
    return reply(201, tenants.create_tenant(body, deps().subscriptions, now()))


@router.get("/tenants", summary="List tenants")
def list_tenants(limit: Limit = 50, cursor: Cursor = None) -> Page[TenantView]:
    admin(router.context)
    return tenants.list_tenants(limit, cursor, deps().subscriptions)


@router.get("/tenants/<tenant_id>", summary="Get a tenant")
def get_tenant(tenant_id: str) -> TenantView:
    admin(router.context)
    return tenants.get_tenant(tenant_id, deps().subscriptions)


@router.patch("/tenants/<tenant_id>", summary="Rename a tenant or set its default payload_format")
def update_tenant(tenant_id: str, body: UpdateTenant) -> TenantView:
    admin(router.context)
    return tenants.update_tenant(tenant_id, body, deps().subscriptions)


@router.delete("/tenants/<tenant_id>", summary="Delete a tenant, its tokens and its hooks")
def delete_tenant(tenant_id: str) -> Response[None]:
    admin(router.context)
    tenants.delete_tenant(tenant_id, deps().subscriptions)
    return Response(204)


@router.post("/tenants/<tenant_id>/tokens", summary="Issue another token for a tenant")
def create_token(tenant_id: str) -> Response[TokenCreated]:
    admin(router.context)
    return reply(201, tenants.create_token(tenant_id, deps().subscriptions, now()))


@router.delete("/tenants/<tenant_id>/tokens/<token_id>", summary="Revoke a token")
def revoke_token(tenant_id: str, token_id: str) -> Response[None]:
    admin(router.context)
    tenants.revoke_token(tenant_id, token_id, deps().subscriptions)
    return Response(204)


@router.get("/event-types", summary="The event-type catalogue")
def list_event_types() -> EventTypeList:
    return event_types.list_event_types(deps().subscriptions)


@router.put("/event-types/<type_name>", summary="Add or replace an event type")
def put_event_type(type_name: TypePath, body: PutEventType) -> EventTypeView:
    admin(router.context)
    return event_types.put_event_type(type_name, body, deps().subscriptions)


@router.delete("/event-types/<type_name>", summary="Remove an event type")
def delete_event_type(type_name: TypePath) -> Response[None]:
    admin(router.context)
    event_types.delete_event_type(type_name, deps().subscriptions)
    return Response(204)

"""Tenants and their tokens (admin only)."""

from __future__ import annotations

from datetime import datetime

from functions.api.logic.auth import TENANT_TOKEN_PREFIX, hash_token
from functions.api.schemas import (
    CreateTenant,
    CreateTenantToken,
    ItemList,
    Page,
    TenantCreated,
    TenantTokenView,
    TenantView,
    TokenCreated,
    UpdateTenant,
)
from functions.common import ids
from functions.common.dal.portal_sessions import PortalSessionsRepository
from functions.common.dal.subscriptions import SubscriptionsRepository
from functions.common.errors import NotFound
from functions.common.models import Tenant, TokenRecord


def token_view(record: TokenRecord) -> TenantTokenView:
    return TenantTokenView(
        id=record.id, created_at=record.created_at, last_used_at=record.last_used_at, read_only=record.read_only
    )


def _issue_token(
    subscriptions: SubscriptionsRepository, tenant_id: str, read_only: bool, now: datetime
) -> TokenCreated:
    """Tokens are shown once and stored only as their SHA-256."""
    token = ids.random_token(TENANT_TOKEN_PREFIX)
    record = TokenRecord(
        id=ids.new_id("tok"), tenant_id=tenant_id, token_hash=hash_token(token), created_at=now, read_only=read_only
    )
    subscriptions.put_token(record)
    return TokenCreated(**token_view(record).model_dump(), token=token)


def create_tenant(body: CreateTenant, subscriptions: SubscriptionsRepository, now: datetime) -> TenantCreated:
    tenant = Tenant(id=ids.new_id("ten"), name=body.name, created_at=now, payload_format=body.payload_format)
    subscriptions.put_tenant(tenant)
    token = _issue_token(subscriptions, tenant.id, False, now)
    return TenantCreated(**tenant.model_dump(), token=token.token, token_id=token.id)


def get_tenant(tenant_id: str, subscriptions: SubscriptionsRepository) -> TenantView:
    tenant = subscriptions.get_tenant(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found", field="tenant_id")
    return TenantView(**tenant.model_dump())


def update_tenant(tenant_id: str, body: UpdateTenant, subscriptions: SubscriptionsRepository) -> TenantView:
    """Only the fields the body names change; `payload_format: null` removes the tenant's default."""
    tenant = subscriptions.get_tenant(tenant_id)
    if tenant is None:
        raise NotFound(f"tenant {tenant_id} not found", field="tenant_id")
    changes = body.model_dump(include=body.model_fields_set)
    if changes.get("name", tenant.name) is None:
        changes.pop("name")
    updated = tenant.model_copy(update=changes)
    subscriptions.put_tenant(updated)
    return TenantView(**updated.model_dump())


def list_tenants(limit: int, cursor: str | None, subscriptions: SubscriptionsRepository) -> Page[TenantView]:
    tenants, next_cursor = subscriptions.list_tenants(limit, cursor)
    return Page[TenantView](items=[TenantView(**t.model_dump()) for t in tenants], next_cursor=next_cursor)


def delete_tenant(
    tenant_id: str, subscriptions: SubscriptionsRepository, portal_sessions: PortalSessionsRepository
) -> None:
    if not subscriptions.delete_tenant(tenant_id):
        raise NotFound(f"tenant {tenant_id} not found", field="tenant_id")
    portal_sessions.revoke_all(tenant_id)


def create_token(
    tenant_id: str, body: CreateTenantToken, subscriptions: SubscriptionsRepository, now: datetime
) -> TokenCreated:
    get_tenant(tenant_id, subscriptions)
    return _issue_token(subscriptions, tenant_id, body.read_only, now)


def list_tokens(tenant_id: str, subscriptions: SubscriptionsRepository) -> ItemList[TenantTokenView]:
    get_tenant(tenant_id, subscriptions)
    return ItemList[TenantTokenView](items=[token_view(record) for record in subscriptions.list_tokens(tenant_id)])


def revoke_token(tenant_id: str, token_id: str, subscriptions: SubscriptionsRepository) -> None:
    if not subscriptions.revoke_token(tenant_id, token_id):
        raise NotFound(f"token {token_id} not found for tenant {tenant_id}", field="token_id")

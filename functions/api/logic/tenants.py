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
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.portal_sessions import PortalSessionsRepository
from functions.common.dal.tenants import TenantsRepository
from functions.common.dal.tokens import TokensRepository
from functions.common.errors import TenantNotFound, TokenNotFound
from functions.common.models import Tenant, TokenRecord


def token_view(record: TokenRecord) -> TenantTokenView:
    return TenantTokenView(
        id=record.id, created_at=record.created_at, last_used_at=record.last_used_at, read_only=record.read_only
    )


def _issue_token(tokens: TokensRepository, tenant_id: str, read_only: bool, now: datetime) -> TokenCreated:
    """Tokens are shown once and stored only as their SHA-256."""
    token = ids.random_token(TENANT_TOKEN_PREFIX)
    record = TokenRecord(
        id=ids.new_id("tok"), tenant_id=tenant_id, token_hash=hash_token(token), created_at=now, read_only=read_only
    )
    tokens.put_token(record)
    return TokenCreated(**token_view(record).model_dump(), token=token)


def create_tenant(
    body: CreateTenant, tenants: TenantsRepository, tokens: TokensRepository, now: datetime
) -> TenantCreated:
    tenant = Tenant(id=ids.new_id("ten"), name=body.name, created_at=now, payload_format=body.payload_format)
    tenants.put_tenant(tenant)
    token = _issue_token(tokens, tenant.id, False, now)
    return TenantCreated(**tenant.model_dump(), token=token.token, token_id=token.id)


def _tenant(tenant_id: str, tenants: TenantsRepository) -> Tenant:
    tenant = tenants.get_tenant(tenant_id)
    if tenant is None:
        raise TenantNotFound(tenant_id)
    return tenant


def get_tenant(tenant_id: str, tenants: TenantsRepository) -> TenantView:
    return TenantView(**_tenant(tenant_id, tenants).model_dump())


def update_tenant(tenant_id: str, body: UpdateTenant, tenants: TenantsRepository) -> TenantView:
    """Only the fields the body names change; `payload_format: null` removes the tenant's default."""
    tenant = _tenant(tenant_id, tenants)
    changes = body.model_dump(include=body.model_fields_set)
    if changes.get("name", tenant.name) is None:
        changes.pop("name")
    updated = tenant.model_copy(update=changes)
    tenants.put_tenant(updated)
    return TenantView(**updated.model_dump())


def list_tenants(limit: int, cursor: str | None, tenants: TenantsRepository) -> Page[TenantView]:
    found, next_cursor = tenants.list_tenants(limit, cursor)
    return Page[TenantView](items=[TenantView(**t.model_dump()) for t in found], next_cursor=next_cursor)


def delete_tenant(
    tenant_id: str,
    tenants: TenantsRepository,
    tokens: TokensRepository,
    hooks: HooksRepository,
    portal_sessions: PortalSessionsRepository,
) -> None:
    """The one write that spans aggregates: the tenant, then everything it owns. Not one transaction (a
    tenant may own more items than a transaction holds); the tenant goes first, so a retry after a failure
    part-way finds it gone (404) while its tokens, which authenticate on their own, go next."""
    if not tenants.delete_tenant(tenant_id):
        raise TenantNotFound(tenant_id)
    tokens.delete_tokens(tenant_id)
    hooks.delete_hooks(tenant_id)
    portal_sessions.revoke_all(tenant_id)


def create_token(
    tenant_id: str, body: CreateTenantToken, tenants: TenantsRepository, tokens: TokensRepository, now: datetime
) -> TokenCreated:
    _tenant(tenant_id, tenants)
    return _issue_token(tokens, tenant_id, body.read_only, now)


def list_tokens(tenant_id: str, tenants: TenantsRepository, tokens: TokensRepository) -> ItemList[TenantTokenView]:
    _tenant(tenant_id, tenants)
    return ItemList[TenantTokenView](items=[token_view(record) for record in tokens.list_tokens(tenant_id)])


def revoke_token(tenant_id: str, token_id: str, tokens: TokensRepository) -> None:
    if not tokens.revoke_token(tenant_id, token_id):
        raise TokenNotFound(token_id)

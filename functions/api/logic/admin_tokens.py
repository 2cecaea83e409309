"""Scoped admin tokens: issued, listed and revoked by the root token (the operator's Secrets Manager secret)."""

from __future__ import annotations

from datetime import datetime

from functions.api.logic.auth import ADMIN_TOKEN_PREFIX, hash_token
from functions.api.schemas import AdminTokenCreated, AdminTokenView, CreateAdminToken, ItemList
from functions.common import ids
from functions.common.dal.tokens import TokensRepository
from functions.common.errors import TokenNotFound
from functions.common.models import ROOT_TOKEN_ID, Scope, TokenRecord

ROOT_TOKEN_NAME = "root (the Secrets Manager admin secret)"


def _view(record: TokenRecord) -> AdminTokenView:
    return AdminTokenView(
        id=record.id,
        name=record.name or "",
        scopes=record.scopes,
        created_at=record.created_at,
        last_used_at=record.last_used_at,
    )


def create_admin_token(body: CreateAdminToken, tokens: TokensRepository, now: datetime) -> AdminTokenCreated:
    """Shown once and stored only as its SHA-256, like tenant tokens."""
    token = ids.random_token(ADMIN_TOKEN_PREFIX)
    record = TokenRecord(
        id=ids.new_id("adm"), token_hash=hash_token(token), created_at=now, name=body.name, scopes=body.scopes
    )
    tokens.put_token(record)
    return AdminTokenCreated(**_view(record).model_dump(), token=token)


def list_admin_tokens(tokens: TokensRepository) -> ItemList[AdminTokenView]:
    """The root token first (it can't be revoked here: rotate the secret), then the scoped tokens."""
    root = AdminTokenView(
        id=ROOT_TOKEN_ID,
        name=ROOT_TOKEN_NAME,
        scopes=list(Scope),
        created_at=None,
        last_used_at=tokens.root_last_used(),
    )
    return ItemList[AdminTokenView](items=[root, *(_view(record) for record in tokens.list_tokens(None))])


def revoke_admin_token(token_id: str, tokens: TokensRepository) -> None:
    if not tokens.revoke_token(None, token_id):
        raise TokenNotFound(token_id)

"""Bearer-token authentication, route access (scopes, read-only tokens) and the tenant scoping routes use."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from functions.api.access import Access
from functions.common.dal.admin_secret import AdminSecret
from functions.common.dal.portal_sessions import PortalSessionsRepository
from functions.common.dal.tenants import TenantsRepository
from functions.common.dal.tokens import TokensRepository
from functions.common.errors import DependencyFailure, Forbidden, Unauthorized, ValidationFailed
from functions.common.models import ROOT_TOKEN_ID, PortalCredentialKind, Principal, PrincipalKind, Scope, TokenRecord
from functions.common.observability import logger

TENANT_TOKEN_PREFIX = "hwt"
ADMIN_TOKEN_PREFIX = "hwa"
PORTAL_LINK_PREFIX = "hwl"
PORTAL_SESSION_PREFIX = "hwp"
# last_used_at is written at most once per token per interval: at most 1 write unit per token per minute,
# whatever the request rate (the root token: per warm api container, as it has no stored record to read).
USAGE_INTERVAL = timedelta(minutes=1)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _stale(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= USAGE_INTERVAL


@dataclass
class TokenUsage:
    """Keeps `last_used_at` fresh cheaply. A failed usage write never fails the request it belongs to."""

    tokens: TokensRepository
    root_recorded_at: datetime | None = None

    def record(self, token: TokenRecord, now: datetime) -> None:
        if _stale(token.last_used_at, now):
            self._write(lambda: self.tokens.touch_token(token.token_hash, now), token.id)

    def record_root(self, now: datetime) -> None:
        if _stale(self.root_recorded_at, now):
            self._write(lambda: self.tokens.touch_root(now), ROOT_TOKEN_ID)
            self.root_recorded_at = now

    @staticmethod
    def _write(write: Callable[[], None], token_id: str) -> None:
        try:
            write()
        except DependencyFailure:
            logger.warning("could not record token use", extra={"token_id": token_id})


def authenticate(
    authorization: str | None,
    admin_secret: AdminSecret,
    tokens: TokensRepository,
    portal_sessions: PortalSessionsRepository,
    usage: TokenUsage,
    now: datetime,
) -> Principal:
    """`Authorization: Bearer <token>` -> the root admin, a scoped admin token, the tenant a token belongs to,
    or a tenant's portal session."""
    if not authorization:
        raise Unauthorized("missing Authorization header (use: Authorization: Bearer <token>)", field="authorization")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Authorization must be 'Bearer <token>'", field="authorization")
    if hmac.compare_digest(token.encode(), admin_secret.value().encode()):
        usage.record_root(now)
        return Principal(kind=PrincipalKind.ADMIN, token_id=ROOT_TOKEN_ID, scopes=frozenset(Scope))
    if token.startswith((TENANT_TOKEN_PREFIX + "_", ADMIN_TOKEN_PREFIX + "_")):
        # The lookup is by SHA-256 of the token: the stored hash never reveals it, and the
        # comparison happens inside the key lookup, so there is no early-exit timing to measure.
        record = tokens.find_token(hash_token(token))
        if record is not None:
            usage.record(record, now)
            return _principal_of(record)
    if token.startswith(PORTAL_SESSION_PREFIX + "_"):
        session = portal_sessions.find(hash_token(token), now)
        if session is not None and session.kind is PortalCredentialKind.SESSION:
            return Principal(
                kind=PrincipalKind.PORTAL,
                tenant_id=session.tenant_id,
                token_id=session.id,
                read_only=session.read_only,
            )
        raise Unauthorized("the portal session expired or was revoked: open a new portal link", field="authorization")
    raise Unauthorized("invalid or revoked token", field="authorization")


def _principal_of(record: TokenRecord) -> Principal:
    if record.tenant_id is None:
        return Principal(kind=PrincipalKind.ADMIN, token_id=record.id, scopes=frozenset(record.scopes))
    return Principal(
        kind=PrincipalKind.TENANT, tenant_id=record.tenant_id, token_id=record.id, read_only=record.read_only
    )


def authorize(principal: Principal, access: Access) -> None:
    """403 naming what is missing: the scope, the root token, or an admin token at all. A portal session
    acts as its tenant."""
    if principal.kind in (PrincipalKind.TENANT, PrincipalKind.PORTAL):
        if not access.tenants:
            needed = f"an admin token with scope {access.scope}" if access.scope else "the root admin token"
            raise Forbidden(f"this route needs {needed}", field="authorization")
        return
    if access.scope is None:
        if not principal.is_root:
            raise Forbidden("this route needs the root admin token", field="authorization")
        return
    if access.scope not in principal.scopes:
        raise Forbidden(f"this token lacks the scope {access.scope}", field="authorization")


def require_write_access(principal: Principal, method: str) -> None:
    """The one place read-only principals (read-only tenant tokens, read-only portal sessions) are held to
    reading."""
    if principal.read_only and method.upper() not in SAFE_METHODS:
        raise Forbidden("this token or portal session is read-only", field="authorization")


def require_token_holder(principal: Principal, action: str) -> None:
    """Some actions need the tenant's (or the admin's) own token, not a portal session."""
    if principal.kind is PrincipalKind.PORTAL:
        raise Forbidden(f"a portal session cannot {action}", field="authorization")


def tenant_scope(principal: Principal, named_tenant: str | None, tenants: TenantsRepository) -> str:
    """The tenant a request acts for: a tenant token's own, or the one the admin names explicitly."""
    if principal.kind is not PrincipalKind.ADMIN:
        assert principal.tenant_id is not None
        return principal.tenant_id
    if not named_tenant:
        raise ValidationFailed("the admin token must name a tenant here (tenant_id)", field="tenant_id")
    if tenants.get_tenant(named_tenant) is None:
        raise ValidationFailed(f"tenant {named_tenant} does not exist", field="tenant_id")
    return named_tenant

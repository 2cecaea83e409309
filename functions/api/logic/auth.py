"""Bearer-token authentication and the tenant scoping every route relies on."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from functions.common.dal.admin_secret import AdminSecret
from functions.common.dal.portal_sessions import PortalSessionsRepository
from functions.common.dal.subscriptions import SubscriptionsRepository
from functions.common.errors import Forbidden, Unauthorized, ValidationFailed
from functions.common.models import PortalCredentialKind, Principal, PrincipalKind

TENANT_TOKEN_PREFIX = "hwt"
PORTAL_LINK_PREFIX = "hwl"
PORTAL_SESSION_PREFIX = "hwp"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(
    authorization: str | None,
    admin_secret: AdminSecret,
    subscriptions: SubscriptionsRepository,
    portal_sessions: PortalSessionsRepository,
    now: datetime,
) -> Principal:
    """`Authorization: Bearer <token>` -> the admin, the tenant the token belongs to, or a portal session."""
    if not authorization:
        raise Unauthorized("missing Authorization header (use: Authorization: Bearer <token>)", field="authorization")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Authorization must be 'Bearer <token>'", field="authorization")
    if hmac.compare_digest(token.encode(), admin_secret.value().encode()):
        return Principal(kind=PrincipalKind.ADMIN)
    if token.startswith(TENANT_TOKEN_PREFIX + "_"):
        # The lookup is by SHA-256 of the token: the stored hash never reveals it, and the
        # comparison happens inside the key lookup, so there is no early-exit timing to measure.
        record = subscriptions.find_token(hash_token(token))
        if record is not None:
            return Principal(kind=PrincipalKind.TENANT, tenant_id=record.tenant_id, token_id=record.id)
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


def require_write_access(principal: Principal, method: str) -> None:
    """The one place read-only principals are held to reading."""
    if principal.read_only and method.upper() not in READ_METHODS:
        raise Forbidden("this session is read-only", field="authorization")


def require_token_holder(principal: Principal, action: str) -> None:
    """Some actions need the tenant's (or the admin's) own token, not a portal session."""
    if principal.kind is PrincipalKind.PORTAL:
        raise Forbidden(f"a portal session cannot {action}", field="authorization")


def require_admin(principal: Principal) -> None:
    if principal.kind is not PrincipalKind.ADMIN:
        raise Forbidden("this route needs the admin token", field="authorization")


def tenant_scope(principal: Principal, named_tenant: str | None, subscriptions: SubscriptionsRepository) -> str:
    """The tenant a request acts for: a tenant token's own, or the one the admin names explicitly."""
    if principal.kind is not PrincipalKind.ADMIN:
        assert principal.tenant_id is not None
        return principal.tenant_id
    if not named_tenant:
        raise ValidationFailed("the admin token must name a tenant here (tenant_id)", field="tenant_id")
    if subscriptions.get_tenant(named_tenant) is None:
        raise ValidationFailed(f"tenant {named_tenant} does not exist", field="tenant_id")
    return named_tenant

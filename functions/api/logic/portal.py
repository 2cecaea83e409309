"""The customer portal's sessions: magic links, exchanging a link for a session, revocation, branding.

A link (`hwl_...`) travels in the URL fragment, which browsers never send to a server, so it never reaches
access logs. The page exchanges it (POST body) for a session credential (`hwp_...`) that it keeps in
sessionStorage and sends as a bearer token. Both are stored only as SHA-256 hashes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.api.logic.auth import PORTAL_LINK_PREFIX, PORTAL_SESSION_PREFIX, hash_token
from functions.api.schemas import (
    BrandingView,
    CreatePortalSession,
    ExchangePortalCode,
    PortalSessionCreated,
    PortalSessionsRevoked,
    PortalSessionView,
)
from functions.common import ids
from functions.common.dal.portal_sessions import PortalSessionsRepository
from functions.common.dal.tenants import TenantsRepository
from functions.common.errors import TenantNotFound, Unauthorized
from functions.common.models import PortalBranding, PortalCredential, PortalCredentialKind
from functions.common.settings import PortalSettings

# A session outlives its page load, not the link: it ends at the link's expiry or after this, if sooner.
SESSION_SECONDS = 8 * 3600
LINK_REJECTED = "this portal link has expired, was revoked, or is not a valid link: ask for a new one"


def deployment_branding(settings: PortalSettings) -> PortalBranding:
    return PortalBranding(
        product_name=settings.portal_product_name,
        logo_url=settings.portal_logo_url or None,
        accent_color=settings.portal_accent_color,
    )


def branding_view(branding: PortalBranding) -> BrandingView:
    return BrandingView.model_validate(branding.model_dump())


def create_link(
    tenant_id: str,
    body: CreatePortalSession,
    portal_url: str,
    portal_sessions: PortalSessionsRepository,
    now: datetime,
) -> PortalSessionCreated:
    """A new magic link for the tenant; `portal_url` is where the portal page is served."""
    code = ids.random_token(PORTAL_LINK_PREFIX)
    link = PortalCredential(
        id=ids.new_id("pls"),
        tenant_id=tenant_id,
        kind=PortalCredentialKind.LINK,
        token_hash=hash_token(code),
        read_only=body.read_only,
        created_at=now,
        expires_at=now + timedelta(seconds=body.ttl_seconds),
        branding=PortalBranding.model_validate(body.branding.model_dump()) if body.branding else PortalBranding(),
    )
    portal_sessions.put(link)
    return PortalSessionCreated(url=f"{portal_url}#code={code}", expires_at=link.expires_at, read_only=link.read_only)


def exchange(
    body: ExchangePortalCode,
    portal_sessions: PortalSessionsRepository,
    tenants: TenantsRepository,
    settings: PortalSettings,
    now: datetime,
) -> PortalSessionView:
    """A valid, unexpired link -> a session for the same tenant, rights and branding. The link stays usable
    until it expires (opening it again in another tab works), so expiry and revocation are its only ends."""
    link = portal_sessions.find(hash_token(body.code), now) if body.code.startswith(PORTAL_LINK_PREFIX + "_") else None
    if link is None or link.kind is not PortalCredentialKind.LINK:
        raise Unauthorized(LINK_REJECTED, field="code")
    tenant = tenants.get_tenant(link.tenant_id)
    if tenant is None:
        raise Unauthorized(LINK_REJECTED, field="code")
    token = ids.random_token(PORTAL_SESSION_PREFIX)
    session = link.model_copy(
        update={
            "id": ids.new_id("pss"),
            "kind": PortalCredentialKind.SESSION,
            "token_hash": hash_token(token),
            "created_at": now,
            "expires_at": min(link.expires_at, now + timedelta(seconds=SESSION_SECONDS)),
        }
    )
    portal_sessions.put(session)
    return PortalSessionView(
        token=token,
        expires_at=session.expires_at,
        read_only=session.read_only,
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        branding=branding_view(session.branding.over(deployment_branding(settings))),
    )


def revoke_all(
    tenant_id: str, portal_sessions: PortalSessionsRepository, tenants: TenantsRepository
) -> PortalSessionsRevoked:
    if tenants.get_tenant(tenant_id) is None:
        raise TenantNotFound(tenant_id)
    return PortalSessionsRevoked(revoked=portal_sessions.revoke_all(tenant_id))

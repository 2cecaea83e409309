"""The customer portal: its magic-link sessions and its static page (the page itself uses the JSON API)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api.logic import portal, portal_assets
from functions.api.logic.auth import require_token_holder
from functions.api.routes.context import IdPath, deps, now, principal_of, reply, tenant
from functions.api.schemas import (
    BrandingView,
    CreatePortalSession,
    ExchangePortalCode,
    PortalSessionCreated,
    PortalSessionsRevoked,
    PortalSessionView,
)

router = APIGatewayHttpRouter()
PAGE_PATH = "/portal"
EXCHANGE_PATH = "/portal/sessions/exchange"
BRANDING_PATH = "/portal/branding"
AssetName = Annotated[str, Path(pattern=r"^[a-z0-9.]{1,40}$")]


def _documented_as(*media_types: str) -> dict[int, dict]:
    """OpenAPI for a route that answers with a file rather than JSON."""
    content = {media_type: {"schema": {"type": "string"}} for media_type in media_types}
    return {200: {"description": "The file", "content": content}}


def _portal_url() -> str:
    """Where links point: the configured address, else this API's own (scheme and host of the request)."""
    configured = deps().settings.portal_url
    if configured:
        return configured
    event = router.current_event
    scheme = event.headers.get("x-forwarded-proto") or "https"
    host = event.headers.get("host") or event.request_context.domain_name
    return f"{scheme}://{host}{PAGE_PATH}"


@router.post("/portal/sessions", summary="Create a magic link to the tenant's portal")
def create_portal_session(body: CreatePortalSession) -> Response[PortalSessionCreated]:
    require_token_holder(principal_of(router.context), "create portal links")
    scope = tenant(router.context, body.tenant_id)
    return reply(201, portal.create_link(scope, body, _portal_url(), deps().portal_sessions, now()))


@router.post(EXCHANGE_PATH, summary="Exchange a magic link's code for a portal session (no token needed)")
def exchange_portal_code(body: ExchangePortalCode) -> PortalSessionView:
    d = deps()
    return portal.exchange(body, d.portal_sessions, d.tenants, d.settings, now())


@router.get(BRANDING_PATH, summary="The deployment's portal branding (no token needed)")
def portal_branding() -> BrandingView:
    return portal.branding_view(portal.deployment_branding(deps().settings))


@router.delete("/tenants/<tenant_id>/portal-sessions", summary="Revoke every portal link and session of a tenant")
def revoke_portal_sessions(tenant_id: IdPath) -> PortalSessionsRevoked:
    d = deps()
    return portal.revoke_all(tenant_id, d.portal_sessions, d.tenants)


def _static(file: portal_assets.StaticFile) -> Response[str]:
    headers = {
        **portal_assets.security_headers(deps().settings.portal_frame_ancestors),
        "Cache-Control": file.cache_control,
    }
    return Response(200, file.content_type, file.body, headers=headers)


@router.get(
    PAGE_PATH,
    summary="The customer portal page (HTML; no token needed, it signs in from its link)",
    responses=_documented_as("text/html"),
)
def portal_page() -> Response[str]:
    return _static(portal_assets.index_page())


@router.get(
    "/portal/assets/<name>",
    summary="The portal's script, style sheet and icon",
    responses=_documented_as(*sorted({media.split(";")[0] for media in portal_assets.ASSET_TYPES.values()})),
)
def portal_asset(name: AssetName) -> Response[str]:
    return _static(portal_assets.asset(name))

"""Scoped admin tokens (root token only, see api/access.py)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.api.logic import admin_tokens
from functions.api.routes.context import deps, now, reply
from functions.api.schemas import AdminTokenCreated, AdminTokenView, CreateAdminToken, ItemList

router = APIGatewayHttpRouter()


@router.post("/admin/tokens", summary="Issue a scoped admin token; the answer carries it, shown once")
def create_admin_token(body: CreateAdminToken) -> Response[AdminTokenCreated]:
    return reply(201, admin_tokens.create_admin_token(body, deps().tokens, now()))


@router.get("/admin/tokens", summary="List admin tokens (never the tokens themselves)")
def list_admin_tokens() -> ItemList[AdminTokenView]:
    return admin_tokens.list_admin_tokens(deps().tokens)


@router.delete("/admin/tokens/<token_id>", summary="Revoke a scoped admin token")
def revoke_admin_token(token_id: str) -> Response[None]:
    admin_tokens.revoke_admin_token(token_id, deps().tokens)
    return Response(204)

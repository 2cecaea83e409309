"""api λ: the HTTP API. Wiring only: authenticate, resolve the route, map domain errors to HTTP."""

from __future__ import annotations

import itertools
from typing import Any

from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    Response,
    content_types,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.api.access import access_for
from functions.api.logic.auth import authenticate, authorize, require_write_access
from functions.api.routes import admin_tokens, events, hooks, portal, tenants
from functions.api.routes.context import PRINCIPAL_KEY, deps, now
from functions.api.schemas import ErrorBody, Health
from functions.common.errors import (
    BadRequest,
    HookwireError,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
)
from functions.common.observability import logger, metrics, tracer

MAX_BODY_BYTES = 300 * 1024  # event data may be 256 KiB; the rest is room for the envelope fields

app = APIGatewayHttpResolver(enable_validation=True)
app.include_router(admin_tokens.router)
app.include_router(tenants.router)
app.include_router(hooks.router)
app.include_router(events.router)
app.include_router(portal.router)


@app.get("/health", summary="Liveness check; needs no token")
def health() -> Health:
    return Health()


def error_response(error: HookwireError) -> Response[ErrorBody]:
    body = ErrorBody(message=error.message, code=error.code, field=error.field)
    headers = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, TooManyRequests) else None
    return Response(
        error.status, content_types.APPLICATION_JSON, body.model_dump_json(exclude_none=True), headers=headers
    )


@app.not_found
def handle_not_found(_error: Exception) -> Response[ErrorBody]:
    path = app.current_event.path
    return error_response(NotFound(f"no route {app.current_event.http_method} {path}", field="path"))


@app.exception_handler(HookwireError)
def handle_domain_error(error: HookwireError) -> Response[ErrorBody]:
    if error.status >= 500:
        logger.exception("request failed on a dependency")
    return error_response(error)


def _field_of(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


@app.exception_handler(RequestValidationError)
def handle_validation_error(error: RequestValidationError) -> Response[ErrorBody]:
    """422 whose message names each offending field, e.g. `url: Field required`."""
    details = [
        {"field": _field_of(item.get("loc", ())), "message": item.get("msg", "invalid"), "type": item.get("type")}
        for item in error.errors()
    ]
    if any(item["type"] == "json_invalid" for item in details):
        body = ErrorBody(message="body is not valid JSON", code="malformed_json", field="body")
        return Response(400, content_types.APPLICATION_JSON, body.model_dump_json(exclude_none=True))
    message = "; ".join(f"{item['field']}: {item['message']}" for item in details)
    body = ErrorBody(
        message=message, code="validation_failed", field=details[0]["field"] if details else None, errors=details
    )
    return Response(422, content_types.APPLICATION_JSON, body.model_dump_json(exclude_none=True))


def _gate(event: dict[str, Any]) -> None:
    """Checks that come before any route code: size, content type, the token (401), then the route's access
    rule from api/access.py (403 naming the missing scope) and read-only principals (403), all before 422."""
    http = event.get("requestContext", {}).get("http", {})
    path = event.get("rawPath") or http.get("path", "")
    method = (http.get("method") or "").upper()
    access = access_for(method, path)
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    if len(body) > MAX_BODY_BYTES * (4 / 3 if event.get("isBase64Encoded") else 1):
        raise PayloadTooLarge(f"request body is larger than {MAX_BODY_BYTES // 1024} KiB", field="body")
    content_type = headers.get("content-type", "")
    if body and content_type and not content_type.lower().startswith("application/json"):
        raise BadRequest(f"content-type must be application/json, not {content_type}", field="content-type")
    if access is not None and access.public:
        return
    d = deps()
    principal = authenticate(
        headers.get("authorization"), d.admin_secret, d.tokens, d.portal_sessions, d.token_usage, now()
    )
    app.append_context(**{PRINCIPAL_KEY: principal})
    logger.append_keys(tenant_id=principal.tenant_id, principal=principal.kind.value, token_id=principal.token_id)
    logger.append_keys(**_ids_in_path(path))
    if access is not None:
        authorize(principal, access)
    require_write_access(principal, method)


_ID_AFTER = {"hooks": "hook_id", "executions": "execution_id", "events": "event_id"}


def _ids_in_path(path: str) -> dict[str, str]:
    """hook_id, execution_id, event_id from the path, so every log line of the request carries them."""
    segments = [segment for segment in path.split("/") if segment]
    return {_ID_AFTER[name]: value for name, value in itertools.pairwise(segments) if name in _ID_AFTER}


def _response_of(error: HookwireError) -> dict[str, Any]:
    response = error_response(error)
    return {
        "statusCode": response.status_code,
        "headers": dict(response.headers),
        "body": response.body,
        "isBase64Encoded": False,
    }


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        _gate(event)
    except HookwireError as error:
        return _response_of(error)
    return app.resolve(event, context)

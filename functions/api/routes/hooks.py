"""Tenant routes: hooks and their executions."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from functions.api.logic import executions, hooks
from functions.api.logic.views import hook_view
from functions.api.routes.context import (
    Cursor,
    IdPath,
    Limit,
    TenantParam,
    deps,
    now,
    reply,
    tenant,
)
from functions.api.schemas import (
    Accepted,
    CreateHook,
    ExecutionDetail,
    ExecutionView,
    HookView,
    HookWithSecret,
    Page,
    RotateSecret,
    TestDelivery,
    UpdateHook,
)
from functions.common import metric_names as names
from functions.common.models import ExecutionStatus
from functions.common.observability import metrics

router = APIGatewayHttpRouter()


@router.post("/hooks", summary="Register a hook; the answer carries its secret, shown once")
def create_hook(body: CreateHook, tenant_id: TenantParam = None) -> Response[HookWithSecret]:
    scope = tenant(router.context, tenant_id)
    d = deps()
    max_hooks = d.settings.max_hooks_per_tenant
    created = hooks.create_hook(scope, body, d.hooks, d.event_types, d.tenants, d.guard, d.secret_box, max_hooks, now())
    return reply(201, created)


@router.get("/hooks", summary="List hooks (never with secrets)")
def list_hooks(limit: Limit = 50, cursor: Cursor = None, tenant_id: TenantParam = None) -> Page[HookView]:
    return hooks.list_hooks(tenant(router.context, tenant_id), limit, cursor, deps().hooks)


@router.get("/hooks/<hook_id>", summary="Get a hook")
def get_hook(hook_id: IdPath, tenant_id: TenantParam = None) -> HookView:
    return hook_view(hooks.get_hook(tenant(router.context, tenant_id), hook_id, deps().hooks))


def _update(hook_id: str, body: UpdateHook, tenant_id: str | None) -> HookView:
    d = deps()
    scope = tenant(router.context, tenant_id)
    return hooks.update_hook(scope, hook_id, body, d.hooks, d.event_types, d.guard, now())


@router.put("/hooks/<hook_id>", summary="Update a hook (partial body)")
def put_hook(hook_id: IdPath, body: UpdateHook, tenant_id: TenantParam = None) -> HookView:
    return _update(hook_id, body, tenant_id)


@router.patch("/hooks/<hook_id>", summary="Update a hook (partial body)")
def patch_hook(hook_id: IdPath, body: UpdateHook, tenant_id: TenantParam = None) -> HookView:
    return _update(hook_id, body, tenant_id)


@router.delete("/hooks/<hook_id>", summary="Delete a hook")
def delete_hook(hook_id: IdPath, tenant_id: TenantParam = None) -> Response[None]:
    hooks.delete_hook(tenant(router.context, tenant_id), hook_id, deps().hooks)
    return Response(204)


@router.post("/hooks/<hook_id>/rotate", summary="Rotate the signing secret, optionally with a grace period")
def rotate(hook_id: IdPath, body: RotateSecret | None = None, tenant_id: TenantParam = None) -> HookWithSecret:
    scope = tenant(router.context, tenant_id)
    d = deps()
    return hooks.rotate_secret(scope, hook_id, body or RotateSecret(), d.hooks, d.secret_box, now())


@router.post("/hooks/<hook_id>/test", summary="Send a real, signed test delivery and return its execution")
def test(hook_id: IdPath, body: TestDelivery | None = None, tenant_id: TenantParam = None) -> ExecutionDetail:
    scope = tenant(router.context, tenant_id)
    d = deps()
    execution = hooks.send_test(scope, hook_id, body or TestDelivery(), d.event_types, d.delivery, now())
    if execution.failure_class == "internal":
        metrics.add_metric(name=names.DELIVERY_ITEM_ERRORS, unit=MetricUnit.Count, value=1)
    return execution


@router.get("/hooks/<hook_id>/executions", summary="Execution history, newest event first")
def list_executions(
    hook_id: IdPath,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Annotated[ExecutionStatus | None, Query()] = None,
    event_type: Annotated[str | None, Query(max_length=200)] = None,
    tenant_id: TenantParam = None,
) -> Page[ExecutionView]:
    d = deps()
    scope = tenant(router.context, tenant_id)
    return executions.list_executions(scope, hook_id, limit, cursor, status, event_type, d.hooks, d.executions)


@router.get("/hooks/<hook_id>/executions/<execution_id>", summary="One execution, with the request sent")
def get_execution(hook_id: IdPath, execution_id: IdPath, tenant_id: TenantParam = None) -> ExecutionDetail:
    d = deps()
    scope = tenant(router.context, tenant_id)
    return executions.get_execution(scope, hook_id, execution_id, d.hooks, d.events, d.executions, now())


@router.post("/hooks/<hook_id>/executions/<execution_id>/retry", summary="Deliver that event to this hook again now")
def retry(hook_id: IdPath, execution_id: IdPath, tenant_id: TenantParam = None) -> Response[Accepted]:
    d = deps()
    scope = tenant(router.context, tenant_id)
    accepted = executions.retry_execution(
        scope, hook_id, execution_id, d.hooks, d.events, d.executions, d.deliveries_queue, now()
    )
    return reply(202, accepted)

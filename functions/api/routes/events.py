"""Publishing events and reading their delivery state."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from aws_lambda_powertools.metrics import MetricUnit

from functions.api.logic import events
from functions.api.logic.auth import require_token_holder
from functions.api.routes.context import IdPath, TenantParam, deps, now, principal_of, reply, tenant
from functions.api.schemas import (
    Accepted,
    EventAccepted,
    EventDetail,
    PublishEvent,
    ReplayEvent,
)
from functions.common import metric_names as names
from functions.common.observability import metrics
from functions.common.rawjson import raw_member

router = APIGatewayHttpRouter()


@router.post("/events", summary="Publish an event; the same id again delivers nothing new")
def publish(body: PublishEvent) -> Response[EventAccepted]:
    # A portal link is handed to the tenant's customer: it must not sign events in the producer's name.
    require_token_holder(principal_of(router.context), "publish events")
    d = deps()
    scope = tenant(router.context, body.tenant_id)
    raw_data = raw_member(router.current_event.decoded_body or "", "data")
    retention = d.settings.event_retention_days
    result = events.publish(
        scope, body, raw_data, d.event_types, d.events, d.events_queue, retention, d.publish_limiter, now()
    )
    if result.created:
        metrics.add_metric(name=names.EVENTS_PUBLISHED, unit=MetricUnit.Count, value=1)
    return reply(202 if result.created else 200, result.event)


@router.get("/events/<event_id>", summary="The event with each matching hook's delivery state")
def get_event(event_id: IdPath, tenant_id: TenantParam = None) -> EventDetail:
    d = deps()
    return events.get_event(tenant(router.context, tenant_id), event_id, d.events, d.executions, now())


@router.post("/events/<event_id>/replay", summary="Run fan-out again, optionally for some hooks only")
def replay(event_id: IdPath, body: ReplayEvent | None = None, tenant_id: TenantParam = None) -> Response[Accepted]:
    d = deps()
    scope = tenant(router.context, tenant_id)
    return reply(202, events.replay(scope, event_id, body or ReplayEvent(), d.events, d.hooks, d.events_queue, now()))

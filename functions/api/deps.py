"""Everything the api logic needs, built once per container from ApiSettings; tests inject their own."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from functions.api.logic.auth import TokenUsage
from functions.api.logic.limits import PublishLimiter
from functions.common.dal.admin_secret import AdminSecret
from functions.common.dal.event_types import EventTypesRepository
from functions.common.dal.events import EventsRepository
from functions.common.dal.executions import ExecutionsRepository
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.portal_sessions import PortalSessionsRepository
from functions.common.dal.queues import QueueClient
from functions.common.dal.secret_box import SecretBox
from functions.common.dal.tenants import TenantsRepository
from functions.common.dal.tokens import TokensRepository
from functions.common.delivery import DeliverDeps
from functions.common.delivery.factory import delivery_deps, shared_secret_box
from functions.common.settings import ApiSettings, api_settings
from functions.common.ssrf import UrlGuard


@dataclass
class ApiDeps:
    settings: ApiSettings
    tenants: TenantsRepository
    tokens: TokensRepository
    event_types: EventTypesRepository
    hooks: HooksRepository
    events: EventsRepository
    executions: ExecutionsRepository
    portal_sessions: PortalSessionsRepository
    events_queue: QueueClient
    deliveries_queue: QueueClient
    admin_secret: AdminSecret
    guard: UrlGuard
    secret_box: SecretBox
    delivery: DeliverDeps
    token_usage: TokenUsage
    publish_limiter: PublishLimiter


def build_api_deps(settings: ApiSettings) -> ApiDeps:
    delivery = delivery_deps(settings)
    table = settings.subscriptions_table
    tokens = TokensRepository(table)
    return ApiDeps(
        settings=settings,
        tenants=TenantsRepository(table),
        tokens=tokens,
        event_types=EventTypesRepository(table),
        hooks=HooksRepository(table),
        events=EventsRepository(table),
        executions=ExecutionsRepository(settings.executions_table, settings.execution_retention_days),
        portal_sessions=PortalSessionsRepository(table),
        events_queue=QueueClient(settings.events_queue_url),
        deliveries_queue=QueueClient(settings.deliveries_queue_url),
        admin_secret=AdminSecret(settings.admin_secret_arn),
        guard=UrlGuard.from_settings(settings.allow_http, settings.allowed_cidrs),
        secret_box=shared_secret_box(settings.kms_key_id),
        delivery=delivery,
        token_usage=TokenUsage(tokens),
        publish_limiter=PublishLimiter(settings.tenant_publish_rate, settings.api_concurrency),
    )


@lru_cache(maxsize=1)
def api_deps() -> ApiDeps:
    return build_api_deps(api_settings())

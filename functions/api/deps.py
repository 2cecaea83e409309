"""Everything the api logic needs, built once per container from ApiSettings; tests inject their own.

The repositories come from `build_repositories` and the delivery dependencies from `delivery_deps`, which
the api shares (test deliveries): nothing here is built a second time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from functions.api.logic.auth import TokenUsage
from functions.api.logic.limits import PublishLimiter
from functions.common.dal.admin_secret import AdminSecret
from functions.common.dal.queues import QueueClient
from functions.common.dal.repositories import Repositories, build_repositories
from functions.common.dal.secret_box import SecretBox
from functions.common.delivery import DeliverDeps
from functions.common.delivery.factory import delivery_deps, shared_secret_box, shared_url_guard
from functions.common.delivery.ports import QueuePublisher
from functions.common.settings import ApiSettings, api_settings
from functions.common.ssrf import UrlGuard


@dataclass
class ApiDeps(Repositories):
    """Every repository, and the rest the api logic needs."""

    settings: ApiSettings
    events_queue: QueueClient
    deliveries_queue: QueuePublisher
    admin_secret: AdminSecret
    guard: UrlGuard
    secret_box: SecretBox
    delivery: DeliverDeps
    token_usage: TokenUsage
    publish_limiter: PublishLimiter


def build_api_deps(settings: ApiSettings) -> ApiDeps:
    repositories = build_repositories(settings)
    delivery = delivery_deps(settings, repositories)
    return ApiDeps(
        **vars(repositories),
        settings=settings,
        events_queue=QueueClient(settings.events_queue_url),
        deliveries_queue=delivery.deliveries,
        admin_secret=AdminSecret(settings.admin_secret_arn),
        guard=shared_url_guard(settings.allow_http, settings.allowed_cidrs),
        secret_box=shared_secret_box(settings.kms_key_id),
        delivery=delivery,
        token_usage=TokenUsage(repositories.tokens),
        publish_limiter=PublishLimiter(settings.tenant_publish_rate, settings.api_concurrency),
    )


@lru_cache(maxsize=1)
def api_deps() -> ApiDeps:
    return build_api_deps(api_settings())

"""The one place that builds delivery's dependencies from settings (used by the deliver and api functions).

The HTTP client (its connection pools and deadline watchdog), the secret cache and the worker threads are
process-wide: built once per container and reused by every invocation.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from functions.common.dal.events import EventsRepository
from functions.common.dal.executions import ExecutionsRepository
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.queues import QueueClient
from functions.common.dal.secret_box import SecretBox
from functions.common.delivery.attempt import DeliverDeps
from functions.common.http_client import WebhookHttpClient
from functions.common.settings import DeliverSettings
from functions.common.ssrf import UrlGuard


@lru_cache(maxsize=4)
def shared_http_client(allow_http: bool, allowed_cidrs: str, connections_per_destination: int) -> WebhookHttpClient:
    return WebhookHttpClient(
        UrlGuard.from_settings(allow_http, allowed_cidrs), connections_per_destination=connections_per_destination
    )


@lru_cache(maxsize=4)
def shared_secret_box(kms_key_id: str) -> SecretBox:
    """One per container, so its decrypted-secret cache survives between invocations."""
    return SecretBox(kms_key_id)


@lru_cache(maxsize=4)
def shared_executor(workers: int) -> ThreadPoolExecutor:
    """Threads start on first use and stay for the container's life (idle between invocations)."""
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="deliver")


def delivery_deps(settings: DeliverSettings) -> DeliverDeps:
    concurrency = settings.delivery_concurrency
    return DeliverDeps(
        hooks=HooksRepository(settings.subscriptions_table),
        events=EventsRepository(settings.subscriptions_table),
        executions=ExecutionsRepository(settings.executions_table, settings.execution_retention_days),
        deliveries=QueueClient(settings.deliveries_queue_url),
        http=shared_http_client(settings.allow_http, settings.allowed_cidrs, concurrency),
        secret_box=shared_secret_box(settings.kms_key_id),
        schedule=settings.schedule(),
        timeout_seconds=settings.delivery_timeout_seconds,
        disable_after_seconds=settings.disable_after_seconds,
        concurrency=concurrency,
        executor=shared_executor(concurrency),
    )


def reset_shared_clients() -> None:
    """Tests and the local runtime change settings between 'containers'; the next build sees them."""
    shared_http_client.cache_clear()
    shared_secret_box.cache_clear()

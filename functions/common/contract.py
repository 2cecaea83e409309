"""The one source of truth shared by the Lambda code, the CDK stack and the local runtime.

Table key names, queue settings and environment variable names live here and nowhere else:
`tests/infrastructure/test_contract_drift.py` fails when the stack or the local runtime drifts from it.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "0.1.0"
SERVICE_NAME = "hookwire"
METRICS_NAMESPACE = "Hookwire"
USER_AGENT = f"Hookwire/{VERSION}"
# A hook's `rate_limit_per_second` range. The top stays within DynamoDB's 1,000 writes/s per key, so even
# one counter update per delivery never throttles on the hook's counter item.
RATE_LIMIT_MIN_PER_SECOND = 1
RATE_LIMIT_MAX_PER_SECOND = 1000
# SQS/EventBridge destinations: the only customer roles deliver may assume (its IAM policy and the API agree).
DESTINATION_ROLE_PREFIX = "hookwire-"


class Env:
    """Environment variable names read by the functions' settings models."""

    SUBSCRIPTIONS_TABLE = "HOOKWIRE_SUBSCRIPTIONS_TABLE"
    EXECUTIONS_TABLE = "HOOKWIRE_EXECUTIONS_TABLE"
    EVENTS_QUEUE_URL = "HOOKWIRE_EVENTS_QUEUE_URL"
    DELIVERIES_QUEUE_URL = "HOOKWIRE_DELIVERIES_QUEUE_URL"
    ORDERED_DELIVERIES_QUEUE_URL = "HOOKWIRE_ORDERED_DELIVERIES_QUEUE_URL"
    ADMIN_SECRET_ARN = "HOOKWIRE_ADMIN_SECRET_ARN"
    KMS_KEY_ID = "HOOKWIRE_KMS_KEY_ID"
    RETRY_SCHEDULE = "HOOKWIRE_RETRY_SCHEDULE"
    RETRY_JITTER = "HOOKWIRE_RETRY_JITTER"
    DELIVERY_TIMEOUT_SECONDS = "HOOKWIRE_DELIVERY_TIMEOUT_SECONDS"
    DISABLE_AFTER_SECONDS = "HOOKWIRE_DISABLE_AFTER_SECONDS"
    EXECUTION_RETENTION_DAYS = "HOOKWIRE_EXECUTION_RETENTION_DAYS"
    EVENT_RETENTION_DAYS = "HOOKWIRE_EVENT_RETENTION_DAYS"
    ALLOW_HTTP = "HOOKWIRE_ALLOW_HTTP"
    ALLOWED_CIDRS = "HOOKWIRE_ALLOWED_CIDRS"
    CATALOG = "HOOKWIRE_CATALOG"
    ADMIN_TOKEN = "HOOKWIRE_ADMIN_TOKEN"
    DELIVERY_CONCURRENCY = "HOOKWIRE_DELIVERY_CONCURRENCY"
    PORTAL_URL = "HOOKWIRE_PORTAL_URL"
    PORTAL_PRODUCT_NAME = "HOOKWIRE_PORTAL_PRODUCT_NAME"
    PORTAL_LOGO_URL = "HOOKWIRE_PORTAL_LOGO_URL"
    PORTAL_ACCENT_COLOR = "HOOKWIRE_PORTAL_ACCENT_COLOR"
    PORTAL_FRAME_ANCESTORS = "HOOKWIRE_PORTAL_FRAME_ANCESTORS"
    TENANT_PUBLISH_RATE = "HOOKWIRE_TENANT_PUBLISH_RATE"
    API_CONCURRENCY = "HOOKWIRE_API_CONCURRENCY"
    MAX_HOOKS_PER_TENANT = "HOOKWIRE_MAX_HOOKS_PER_TENANT"
    EGRESS_IPS = "HOOKWIRE_EGRESS_IPS"


@dataclass(frozen=True)
class TableSpec:
    """Key schema of one DynamoDB table (all keys are strings)."""

    partition_key: str
    sort_key: str
    ttl_attribute: str | None = None
    index_name: str | None = None
    index_partition_key: str | None = None
    index_sort_key: str | None = None


# Hooks, tenants, tokens, event types and events share one table (single-table design):
# every access path is a GetItem or a Query on `pk`, never a Scan.
SUBSCRIPTIONS_TABLE = TableSpec(partition_key="pk", sort_key="sk", ttl_attribute="expires_at")

# One item per delivery attempt, under its hook; no index (see functions/common/dal/executions.py).
EXECUTIONS_TABLE = TableSpec(partition_key="pk", sort_key="sk", ttl_attribute="expires_at")


@dataclass(frozen=True)
class ConsumerSpec:
    """An SQS queue and the Lambda function draining it, with the event-source settings."""

    function_timeout_seconds: int
    batch_size: int
    max_batching_window_seconds: int
    max_receive_count: int
    max_concurrency: int
    fifo: bool = False

    @property
    def visibility_timeout_seconds(self) -> int:
        # AWS guidance: at least 6x the function timeout, so a throttled retry never overlaps.
        return self.function_timeout_seconds * 6


# Fan-out takes up to 100 events per invocation (batches above 10 need a batching window, which Lambda's
# SQS event source then fills under load): routes are read once per (tenant, type) per batch and the
# deliveries are sent in full SendMessageBatch calls across the batch's events.
EVENTS_CONSUMER = ConsumerSpec(
    function_timeout_seconds=60,
    batch_size=100,
    max_batching_window_seconds=1,
    max_receive_count=5,
    max_concurrency=20,
)
# One deliveries message carries an event to up to this many hooks (retries carry one hook each), so a
# batch of 10 messages is up to 10 x this many deliveries, read in one BatchGetItem and recorded in
# BatchWriteItems. 1 until deliver's request concurrency covers a whole batch: with 10, a batch of up to 100
# deliveries shares 10 workers, and a group of never-answering receivers delays the other tenants'
# deliveries in that batch (tests/e2e/test_hostile_receivers_e2e.py). docs/cost.md has the numbers at 10.
DELIVERY_GROUP_SIZE = 1
DELIVERIES_CONSUMER = ConsumerSpec(
    function_timeout_seconds=60,
    batch_size=10,
    max_batching_window_seconds=1,
    max_receive_count=5,
    max_concurrency=50,
)

# Hooks with `ordering: fifo`: an SQS FIFO queue, one message group per hook. One message per invocation,
# so a group's messages are never sent concurrently; a retry keeps its message (its visibility set to the
# retry delay), which blocks the hook's later messages until it succeeds or is given up. Every receive
# counts as an attempt, so the redrive threshold sits above the longest retry schedule.
ORDERED_DELIVERIES_CONSUMER = ConsumerSpec(
    function_timeout_seconds=60,
    batch_size=1,
    max_batching_window_seconds=0,
    max_receive_count=50,
    max_concurrency=20,  # FIFO hooks delivered at once, beside the deliveries queue's 50 batches
    fifo=True,
)
SQS_MAX_VISIBILITY_SECONDS = 43200

# The dead-letter recorder drains both DLQs. A message it cannot attribute (unparseable, or for an event
# that is not stored) stays in its DLQ for the operator; the long visibility timeout makes the recorder
# look at such a message again only every 12 h instead of every few seconds.
DEAD_LETTERS_CONSUMER = ConsumerSpec(
    function_timeout_seconds=30,
    batch_size=10,
    max_batching_window_seconds=1,
    max_receive_count=0,  # the DLQs have no DLQ of their own: nothing leaves them but by the recorder
    max_concurrency=2,
)
DLQ_VISIBILITY_TIMEOUT_SECONDS = 12 * 3600

API_FUNCTION_TIMEOUT_SECONDS = 29
# The api function's reserved concurrency, and the number of containers a tenant's publish rate is split over.
DEFAULT_API_CONCURRENCY = 20
DEFAULT_TENANT_PUBLISH_RATE = 200.0  # events per second per tenant, fleet-wide
DEFAULT_MAX_HOOKS_PER_TENANT = 100
SQS_MAX_DELAY_SECONDS = 900
DLQ_RETENTION_DAYS = 14

DEFAULT_RETRY_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h"
DEFAULT_RETRY_JITTER = 0.2
DEFAULT_DELIVERY_TIMEOUT_SECONDS = 10.0
# A test delivery runs inside the api function (API_FUNCTION_TIMEOUT_SECONDS): its attempt must end with room
# left to record it and answer.
MAX_DELIVERY_TIMEOUT_SECONDS = 25.0
MAX_RETENTION_DAYS = 365
DEFAULT_DISABLE_AFTER_SECONDS = 5 * 24 * 3600
DEFAULT_EXECUTION_RETENTION_DAYS = 30
DEFAULT_EVENT_RETENTION_DAYS = 30
DEFAULT_DELIVERY_CONCURRENCY = 10
DEFAULT_PORTAL_PRODUCT_NAME = "Webhooks"
DEFAULT_PORTAL_ACCENT_COLOR = "#4f46e5"
# CSP frame-ancestors: who may embed the portal in an iframe. 'none' until the operator names its origins.
DEFAULT_PORTAL_FRAME_ANCESTORS = "'none'"

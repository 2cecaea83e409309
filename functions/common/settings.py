"""Per-function configuration: pydantic models read from the environment once per container."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, field_validator

from functions.common import contract
from functions.common.contract import Env
from functions.common.retry import RetrySchedule, parse_schedule


def _schedule_parses(value: str) -> str:
    parse_schedule(value)
    return value


# The delivery and storage settings the deploy configuration (infra/config.py) shares: one definition each,
# with its bounds, so a value the stack accepts is one the functions accept.
RetryScheduleText = Annotated[str, AfterValidator(_schedule_parses)]
RetryJitter = Annotated[float, Field(ge=0, le=1)]
DeliveryTimeoutSeconds = Annotated[float, Field(gt=0, le=contract.MAX_DELIVERY_TIMEOUT_SECONDS)]
RetentionDays = Annotated[int, Field(ge=1, le=contract.MAX_RETENTION_DAYS)]


def _env(names: dict[str, str]) -> dict[str, str]:
    return {field: os.environ[name] for field, name in names.items() if os.environ.get(name)}


class StorageSettings(BaseModel):
    subscriptions_table: str
    executions_table: str
    event_retention_days: RetentionDays = contract.DEFAULT_EVENT_RETENTION_DAYS
    execution_retention_days: RetentionDays = contract.DEFAULT_EXECUTION_RETENTION_DAYS


class DeliverySettings(BaseModel):
    retry_schedule: RetryScheduleText = contract.DEFAULT_RETRY_SCHEDULE
    retry_jitter: RetryJitter = contract.DEFAULT_RETRY_JITTER
    delivery_timeout_seconds: DeliveryTimeoutSeconds = contract.DEFAULT_DELIVERY_TIMEOUT_SECONDS
    disable_after_seconds: float = Field(default=contract.DEFAULT_DISABLE_AFTER_SECONDS, gt=0)
    delivery_concurrency: int = Field(default=contract.DEFAULT_DELIVERY_CONCURRENCY, ge=1, le=100)
    allow_http: bool = False
    allowed_cidrs: str = ""

    def schedule(self) -> RetrySchedule:
        return RetrySchedule.parse(self.retry_schedule, self.retry_jitter)


_STORAGE_ENV = {
    "subscriptions_table": Env.SUBSCRIPTIONS_TABLE,
    "executions_table": Env.EXECUTIONS_TABLE,
    "event_retention_days": Env.EVENT_RETENTION_DAYS,
    "execution_retention_days": Env.EXECUTION_RETENTION_DAYS,
}
_DELIVERY_ENV = {
    "retry_schedule": Env.RETRY_SCHEDULE,
    "retry_jitter": Env.RETRY_JITTER,
    "delivery_timeout_seconds": Env.DELIVERY_TIMEOUT_SECONDS,
    "disable_after_seconds": Env.DISABLE_AFTER_SECONDS,
    "delivery_concurrency": Env.DELIVERY_CONCURRENCY,
    "allow_http": Env.ALLOW_HTTP,
    "allowed_cidrs": Env.ALLOWED_CIDRS,
}


ACCENT_COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
FRAME_SOURCE_PATTERN = r"^('none'|'self'|https://[A-Za-z0-9.*:-]+|http://(127\.0\.0\.1|localhost)(:\d+)?)$"


class PortalSettings(BaseModel):
    """The customer portal: its public address (when not the API's own) and the deployment's branding."""

    portal_url: str = Field(default="", pattern=r"^(https?://\S+)?$")
    portal_product_name: str = Field(default=contract.DEFAULT_PORTAL_PRODUCT_NAME, min_length=1, max_length=100)
    portal_logo_url: str = Field(default="", pattern=r"^(https://\S+|/\S*)?$")
    portal_accent_color: str = Field(default=contract.DEFAULT_PORTAL_ACCENT_COLOR, pattern=ACCENT_COLOR_PATTERN)
    portal_frame_ancestors: str = contract.DEFAULT_PORTAL_FRAME_ANCESTORS

    @field_validator("portal_frame_ancestors")
    @classmethod
    def _sources_valid(cls, value: str) -> str:
        for source in value.split():
            if not re.match(FRAME_SOURCE_PATTERN, source):
                raise ValueError(f"{source!r} is not a frame-ancestors source ('self', 'none' or https://host)")
        return " ".join(value.split()) or contract.DEFAULT_PORTAL_FRAME_ANCESTORS


_PORTAL_ENV = {
    "portal_url": Env.PORTAL_URL,
    "portal_product_name": Env.PORTAL_PRODUCT_NAME,
    "portal_logo_url": Env.PORTAL_LOGO_URL,
    "portal_accent_color": Env.PORTAL_ACCENT_COLOR,
    "portal_frame_ancestors": Env.PORTAL_FRAME_ANCESTORS,
}


class DeliverSettings(StorageSettings, DeliverySettings):
    """What delivering needs; the api function delivers too (test deliveries), so it has all of this."""

    kms_key_id: str
    deliveries_queue_url: str
    ordered_deliveries_queue_url: str = ""


class ApiSettings(DeliverSettings, PortalSettings):
    events_queue_url: str
    admin_secret_arn: str
    tenant_publish_rate: float = Field(default=0, ge=0, description="events/s per tenant, fleet-wide; 0 = no limit")
    api_concurrency: int = Field(default=1, ge=0, description="api containers the publish rate is split over")
    max_hooks_per_tenant: int = Field(default=contract.DEFAULT_MAX_HOOKS_PER_TENANT, ge=0, description="0 = none")
    egress_ips: str = Field(default="", description="static egress addresses, comma-separated; empty: none")


class FanoutSettings(StorageSettings):
    deliveries_queue_url: str
    events_queue_url: str  # a recovery's next page goes back on it
    ordered_deliveries_queue_url: str


class DeadLetterSettings(StorageSettings):
    pass


class SeedSettings(BaseModel):
    subscriptions_table: str


@lru_cache(maxsize=1)
def seed_settings() -> SeedSettings:
    return SeedSettings.model_validate(_env({"subscriptions_table": Env.SUBSCRIPTIONS_TABLE}))


@lru_cache(maxsize=1)
def api_settings() -> ApiSettings:
    names = {
        **_STORAGE_ENV,
        **_DELIVERY_ENV,
        **_PORTAL_ENV,
        "events_queue_url": Env.EVENTS_QUEUE_URL,
        "deliveries_queue_url": Env.DELIVERIES_QUEUE_URL,
        "admin_secret_arn": Env.ADMIN_SECRET_ARN,
        "kms_key_id": Env.KMS_KEY_ID,
        "tenant_publish_rate": Env.TENANT_PUBLISH_RATE,
        "api_concurrency": Env.API_CONCURRENCY,
        "max_hooks_per_tenant": Env.MAX_HOOKS_PER_TENANT,
        "egress_ips": Env.EGRESS_IPS,
    }
    return ApiSettings.model_validate(_env(names))


@lru_cache(maxsize=1)
def fanout_settings() -> FanoutSettings:
    names = {
        **_STORAGE_ENV,
        "deliveries_queue_url": Env.DELIVERIES_QUEUE_URL,
        "ordered_deliveries_queue_url": Env.ORDERED_DELIVERIES_QUEUE_URL,
        "events_queue_url": Env.EVENTS_QUEUE_URL,
    }
    return FanoutSettings.model_validate(_env(names))


@lru_cache(maxsize=1)
def deliver_settings() -> DeliverSettings:
    names = {
        **_STORAGE_ENV,
        **_DELIVERY_ENV,
        "deliveries_queue_url": Env.DELIVERIES_QUEUE_URL,
        "ordered_deliveries_queue_url": Env.ORDERED_DELIVERIES_QUEUE_URL,
        "kms_key_id": Env.KMS_KEY_ID,
    }
    return DeliverSettings.model_validate(_env(names))


@lru_cache(maxsize=1)
def dead_letter_settings() -> DeadLetterSettings:
    return DeadLetterSettings.model_validate(_env(_STORAGE_ENV))


def reset_settings_cache() -> None:
    """Tests and the local runtime change the environment; this makes the next read see it."""
    for reader in (api_settings, fanout_settings, deliver_settings, seed_settings, dead_letter_settings):
        reader.cache_clear()

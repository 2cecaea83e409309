"""Deploy-time configuration, read from CDK context (`cdk deploy -c key=value` or cdk.json)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from functions.common import contract
from functions.common.settings import (
    DeliveryTimeoutSeconds,
    PortalSettings,
    RetentionDays,
    RetryJitter,
    RetryScheduleText,
)


class DeployConfig(PortalSettings):
    """Also the portal's settings (portal_product_name, portal_logo_url, portal_accent_color,
    portal_frame_ancestors, portal_url), validated as the api function validates them."""

    retry_schedule: RetryScheduleText = contract.DEFAULT_RETRY_SCHEDULE
    retry_jitter: RetryJitter = contract.DEFAULT_RETRY_JITTER
    delivery_timeout_seconds: DeliveryTimeoutSeconds = contract.DEFAULT_DELIVERY_TIMEOUT_SECONDS
    disable_after_days: float = Field(default=contract.DEFAULT_DISABLE_AFTER_SECONDS / 86400, gt=0)
    allow_http: bool = False
    allowed_cidrs: str = ""
    execution_retention_days: RetentionDays = contract.DEFAULT_EXECUTION_RETENTION_DAYS
    event_retention_days: RetentionDays = contract.DEFAULT_EVENT_RETENTION_DAYS
    log_retention_days: int = 30
    # X-Ray active tracing on every function: about $0.03 (10 hooks per event) to $0.30 (1 hook) per million
    # deliveries at the default 5 % sampling; off by default (docs/cost.md).
    tracing: bool = False
    catalog: str = "catalogs"
    powertools_layer_arn: str | None = None
    alarm_email: str | None = None
    failure_rate_alarm_percent: float = Field(default=25, gt=0, le=100)
    api_5xx_alarm_count: int = Field(default=5, ge=0)
    # 0 reserves nothing: needed in accounts whose concurrency quota is still the new-account 10.
    api_reserved_concurrency: int = Field(default=contract.DEFAULT_API_CONCURRENCY, ge=0, le=1000)
    # Abuse limits per tenant (0 = no limit); see docs/security.md for their precision.
    tenant_publish_rate: float = Field(default=contract.DEFAULT_TENANT_PUBLISH_RATE, ge=0)
    max_hooks_per_tenant: int = Field(default=contract.DEFAULT_MAX_HOOKS_PER_TENANT, ge=0)
    domain_name: str | None = None
    certificate_arn: str | None = None
    # Deliveries from fixed addresses: deliver in a VPC behind one NAT gateway + Elastic IP per AZ (docs/deploy.md).
    static_egress_ips: bool = False
    egress_az_count: int = Field(default=2, ge=1, le=6)

    @model_validator(mode="after")
    def _domain_needs_certificate(self) -> DeployConfig:
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ValueError("domain_name and certificate_arn go together")
        return self

    @classmethod
    def from_context(cls, get: Any) -> DeployConfig:
        """`get` is `node.try_get_context`; context values arrive as strings from the command line."""
        values = {name: get(name) for name in cls.model_fields}
        return cls.model_validate({k: v for k, v in values.items() if v is not None})

"""AWS list prices Hookwire's cost figures use: us-east-1, on-demand, arm64, no free tier.

Every USD figure `make bench` prints and `docs/cost.md` quotes comes from here, so a price change is
one edit. Check them again (and move `PRICES_AS_OF`) before quoting them to anyone.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2025-06-01"
REGION = "us-east-1"

PER_MILLION = 1_000_000
GIB = 1024**3

LAMBDA_USD_PER_MILLION_REQUESTS = 0.20
LAMBDA_ARM64_USD_PER_GB_SECOND = 0.0000133334
HTTP_API_USD_PER_MILLION_REQUESTS = 1.00  # API Gateway HTTP API, first 300 million a month
SQS_STANDARD_USD_PER_MILLION_REQUESTS = 0.40  # each 64 KiB chunk of a request is billed as one request
DYNAMODB_USD_PER_MILLION_WRITE_UNITS = 0.625  # on-demand write request units (price cut of 2024-11-01)
DYNAMODB_USD_PER_MILLION_READ_UNITS = 0.125  # on-demand read request units
CLOUDWATCH_LOGS_USD_PER_GIB_INGESTED = 0.50
KMS_USD_PER_MILLION_REQUESTS = 3.00
XRAY_USD_PER_MILLION_TRACES_RECORDED = 5.00
XRAY_SAMPLED_SHARE = 0.05  # the default sampling rule: 1 request a second, then 5 %
DATA_TRANSFER_OUT_USD_PER_GIB = 0.09  # to the internet, first 10 TiB a month

# Lambda writes START, END and REPORT lines for every invocation into the function's log group, as
# INFO-level system logs: a system log level of WARN or above (JSON log format) leaves them out.
LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION = 330
_SYSTEM_LOG_LEVELS_WITH_PLATFORM_LINES = frozenset({"DEBUG", "INFO"})
# Lambda bills wall time; locally the AWS calls go to moto, so their measured time is replaced by this
# typical in-region latency of one DynamoDB or SQS call.
AWS_CALL_MILLISECONDS = 6.0

# What others charge, for comparison in docs/cost.md.
EVENTBRIDGE_USD_PER_MILLION_EVENTS = 1.00  # custom events published with PutEvents
EVENTBRIDGE_API_DESTINATION_USD_PER_MILLION_INVOCATIONS = 0.20


def eventbridge_usd_per_million_deliveries(hooks_per_event: int) -> float:
    """One PutEvents entry per event, one API destination invocation per target."""
    return (
        EVENTBRIDGE_USD_PER_MILLION_EVENTS / hooks_per_event + EVENTBRIDGE_API_DESTINATION_USD_PER_MILLION_INVOCATIONS
    )


def xray_usd_per_million(lambda_invocations: float) -> float:
    """Active tracing: each sampled invocation is one trace recorded."""
    return lambda_invocations * XRAY_SAMPLED_SHARE * XRAY_USD_PER_MILLION_TRACES_RECORDED


def platform_log_bytes_per_invocation(system_log_level: str) -> int:
    return LAMBDA_PLATFORM_LOG_BYTES_PER_INVOCATION if system_log_level in _SYSTEM_LOG_LEVELS_WITH_PLATFORM_LINES else 0


@dataclass(frozen=True)
class Usage:
    """What one delivery uses, on average (fractions: per-event work is shared by the event's hooks)."""

    http_api_requests: float
    lambda_invocations: float
    lambda_gb_seconds: float
    sqs_requests: float
    dynamodb_write_units: float
    dynamodb_read_units: float
    kms_requests: float
    log_bytes: float
    bytes_out: float
    tracing: bool  # X-Ray active tracing deployed (`-c tracing=true`)


def usd_per_million(usage: Usage) -> dict[str, float]:
    """USD per million deliveries, by service, plus `total`."""
    by_service = {
        "api_gateway": usage.http_api_requests * HTTP_API_USD_PER_MILLION_REQUESTS,
        "lambda_requests": usage.lambda_invocations * LAMBDA_USD_PER_MILLION_REQUESTS,
        "lambda_duration": usage.lambda_gb_seconds * LAMBDA_ARM64_USD_PER_GB_SECOND * PER_MILLION,
        "sqs": usage.sqs_requests * SQS_STANDARD_USD_PER_MILLION_REQUESTS,
        "dynamodb_writes": usage.dynamodb_write_units * DYNAMODB_USD_PER_MILLION_WRITE_UNITS,
        "dynamodb_reads": usage.dynamodb_read_units * DYNAMODB_USD_PER_MILLION_READ_UNITS,
        "kms": usage.kms_requests * KMS_USD_PER_MILLION_REQUESTS,
        "cloudwatch_logs": usage.log_bytes * PER_MILLION / GIB * CLOUDWATCH_LOGS_USD_PER_GIB_INGESTED,
        "xray": xray_usd_per_million(usage.lambda_invocations) if usage.tracing else 0.0,
        "data_transfer_out": usage.bytes_out * PER_MILLION / GIB * DATA_TRANSFER_OUT_USD_PER_GIB,
    }
    rounded = {name: round(value, 4) for name, value in by_service.items()}
    return {**rounded, "total": round(sum(by_service.values()), 3)}

"""The module-level Logger, Tracer and Metrics every function uses. Structured JSON logs only."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

from functions.common import contract

logger = Logger(service=contract.SERVICE_NAME)
tracer = Tracer(service=contract.SERVICE_NAME)
metrics = Metrics(namespace=contract.METRICS_NAMESPACE, service=contract.SERVICE_NAME)

"""The module-level Logger, Tracer and Metrics every function uses. Structured JSON logs only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from functions.common import contract

logger = Logger(service=contract.SERVICE_NAME)
tracer = Tracer(service=contract.SERVICE_NAME)
metrics = Metrics(namespace=contract.METRICS_NAMESPACE, service=contract.SERVICE_NAME)


def in_current_trace[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    """Run `function` in worker threads inside the caller's X-Ray segment, so the subsegments the
    threads open (one per outbound webhook request) hang under this invocation's trace."""
    if tracer.disabled:
        return function
    from aws_xray_sdk.core import xray_recorder

    entity: Any = xray_recorder.get_trace_entity()

    def traced(*args: P.args, **kwargs: P.kwargs) -> R:
        xray_recorder.set_trace_entity(entity)
        try:
            return function(*args, **kwargs)
        finally:
            xray_recorder.clear_trace_entities()

    return traced

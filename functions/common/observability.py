"""The module-level Logger, Tracer and Metrics every function uses. Structured JSON logs only."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Generator, Sequence
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import RESERVED_LOG_ATTRS, LambdaPowertoolsFormatter
from aws_lambda_powertools.tracing.base import BaseProvider

from functions.common import contract


class _NoSegment:
    """What a disabled Tracer's decorators annotate: it keeps nothing."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda *args, **kwargs: None


class _NoTracing(BaseProvider):
    """Stands in for the X-Ray SDK when tracing is off: importing that SDK costs tens of milliseconds of
    every cold start, and a disabled Tracer only opens (empty) subsegments on it."""

    @contextlib.contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Generator[Any, None, None]:
        yield _NoSegment()

    @contextlib.asynccontextmanager
    async def in_subsegment_async(self, name: str | None = None, **kwargs: Any) -> Any:
        yield _NoSegment()

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass

    def patch(self, modules: Sequence[str]) -> None:
        pass

    def patch_all(self) -> None:
        pass


def _tracer() -> Tracer:
    # Powertools' own rule (POWERTOOLS_TRACE_DISABLED, or not running in Lambda) decides; when it says off,
    # the X-Ray SDK is never imported.
    if Tracer._is_tracer_disabled():
        return Tracer(service=contract.SERVICE_NAME, disabled=True, provider=_NoTracing())
    return Tracer(service=contract.SERVICE_NAME)


_RESERVED_LOG_ATTRS = frozenset(RESERVED_LOG_ATTRS)


class _LeanFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON line, key for key, with less work for the usual line: a plain sentence with extra
    keys and no exception. The deliver function writes one per delivery, and Powertools' general path (a
    copy of the record, a JSON parse attempted on every message, a linear search of the reserved names)
    cost more CPU than the attempt's own logic. Every other line is Powertools' own. Every line drops the keys that
    repeat what every line's log group and stream already say (CloudWatch bills each byte ingested: these are
    about 200 of a delivery line's bytes); the request id and cold start stay."""

    REPEATED_KEYS = ("location", "function_name", "function_arn", "function_memory_size")

    def format(self, record: logging.LogRecord) -> str:
        message = record.msg
        if (
            record.exc_info
            or record.stack_info
            or record.args
            or not isinstance(message, str)
            or message.lstrip().startswith(("{", "["))
        ):
            return super().format(record)
        fields = record.__dict__
        record.asctime = self.formatTime(record)
        line: dict[str, Any] = {}
        for keys in (self.log_format, self.thread_safe_get_current_keys()):
            for key, value in keys.items():
                templated = bool(value) and key in _RESERVED_LOG_ATTRS  # e.g. "level": "%(levelname)s"
                if templated and not isinstance(value, str):
                    return super().format(record)  # Powertools says what is wrong with it
                line[key] = value % fields if templated else value
        for key, value in fields.items():
            if key not in _RESERVED_LOG_ATTRS:
                line[key] = value
        line["message"] = message
        line["xray_trace_id"] = self._get_latest_trace_id()
        return self.serialize({key: value for key, value in line.items() if value is not None})

    def serialize(self, log: dict[str, Any]) -> str:
        for key in self.REPEATED_KEYS:
            log.pop(key, None)
        return super().serialize(log)


logger = Logger(service=contract.SERVICE_NAME, logger_formatter=_LeanFormatter())
tracer = _tracer()
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

"""Turning domain records into API views (secrets and internal fields never leave here)."""

from __future__ import annotations

from functions.api.schemas import (
    ExecutionDetail,
    ExecutionView,
    HookView,
    HookWithSecret,
)
from functions.common.delivery import request_body
from functions.common.models import Event, Execution, Hook


def hook_view(hook: Hook) -> HookView:
    return HookView.model_validate(hook.model_dump(exclude={"secrets", "tenant_id", "failing_since"}))


def hook_with_secret(hook: Hook, secret: str) -> HookWithSecret:
    return HookWithSecret(**hook_view(hook).model_dump(), secret=secret)


def execution_detail(execution: Execution, event: Event | None) -> ExecutionDetail:
    """The single-execution view. The body sent is rebuilt from the stored event (it is deterministic
    given the payload format recorded on the execution), so executions don't store every payload."""
    body = None
    if event is not None and execution.payload_format is not None:
        body = request_body(execution.payload_format, event).decode()
    return ExecutionDetail(
        **ExecutionView.of(execution).model_dump(),
        request_url=execution.request_url,
        request_headers=execution.request_headers,
        request_body=body,
        response_headers=execution.response_headers,
        response_headers_truncated=execution.response_headers_truncated,
    )

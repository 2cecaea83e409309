"""Turning domain records into API views (secrets and internal fields never leave here)."""

from __future__ import annotations

from functions.api.schemas import (
    ExecutionDetail,
    ExecutionView,
    HookView,
    HookWithSecret,
)
from functions.common import signing
from functions.common.delivery import request_body
from functions.common.models import Event, Execution, Hook


def hook_view(hook: Hook) -> HookView:
    view = HookView.model_validate(hook.model_dump(exclude={"secrets", "tenant_id", "failing_since"}))
    return view.model_copy(update={"signature_scheme": hook.signature_scheme, "public_key": hook.public_key})


def hook_with_secret(hook: Hook, secret: str) -> HookWithSecret:
    """`secret` is the new plaintext key; an Ed25519 private key is never shown: its public key is."""
    shown = signing.public_key(secret) if secret.startswith(signing.SIGNING_KEY_PREFIX) else secret
    return HookWithSecret(**hook_view(hook).model_dump(), secret=shown)


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

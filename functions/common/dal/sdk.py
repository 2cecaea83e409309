"""Every SDK call goes through `call`, which turns SDK failures into the domain's DependencyFailure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.errors import DependencyFailure


def call(operation: Callable[..., Any], **kwargs: Any) -> Any:
    """Run one SDK call, turning SDK failures into DependencyFailure (chained, so the cause is kept)."""
    try:
        return operation(**kwargs)
    except ClientError as exc:
        raise DependencyFailure(f"{exc.operation_name} failed: {exc.response['Error'].get('Code')}") from exc
    except BotoCoreError as exc:
        raise DependencyFailure(f"AWS call failed: {exc}") from exc

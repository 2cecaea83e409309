"""Tiny handlers the worker-process tests invoke by reference (`tests.support.lambda_handlers:echo`)."""

from __future__ import annotations

import os
import time
from typing import Any


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"event": event, "pid": os.getpid(), "remaining_ms": context.get_remaining_time_in_millis()}


def busy_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Holds its environment for a second, so concurrent invocations overlap."""
    time.sleep(1)
    return echo(event, context)


def crash(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    raise RuntimeError(f"handler crashed on {event['name']}")


def hang(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
    time.sleep(3600)
    return {}


def fail_to_import() -> None:
    raise ImportError("this function's init failed")

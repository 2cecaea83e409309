"""Tiny handlers the worker-process tests invoke by reference (`tests.support.lambda_handlers:echo`)."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import Any

from tests.support.waiting import wait_until


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"event": event, "pid": os.getpid(), "remaining_ms": context.get_remaining_time_in_millis()}


def overlapping_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Holds its environment until `overlap` invocations have started (each leaves a mark in `marks`), so
    concurrent invocations provably overlap; with fewer in flight it would fail at the deadline."""
    marks = Path(event["marks"])
    (marks / uuid.uuid4().hex).touch()
    wait_until(lambda: len(list(marks.iterdir())) >= event["overlap"], 10, "overlapping invocations", 0.01)
    return echo(event, context)


def crash(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    raise RuntimeError(f"handler crashed on {event['name']}")


def hang(_event: dict[str, Any], _context: Any) -> dict[str, Any]:
    threading.Event().wait()  # never set: the invocation only ends when the invoker stops it
    return {}


def fail_to_import() -> None:
    raise ImportError("this function's init failed")

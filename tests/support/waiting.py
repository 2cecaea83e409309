"""Waiting on a condition with a deadline: tests never sleep a fixed time hoping something has happened."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until[T](condition: Callable[[], T], timeout: float, what: str, interval: float = 0.05) -> T:
    """Polls `condition` until it returns something truthy and returns that; fails the test with `what`
    (the thing that never happened) once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)
    return value

"""Run one function in several threads at once and wait for all of them."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_in_threads(function: Callable[[], object], count: int, timeout: float = 60.0) -> None:
    threads = [threading.Thread(target=function) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)

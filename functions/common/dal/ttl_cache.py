"""A small per-container read-through cache with a time to live, for reads that every request repeats."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TtlCache[Value]:
    """Values kept `ttl_seconds` after they were read, at most `max_entries` (then it starts over, so
    memory stays bounded whatever keys arrive). Thread safe; the clock is injectable for tests."""

    def __init__(
        self, ttl_seconds: float, max_entries: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, tuple[float, Value]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Value | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or self.clock() - entry[0] >= self.ttl_seconds:
            return None
        return entry[1]

    def put(self, key: str, value: Value) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (self.clock(), value)

    def replace(self, key: str, change: Callable[[Value], Value]) -> None:
        """Change a kept value without renewing its time to live (nothing when it is not kept)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries[key] = (entry[0], change(entry[1]))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

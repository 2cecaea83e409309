"""Fault injection for AWS clients: a call fails at random, sometimes after it took effect."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

PASSTHROUGH = {"meta", "exceptions", "get_paginator", "can_paginate", "get_waiter", "close"}


class FlakyClient:
    """Wraps a boto3 client. With probability `rate` a call raises InternalServerError; half of those
    failures happen after the real call ran (the caller can't tell whether it took effect)."""

    def __init__(self, real: Any, rng: random.Random, rate: float, operations: set[str] | None = None) -> None:
        self._real = real
        self._rng = rng
        self._rate = rate
        self._operations = operations
        self._lock = threading.Lock()
        self.injected: Counter[str] = Counter()

    def _roll(self) -> tuple[bool, bool]:
        with self._lock:
            return self._rng.random() < self._rate, self._rng.random() < 0.5

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name in PASSTHROUGH or name.startswith("_") or not callable(attribute):
            return attribute
        if self._operations is not None and name not in self._operations:
            return attribute

        def flaky(**kwargs: Any) -> Any:
            fail, after = self._roll()
            if not fail:
                return attribute(**kwargs)
            if after:
                attribute(**kwargs)
            with self._lock:
                self.injected[name] += 1
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected fault"}}, name)

        return flaky

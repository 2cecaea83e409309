"""Per-tenant publish rate: a token bucket per tenant in each api container. No request, no write.

The fleet-wide rate R is split over the api function's reserved concurrency N: each container admits
R/N events per second per tenant (burst: one second's share, at least 1). So a tenant never gets more
than R in total while the API runs at most N containers, and gets at least R/N on each container its
requests reach. Precision: a tenant whose traffic lands on fewer than N containers is held below R
(with N=20 and R=200, 10/s per container). Nothing is written per publish, so there is no hot key.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from functions.common.errors import TooManyRequests

MAX_TRACKED_TENANTS = 10_000  # least recently seen are forgotten (they start again with a full bucket)


@dataclass
class _Bucket:
    tokens: float
    updated: datetime


class PublishLimiter:
    def __init__(self, rate_per_second: float, containers: int) -> None:
        self.rate = rate_per_second / max(containers, 1)
        self.capacity = max(self.rate, 1.0)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def admit(self, tenant_id: str, now: datetime) -> None:
        """Take one token from the tenant's bucket, or raise 429 saying when the next one is there."""
        if self.rate <= 0:
            return
        bucket = self._buckets.pop(tenant_id, None) or _Bucket(self.capacity, now)
        elapsed = max((now - bucket.updated).total_seconds(), 0.0)
        bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.rate)
        bucket.updated = now
        self._buckets[tenant_id] = bucket
        if len(self._buckets) > MAX_TRACKED_TENANTS:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1:
            wait = math.ceil((1 - bucket.tokens) / self.rate)
            raise TooManyRequests(
                f"this tenant publishes faster than its limit of {self.rate:g} events/s here: retry in {wait}s",
                retry_after_seconds=wait,
            )
        bucket.tokens -= 1

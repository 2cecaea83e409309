"""The per-container, per-tenant publish token bucket, on an injected clock."""

from datetime import UTC, datetime, timedelta

import pytest

from functions.api.logic.limits import PublishLimiter
from functions.common.errors import TooManyRequests

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _admitted(limiter: PublishLimiter, tenant: str, count: int, now: datetime) -> int:
    admitted = 0
    for _ in range(count):
        try:
            limiter.admit(tenant, now)
        except TooManyRequests:
            continue
        admitted += 1
    return admitted


def test_each_container_admits_its_share_of_the_fleet_rate_then_429_with_retry_after() -> None:
    # Given 10 events/s per tenant split over 2 api containers: 5/s here, burst 5
    limiter = PublishLimiter(rate_per_second=10, containers=2)
    assert _admitted(limiter, "ten_a", 20, T0) == 5
    # When one more arrives in the same instant, then 429 says to retry in 1 second
    with pytest.raises(TooManyRequests) as refused:
        limiter.admit("ten_a", T0)
    assert refused.value.status == 429 and refused.value.retry_after_seconds == 1
    # And a second later the share refills; another tenant was never affected
    assert _admitted(limiter, "ten_a", 20, T0 + timedelta(seconds=1)) == 5
    assert _admitted(limiter, "ten_b", 5, T0) == 5


def test_a_slow_share_waits_several_seconds_and_zero_means_no_limit() -> None:
    # Given 1 event/s fleet-wide over 4 containers: one every 4 s here
    limiter = PublishLimiter(rate_per_second=1, containers=4)
    limiter.admit("ten_a", T0)
    with pytest.raises(TooManyRequests) as refused:
        limiter.admit("ten_a", T0 + timedelta(seconds=1))
    assert refused.value.retry_after_seconds == 3
    # And a rate of 0 admits everything
    assert _admitted(PublishLimiter(rate_per_second=0, containers=20), "ten_a", 1000, T0) == 1000

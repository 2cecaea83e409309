import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.common import contract
from functions.common.retry import (
    RETRY_AFTER_MAX_SECONDS,
    RetrySchedule,
    parse_duration,
    parse_retry_after,
    parse_schedule,
)


def test_default_schedule_is_the_design_schedule() -> None:
    assert parse_schedule(contract.DEFAULT_RETRY_SCHEDULE) == (5, 300, 1800, 7200, 18000, 36000, 36000)


def test_default_schedule_reaches_the_27_hour_horizon_in_8_attempts() -> None:
    schedule = RetrySchedule.parse(contract.DEFAULT_RETRY_SCHEDULE)
    assert schedule.max_attempts == 8
    assert 27 * 3600 < sum(schedule.delays) < 28 * 3600


@pytest.mark.parametrize(
    ("text", "seconds"), [("5s", 5), ("5m", 300), ("2h", 7200), ("1d", 86400), ("250ms", 0.25), ("7", 7)]
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "-1s", "h"])
def test_bad_schedules_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|at least one"):
        parse_schedule(text)


def test_jitter_stays_within_twenty_percent() -> None:
    schedule = RetrySchedule.parse("100s", jitter=0.2)
    rng = random.Random(7)
    delays = [schedule.delay_after(1, rng) for _ in range(500)]
    assert min(delays) >= 80 and max(delays) <= 120
    assert max(delays) - min(delays) > 20  # it really varies


def test_exhaustion_after_the_last_delay() -> None:
    schedule = RetrySchedule.parse("1s,2s")
    assert not schedule.is_exhausted(1) and not schedule.is_exhausted(2)
    assert schedule.is_exhausted(3)


def test_retry_after_is_clamped_between_scheduled_and_twice_scheduled() -> None:
    schedule = RetrySchedule.parse("60s", jitter=0.2)
    assert schedule.delay_after(1, retry_after=10) == 60
    assert schedule.delay_after(1, retry_after=90) == 90
    assert schedule.delay_after(1, retry_after=999) == 120


def test_retry_after_parses_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_retry_after_ignores_what_is_neither_ascii_seconds_nor_a_date() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for odd in ("²", "١٢", "-5", "1e3", "12.5", "Wed, 99 Foo 2026 99:99:99 GMT", "Mon, 01 Jan 10000 00:00:00 GMT"):
        assert parse_retry_after(odd, now) is None, odd


def test_retry_after_is_clamped_to_a_day_and_never_negative() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("99999999999", now) == RETRY_AFTER_MAX_SECONDS
    assert parse_retry_after(format_datetime(now - timedelta(days=1), usegmt=True), now) == 0
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30", now) == 30  # no zone: read as UTC


@given(value=st.text(), moment=st.datetimes(timezones=st.just(UTC)))
def test_any_retry_after_is_none_or_a_bounded_non_negative_number(value: str, moment: datetime) -> None:
    parsed = parse_retry_after(value, moment)
    assert parsed is None or 0 <= parsed <= RETRY_AFTER_MAX_SECONDS


@given(
    value=st.one_of(
        st.integers(min_value=-(10**15), max_value=10**15).map(str),
        st.datetimes(timezones=st.just(UTC)).map(lambda d: format_datetime(d, usegmt=True)),
        st.from_regex(r"[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{1,5} \d\d:\d\d:\d\d( GMT| [+-]\d{4})?", fullmatch=True),
    ),
    moment=st.datetimes(timezones=st.just(UTC)),
)
def test_retry_after_shaped_input_is_none_or_bounded(value: str, moment: datetime) -> None:
    parsed = parse_retry_after(value, moment)
    assert parsed is None or 0 <= parsed <= RETRY_AFTER_MAX_SECONDS

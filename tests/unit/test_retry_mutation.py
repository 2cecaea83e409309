"""Retry-schedule edges the mutation run showed untested: sub-second delays, the default jitter bounds
(through an injected random source), a Retry-After date in the past, the empty-schedule message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from functions.common.retry import RetrySchedule, parse_retry_after, parse_schedule
from tests.support.random_source import PinnedRandom

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_sub_second_delays_are_kept_not_rounded_up() -> None:
    # Given a schedule of 250 ms and 0.5 s without jitter
    schedule = RetrySchedule.parse("250ms,0.5s", jitter=0)
    # When the delays after the first and second attempts are asked for
    # Then they are exactly a quarter and a half second
    assert schedule.delay_after(1, PinnedRandom(0.5)) == 0.25
    assert schedule.delay_after(2, PinnedRandom(0.5)) == 0.5


def test_the_default_jitter_draws_within_plus_or_minus_twenty_percent() -> None:
    # Given a schedule parsed without naming a jitter
    schedule = RetrySchedule.parse("100s")
    highest, lowest = PinnedRandom(1.0), PinnedRandom(0.0)
    # When the random source draws its highest and its lowest value
    longest = schedule.delay_after(1, highest)
    shortest = schedule.delay_after(1, lowest)
    # Then it was asked for a spread of -0.2 .. 0.2, and the delay is 120 s and 80 s
    assert highest.bounds == lowest.bounds == [(-0.2, 0.2)]
    assert longest == pytest.approx(120.0)
    assert shortest == pytest.approx(80.0)


def test_a_jittered_sub_second_delay_is_never_raised_to_a_second() -> None:
    # Given a 100 ms delay with 20 % jitter and the lowest draw
    schedule = RetrySchedule.parse("100ms", jitter=0.2)
    # When the delay is computed
    delay = schedule.delay_after(1, PinnedRandom(0.0))
    # Then it is 80 ms
    assert delay == pytest.approx(0.08)


def test_a_retry_after_date_in_the_past_means_now_and_the_schedule_wins() -> None:
    # Given a Retry-After HTTP date 90 seconds ago
    header = format_datetime(NOW - timedelta(seconds=90), usegmt=True)
    # When it is parsed and applied to a 60 s step
    seconds = parse_retry_after(header, NOW)
    # Then it asks for no wait, and the scheduled 60 s stands (the clamp's lower bound)
    assert seconds == 0.0
    assert RetrySchedule.parse("60s").delay_after(1, retry_after=seconds) == 60.0


def test_a_retry_after_date_without_a_zone_is_read_as_utc() -> None:
    # Given an asctime-style date (no zone) 30 seconds from now
    header = (NOW + timedelta(seconds=30)).strftime("%a %b %d %H:%M:%S %Y")
    # When it is parsed
    # Then it is 30 seconds away
    assert parse_retry_after(header, NOW) == 30.0


@pytest.mark.parametrize("text", ["", " , ", ","])
def test_an_empty_schedule_is_refused_saying_it_needs_a_delay(text: str) -> None:
    # Given a schedule with no delay in it
    # When it is parsed
    # Then the error says what is missing
    with pytest.raises(ValueError, match=r"^the retry schedule needs at least one delay$"):
        parse_schedule(text)

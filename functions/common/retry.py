"""The retry schedule: delays after each failed attempt, with jitter and Retry-After handling."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")


def parse_duration(text: str) -> float:
    """`5s`, `5m`, `2h`, `1d`, `0.5s`, `250ms` or bare seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 5s, 5m, 2h)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]


def parse_schedule(text: str) -> tuple[float, ...]:
    delays = tuple(parse_duration(part) for part in text.split(",") if part.strip())
    if not delays:
        raise ValueError("the retry schedule needs at least one delay")
    return delays


@dataclass(frozen=True)
class RetrySchedule:
    """`delays[i]` is the wait after attempt i+1 fails; attempts = len(delays) + 1."""

    delays: tuple[float, ...]
    jitter: float = 0.2

    @classmethod
    def parse(cls, text: str, jitter: float = 0.2) -> RetrySchedule:
        return cls(parse_schedule(text), jitter)

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def is_exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts

    def nominal_delay(self, attempt: int) -> float:
        return self.delays[attempt - 1]

    def delay_after(self, attempt: int, rng: random.Random | None = None, retry_after: float | None = None) -> float:
        """Delay before attempt+1. Retry-After is honoured but clamped to [scheduled, 2x scheduled]."""
        nominal = self.nominal_delay(attempt)
        if retry_after is not None:
            return min(max(retry_after, nominal), 2 * nominal)
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, nominal * (1 + spread))


# A Retry-After further out than this is the receiver's mistake (or a hostile answer), not a plan.
RETRY_AFTER_MAX_SECONDS = 86400.0
_DELTA_SECONDS = re.compile(r"[0-9]{1,12}")  # ASCII only: str.isdigit() also accepts "²"


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as delta-seconds or an HTTP date, clamped to [0, RETRY_AFTER_MAX_SECONDS].

    Lenient: anything else (words, superscript digits, negative numbers, impossible dates) is ignored,
    never an error. `now` must be timezone-aware; a date without a zone is read as UTC.
    """
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return min(float(value), RETRY_AFTER_MAX_SECONDS)
    try:
        moment = parsedate_to_datetime(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - now).total_seconds()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(0.0, seconds), RETRY_AFTER_MAX_SECONDS)

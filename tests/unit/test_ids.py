"""Identifiers: Crockford base32 digits, and execution ids that keep one event's attempts together."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from functions.common import ids


def _digit_by_digit(value: int, length: int) -> str:
    """The definition: the low `length` 5-bit digits, most significant first."""
    return "".join(ids._ALPHABET[(value >> (5 * position)) & 31] for position in reversed(range(length)))


@pytest.mark.parametrize("length", [4, 6, 10, 16])
def test_encoding_is_crockford_base32_of_the_low_bits(length: int) -> None:
    # Given edge values and random ones, some wider than the encoded length
    rng = random.Random(12)
    values = [
        0,
        1,
        31,
        32,
        2 ** (5 * length) - 1,
        2 ** (5 * length),
        *(rng.getrandbits(5 * length + 7) for _ in range(500)),
    ]
    # When each is encoded / Then it matches the digit-by-digit definition
    assert [ids._encode(value, length) for value in values] == [_digit_by_digit(value, length) for value in values]


def test_attempts_of_one_event_share_its_group_and_differ() -> None:
    # Given one event
    created = datetime(2026, 1, 1, 12, tzinfo=UTC)
    # When many attempts get ids
    attempt_ids = [ids.execution_id("evt_1", created) for _ in range(1000)]
    # Then they all start with the event's group and none repeats
    group = f"exe_{ids.event_group('evt_1', created)}"
    assert all(attempt_id.startswith(group) for attempt_id in attempt_ids)
    assert len(set(attempt_ids)) == len(attempt_ids)

"""A random source with a pinned draw, for jitter: tests say exactly where in its range a draw lands."""

from __future__ import annotations


class PinnedRandom:
    """Always draws `position` of the way from `low` to `high` (0: the lowest, 1: the highest), and records
    the bounds it was asked for."""

    def __init__(self, position: float) -> None:
        self.position = position
        self.bounds: list[tuple[float, float]] = []

    def uniform(self, low: float, high: float) -> float:
        self.bounds.append((low, high))
        return low + (high - low) * self.position

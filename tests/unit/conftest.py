"""Fixtures shared by the unit tests."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    """Worker threads for deliver_batch, as the deliver container's executor."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool

"""Reading what the functions log: their Powertools logger writes JSON lines, captured here."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from functions.common.observability import logger


@contextmanager
def captured_logs(level: str = "INFO") -> Iterator[io.StringIO]:
    """The logger's JSON lines at `level` and above, for the duration of the block."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    previous = logger.log_level
    logger.setLevel(level)
    try:
        yield stream
    finally:
        logger.setLevel(previous)
        logger.removeHandler(handler)


def log_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith('{"level"')]

"""The functions' log lines are Powertools' own, key for key (less the keys every line's log group and stream
already say), though the usual line takes a shorter path."""

from __future__ import annotations

import logging
import sys

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from functions.common import contract
from functions.common.observability import logger

LINES = {
    "sentence with extra keys": ("delivery attempt", (), {"hook_id": "hk_1", "attempt": 2, "error": None}),
    "sentence only": ("hook deleted; delivery dropped", (), {}),
    "printf arguments": ("took %d ms", (12,), {}),
    "JSON object as text": ('{"answer": 42}', (), {}),
    "dict message": ({"answer": 42}, (), {}),
    "unicode and nested extras": ("empfangen ✓", (), {"headers": {"x": "ü"}, "ids": ["a", "b"]}),
}


def _record(message: object, args: tuple[object, ...], extra: dict[str, object]) -> logging.LogRecord:
    return logger._logger.makeRecord(logger.name, logging.INFO, __file__, 7, message, args, None, "deliver", extra)


@pytest.mark.parametrize("case", LINES)
def test_a_line_is_exactly_what_powertools_writes(case: str) -> None:
    # Given Powertools' own formatter with the same keys as the functions' logger (service and appended ones),
    # less the keys the functions' lines leave out
    logger.append_keys(function_request_id="req-1", cold_start=True)
    powertools = LambdaPowertoolsFormatter(service=contract.SERVICE_NAME)
    ours_format = logger.registered_formatter
    powertools.log_format = {k: v for k, v in ours_format.log_format.items() if k not in ours_format.REPEATED_KEYS}
    try:
        # When both format the same record
        record = _record(*LINES[case])
        ours = logger.registered_formatter.format(record)
        theirs = powertools.format(record)
    finally:
        logger.remove_keys(["function_request_id", "cold_start"])
    # Then the lines are identical
    assert ours == theirs


def test_an_exception_line_keeps_its_traceback() -> None:
    # Given a record carrying an exception
    try:
        raise ValueError("bad record")
    except ValueError:
        exc_info = sys.exc_info()
    record = logger._logger.makeRecord(logger.name, logging.ERROR, __file__, 7, "failed", (), exc_info, "deliver")
    # When it is formatted
    line = logger.registered_formatter.format(record)
    # Then the exception and its name are in it, as Powertools writes them
    assert '"exception_name":"ValueError"' in line and "bad record" in line

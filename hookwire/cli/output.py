"""Readable tables by default, JSON with --json; errors on stderr."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO


def emit_json(value: Any, stream: TextIO | None = None) -> None:
    (stream or sys.stdout).write(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


TABLE_WIDTH = 100
GAP = "  "
MIN_COLUMN = 10


HEADERS = {"payload_format": "format", "response_status": "http", "attempt": "try"}
FRACTION_OF_SECOND = re.compile(r"\.\d+(?=Z$|\+00:00$)")


def shorten(text: str, width: int) -> str:
    """Cut the middle out, keeping both ends: most of the front (a URL's scheme and host) and the end
    (its last path segment)."""
    if len(text) <= width:
        return text
    head = (width - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (width - 1 - head) :]


def _table_cell(column: str, value: Any) -> str:
    """Timestamps to the second in tables (`get` and `--json` keep the microseconds)."""
    text = _cell(value)
    return FRACTION_OF_SECOND.sub("", text) if column.endswith("_at") else text


def _is_identifier(column: str) -> bool:
    """Ids and timestamps are copied and compared whole: they never shrink."""
    return column == "id" or column.endswith(("_id", "_at"))


def _fit(widths: list[int], columns: Sequence[str], headers: Sequence[str]) -> list[int]:
    """Narrow the widest free-text columns (never below their header or MIN_COLUMN) until rows fit TABLE_WIDTH."""
    fitted = list(widths)
    floor = [
        w if _is_identifier(c) else min(w, max(len(h), MIN_COLUMN))
        for w, c, h in zip(widths, columns, headers, strict=True)
    ]
    while sum(fitted) + len(GAP) * (len(fitted) - 1) > TABLE_WIDTH:
        widest = max(range(len(fitted)), key=lambda i: fitted[i] - floor[i])
        if fitted[widest] <= floor[widest]:
            break
        fitted[widest] -= 1
    return fitted


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], stream: TextIO | None = None) -> None:
    """Columns narrowed to fit 100 characters; long values lose their middle (`--json` has them whole)."""
    out = stream or sys.stdout
    if not rows:
        out.write("(none)\n")
        return
    headers = [HEADERS.get(column, column) for column in columns]
    full = [[_table_cell(column, row.get(column)) for column in columns] for row in rows]
    natural = [max(len(header), *(len(line[i]) for line in full)) for i, header in enumerate(headers)]
    widths = _fit(natural, columns, headers)
    cells = [[shorten(value, w) for value, w in zip(line, widths, strict=True)] for line in full]
    out.write(GAP.join(header.upper().ljust(w) for header, w in zip(headers, widths, strict=True)).rstrip() + "\n")
    for line in cells:
        out.write(GAP.join(value.ljust(w) for value, w in zip(line, widths, strict=True)).rstrip() + "\n")


def record(value: dict[str, Any], stream: TextIO | None = None) -> None:
    """One object as `key: value` lines."""
    out = stream or sys.stdout
    width = max((len(k) for k in value), default=0)
    for key, item in value.items():
        out.write(f"{key.ljust(width)}  {_cell(item)}\n")


def error(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")


def warn(message: str) -> None:
    sys.stderr.write(f"warning: {message}\n")

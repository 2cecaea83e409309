"""Readable tables by default, JSON with --json; errors on stderr."""

from __future__ import annotations

import json
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


def table(rows: Sequence[dict[str, Any]], columns: Sequence[str], stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    if not rows:
        out.write("(none)\n")
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    out.write("  ".join(column.upper().ljust(w) for column, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    for line in cells:
        out.write("  ".join(value.ljust(w) for value, w in zip(line, widths, strict=True)).rstrip() + "\n")


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

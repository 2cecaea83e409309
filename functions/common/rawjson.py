"""Keeping a published event's `data` byte for byte: slice it out of the request body, never re-serialise it."""

from __future__ import annotations

import json

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


def _skip_ws(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def raw_member(document: str, key: str) -> str | None:
    """The exact source text of top-level member `key` of a JSON object, or None when absent."""
    index = _skip_ws(document, 0)
    if not document.startswith("{", index):
        return None
    index = _skip_ws(document, index + 1)
    found: str | None = None
    while index < len(document) and document[index] != "}":
        name, index = json.decoder.scanstring(document, index + 1)
        index = _skip_ws(document, index)
        index = _skip_ws(document, index + 1)  # past ':'
        _, end = _DECODER.raw_decode(document, index)
        if name == key:
            found = document[index:end]  # the last duplicate wins, as in json.loads
        index = _skip_ws(document, end)
        if index < len(document) and document[index] == ",":
            index = _skip_ws(document, index + 1)
    return found


def envelope(event_id: str, event_type: str, timestamp: str, raw_data: str) -> str:
    """`{"id","type","timestamp","data"}` with `data` spliced in as published."""
    head = json.dumps({"id": event_id, "type": event_type, "timestamp": timestamp}, separators=(",", ":"))
    return head[:-1] + ',"data":' + raw_data + "}"

"""Matching a hook's `on` entries (event types or globs) against event types."""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

# Event types are dotted or underscored words; globs add `*` only (no `?` or `[]`, which nobody expects).
ON_ENTRY_PATTERN = re.compile(r"^[A-Za-z0-9_.\-*]{1,200}$")


def is_glob(entry: str) -> bool:
    return "*" in entry


def entry_matches(entry: str, event_type: str) -> bool:
    """`*` matches any run of characters, dots included: `order.*` matches `order.status.changed`."""
    return fnmatchcase(event_type, entry) if is_glob(entry) else entry == event_type


def matches_any(entries: Iterable[str], event_type: str) -> bool:
    return any(entry_matches(entry, event_type) for entry in entries)


def unmatched_entries(entries: Iterable[str], catalogue: Iterable[str]) -> list[str]:
    """Entries that match no catalogued type: the API refuses them with 422."""
    types = list(catalogue)
    return [entry for entry in entries if not any(entry_matches(entry, known) for known in types)]

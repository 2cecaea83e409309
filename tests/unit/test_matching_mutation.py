"""Matching edges the mutation run showed untested: only `*` is a wildcard."""

from __future__ import annotations

import pytest

from functions.common.matching import entry_matches, matches_any


@pytest.mark.parametrize(("entry", "event_type"), [("order.?", "order.x"), ("order.[ab]", "order.a")])
def test_an_entry_without_a_star_matches_only_its_own_text(entry: str, event_type: str) -> None:
    # Given an entry holding characters fnmatch would treat as wildcards, but no `*`
    # When it is matched against a type those wildcards would cover, and against its own text
    # Then only its own text matches: `?` and `[]` are not wildcards in a hook's `on`
    assert entry_matches(entry, event_type) is False
    assert entry_matches(entry, entry) is True
    assert matches_any([entry], event_type) is False

import pytest

from functions.common.matching import entry_matches, matches_any, unmatched_entries

CATALOGUE = ["order.status.changed", "ORDER_ITEM_CREATE", "ORDER_ITEM_UPDATE_STATUS", "ORDER_CREATE", "lead.created"]


@pytest.mark.parametrize(
    ("entry", "event_type", "expected"),
    [
        ("*", "anything.at.all", True),
        ("order.*", "order.status.changed", True),
        ("order.*", "orders.created", False),
        ("ORDER_ITEM_*", "ORDER_ITEM_UPDATE_STATUS", True),
        ("ORDER_ITEM_*", "ORDER_CREATE", False),
        ("lead.created", "lead.created", True),
        ("lead.created", "lead.createdX", False),
        ("Lead.created", "lead.created", False),  # case-sensitive, like the catalogues
        ("*.created", "lead.created", True),
        ("order.status.changed", "order.status.changed", True),
    ],
)
def test_entry_matches(entry: str, event_type: str, expected: bool) -> None:
    assert entry_matches(entry, event_type) is expected


def test_matches_any_of_several_entries() -> None:
    assert matches_any(["lead.*", "ORDER_ITEM_*"], "ORDER_ITEM_CREATE")
    assert not matches_any(["lead.*"], "ORDER_ITEM_CREATE")


def test_unmatched_entries_names_globs_and_types_outside_the_catalogue() -> None:
    assert unmatched_entries(["order.*", "nope.*", "ORDER_CREATE", "MISSING"], CATALOGUE) == ["nope.*", "MISSING"]

"""Payload filters: what is refused at save time (naming the place inside the filter) and what an event must
look like to pass (type-strict, missing paths fail all but `$exists: false`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions.common.payload_filter import MAX_DEPTH, FilterInvalid, canonical, check_filter, matches

ENVELOPE: dict[str, Any] = {
    "id": "evt_1",
    "type": "order.status.changed",
    "timestamp": "2026-01-01T00:00:00Z",
    "data": {"status": "shipped", "total": 42, "flag": True, "note": None, "items": [{"sku": "A-1"}]},
}


@pytest.mark.parametrize(
    ("payload_filter", "expected"),
    [
        ({"data.status": {"$in": ["shipped", "delivered"]}}, True),
        ({"data.status": {"$nin": ["shipped"]}}, False),
        ({"data.status": "shipped"}, True),  # a plain value is $eq
        ({"type": {"$eq": "order.status.changed"}}, True),
        ({"data.status": {"$neq": "cancelled"}}, True),
        ({"data.total": {"$gt": 41, "$lte": 42}}, True),
        ({"data.total": {"$gte": 43}}, False),
        ({"data.total": {"$lt": 42.5}}, True),
        ({"timestamp": {"$gte": "2026-01-01"}}, True),  # strings order lexicographically (ISO dates sort)
        ({"data.items.0.sku": "A-1"}, True),  # list indexes are path segments
        ({"data.items.1.sku": {"$exists": False}}, True),
        ({"data.note": {"$eq": None}}, True),  # present and null
        ({"data.note": {"$exists": True}}, True),
        ({"$or": [{"data.status": "pending"}, {"data.total": {"$gt": 40}}]}, True),
        ({"$and": [{"data.status": "shipped"}, {"data.total": {"$gt": 50}}]}, False),
    ],
)
def test_an_event_passes_when_every_condition_holds(payload_filter: dict[str, Any], expected: bool) -> None:
    # Given a valid filter, When the envelope is checked, Then it passes exactly when every condition holds
    assert matches(check_filter(payload_filter), ENVELOPE) is expected


@pytest.mark.parametrize(
    "payload_filter",
    [
        {"data.total": "42"},  # a string never equals a number
        {"data.total": {"$in": ["42"]}},
        {"data.flag": 1},  # true is not 1
        {"data.total": {"$gt": "4"}},  # no ordering across types
        {"data.status": {"$lt": 5}},
    ],
)
def test_comparisons_are_type_strict(payload_filter: dict[str, Any]) -> None:
    # Given a filter comparing across JSON types, When checked, Then it never passes
    assert not matches(check_filter(payload_filter), ENVELOPE)


@pytest.mark.parametrize("operator", ["$eq", "$neq", "$in", "$nin", "$gt", "$gte", "$lt", "$lte"])
def test_a_missing_path_fails_every_operator_but_exists_false(operator: str) -> None:
    # Given a condition on a path the event does not have
    operand: Any = ["x"] if operator in ("$in", "$nin") else "x"
    # When checked, Then every comparison fails, $exists: true fails and $exists: false passes
    assert not matches({"data.absent": {operator: operand}}, ENVELOPE)
    assert not matches({"data.absent": {"$exists": True}}, ENVELOPE)
    assert matches({"data.absent": {"$exists": False}}, ENVELOPE)


def _nested(depth: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"type": "x"}
    for _ in range(depth):
        inner = {"$or": [inner]}
    return inner


@pytest.mark.parametrize(
    ("payload_filter", "path", "words"),
    [
        ({"data.status": {"$like": "s*"}}, "data.status.$like", "unknown operator"),
        ({"data.status": {"$in": "shipped"}}, "data.status.$in", "list"),
        ({"data.status": {"$in": []}}, "data.status.$in", "list"),
        ({"data.status": {"$in": ["ok", {"a": 1}]}}, "data.status.$in.1", "string, number"),
        ({"data.total": {"$gt": True}}, "data.total.$gt", "number or a string"),
        ({"data.total": {"$exists": "yes"}}, "data.total.$exists", "true or false"),
        ({"data.total": {}}, "data.total", "at least one operator"),
        ({"data.total": [1, 2]}, "data.total", "string, number"),
        ({"$or": {"type": "x"}}, "$or", "list"),
        ({"$or": [{"type": "x"}, {}]}, "$or.1", "non-empty object"),
        ({"$or": [{"data.x": {"$bad": 1}}]}, "$or.0.data.x.$bad", "unknown operator"),
        ({"$not": [{"type": "x"}]}, "$not", "only $and and $or"),
        ({"data..x": 1}, "data..x", "dotted names"),
        ({"data.x": "y" * 501}, "data.x", "at most 500"),
        ({"data.x": {"$in": list(range(101))}}, "data.x.$in", "list of 1 to 100"),
        ({f"data.k{i}": i for i in range(51)}, "", "at most 50 conditions"),
        (_nested(MAX_DEPTH + 1), "$or.0.$or.0.$or.0.$or.0.$or", "nest at most"),
        ([], "", "non-empty object"),
    ],
)
def test_an_invalid_filter_is_refused_naming_the_place_inside_it(payload_filter: Any, path: str, words: str) -> None:
    # Given a filter with one mistake, When it is checked, Then the error names where and what
    with pytest.raises(FilterInvalid) as refused:
        check_filter(payload_filter)
    assert refused.value.path == path
    assert words in str(refused.value)
    assert str(refused.value).startswith("filter")


def test_nesting_up_to_the_bound_is_accepted() -> None:
    # Given $or nested MAX_DEPTH levels deep, When checked, Then it is valid and evaluates
    assert not matches(check_filter(_nested(MAX_DEPTH)), ENVELOPE)


def test_canonical_text_ignores_key_order() -> None:
    # Given the same filter written with keys in two orders, Then its stored text is the same (no route rewrite)
    assert canonical({"b": 1, "a": {"$lt": 2, "$gt": 0}}) == canonical({"a": {"$gt": 0, "$lt": 2}, "b": 1})


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False), st.text()
)


@given(value=scalars, operand=scalars)
def test_eq_and_neq_are_complements_on_a_present_value(value: Any, operand: Any) -> None:
    # Given any present JSON scalar and operand, Then exactly one of $eq and $neq holds
    envelope = {"data": {"v": value}}
    assert matches({"data.v": {"$eq": operand}}, envelope) is not matches({"data.v": {"$neq": operand}}, envelope)


@given(value=scalars, operands=st.lists(scalars, min_size=1, max_size=5))
def test_in_and_nin_are_complements_and_in_agrees_with_eq(value: Any, operands: list[Any]) -> None:
    # Given any present scalar and list, Then $in holds iff some $eq holds, and $nin is its complement
    envelope = {"data": {"v": value}}
    holds = matches({"data.v": {"$in": operands}}, envelope)
    assert holds is any(matches({"data.v": {"$eq": operand}}, envelope) for operand in operands)
    assert holds is not matches({"data.v": {"$nin": operands}}, envelope)


@given(value=scalars, operand=scalars)
def test_a_string_and_a_number_never_compare(value: Any, operand: Any) -> None:
    # Given a scalar and an operand of different JSON kinds, Then no ordering operator holds
    def kind(x: Any) -> str:
        return "number" if isinstance(x, int | float) and not isinstance(x, bool) else type(x).__name__

    if kind(value) == kind(operand):
        return
    envelope = {"data": {"v": value}}
    for operator in ("$gt", "$gte", "$lt", "$lte", "$eq"):
        assert not matches({"data.v": {operator: operand}}, envelope)


def test_a_hook_without_a_filter_stores_no_filter_key() -> None:
    # Given a hook without a filter and one with, When they are serialised for storage
    from datetime import UTC, datetime

    from functions.common.models import Hook

    now = datetime(2026, 1, 1, tzinfo=UTC)
    plain = Hook(id="h", tenant_id="t", name="n", url="https://x", on=["*"], created_at=now, updated_at=now)
    filtered = plain.model_copy(update={"filter": {"type": "x"}})
    # Then only the filtered one carries the key (an unused option costs no item bytes), and both read back
    assert "filter" not in json.loads(plain.model_dump_json())
    assert Hook.model_validate_json(filtered.model_dump_json()).filter == {"type": "x"}
    assert Hook.model_validate_json(plain.model_dump_json()).filter is None


def test_fan_out_skips_hooks_whose_filter_rejects_the_event_and_records_only_the_others() -> None:
    # Given two active hooks on the type, one filtered to shipped orders
    from datetime import UTC, datetime

    from functions.common.models import Event, EventMessage, Hook
    from functions.fanout.logic import Routes, fan_out
    from tests.support.fakes import FakeQueue, FakeSubscriptions, fake_fanout_deps

    now = datetime(2026, 1, 1, tzinfo=UTC)

    def hook(hook_id: str, **fields: Any) -> Hook:
        return Hook(
            id=hook_id,
            tenant_id="t",
            name="n",
            url="https://x",
            on=["order.*"],
            created_at=now,
            updated_at=now,
            **fields,
        )

    event = Event(id="e1", tenant_id="t", type="order.updated", data='{"status": "cancelled"}', created_at=now)
    subscriptions = FakeSubscriptions(
        hooks={"t": [hook("plain"), hook("shipped", filter={"data.status": "shipped"})]}, events={("t", "e1"): event}
    )
    queue = FakeQueue()
    deps = fake_fanout_deps(subscriptions, queue)
    # When a cancelled order is fanned out
    queued = fan_out(EventMessage(tenant_id="t", id="e1"), deps, Routes(subscriptions), now)  # type: ignore[arg-type]
    # Then only the unfiltered hook gets a delivery, and only it is recorded on the event
    assert queued == 1 and [json.loads(m.body)["hook_id"] for m in queue.sent] == ["plain"]
    assert subscriptions.events[("t", "e1")].fanout_hooks == ["plain"]

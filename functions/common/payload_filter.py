"""Payload filters: a hook's optional condition on the event envelope, checked in fan-out after type matching.

A filter is a JSON object. Each key is either a dotted path into the envelope (`type`, `id`, `timestamp`,
`data.status`, `data.items.0.sku`) or `$and`/`$or` with a list of filters; all keys must hold. A path's value
is an operator object (`{"$in": ["shipped", "delivered"]}`) or a plain value, shorthand for `$eq`.

Comparisons are type-strict: a number never equals a string, `true` is not `1`, ordering (`$gt` ...) compares
numbers with numbers and strings with strings only. A missing path fails every operator but `$exists: false`.
Pure logic: no I/O here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

AND, OR, EXISTS = "$and", "$or", "$exists"
MAX_DEPTH = 4  # nested $and/$or levels
MAX_CONDITIONS = 50  # operators in the whole filter
MAX_LIST_ITEMS = 100  # entries of one $in/$nin and filters of one $and/$or
MAX_FILTER_BYTES = 4096  # stored on every route item of the hook: keep it well inside DynamoDB's item size
MAX_STRING_CHARS = 500
PATH_PATTERN = re.compile(r"^[A-Za-z0-9_\-]{1,100}(\.[A-Za-z0-9_\-]{1,100}){0,15}$")

Filter = dict[str, Any]
_MISSING = object()


class FilterInvalid(ValueError):
    """A filter refused at save time; `path` says where inside the filter (e.g. `$or.1.data.total.$gt`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"filter.{path}: {message}" if path else f"filter: {message}")
        self.path = path


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool) or _is_number(value)


def _equal(left: Any, right: Any) -> bool:
    """Type-strict: numbers equal numbers (1 == 1.0), booleans booleans, strings strings; no coercion."""
    if _is_number(left) and _is_number(right):
        return left == right
    return type(left) is type(right) and left == right


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(value: Any, operand: Any) -> bool:
        same_kind = (_is_number(value) and _is_number(operand)) or (isinstance(value, str) and isinstance(operand, str))
        return same_kind and compare(value, operand)

    return check


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": _equal,
    "$neq": lambda value, operand: not _equal(value, operand),
    "$in": lambda value, operand: any(_equal(value, item) for item in operand),
    "$nin": lambda value, operand: not any(_equal(value, item) for item in operand),
    "$gt": _ordered(lambda value, operand: value > operand),
    "$gte": _ordered(lambda value, operand: value >= operand),
    "$lt": _ordered(lambda value, operand: value < operand),
    "$lte": _ordered(lambda value, operand: value <= operand),
}
OPERATORS = (*_OPERATORS, EXISTS)


# --- validation ---------------------------------------------------------------------------------
@dataclass
class _Budget:
    conditions: int = 0


def _join(prefix: str, key: str | int) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def _check_scalar(value: Any, where: str) -> None:
    if not _is_scalar(value):
        raise FilterInvalid(where, "must be a string, number, boolean or null")
    if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
        raise FilterInvalid(where, f"strings are at most {MAX_STRING_CHARS} characters")


def _check_operand(operator: str, operand: Any, where: str) -> None:
    if operator == EXISTS:
        if not isinstance(operand, bool):
            raise FilterInvalid(where, "$exists takes true or false")
    elif operator in ("$in", "$nin"):
        if not isinstance(operand, list) or not 1 <= len(operand) <= MAX_LIST_ITEMS:
            raise FilterInvalid(where, f"{operator} takes a list of 1 to {MAX_LIST_ITEMS} values")
        for index, item in enumerate(operand):
            _check_scalar(item, _join(where, index))
    elif operator in ("$eq", "$neq"):
        _check_scalar(operand, where)
    elif not (_is_number(operand) or isinstance(operand, str)):
        raise FilterInvalid(where, f"{operator} takes a number or a string")
    else:
        _check_scalar(operand, where)


def _check_condition(condition: Any, where: str, budget: _Budget) -> None:
    if not isinstance(condition, dict):  # the $eq shorthand
        budget.conditions += 1
        _check_scalar(condition, where)
        return
    operators = condition
    if not operators:
        raise FilterInvalid(where, "needs at least one operator")
    for operator, operand in operators.items():
        if operator not in OPERATORS:
            known = " ".join(OPERATORS)
            raise FilterInvalid(_join(where, operator), f"unknown operator (use one of {known})")
        budget.conditions += 1
        _check_operand(operator, operand, _join(where, operator))


def _check_filter(value: Any, where: str, depth: int, budget: _Budget) -> None:
    if not isinstance(value, dict) or not value:
        raise FilterInvalid(where, "must be a non-empty object of paths and $and/$or")
    for key, condition in value.items():
        if key in (AND, OR):
            if depth >= MAX_DEPTH:
                raise FilterInvalid(_join(where, key), f"$and/$or nest at most {MAX_DEPTH} levels deep")
            if not isinstance(condition, list) or not 1 <= len(condition) <= MAX_LIST_ITEMS:
                raise FilterInvalid(_join(where, key), f"{key} takes a list of 1 to {MAX_LIST_ITEMS} filters")
            for index, inner in enumerate(condition):
                _check_filter(inner, _join(_join(where, key), index), depth + 1, budget)
        elif key.startswith("$"):
            raise FilterInvalid(_join(where, key), "only $and and $or may stand where a path is expected")
        elif not PATH_PATTERN.match(key):
            raise FilterInvalid(_join(where, key), "a path is dotted names of letters, digits, _ and -")
        else:
            _check_condition(condition, _join(where, key), budget)
    if budget.conditions > MAX_CONDITIONS:
        raise FilterInvalid(where, f"a filter holds at most {MAX_CONDITIONS} conditions")


def check_filter(value: Any) -> Filter:
    """The filter, validated; FilterInvalid names the offending place inside it."""
    _check_filter(value, "", 0, _Budget())
    if len(canonical(value).encode()) > MAX_FILTER_BYTES:
        raise FilterInvalid("", f"a filter is at most {MAX_FILTER_BYTES} bytes of JSON")
    return value


def canonical(value: Filter) -> str:
    """The stored text of a filter: compact and key-sorted, so an unchanged filter never rewrites a route."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


# --- evaluation ---------------------------------------------------------------------------------
def _resolve(document: Any, path: str) -> Any:
    for segment in path.split("."):
        if isinstance(document, Mapping) and segment in document:
            document = document[segment]
        elif isinstance(document, list) and segment.isdigit() and int(segment) < len(document):
            document = document[int(segment)]
        else:
            return _MISSING
    return document


def _condition_holds(value: Any, condition: Any) -> bool:
    operators = condition if isinstance(condition, dict) else {"$eq": condition}
    for operator, operand in operators.items():
        if operator == EXISTS:
            if (value is not _MISSING) is not operand:
                return False
        elif value is _MISSING or not _OPERATORS[operator](value, operand):
            return False
    return True


def matches(payload_filter: Filter, envelope: Mapping[str, Any]) -> bool:
    """Whether the envelope (`{"id","type","timestamp","data"}`) passes a validated filter."""
    for key, condition in payload_filter.items():
        if key == AND:
            if not all(matches(inner, envelope) for inner in condition):
                return False
        elif key == OR:
            if not any(matches(inner, envelope) for inner in condition):
                return False
        elif not _condition_holds(_resolve(envelope, key), condition):
            return False
    return True

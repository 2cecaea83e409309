"""JSON Schema checks for event data, with fastjsonschema (it ships in the Powertools layer).

A schema stays local: `$ref` may only point inside the same document (`#/...`), and the compiler gets a
resolver that refuses every URI scheme, so no schema (not even one stored before these rules existed)
can make Hookwire open a URL or a file. Cost is bounded: the schema's size and nesting are capped, every
regular expression must compile and may not nest unbounded repetition (the shape that backtracks
exponentially), compiled validators are cached per schema, and the data they run on is capped in size and
depth by the ingest rules. The bounds are documented in docs/limits.md ("## Input").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from re import _constants as sre_constants  # the parsed form of a pattern: the only way to see its shape
from re import _parser as sre_parser
from typing import Any

from functions.common.errors import ValidationFailed

# fastjsonschema itself is imported where a schema is compiled or used: most cold starts (every delivery, an
# event type without a schema) never need it.

MAX_SCHEMA_BYTES = 64 * 1024
MAX_SCHEMA_DEPTH = 64  # JSON nesting of the schema document; each data level costs about two
MAX_PATTERN_CHARS = 1000
COMPILED_CACHE_SIZE = 128
# Keywords whose values are data, not subschemas: a "$ref" or "pattern" inside them means nothing.
DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples"})

Validator = Callable[[Any], Any]


class SchemaRefused(ValueError):
    """str() is the sentence shown to the user."""


def _refuse_remote(uri: str) -> Any:
    import fastjsonschema

    raise fastjsonschema.JsonSchemaDefinitionException(f"$ref {uri} points outside the schema")


class _NoRemoteSchemes(Mapping[str, Callable[[str], Any]]):
    """A handler for every URI scheme (fastjsonschema fetches any scheme it has no handler for), and each
    one refuses."""

    def __getitem__(self, scheme: str) -> Callable[[str], Any]:
        return _refuse_remote

    def __contains__(self, scheme: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


NO_REMOTE = _NoRemoteSchemes()


BACKTRACKING_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)
UNBOUNDED = sre_constants.MAXREPEAT


def _subpatterns(op: Any, argument: Any) -> list[Any]:
    """The parts of a group, alternation or lookaround; possessive repeats and atomic groups are left out
    on purpose: they never backtrack."""
    if op is sre_constants.SUBPATTERN:
        return [argument[-1]]
    if op is sre_constants.BRANCH:
        return list(argument[1])
    if op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
        return [argument[1]]
    return []


def _exponential(items: Any, enclosing: int | None) -> bool:
    """True when a backtracking repetition sits inside another and one of them is unbounded (`(a+)+`,
    `(a*)*`, `(\\w+\\.)*`), or the pattern uses a backreference: the shapes whose failing matches take
    exponential time. `enclosing` is the largest repeat count around `items` (None: none)."""
    for op, argument in items:
        if op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
            return True
        children, inner = _subpatterns(op, argument), enclosing
        if op in BACKTRACKING_REPEATS:
            _, high, sub = argument
            if high > 1 and enclosing is not None and UNBOUNDED in (high, enclosing):
                return True
            children, inner = [sub], (enclosing if high <= 1 else max(high, enclosing or 0))
        if any(_exponential(child, inner) for child in children):
            return True
    return False


def check_pattern(pattern: str, where: str) -> None:
    """A regular expression a schema may carry: short, valid, and without exponential backtracking."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise SchemaRefused(f"{where} is longer than {MAX_PATTERN_CHARS} characters")
    try:
        re.compile(pattern)
        parsed = sre_parser.parse(pattern)
    except re.error as exc:
        raise SchemaRefused(f"{where} is not a valid regular expression: {exc}") from exc
    try:
        risky = _exponential(parsed, enclosing=None)
    except RecursionError:
        risky = True
    if risky:
        raise SchemaRefused(
            f"{where} nests repetition inside unbounded repetition (like (a+)+) or uses a backreference,"
            " which can take exponential time; use a possessive quantifier (a++) or an atomic group (?>...)"
        )


def _check_node(key: str, value: Any, path: str) -> None:
    if key == "$ref":
        if not isinstance(value, str) or not value.startswith("#"):
            raise SchemaRefused(f"{path} is {value!r}: a $ref may only point inside this schema (#/...)")
    elif key == "pattern" and isinstance(value, str):
        check_pattern(value, path)
    elif key == "patternProperties" and isinstance(value, dict):
        for pattern in value:
            check_pattern(pattern, f"{path} key {pattern!r}")


def check_structure(schema: dict[str, Any]) -> None:
    """Size, depth, local `$ref`s only, and safe patterns. Iterative: any input depth is safe to walk."""
    size = len(json.dumps(schema, separators=(",", ":")))
    if size > MAX_SCHEMA_BYTES:
        raise SchemaRefused(f"schema is larger than {MAX_SCHEMA_BYTES // 1024} KiB")
    pending: list[tuple[Any, str, int]] = [(schema, "schema", 1)]
    while pending:
        node, path, depth = pending.pop()
        if depth > MAX_SCHEMA_DEPTH:
            raise SchemaRefused(f"schema nests deeper than {MAX_SCHEMA_DEPTH} levels")
        if isinstance(node, dict):
            for key, value in node.items():
                child_path = f"{path}.{key}"
                _check_node(key, value, child_path)
                if key not in DATA_KEYWORDS:
                    pending.append((value, child_path, depth + 1))
        elif isinstance(node, list):
            pending.extend((item, f"{path}[{index}]", depth + 1) for index, item in enumerate(node))


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _compiled(schema_text: str) -> Validator:
    import fastjsonschema

    return fastjsonschema.compile(json.loads(schema_text), handlers=NO_REMOTE, use_default=False)


def compile_schema(schema: dict[str, Any]) -> Validator:
    """The schema's validator, compiled once per distinct schema; SchemaRefused when it can't be used."""
    import fastjsonschema

    check_structure(schema)
    try:
        return _compiled(json.dumps(schema, sort_keys=True, separators=(",", ":")))
    except SchemaRefused:
        raise
    except fastjsonschema.JsonSchemaDefinitionException as exc:
        raise SchemaRefused(f"schema is not a valid JSON Schema: {exc}") from exc
    except (re.error, RecursionError, SyntaxError, TypeError, AttributeError, ValueError, KeyError) as exc:
        # The compiler turns the schema into Python code; whatever it chokes on is a schema we can't use.
        raise SchemaRefused(f"schema can't be compiled: {type(exc).__name__}: {exc}") from exc


def check_schema(schema: dict[str, Any]) -> None:
    """Refuse a schema that is not local, not bounded, or does not compile, naming why (field `schema`)."""
    try:
        compile_schema(schema)
    except SchemaRefused as refused:
        raise ValidationFailed(str(refused), field="schema") from refused


def check_data(data: dict[str, Any], schema: dict[str, Any] | None, event_type: str = "") -> None:
    """422 naming the failing path, e.g. `data.entity.id must be string`."""
    if schema is None:
        return
    try:
        validator = compile_schema(schema)
    except SchemaRefused as refused:
        # A schema stored before these rules existed: refuse the event rather than reach outside.
        message = f"the schema of event type {event_type or 'this type'} can't be used ({refused}); fix the event type"
        raise ValidationFailed(message, field="type") from refused
    import fastjsonschema

    try:
        validator(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        path = str(exc.name or "data")
        raise ValidationFailed(f"data does not match the event type's schema: {exc.message}", field=path) from exc
    except RecursionError as exc:
        raise ValidationFailed("data nests too deeply to check against the schema", field="data") from exc

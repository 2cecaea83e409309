"""The input rules on their own: URL normalisation, event data walking, schema locality and regex bounds."""

from __future__ import annotations

from unittest.mock import patch

import fastjsonschema
import pytest

from functions.common import schema_check
from functions.common.schema_check import SchemaRefused, check_pattern
from functions.common.validation import InputRefused, json_value_problem, normalise_url


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://hooks.example.com/a?b=c", "https://hooks.example.com/a?b=c"),
        ("HTTPS://Hooks.Example.COM/Path", "https://hooks.example.com/Path"),
        ("http://\u24dbocalhost/x", "http://localhost/x"),
        ("http://127\u30020\u30020\u30021/", "http://127.0.0.1/"),
        ("https://b\u00fccher.de/", "https://xn--bcher-kva.de/"),
        ("https://hooks.example.com/\u00e4?q=\u20ac", "https://hooks.example.com/%C3%A4?q=%E2%82%AC"),
        ("https://[2606:4700::1111]:8443/", "https://[2606:4700::1111]:8443/"),
    ],
)
def test_urls_are_stored_in_the_ascii_form_that_is_sent(given: str, stored: str) -> None:
    assert normalise_url(given) == stored


@pytest.mark.parametrize(
    "url",
    [
        "https://h.example.com/\r\n",
        "https://h.example.com/ x",
        "https://h.example.com/\x00",
        "https://a..b/",
        "https://h\\x/",
    ],
)
def test_urls_with_white_space_controls_or_bad_hosts_are_refused(url: str) -> None:
    with pytest.raises(InputRefused):
        normalise_url(url)


def test_data_of_any_depth_is_walked_without_recursion() -> None:
    # Given data nested far deeper than Python's recursion limit
    data: object = 1
    for _ in range(100_000):
        data = [data]
    # When it is checked, Then the depth rule answers instead of a RecursionError
    assert json_value_problem(data) == ("data", "data nests objects and arrays deeper than 32 levels")


def test_nan_is_named_by_its_path() -> None:
    assert json_value_problem({"a": [{"b": float("nan")}]})[0] == "data.a[0].b"


@pytest.mark.parametrize(
    "ref", ["http://127.0.0.1:9/s.json", "file:///etc/passwd", "other.json", "ftp://x/y", "data:,{}"]
)
def test_the_compiler_never_fetches_even_when_the_structural_check_is_bypassed(ref: str) -> None:
    # Given a schema with a non-local $ref handed straight to the compiler (as a stored schema once was)
    with (
        patch("urllib.request.urlopen", side_effect=AssertionError("fetched")) as urlopen,
        pytest.raises(fastjsonschema.JsonSchemaDefinitionException),
    ):
        # When it is compiled with Hookwire's resolver
        fastjsonschema.compile({"$ref": ref}, handlers=schema_check.NO_REMOTE)
    # Then it is refused and nothing was opened
    urlopen.assert_not_called()


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        ("^[a-z]+$", False),
        ("(a|b)*c", False),
        ("(\\d{1,3}\\.){3}\\d{1,3}", False),
        ("(\\w++\\.)*\\w+", False),  # possessive: never backtracks
        ("(?>a+)+", False),  # atomic group
        ("(a+)+$", True),
        ("(a*)*", True),
        ("(\\w+\\.)*\\w+", True),
        ("(a{2,})+", True),
        ("((a|b)+x)+", True),
        ("(a)\\1", True),
        ("((", True),
        ("a" * 1001, True),
    ],
)
def test_patterns_that_cant_be_matched_in_bounded_time_are_refused(pattern: str, refused: bool) -> None:
    if refused:
        with pytest.raises(SchemaRefused):
            check_pattern(pattern, "pattern")
    else:
        check_pattern(pattern, "pattern")


def test_compiled_validators_are_cached_per_schema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    assert schema_check.compile_schema(schema) is schema_check.compile_schema(dict(schema))

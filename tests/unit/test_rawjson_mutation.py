"""Raw-JSON edges the mutation run showed untested: compact documents (what producers usually send),
white space around the document, documents that end early, and the exact signed envelope bytes."""

from __future__ import annotations

import base64

import pytest

from functions.common.rawjson import envelope, raw_member
from functions.common.signing import signature

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ('{"data":{"a":[1,2]}}', '{"a":[1,2]}'),
        ('{"id":"evt_1","data":12,"type":"x"}', "12"),
        ('{"data":"x","data":"last"}', '"last"'),  # the last duplicate wins, as in json.loads
        ('{"type":"x","data":[]}', "[]"),
        ('{"data":null}', "null"),
    ],
)
def test_compact_json_yields_the_exact_member_text(document: str, expected: str) -> None:
    # Given a document with no white space after its separators
    # When `data` is sliced out
    # Then it is exactly the member's source text
    assert raw_member(document, "data") == expected


@pytest.mark.parametrize(
    "document",
    [
        ' \t\r\n{"data": {"a": 1}}',
        '{"data": {"a": 1}} \n',
        '\n  {\n  "data" :\t{"a": 1}\n}\n\n',
    ],
)
def test_white_space_around_the_document_is_skipped(document: str) -> None:
    # Given a document with white space before and/or after the object
    # When `data` is sliced out
    # Then the member's text is found, without the surrounding white space
    assert raw_member(document, "data") == '{"a": 1}'


@pytest.mark.parametrize("document", ["", "   \n", "[]", '"data"', ' ["data"]'])
def test_a_document_that_is_not_an_object_has_no_member(document: str) -> None:
    # Given an empty document, white space only, or a JSON value that is not an object
    # When `data` is looked up
    # Then there is none
    assert raw_member(document, "data") is None


@pytest.mark.parametrize(
    ("document", "expected"),
    [('{"data": [1, 2]', "[1, 2]"), ('{"id": "e", "data": 1  ', "1"), ('{"data":true,', "true")],
)
def test_a_document_that_ends_early_yields_what_was_read(document: str, expected: str) -> None:
    # Given a document cut short after a member (no closing brace)
    # When `data` is sliced out
    # Then reading stops at the end of the text and the member read is returned
    assert raw_member(document, "data") == expected


def test_the_signed_envelope_bytes_are_exactly_the_golden_bytes() -> None:
    # Given an event whose data was published with its own spacing
    body = envelope("evt_1", "order.status.changed", "2026-01-01T00:00:00.000Z", '{"b":2, "a":[1,2]}').encode()
    # When it is wrapped and signed
    signed = signature(SECRET, "evt_1", 1767225600, body)
    # Then the envelope is compact around Hookwire's fields, keeps data byte for byte, and signs to the same value
    assert body == (
        b'{"id":"evt_1","type":"order.status.changed","timestamp":"2026-01-01T00:00:00.000Z","data":{"b":2, "a":[1,2]}}'
    )
    assert signed == "v1,6jM0LQRIylnXVYNamjZZjfHkQFRZ/h1IhOQEQjjJDbs="


def test_envelope_fields_are_json_escaped() -> None:
    # Given an id with a quote and a non-ASCII character
    # When it is wrapped
    # Then the field is escaped as json.dumps does (ASCII only), and data is spliced in as given
    assert envelope('evt_é"x', "t", "ts", "null") == '{"id":"evt_\\u00e9\\"x","type":"t","timestamp":"ts","data":null}'

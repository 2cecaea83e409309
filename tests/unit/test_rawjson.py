import json

import pytest

from functions.common.rawjson import envelope, raw_member


@pytest.mark.parametrize(
    "data",
    [
        '{"a": 1}',
        '{\n  "nested": {"x": [1, 2, {"y": "}"}]},\n  "unicode": "caf\\u00e9 é"\n}',
        "{}",
        '{"s": "a \\" quote, a comma, a } brace"}',
    ],
)
def test_raw_member_returns_the_exact_source_text(data: str) -> None:
    document = '{ "type" : "x.y",\n "data" :  ' + data + ' , "id": "evt_1" }'
    assert raw_member(document, "data") == data


def test_raw_member_absent_or_not_an_object() -> None:
    assert raw_member('{"type": "x"}', "data") is None
    assert raw_member("[1, 2]", "data") is None


def test_envelope_is_valid_json_and_keeps_data_bytes() -> None:
    data = '{\n  "b": 2,   "a": 1\n}'
    body = envelope("evt_1", "order.status.changed", "2026-01-01T00:00:00.000Z", data)
    parsed = json.loads(body)
    assert parsed == {
        "id": "evt_1",
        "type": "order.status.changed",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "data": {"b": 2, "a": 1},
    }
    assert body.endswith('"data":' + data + "}")

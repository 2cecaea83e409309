"""docs/openapi.json is generated from the code: fail when they drift (run `make openapi` to refresh)."""

from functions.api.openapi import DOCUMENT, openapi_document, render


def test_committed_openapi_matches_the_code() -> None:
    assert DOCUMENT.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_route_is_documented_with_its_errors() -> None:
    import json

    document = json.loads(render())
    assert len(document["paths"]) == 29
    assert document["paths"]["/portal/sessions/exchange"]["post"]["security"] == []
    assert "201" in document["paths"]["/portal/sessions"]["post"]["responses"]
    create = document["paths"]["/hooks"]["post"]
    assert {"201", "401", "404", "422"} <= set(create["responses"])
    assert document["paths"]["/health"]["get"]["security"] == []


def test_the_api_reference_lists_every_operation_of_the_document() -> None:
    # Given docs/api.md and the OpenAPI document generated from the code
    from pathlib import Path

    reference = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    # Then every operation has its row
    missing = [
        f"{method.upper()} {path}"
        for path, methods in openapi_document()["paths"].items()
        for method in methods
        if f"| `{method.upper()} {path}` |" not in reference
    ]
    assert missing == [], f"add these to docs/api.md's Operations table: {missing}"

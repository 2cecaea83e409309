"""docs/openapi.json is generated from the code: fail when they drift (run `make openapi` to refresh)."""

from functions.api.openapi import DOCUMENT, render


def test_committed_openapi_matches_the_code() -> None:
    assert DOCUMENT.read_text() == render(), "docs/openapi.json is stale: run `make openapi`"


def test_every_route_is_documented_with_its_errors() -> None:
    import json

    document = json.loads(render())
    assert len(document["paths"]) == 25
    assert document["paths"]["/portal/sessions/exchange"]["post"]["security"] == []
    assert "201" in document["paths"]["/portal/sessions"]["post"]["responses"]
    create = document["paths"]["/hooks"]["post"]
    assert {"201", "401", "404", "422"} <= set(create["responses"])
    assert document["paths"]["/health"]["get"]["security"] == []

import json
from pathlib import Path

import pytest

from functions.common.catalog import CatalogError, catalog_files, load_catalog
from hookwire.local.runtime import DEFAULT_CATALOG_DIR

EXPECTED = {"suittracker.json": 29, "organisations.json": 6, "crm.json": 26, "tracktile.json": 1}


@pytest.mark.parametrize(("name", "count"), EXPECTED.items())
def test_each_seed_catalogue_has_every_event_key_of_its_page(name: str, count: int) -> None:
    assert len(load_catalog([DEFAULT_CATALOG_DIR / name])) == count


def test_default_loads_all_four_without_clashes() -> None:
    types = load_catalog(catalog_files("", DEFAULT_CATALOG_DIR))
    assert len(types) == sum(EXPECTED.values())
    names = {t.type for t in types}
    assert {"CUSTOMER_CREATE", "organisations.created", "form.response.created", "order.status.changed"} <= names


def test_a_type_in_two_files_is_an_error(tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps({"event_types": [{"type": "x.y"}]}))
    with pytest.raises(CatalogError, match=r"x\.y is in both"):
        load_catalog(catalog_files(str(tmp_path), tmp_path))


def test_missing_catalogue_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="does not exist"):
        catalog_files(str(tmp_path / "nope.json"), tmp_path)


def test_a_catalogue_schema_that_reaches_outside_is_refused(tmp_path: Path) -> None:
    # Given a catalogue file whose schema has a remote $ref
    path = tmp_path / "remote.json"
    schema = {"$ref": "http://127.0.0.1:9/s.json"}
    path.write_text(json.dumps({"product": "p", "event_types": [{"type": "p.created", "schema": schema}]}))
    # When it is loaded, Then it is refused naming the type
    with pytest.raises(CatalogError, match=r"p\.created"):
        load_catalog([path])


def test_every_seed_sample_is_the_example_of_its_catalogued_type() -> None:
    # Given the seed pages' samples (samples/all) and the shipped catalogues
    samples = Path(__file__).resolve().parents[2] / "samples" / "all"
    catalogue = {t.type: t for t in load_catalog(catalog_files("", DEFAULT_CATALOG_DIR))}
    # Then each sample is byte-for-byte-equal JSON to the example its type carries
    for entry in json.loads((samples / "index.json").read_text()):
        assert catalogue[entry["type"]].example == json.loads((samples / entry["file"]).read_text()), entry
    assert sum(t.example is not None for t in catalogue.values()) == 17

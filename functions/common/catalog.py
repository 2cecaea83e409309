"""Event-type catalogue files: `{"product": ..., "event_types": [{"type", "description", "category", "schema"?}]}`."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from functions.common.models import EventType
from functions.common.schema_check import SchemaRefused, compile_schema


class CatalogFile(BaseModel):
    product: str = ""
    event_types: list[EventType]


class CatalogError(ValueError):
    pass


def catalog_files(spec: str, default_dir: Path) -> list[Path]:
    """`spec` is a comma-separated list of files or folders (every *.json inside); empty means `default_dir`."""
    paths: list[Path] = []
    for part in (p.strip() for p in (spec or str(default_dir)).split(",")):
        if not part:
            continue
        path = Path(part)
        if path.is_dir():
            paths.extend(sorted(path.glob("*.json")))
        elif path.is_file():
            paths.append(path)
        else:
            raise CatalogError(f"catalogue {part} does not exist")
    return paths


def load_catalog(files: Iterable[Path]) -> list[EventType]:
    """All event types of the given files; the same type in two files is an error, not a silent override, and
    so is a schema the API would refuse (the seeder bypasses the API)."""
    seen: dict[str, Path] = {}
    types: list[EventType] = []
    for path in files:
        try:
            catalog = CatalogFile.model_validate(json.loads(path.read_text()))
        except (ValidationError, json.JSONDecodeError) as exc:
            raise CatalogError(f"{path}: {exc}") from exc
        for event_type in catalog.event_types:
            if event_type.json_schema is not None:
                try:
                    compile_schema(event_type.json_schema)
                except SchemaRefused as refused:
                    raise CatalogError(f"{path}: {event_type.type}: {refused}") from refused
            if event_type.type in seen:
                raise CatalogError(f"{event_type.type} is in both {seen[event_type.type]} and {path}")
            seen[event_type.type] = path
            types.append(event_type)
    return types

"""JSON Schema checks for event data, via Powertools validation (fastjsonschema ships in its layer)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.validation import validate
from aws_lambda_powertools.utilities.validation.exceptions import (
    InvalidSchemaFormatError,
    SchemaValidationError,
)

from functions.common.errors import ValidationFailed


def check_schema(schema: dict[str, Any]) -> None:
    """Refuse a schema that does not compile, naming why."""
    try:
        validate(event={}, schema=schema)
    except InvalidSchemaFormatError as exc:
        raise ValidationFailed(f"schema is not a valid JSON Schema: {exc}", field="schema") from exc
    except SchemaValidationError:
        pass  # the schema compiled; `{}` simply doesn't satisfy it


def check_data(data: dict[str, Any], schema: dict[str, Any] | None) -> None:
    """422 naming the failing path, e.g. `data.entity.id must be string`."""
    if schema is None:
        return
    try:
        validate(event=data, schema=schema)
    except SchemaValidationError as exc:
        path = str(exc.name or "data")
        detail = str(exc.message).split("Error: ", 1)[-1].split(", Path:", 1)[0]
        raise ValidationFailed(f"data does not match the event type's schema: {detail}", field=path) from exc

"""A cold start imports what its function's requests need, not what other functions or unused features do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Never needed at import: X-Ray with tracing off, Powertools' parser models (pulled in by the batch utility
# when pydantic is imported first), the JSON Schema compiler, the OpenAPI generator, other functions' code.
NOT_AT_IMPORT = {
    "functions.api.handler": [
        "aws_xray_sdk.core",
        "aws_lambda_powertools.utilities.parser.models",
        "fastjsonschema",
        "functions.api.openapi",
        "functions.fanout.logic",
    ],
    "functions.fanout.handler": [
        "aws_xray_sdk.core",
        "aws_lambda_powertools.utilities.parser.models",
        "fastjsonschema",
        "functions.api.schemas",
        "functions.deliver.logic",
    ],
    "functions.deliver.handler": [
        "aws_xray_sdk.core",
        "aws_lambda_powertools.utilities.parser.models",
        "fastjsonschema",
        "functions.api.schemas",
        "functions.fanout.logic",
    ],
}


@pytest.mark.parametrize("handler", NOT_AT_IMPORT)
def test_a_handler_imports_nothing_its_cold_path_does_not_use(handler: str) -> None:
    # Given a fresh interpreter with tracing off, as a function runs with tracing disabled
    env = {
        **os.environ,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": str(ROOT),
    }
    script = f"import sys, json, {handler}; print(json.dumps(sorted(sys.modules)))"
    # When it imports the handler
    loaded = set(
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=ROOT
            ).stdout
        )
    )
    # Then none of the modules its requests never need is loaded
    assert sorted(loaded & set(NOT_AT_IMPORT[handler])) == []

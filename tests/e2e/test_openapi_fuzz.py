"""schemathesis against the local runtime with a tenant token: no 5xx, no answer that breaks the schema."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from functions.api.openapi import openapi_document
from hookwire.local.runtime import LocalRuntime

pytestmark = pytest.mark.slow
schema = schemathesis.openapi.from_dict(openapi_document())
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


# One pytest item per operation, each with its own node id. schema.parametrize() gives all 24 the same node
# id, and pytest-xdist, which schedules by node id, then runs one of them.
OPERATIONS = {result.ok().label: result.ok() for result in schema.get_all_operations()}


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_api_conforms_to_its_openapi_document(label: str, runtime: LocalRuntime, tenant_client: Any) -> None:
    """Fuzzed hook URLs name random hosts: the runtime's functions answer every lookup with NXDOMAIN
    (`worker_init` in conftest), so no real resolver is asked."""
    headers = {"Authorization": f"Bearer {tenant_client.token}"}

    @given(case=OPERATIONS[label].as_strategy())
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def conforms(case: Any) -> None:
        response = case.call(base_url=runtime.url, headers=headers)
        case.validate_response(response, checks=CHECKS)

    conforms()


def test_every_operation_of_the_document_is_fuzzed() -> None:
    paths = openapi_document()["paths"]
    assert len(OPERATIONS) == sum(len(methods) for methods in paths.values()) >= 24

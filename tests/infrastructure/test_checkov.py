"""checkov's findings are fixed or skipped with a reason; the API's concurrency is reserved; limits reach the API."""

import json

import pytest
from aws_cdk.assertions import Match

from infra.scan import CHECKOV, scan
from tests.infrastructure.conftest import synth


def _resources(template, kind: str) -> dict:
    return template.find_resources(kind)


def _api_function(template) -> dict:
    functions = _resources(template, "AWS::Lambda::Function")
    return next(f for name, f in functions.items() if name.startswith("ApiFunction"))


def test_the_api_function_has_reserved_concurrency_and_the_consumers_are_capped(template) -> None:
    assert _api_function(template)["Properties"]["ReservedConcurrentExecutions"] == 20
    mappings = _resources(template, "AWS::Lambda::EventSourceMapping").values()
    # (the dead-letter recorder drains three DLQs, at most 2 at once each; deliver drains two queues)
    assert sorted(m["Properties"]["ScalingConfig"]["MaximumConcurrency"] for m in mappings) == [2, 2, 2, 20, 20, 50]


def test_abuse_limits_and_the_concurrency_they_are_split_over_reach_the_api(template) -> None:
    environment = _api_function(template)["Properties"]["Environment"]["Variables"]
    assert environment["HOOKWIRE_TENANT_PUBLISH_RATE"] == "200.0"
    assert environment["HOOKWIRE_API_CONCURRENCY"] == "20"
    assert environment["HOOKWIRE_MAX_HOOKS_PER_TENANT"] == "100"


def test_limits_and_reservation_come_from_context_and_zero_reservation_is_explained() -> None:
    # Given an account whose concurrency quota can't spare a reservation
    template = synth({"api_reserved_concurrency": "0", "tenant_publish_rate": "50", "max_hooks_per_tenant": "10"})
    api = _api_function(template)
    # Then nothing is reserved, the skip says why, and the limits are the configured ones
    assert "ReservedConcurrentExecutions" not in api["Properties"]
    skips = {skip["id"]: skip["comment"] for skip in api["Metadata"]["checkov"]["skip"]}
    assert "api_reserved_concurrency=0" in skips["CKV_AWS_115"]
    assert api["Properties"]["Environment"]["Variables"]["HOOKWIRE_TENANT_PUBLISH_RATE"] == "50.0"
    assert api["Properties"]["Environment"]["Variables"]["HOOKWIRE_MAX_HOOKS_PER_TENANT"] == "10"


def test_the_admin_secret_is_encrypted_with_the_stacks_key(template) -> None:
    template.has_resource_properties("AWS::SecretsManager::Secret", {"KmsKeyId": Match.object_like({})})


def test_every_checkov_skip_in_the_template_has_a_reason(template) -> None:
    skips = [
        skip
        for resource in template.to_json()["Resources"].values()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert len(skips) >= 20
    assert all(skip["id"].startswith("CKV_AWS_") and len(skip["comment"]) > 40 for skip in skips)


@pytest.mark.skipif(not CHECKOV.exists(), reason="checkov's virtualenv is missing: `make scan` creates it")
def test_checkov_finds_nothing_unexplained(tmp_path, template) -> None:
    # Given the synthesized template
    path = tmp_path / "Hookwire.template.json"
    path.write_text(json.dumps(template.to_json()))
    # When checkov scans it, then no check fails and every skip carries its reason
    report = scan(path)
    failed = [f"{check['check_id']} {check['resource']}" for check in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 100
    assert all(check["check_result"]["suppress_comment"] for check in report["results"]["skipped_checks"])

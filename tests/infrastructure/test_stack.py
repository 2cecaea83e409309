"""The synthesised template: resources, event sources, queue settings, runtime, permissions."""

import json

import pytest
from aws_cdk.assertions import Match

from functions.common import contract
from functions.common.contract import Env
from infra import constants
from tests.infrastructure.conftest import synth


def _resources(template, kind):
    return template.find_resources(kind)


def test_the_stack_has_every_capability(template) -> None:
    template.resource_count_is("AWS::ApiGatewayV2::Api", 1)
    template.resource_count_is("AWS::DynamoDB::GlobalTable", 2)
    template.resource_count_is("AWS::SQS::Queue", 4)
    template.resource_count_is("AWS::Lambda::EventSourceMapping", 4)  # two work queues, two DLQs
    template.resource_count_is("AWS::SecretsManager::Secret", 1)
    template.resource_count_is("AWS::CloudFormation::CustomResource", 1)
    outputs = template.to_json()["Outputs"]
    assert {"ApiUrl", "AdminSecretArn"} <= set(outputs)


def test_event_sources_report_batch_item_failures(template) -> None:
    template.all_resources_properties(
        "AWS::Lambda::EventSourceMapping",
        {"FunctionResponseTypes": ["ReportBatchItemFailures"], "BatchSize": 10},
    )


def test_every_work_queue_has_a_dlq_and_visibility_at_least_six_times_the_function_timeout(template) -> None:
    functions = _resources(template, "AWS::Lambda::Function")
    timeouts = {props["Properties"].get("Timeout") for props in functions.values()}
    queues = [q for q in _resources(template, "AWS::SQS::Queue").values() if "RedrivePolicy" in q["Properties"]]
    assert len(queues) == 2
    for queue in queues:
        props = queue["Properties"]
        assert props["RedrivePolicy"]["maxReceiveCount"] == contract.DELIVERIES_CONSUMER.max_receive_count
        assert props["VisibilityTimeout"] >= 6 * max(t for t in timeouts if t and t <= 60)


def test_functions_are_arm64_python313_with_the_powertools_layer_tracing_and_json_logs(template) -> None:
    functions = _resources(template, "AWS::Lambda::Function")
    ours = {k: v for k, v in functions.items() if v["Properties"].get("Handler", "").startswith("functions.")}
    assert len(ours) == 5
    for props in (f["Properties"] for f in ours.values()):
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.13"
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        layer = json.dumps(props["Layers"])
        assert f"{constants.POWERTOOLS_LAYER_NAME}:{constants.POWERTOOLS_LAYER_VERSION}" in layer


def test_log_groups_have_retention(template) -> None:
    for group in _resources(template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == 30


def test_executions_expire_through_ttl(template) -> None:
    template.has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {
            "TimeToLiveSpecification": {"AttributeName": contract.EXECUTIONS_TABLE.ttl_attribute, "Enabled": True},
            "GlobalSecondaryIndexes": Match.array_with(
                [Match.object_like({"IndexName": contract.EXECUTIONS_TABLE.index_name})]
            ),
        },
    )


def test_no_iam_action_is_a_wildcard(template) -> None:
    for policy in _resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                assert action != "*" and not action.endswith(":*"), action


def test_deliver_can_only_write_executions_in_batches(template) -> None:
    policies = _resources(template, "AWS::IAM::Policy")
    deliver = next(p for name, p in policies.items() if name.startswith("PipelineDeliver"))
    actions = {
        a
        for s in deliver["Properties"]["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert "dynamodb:DeleteItem" not in actions and "dynamodb:Scan" not in actions
    assert "dynamodb:BatchWriteItem" in actions


def test_the_dead_letter_recorder_drains_both_dlqs_with_least_privilege(template) -> None:
    # Given the synthesised stack
    functions = _resources(template, "AWS::Lambda::Function")
    recorder = next(n for n, f in functions.items() if f["Properties"].get("Handler") == constants.DEAD_LETTERS_HANDLER)
    queues = _resources(template, "AWS::SQS::Queue")
    dlqs = {name for name, q in queues.items() if "RedrivePolicy" not in q["Properties"]}
    # Then its event sources are exactly the two DLQs
    mappings = [
        m["Properties"]
        for m in _resources(template, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": recorder}
    ]
    assert sorted(m["EventSourceArn"]["Fn::GetAtt"][0] for m in mappings) == sorted(dlqs)
    # And a kept letter is looked at again only after hours
    for name in dlqs:
        assert queues[name]["Properties"]["VisibilityTimeout"] == contract.DLQ_VISIBILITY_TIMEOUT_SECONDS
    # And its role may read events, mark them, and batch-write executions: nothing else on DynamoDB, no sends
    policies = _resources(template, "AWS::IAM::Policy")
    policy = next(p for name, p in policies.items() if name.startswith("PipelineDeadLetters"))
    actions = {
        a
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {a for a in actions if a.startswith("dynamodb:")} == {
        "dynamodb:BatchGetItem",
        "dynamodb:UpdateItem",
        "dynamodb:BatchWriteItem",
    }
    assert not any(a.startswith(("sqs:Send", "kms:")) for a in actions)


def test_api_stage_is_throttled(template) -> None:
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {"DefaultRouteSettings": Match.object_like({"ThrottlingRateLimit": constants.API_THROTTLE_RATE})},
    )


def test_deploy_configuration_reaches_the_functions() -> None:
    template = synth({"retry_schedule": "1m,1h", "delivery_timeout_seconds": "5", "allow_http": "true"})
    functions = _resources(template, "AWS::Lambda::Function").values()
    deliver = next(f for f in functions if f["Properties"].get("Handler") == constants.DELIVER_HANDLER)
    env = deliver["Properties"]["Environment"]["Variables"]
    assert (
        env[Env.RETRY_SCHEDULE] == "1m,1h"
        and env[Env.DELIVERY_TIMEOUT_SECONDS] == "5.0"
        and env[Env.ALLOW_HTTP] == "true"
    )


def test_a_bad_schedule_fails_the_synth() -> None:
    with pytest.raises(ValueError, match="duration"):
        synth({"retry_schedule": "soon"})

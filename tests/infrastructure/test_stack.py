"""The synthesised template: resources, event sources, queue settings, runtime, permissions."""

import json
import re
from pathlib import Path

import pytest
from aws_cdk import App, Environment
from aws_cdk.assertions import Match, Template
from aws_lambda_powertools.shared import version as powertools_version

from functions.common import contract
from functions.common.contract import Env
from infra import constants
from infra.config import DeployConfig
from infra.stack import HookwireStack
from tests.infrastructure.conftest import synth

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements.txt"
# The $context variables API Gateway documents for HTTP API access logs (a subset; REST-only ones excluded).
HTTP_API_VARIABLES = {
    "$context.requestId",
    "$context.identity.sourceIp",
    "$context.requestTime",
    "$context.httpMethod",
    "$context.routeKey",
    "$context.path",
    "$context.status",
    "$context.protocol",
    "$context.responseLength",
    "$context.responseLatency",
    "$context.integrationLatency",
    "$context.integrationErrorMessage",
}


def _resources(template, kind):
    return template.find_resources(kind)


def test_the_stack_has_every_capability(template) -> None:
    template.resource_count_is("AWS::ApiGatewayV2::Api", 1)
    template.resource_count_is("AWS::DynamoDB::GlobalTable", 2)
    template.resource_count_is("AWS::SQS::Queue", 6)
    template.resource_count_is("AWS::Lambda::EventSourceMapping", 6)  # three work queues, three DLQs
    template.resource_count_is("AWS::SecretsManager::Secret", 1)
    template.resource_count_is("AWS::CloudFormation::CustomResource", 1)
    outputs = template.to_json()["Outputs"]
    assert {"ApiUrl", "AdminSecretArn"} <= set(outputs)


def test_event_sources_report_batch_item_failures_and_fill_batches_in_a_window(template) -> None:
    mappings = [m["Properties"] for m in _resources(template, "AWS::Lambda::EventSourceMapping").values()]
    assert all(props["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for props in mappings)
    # The FIFO deliveries queue: one message per invocation; the events queue: batches above 10
    batch_sizes = sorted(props["BatchSize"] for props in mappings)
    assert batch_sizes == [1, 10, 10, 10, 10, contract.EVENTS_CONSUMER.batch_size]
    # A window lets the event source fill batches under load (batches above 10 need one); FIFO queues take none
    windows = sorted(props.get("MaximumBatchingWindowInSeconds", 0) for props in mappings)
    assert windows == [0, 0, 1, 1, 1, 1]


def test_the_ordered_deliveries_queue_and_its_dlq_are_fifo_with_explicit_deduplication(template) -> None:
    fifo = [
        q["Properties"] for q in _resources(template, "AWS::SQS::Queue").values() if q["Properties"].get("FifoQueue")
    ]
    assert len(fifo) == 2
    assert all(q["ContentBasedDeduplication"] is False for q in fifo)
    [work] = [q for q in fifo if "RedrivePolicy" in q]
    assert work["RedrivePolicy"]["maxReceiveCount"] == contract.ORDERED_DELIVERIES_CONSUMER.max_receive_count


def test_every_work_queue_has_a_dlq_and_visibility_at_least_six_times_the_function_timeout(template) -> None:
    functions = _resources(template, "AWS::Lambda::Function")
    timeouts = {props["Properties"].get("Timeout") for props in functions.values()}
    queues = [q for q in _resources(template, "AWS::SQS::Queue").values() if "RedrivePolicy" in q["Properties"]]
    assert len(queues) == 3
    for queue in queues:
        props = queue["Properties"]
        assert props["RedrivePolicy"]["maxReceiveCount"] >= contract.DELIVERIES_CONSUMER.max_receive_count
        assert props["VisibilityTimeout"] >= 6 * max(t for t in timeouts if t and t <= 60)


def test_functions_are_arm64_python313_with_the_powertools_layer_and_json_logs_without_platform_lines(template) -> None:
    functions = _resources(template, "AWS::Lambda::Function")
    ours = {k: v for k, v in functions.items() if v["Properties"].get("Handler", "").startswith("functions.")}
    assert len(ours) == 5
    for props in (f["Properties"] for f in ours.values()):
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == "python3.13"
        # Tracing is off unless deployed with `-c tracing=true` (docs/cost.md); Powertools is told so too
        assert "TracingConfig" not in props or props["TracingConfig"] == {"Mode": "PassThrough"}
        assert props["Environment"]["Variables"]["POWERTOOLS_TRACE_DISABLED"] == "true"
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["LoggingConfig"]["SystemLogLevel"] == "WARN"
        assert props["LoggingConfig"]["ApplicationLogLevel"] == "INFO"
        assert props["Layers"] == [{"Ref": _powertools_parameter(template)}]


def _powertools_parameter(template) -> str:
    """The logical id of the deploy-time SSM parameter that resolves to the Powertools layer ARN."""
    (name,) = [
        name
        for name, parameter in template.to_json()["Parameters"].items()
        if parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
        and parameter["Default"].startswith("/aws/service/powertools/")
    ]
    return name


def test_the_deployed_powertools_layer_is_the_release_requirements_txt_pins(template) -> None:
    # Given the Powertools pin in requirements.txt (and the package the tests import)
    pinned = re.search(r"^aws-lambda-powertools\[[^\]]*\]==(\S+)", REQUIREMENTS.read_text(), re.MULTILINE).group(1)
    assert pinned == powertools_version.VERSION
    # When the stack is synthesized
    parameter = template.to_json()["Parameters"][_powertools_parameter(template)]
    # Then the layer comes from that release's versioned SSM parameter, for arm64 and Python 3.13
    assert parameter["Default"] == f"/aws/service/powertools/python/arm64/python3.13/{pinned}"


def test_an_explicit_layer_arn_overrides_the_parameter() -> None:
    arn = "arn:aws-cn:lambda:cn-north-1:498634801083:layer:AWSLambdaPowertoolsPythonV3-python313-arm64:28"
    functions = _resources(synth({"powertools_layer_arn": arn}), "AWS::Lambda::Function").values()
    ours = [f for f in functions if f["Properties"].get("Handler", "").startswith("functions.")]
    assert ours and all(f["Properties"]["Layers"] == [arn] for f in ours)


def test_no_arn_in_the_template_spells_out_a_partition(template) -> None:
    assert "arn:aws:" not in json.dumps(template.to_json())


def test_no_function_runs_on_an_end_of_life_node_runtime() -> None:
    # Given the stack bound to a region, where aws-cdk-lib takes the provider runtime from a region fact
    app = App()
    stack = HookwireStack(app, "Hookwire", config=DeployConfig(), env=Environment(region="us-gov-west-1"))
    functions = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    node = [f["Properties"]["Runtime"] for f in functions if f["Properties"]["Runtime"].startswith("nodejs")]
    # Then the custom-resource provider runs on the supported runtime we pin
    assert node == [constants.CDK_NODE_RUNTIME]


def test_access_logs_use_only_http_api_context_variables(template) -> None:
    (stage,) = _resources(template, "AWS::ApiGatewayV2::Stage").values()
    fields = json.loads(stage["Properties"]["AccessLogSettings"]["Format"])
    variables = set(fields.values())
    assert variables <= HTTP_API_VARIABLES, variables - HTTP_API_VARIABLES
    assert {"$context.routeKey", "$context.status", "$context.requestId"} <= variables


def test_log_groups_have_retention(template) -> None:
    for group in _resources(template, "AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == 30


def test_executions_expire_through_ttl_and_have_no_index(template) -> None:
    """Given the stack, then the executions table expires items through TTL and carries no GSI: an
    attempt costs one write, with no index copy (GET /events/{id} reads key ranges of the base table)."""
    tables = _resources(template, "AWS::DynamoDB::GlobalTable").values()
    ttl = {"AttributeName": contract.EXECUTIONS_TABLE.ttl_attribute, "Enabled": True}
    assert [t for t in tables if t["Properties"].get("TimeToLiveSpecification") == ttl]
    assert all("GlobalSecondaryIndexes" not in t["Properties"] for t in tables)


def test_no_iam_action_is_a_wildcard(template) -> None:
    for policy in _resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in actions:
                assert action != "*" and not action.endswith(":*"), action


def test_deliver_can_only_write_executions_in_batches(template) -> None:
    """Given the stack, then deliver's only right on the executions table is BatchWriteItem, it never scans,
    and the one DeleteItem it has is on the subscriptions table (disabling a hook removes its routes)."""
    policies = _resources(template, "AWS::IAM::Policy")
    deliver = next(p for name, p in policies.items() if name.startswith("PipelineDeliver"))
    actions_by_resource: dict[str, set[str]] = {}
    for statement in deliver["Properties"]["PolicyDocument"]["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        actions_by_resource.setdefault(json.dumps(statement["Resource"]), set()).update(actions)
    executions = {a for r, acts in actions_by_resource.items() if "StorageExecutions" in r for a in acts}
    deleting = [r for r, acts in actions_by_resource.items() if "dynamodb:DeleteItem" in acts]
    assert executions == {"dynamodb:BatchWriteItem"}
    assert all("StorageSubscriptions" in r for r in deleting)
    assert not any("dynamodb:Scan" in acts for acts in actions_by_resource.values())


def test_the_dead_letter_recorder_drains_every_dlq_with_least_privilege(template) -> None:
    # Given the synthesised stack
    functions = _resources(template, "AWS::Lambda::Function")
    recorder = next(n for n, f in functions.items() if f["Properties"].get("Handler") == constants.DEAD_LETTERS_HANDLER)
    queues = _resources(template, "AWS::SQS::Queue")
    dlqs = {name for name, q in queues.items() if "RedrivePolicy" not in q["Properties"]}
    # Then its event sources are exactly the DLQs
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

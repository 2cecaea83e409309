"""Each function's role grants exactly the AWS actions its code calls, on the resources it calls them on.

The functions run every API route and every pipeline path against moto while a botocore hook records each
call, attributed to the function being invoked; the recording is compared with the synthesized IAM
policies both ways: a call without a grant fails on AWS, a grant without a call is privilege to remove.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack

from functions.common import recovery as recovery_worker
from functions.common.dal.clients import aws
from functions.common.delivery.factory import shared_destination_senders
from hookwire.local import lambda_emulation
from hookwire.local.provision import Provisioned
from hookwire.receiver import Receiver, always
from infra import constants
from infra.config import DeployConfig
from infra.stack import DESTINATION_ROLES, HookwireStack
from tests.conftest import ADMIN_TOKEN, InProcessApi, Pipeline, create_hook, publish

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = {
    "api": constants.API_HANDLER,
    "fanout": constants.FANOUT_HANDLER,
    "deliver": constants.DELIVER_HANDLER,
    "seed": constants.SEED_HANDLER,
    "dlq": constants.DEAD_LETTERS_HANDLER,
}
# Granted for the Lambda service, not for our code: log delivery, X-Ray segments, the SQS event source's polling.
PLATFORM_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
EVENT_SOURCE_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
}
# IAM authorizes a transaction item by item, and a batch send as SendMessage.
TRANSACT_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Delete": "dynamodb:DeleteItem",
    "Update": "dynamodb:UpdateItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
IAM_ACTION_OF = {"sqs:SendMessageBatch": "sqs:SendMessage"}

Grants = dict[str, set[tuple[str, str]]]  # function -> {(resource label, IAM action)}


@dataclass
class CallRecorder:
    """botocore `before-parameter-build` hook on every client; the invoker says which function is running."""

    resources: dict[str, str]
    current: str | None = None
    calls: Grants = field(default_factory=lambda: defaultdict(set))

    def hook(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.current is None:  # the test's own setup and the emulated event source, not a function
            return
        service = model.service_model.signing_name
        for label, action in self._actions(service, model.name, params):
            self.calls[self.current].add((label, action))

    def _label(self, service: str, params: dict[str, Any]) -> str:
        for name in ("TableName", "QueueUrl"):
            if name in params:
                return self.resources[params[name]]
        return service  # one KMS key, one secret

    def _actions(self, service: str, operation: str, params: dict[str, Any]) -> Iterator[tuple[str, str]]:
        if operation == "TransactWriteItems":
            for item in params["TransactItems"]:
                ((kind, body),) = item.items()
                yield self.resources[body["TableName"]], TRANSACT_ITEM_ACTIONS[kind]
            return
        action = f"{service}:{operation}"
        action = IAM_ACTION_OF.get(action, action)
        if operation in ("BatchWriteItem", "BatchGetItem"):
            for table in params["RequestItems"]:
                yield self.resources[table], action
            return
        label = self._label(service, params)
        yield label, action
        if "IndexName" in params:
            yield f"{label}/index/{params['IndexName']}", action


@pytest.fixture
def recorder(aws_env: Provisioned, monkeypatch: pytest.MonkeyPatch) -> CallRecorder:
    recorder = CallRecorder(
        resources={
            aws_env.subscriptions_table: "subscriptions",
            aws_env.executions_table: "executions",
            aws_env.events_queue_url: "events queue",
            aws_env.deliveries_queue_url: "deliveries queue",
            aws_env.ordered_deliveries_queue_url: "ordered deliveries queue",
        }
    )
    hooked: set[int] = set()
    plain_get = aws.get

    def get_hooked(service: str) -> Any:
        client = plain_get(service)
        if id(client) not in hooked:
            hooked.add(id(client))
            client.meta.events.register("before-parameter-build", recorder.hook)
        return client

    monkeypatch.setattr(aws, "get", get_hooked)
    plain_call = lambda_emulation.SerialInvoker.__call__

    def call_as_function(invoker: lambda_emulation.SerialInvoker, event: dict[str, Any]) -> dict[str, Any]:
        recorder.current = invoker.name
        try:
            return plain_call(invoker, event)
        finally:
            recorder.current = None

    monkeypatch.setattr(lambda_emulation.SerialInvoker, "__call__", call_as_function)
    return recorder


def _exercise_every_route_and_pipeline_path(api: InProcessApi, pipeline: Pipeline, aws_env: Provisioned) -> set[str]:
    """Every route of the OpenAPI document, and fan-out and delivery through success, retry and 410."""
    routes: set[str] = set()

    def call(method: str, route: str, path: str, token: str | None, body: Any = None) -> Any:
        routes.add(f"{method} {route}")
        return api.request(method, path, token, body).body

    call("GET", "/health", "/health", None)
    tenant = call("POST", "/tenants", "/tenants", ADMIN_TOKEN, {"name": "acme"})
    token, tenant_id = tenant["token"], tenant["id"]
    call("GET", "/tenants", "/tenants", ADMIN_TOKEN)
    call("GET", "/tenants/{tenant_id}", f"/tenants/{tenant_id}", ADMIN_TOKEN)
    call("PATCH", "/tenants/{tenant_id}", f"/tenants/{tenant_id}", ADMIN_TOKEN, {"payload_format": "data"})
    extra = call("POST", "/tenants/{tenant_id}/tokens", f"/tenants/{tenant_id}/tokens", ADMIN_TOKEN, {})
    call("GET", "/tenants/{tenant_id}/tokens", f"/tenants/{tenant_id}/tokens", ADMIN_TOKEN)
    call(
        "DELETE",
        "/tenants/{tenant_id}/tokens/{token_id}",
        f"/tenants/{tenant_id}/tokens/{extra['id']}",
        ADMIN_TOKEN,
    )
    scoped = call("POST", "/admin/tokens", "/admin/tokens", ADMIN_TOKEN, {"name": "probe", "scopes": ["read"]})
    call("GET", "/admin/tokens", "/admin/tokens", ADMIN_TOKEN)
    call("GET", "/tenants", "/tenants", scoped["token"])  # a scoped token's first use records last_used_at
    call("DELETE", "/admin/tokens/{token_id}", f"/admin/tokens/{scoped['id']}", ADMIN_TOKEN)
    link = call("POST", "/portal/sessions", "/portal/sessions", token, {})
    code = link["url"].split("#code=", 1)[1]
    call("POST", "/portal/sessions/exchange", "/portal/sessions/exchange", None, {"code": code})
    call("GET", "/portal", "/portal", None)
    call("GET", "/portal/assets/{name}", "/portal/assets/app.js", None)
    call("GET", "/portal/branding", "/portal/branding", None)
    call("GET", "/egress-ips", "/egress-ips", token)
    call("DELETE", "/tenants/{tenant_id}/portal-sessions", f"/tenants/{tenant_id}/portal-sessions", ADMIN_TOKEN)
    call("PUT", "/event-types/{type_name}", "/event-types/iam.probe", ADMIN_TOKEN, {"description": "probe"})
    call("GET", "/event-types", "/event-types", token)
    call("DELETE", "/event-types/{type_name}", "/event-types/iam.probe", ADMIN_TOKEN)

    with Receiver(always(200)) as ok, Receiver(always(500)) as failing, Receiver(always(410)) as gone:
        hook = create_hook(api, token, ok.url)
        routes.add("POST /hooks")
        create_hook(api, token, failing.url)
        create_hook(api, token, failing.url, ordering="fifo")  # its retry holds its FIFO message
        create_hook(api, token, gone.url)
        # an SQS destination: api (its test delivery) and deliver assume the customer's role
        queue = "arn:aws:sqs:us-east-1:111122223333:customer-queue"
        role = "arn:aws:iam::111122223333:role/hookwire-delivery"
        destination = {"type": "sqs", "queue_url": queue, "role_arn": role, "external_id": "iam-probe"}
        queue_hook = api.post("/hooks", token, {"name": "queue", "on": "*", "destination": destination}).body
        api.post(f"/hooks/{queue_hook['id']}/test", token, {})
        shared_destination_senders.cache_clear()  # deliver runs in its own containers: its own credentials cache
        hook_path = f"/hooks/{hook['id']}"
        call("GET", "/hooks", "/hooks", token)
        call("GET", "/hooks/{hook_id}", hook_path, token)
        call("PATCH", "/hooks/{hook_id}", hook_path, token, {"name": "renamed"})
        call("PUT", "/hooks/{hook_id}", hook_path, token, {"name": "put", "url": ok.url, "on": "*"})
        call("POST", "/hooks/{hook_id}/rotate", f"{hook_path}/rotate", token, {"grace_seconds": 60})
        call("POST", "/hooks/{hook_id}/test", f"{hook_path}/test", token, {})
        event = publish(api, token, "ORDER_ITEM_UPDATE_STATUS", {"entity": {"id": "1"}}, id="evt-iam").body
        routes.add("POST /events")
        publish(api, token, "ORDER_ITEM_UPDATE_STATUS", {"entity": {"id": "1"}}, id="evt-iam")  # idempotent
        aws.get("sqs").send_message(
            QueueUrl=aws_env.events_queue_url,
            MessageBody=json.dumps({"tenant_id": tenant_id, "type": "ORDER_ITEM_UPDATE_STATUS", "data": {}}),
        )
        pipeline.run_until_quiet()
        executions = call("GET", "/hooks/{hook_id}/executions", f"{hook_path}/executions", token)["items"]
        execution_path = f"{hook_path}/executions/{executions[0]['id']}"
        call("GET", "/hooks/{hook_id}/executions/{execution_id}", execution_path, token)
        call("POST", "/hooks/{hook_id}/executions/{execution_id}/retry", f"{execution_path}/retry", token)
        call("GET", "/events/{event_id}", f"/events/{event['id']}", token)
        call("POST", "/events/{event_id}/replay", f"/events/{event['id']}/replay", token, {})
        pipeline.run_until_quiet()
        since = {"since": "2020-01-01T00:00:00Z", "until": "2020-01-31T00:00:00Z"}
        recovery = call("POST", "/hooks/{hook_id}/recover", f"{hook_path}/recover", token, since)
        replay = {"event_type": "*", "since": event["created_at"]}
        call("POST", "/hooks/{hook_id}/replay", f"{hook_path}/replay", token, replay)
        recovery_path = f"{hook_path}/recoveries/{recovery['id']}"
        call("GET", "/hooks/{hook_id}/recoveries/{recovery_id}", recovery_path, token)
        pipeline.run_until_quiet()
        # messages that reached the DLQs, as after five failed receives: the dead-letter recorder's calls
        delivery = {"tenant_id": tenant_id, "hook_id": hook["id"], "event_id": event["id"], "attempt": 2}
        aws.get("sqs").send_message(QueueUrl=aws_env.deliveries_dlq_url, MessageBody=json.dumps(delivery))
        fanout = {"tenant_id": tenant_id, "id": event["id"]}
        aws.get("sqs").send_message(QueueUrl=aws_env.events_dlq_url, MessageBody=json.dumps(fanout))
        assert pipeline.record_dead_letters() == 2
        call("DELETE", "/hooks/{hook_id}", hook_path, token)
    call("DELETE", "/tenants/{tenant_id}", f"/tenants/{tenant_id}", ADMIN_TOKEN)
    return routes


def _run_seed() -> None:
    from functions.seed.handler import lambda_handler

    lambda_emulation.SerialInvoker("seed", lambda_handler)({"RequestType": "Update"})


def _granted(stack: Stack, labels: dict[str, str]) -> Grants:
    """Per function, the (resource, action) pairs its role's policy grants, minus the platform's own."""
    template = App.of(stack).synth().get_stack_by_name(stack.stack_name).template
    resources = template["Resources"]
    role_of = {
        name: props["Properties"]["Handler"]
        for name, props in resources.items()
        if props["Type"] == "AWS::Lambda::Function"
    }
    handler_of_role = {
        resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]: handler for function, handler in role_of.items()
    }
    function_of_handler = {handler: name for name, handler in FUNCTIONS.items()}
    granted: Grants = defaultdict(set)
    for policy in (r for r in resources.values() if r["Type"] == "AWS::IAM::Policy"):
        handler = handler_of_role.get(policy["Properties"]["Roles"][0]["Ref"])
        if handler not in function_of_handler:
            continue  # the CDK provider framework's own role
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = {statement["Action"]} if isinstance(statement["Action"], str) else set(statement["Action"])
            if actions <= PLATFORM_ACTIONS or actions == EVENT_SOURCE_ACTIONS:
                continue
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for target in targets:
                key = json.dumps(target, sort_keys=True)
                if key not in labels and _is_encryption_key_of_a_table_or_queue(target, resources):
                    continue  # DynamoDB and SQS use it on the function's behalf; the code never calls KMS for it
                assert key in labels, f"a policy names {key}: give it a label in _resource_labels"
                granted[function_of_handler[handler]] |= {(labels[key], action) for action in actions}
    return granted


def _is_encryption_key_of_a_table_or_queue(target: Any, resources: dict[str, Any]) -> bool:
    """A customer-managed key that a table or queue in the template encrypts with (server-side encryption)."""
    if not isinstance(target, dict) or "Fn::GetAtt" not in target:
        return False
    name = target["Fn::GetAtt"][0]
    if resources.get(name, {}).get("Type") != "AWS::KMS::Key":
        return False
    users = [r for r in resources.values() if r["Type"] in ("AWS::SQS::Queue", "AWS::DynamoDB::GlobalTable")]
    return any(name in json.dumps(r["Properties"]) for r in users)


def _resource_labels(stack: HookwireStack) -> dict[str, str]:
    """The resolved form of each resource reference a policy may name, to the recorder's labels."""

    def key(value: str) -> str:
        return json.dumps(stack.resolve(value), sort_keys=True)

    executions_arn = stack.storage.executions.table_arn
    return {
        key(stack.storage.subscriptions.table_arn): "subscriptions",
        key(executions_arn): "executions",
        key(stack.pipeline.events.queue.queue_arn): "events queue",
        key(stack.pipeline.deliveries.queue.queue_arn): "deliveries queue",
        key(stack.pipeline.ordered_deliveries.queue.queue_arn): "ordered deliveries queue",
        key(stack.secrets_key.key_arn): "kms",
        key(stack.api.admin_secret.secret_arn): "secretsmanager",
        key(DESTINATION_ROLES): "sts",
    }


def test_every_role_grants_exactly_the_calls_its_function_makes(
    recorder: CallRecorder, api: InProcessApi, pipeline: Pipeline, aws_env: Provisioned, monkeypatch
) -> None:
    # Given every route and pipeline path exercised while the recorder watches (recovery pages of one
    # execution, so a replay hands pages on)
    monkeypatch.setattr(recovery_worker, "QUERY_LIMIT", 1)
    routes = _exercise_every_route_and_pipeline_path(api, pipeline, aws_env)
    _run_seed()
    documented = {
        f"{method.upper()} {path}"
        for path, methods in json.loads((ROOT / "docs" / "openapi.json").read_text())["paths"].items()
        for method in methods
    }
    assert documented <= routes, f"routes the IAM scenario does not exercise: {sorted(documented - routes)}"
    # When the stack is synthesized
    app = App()
    stack = HookwireStack(app, "Hookwire", config=DeployConfig())
    granted = _granted(stack, _resource_labels(stack))
    # Then each function's grants and calls are the same set, both ways
    for function in FUNCTIONS:
        called = recorder.calls[function]
        assert called - granted[function] == set(), f"{function} calls without a grant"
        assert granted[function] - called == set(), f"{function} is granted what it never calls"

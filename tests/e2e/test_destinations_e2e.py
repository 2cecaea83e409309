"""SQS and EventBridge destinations end to end on the local runtime: a "customer" account (in moto) with its
own queue and bus, reached by assuming a role with an external id; the message carries the same body and
signature as an HTTPS delivery would."""

import json
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from functions.common import signing
from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalRuntime
from tests.support.cli import run_cli

pytestmark = pytest.mark.slow

CUSTOMER_ACCOUNT = "111122223333"
ROLE_ARN = f"arn:aws:iam::{CUSTOMER_ACCOUNT}:role/hookwire-delivery"
REGION = "us-east-1"


def _customer(service: str) -> Any:
    """A client acting in the customer's account (moto keeps one backend per account)."""
    sts = boto3.client("sts", region_name=REGION)
    credentials = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="customer", ExternalId="setup")["Credentials"]
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def _wait_for(read: Callable[[], list[dict[str, Any]]], timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := read():
            return found
    raise AssertionError("nothing arrived before the deadline")


def _receive(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=1)
    return answer.get("Messages", [])


def test_an_sqs_hook_delivers_the_signed_envelope_into_the_customers_queue(
    runtime: LocalRuntime, tenant_client: HookwireClient, capsys: pytest.CaptureFixture[str], monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("HOOKWIRE_CONFIG", str(tmp_path / "config.json"))
    # Given a queue in the customer's account and a hook registered with the CLI to deliver there
    sqs = _customer("sqs")
    queue_url = sqs.create_queue(QueueName="hookwire-orders")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{CUSTOMER_ACCOUNT}:hookwire-orders"
    code, out, err = run_cli(
        capsys, runtime.url, tenant_client.token or "", "--json", "hooks", "register", "--name", "queue",
        "--on", "deal.*", "--queue", queue_arn, "--role-arn", ROLE_ARN, "--external-id", "acme-7f3a",
    )  # fmt: skip
    assert code == 0, err
    hook = json.loads(out)
    assert hook["destination"]["type"] == "sqs" and hook["destination"]["role_arn"] == ROLE_ARN
    # When an event is published
    event = tenant_client.call("POST", "/events", {"type": "deal.created", "data": {"id": "dl_1"}})
    [message] = _wait_for(lambda: _receive(sqs, queue_url))
    # Then the message body is the envelope and its attributes carry a signature the hook's secret verifies
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert json.loads(message["Body"])["id"] == event["id"]
    assert attributes["webhook-id"] == event["id"]
    assert signing.verify(
        hook["secret"],
        attributes["webhook-id"],
        int(attributes["webhook-timestamp"]),
        message["Body"].encode(),
        attributes["webhook-signature"],
    )
    # And the attempt is recorded like an HTTPS one, against the queue
    assert runtime.wait_until_quiet(timeout=20)
    [listed] = tenant_client.call("GET", f"/hooks/{hook['id']}/executions")["items"]
    execution = tenant_client.call("GET", f"/hooks/{hook['id']}/executions/{listed['id']}")
    assert execution["status"] == "succeeded"
    assert (
        execution["request_url"]
        == hook["url"]
        == f"https://sqs.{REGION}.amazonaws.com/{CUSTOMER_ACCOUNT}/hookwire-orders"
    )


def test_an_eventbridge_hook_puts_the_signed_body_on_the_customers_bus(
    runtime: LocalRuntime, tenant_client: HookwireClient
) -> None:
    # Given a bus in the customer's account whose rule forwards hookwire events to a queue there
    events, sqs = _customer("events"), _customer("sqs")
    bus_arn = events.create_event_bus(Name="orders")["EventBusArn"]
    queue_url = sqs.create_queue(QueueName="bus-tap")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="tap", EventBusName="orders", EventPattern=json.dumps({"source": ["hookwire"]}))
    events.put_targets(Rule="tap", EventBusName="orders", Targets=[{"Id": "q", "Arn": queue_arn}])
    destination = {"type": "eventbridge", "event_bus_arn": bus_arn, "role_arn": ROLE_ARN, "external_id": "acme-7f3a"}
    hook = tenant_client.call("POST", "/hooks", {"name": "bus", "on": ["deal.*"], "destination": destination})
    # When an event is published
    event = tenant_client.call("POST", "/events", {"type": "deal.created", "data": {"id": "dl_2"}})
    [message] = _wait_for(lambda: _receive(sqs, queue_url))
    # Then the bus event's detail-type is the event type and its detail carries the exact body and signature
    put = json.loads(message["Body"])
    detail = put["detail"]
    assert put["detail-type"] == "deal.created" and json.loads(detail["body"])["id"] == event["id"]
    assert signing.verify(
        hook["secret"], detail["webhook-id"], int(detail["webhook-timestamp"]), detail["body"].encode(),
        detail["webhook-signature"],
    )  # fmt: skip

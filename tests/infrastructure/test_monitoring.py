"""The dashboard shows every metric the code emits and nothing else; the alarms exist and page."""

import json

from aws_cdk.assertions import Match

from functions.common import contract
from functions.common import metric_names as names
from functions.common.dal.clients import aws
from functions.common.models import DeliveryMessage
from hookwire.receiver import Answer
from tests.conftest import create_hook, publish
from tests.infrastructure.conftest import synth


def _dashboard_metrics(template) -> set[str]:
    """Names of every Hookwire-namespace metric on the dashboard (the body is an Fn::Join of JSON text)."""
    dashboards = template.find_resources("AWS::CloudWatch::Dashboard")
    parts = next(iter(dashboards.values()))["Properties"]["DashboardBody"]["Fn::Join"][1]
    body = json.loads("".join(part if isinstance(part, str) else "token" for part in parts))
    return {
        metric[1]
        for widget in body["widgets"]
        for metric in widget["properties"].get("metrics", [])
        if metric and metric[0] == contract.METRICS_NAMESPACE
    }


def test_dashboard_shows_exactly_the_declared_metrics(template) -> None:
    assert _dashboard_metrics(template) == set(names.ALL)


def test_the_code_emits_exactly_the_declared_metrics(api, tenant, pipeline, make_receiver, monkeypatch, capsys) -> None:
    # Given metrics switched on, a run that succeeds, fails and retries
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    receiver = make_receiver(lambda _d, n: Answer(status=500 if n == 1 else 200))
    token = tenant["token"]
    create_hook(api, token, receiver.url, on="lead.created")
    event = publish(api, token, "lead.created", {}).body
    pipeline.run_until_quiet()
    # and a delivery message that reached its DLQ, plus one nobody can attribute
    dead = DeliveryMessage(tenant_id=tenant["id"], hook_id="hook_gone", event_id=event["id"]).model_dump_json()
    for body in (dead, "not json"):
        aws.get("sqs").send_message(QueueUrl=pipeline.provisioned.deliveries_dlq_url, MessageBody=body)
    pipeline.record_dead_letters()
    # When we read the EMF documents the functions printed
    emitted = set()
    for line in capsys.readouterr().out.splitlines():
        if line.startswith('{"_aws"'):
            document = json.loads(line)
            for directive in document["_aws"]["CloudWatchMetrics"]:
                assert directive["Namespace"] == contract.METRICS_NAMESPACE
                assert directive["Dimensions"] == [["service"]]  # no per-tenant or per-hook dimensions
                emitted |= {metric["Name"] for metric in directive["Metrics"]}
    # Then they are exactly the declared ones (and so exactly the dashboard's)
    assert emitted == set(names.ALL)


def test_alarms_page_through_the_topic(template) -> None:
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    descriptions = " ".join(a["Properties"]["AlarmDescription"] for a in alarms.values())
    phrases = ("stayed in the", "reached a DLQ", "failed over 5 minutes", "older than 15 minutes", "throttled", "5xx")
    for phrase in (*phrases, "function failed"):
        assert phrase in descriptions, phrase
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"], alarm
    template.resource_count_is("AWS::SNS::Subscription", 0)


def test_alarm_email_subscribes_to_the_topic() -> None:
    template = synth({"alarm_email": "ops@example.com"})
    template.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"})


def test_custom_domain_is_optional() -> None:
    template = synth(
        {"domain_name": "hooks.example.com", "certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/abc"}
    )
    template.has_resource_properties("AWS::ApiGatewayV2::DomainName", {"DomainName": "hooks.example.com"})
    template.has_output("CustomDomainTarget", Match.any_value())

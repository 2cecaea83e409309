"""The stack and the local runtime are both built from functions.common.contract: fail if they drift."""

import re
from pathlib import Path

from moto import mock_aws

from functions.common import contract
from functions.common.contract import Env
from functions.common.dal.clients import AwsClients
from hookwire.local.provision import environment, provision, table_definition
from infra import constants

ROOT = Path(__file__).resolve().parents[2]


def _key_schema(table_props):
    return {k["AttributeName"]: k["KeyType"] for k in table_props["KeySchema"]}


def test_table_keys_match_the_contract_in_stack_and_local_runtime(template) -> None:
    tables = [t["Properties"] for t in template.find_resources("AWS::DynamoDB::GlobalTable").values()]
    stack_schemas = sorted(
        (_key_schema(t), sorted(g["IndexName"] for g in t.get("GlobalSecondaryIndexes", []))) for t in tables
    )
    local = [table_definition("x", spec) for spec in (contract.SUBSCRIPTIONS_TABLE, contract.EXECUTIONS_TABLE)]
    local_schemas = sorted(
        (_key_schema(t), sorted(g["IndexName"] for g in t.get("GlobalSecondaryIndexes", []))) for t in local
    )
    assert stack_schemas == local_schemas
    ttl = sorted(t["TimeToLiveSpecification"]["AttributeName"] for t in tables)
    assert ttl == sorted(s.ttl_attribute for s in (contract.SUBSCRIPTIONS_TABLE, contract.EXECUTIONS_TABLE))


def test_queue_settings_match_the_contract_in_stack_and_local_runtime(template) -> None:
    queues = [
        q["Properties"]
        for q in template.find_resources("AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    ]
    stack = sorted((q["VisibilityTimeout"], q["RedrivePolicy"]["maxReceiveCount"]) for q in queues)
    expected = sorted(
        (s.visibility_timeout_seconds, s.max_receive_count)
        for s in (contract.EVENTS_CONSUMER, contract.DELIVERIES_CONSUMER, contract.ORDERED_DELIVERIES_CONSUMER)
    )
    assert stack == expected
    with mock_aws():
        clients = AwsClients()
        provisioned = provision(clients, "token")
        sqs = clients.get("sqs")
        local = []
        for url in (
            provisioned.events_queue_url,
            provisioned.deliveries_queue_url,
            provisioned.ordered_deliveries_queue_url,
        ):
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            import json

            local.append(
                (int(attributes["VisibilityTimeout"]), json.loads(attributes["RedrivePolicy"])["maxReceiveCount"])
            )
        assert sorted(local) == expected


def test_dlq_settings_match_the_contract_in_stack_and_local_runtime(template) -> None:
    queues = template.find_resources("AWS::SQS::Queue").values()
    dlqs = [q["Properties"] for q in queues if "RedrivePolicy" not in q["Properties"]]
    expected = [(contract.DLQ_VISIBILITY_TIMEOUT_SECONDS, contract.DLQ_RETENTION_DAYS * 86400)] * 3
    assert [(q["VisibilityTimeout"], q["MessageRetentionPeriod"]) for q in dlqs] == expected
    with mock_aws():
        clients = AwsClients()
        provisioned = provision(clients, "token")
        local = []
        for url in (provisioned.events_dlq_url, provisioned.deliveries_dlq_url, provisioned.ordered_deliveries_dlq_url):
            attributes = clients.get("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            local.append((int(attributes["VisibilityTimeout"]), int(attributes["MessageRetentionPeriod"])))
        assert local == expected


def test_every_function_gets_the_environment_its_settings_read(template) -> None:
    """The dead-letter recorder reads the storage settings; the stack gives it the same names as the others."""
    functions = template.find_resources("AWS::Lambda::Function").values()
    recorder = next(f for f in functions if f["Properties"].get("Handler") == constants.DEAD_LETTERS_HANDLER)
    assert {Env.SUBSCRIPTIONS_TABLE, Env.EXECUTIONS_TABLE, Env.EXECUTION_RETENTION_DAYS} <= set(
        recorder["Properties"]["Environment"]["Variables"]
    )


def test_functions_get_every_environment_variable_the_local_runtime_sets(template) -> None:
    functions = template.find_resources("AWS::Lambda::Function").values()
    api = next(f for f in functions if f["Properties"].get("Handler") == constants.API_HANDLER)
    stack_env = set(api["Properties"]["Environment"]["Variables"])
    with mock_aws():
        local_env = set(environment(provision(AwsClients(), "token")))
    assert local_env <= stack_env


def test_code_reads_environment_only_through_contract_names() -> None:
    """Every HOOKWIRE_* name used anywhere in the code is declared in contract.Env."""
    declared = {value for name, value in vars(Env).items() if not name.startswith("_")}
    used: set[str] = set()
    for folder in ("functions", "infra", "hookwire"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(re.findall(r'"(HOOKWIRE_[A-Z_]+)"', path.read_text()))
    client_side = {"HOOKWIRE_URL", "HOOKWIRE_TOKEN", "HOOKWIRE_PORT", "HOOKWIRE_CONFIG", "HOOKWIRE_PROFILE"}
    local_runtime = {name for name in used if name.startswith("HOOKWIRE_LOCAL_")}
    # the CLI's and local runtime's own variables are not function config
    assert used - client_side - local_runtime <= declared

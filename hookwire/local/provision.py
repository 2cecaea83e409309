"""Creates Hookwire's tables, queues and admin secret on any AWS endpoint (moto here), from the contract.

The CDK stack builds the same resources from the same `functions.common.contract` values; the drift
test compares the two.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from functions.common import contract
from functions.common.contract import ConsumerSpec, TableSpec


@dataclass(frozen=True)
class LocalNames:
    prefix: str = "hookwire"

    @property
    def subscriptions_table(self) -> str:
        return f"{self.prefix}-subscriptions"

    @property
    def executions_table(self) -> str:
        return f"{self.prefix}-executions"

    @property
    def events_queue(self) -> str:
        return f"{self.prefix}-events"

    @property
    def deliveries_queue(self) -> str:
        return f"{self.prefix}-deliveries"

    @property
    def ordered_deliveries_queue(self) -> str:
        return f"{self.prefix}-ordered-deliveries"

    @property
    def admin_secret(self) -> str:
        return f"{self.prefix}/admin-token"


@dataclass(frozen=True)
class Provisioned:
    subscriptions_table: str
    executions_table: str
    events_queue_url: str
    deliveries_queue_url: str
    events_dlq_url: str
    deliveries_dlq_url: str
    admin_secret_arn: str
    kms_key_id: str
    ordered_deliveries_queue_url: str
    ordered_deliveries_dlq_url: str


def table_definition(name: str, spec: TableSpec) -> dict[str, Any]:
    attributes = {spec.partition_key, spec.sort_key}
    definition: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [
            {"AttributeName": spec.partition_key, "KeyType": "HASH"},
            {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
        ],
    }
    if spec.index_name and spec.index_partition_key and spec.index_sort_key:
        attributes |= {spec.index_partition_key, spec.index_sort_key}
        definition["GlobalSecondaryIndexes"] = [
            {
                "IndexName": spec.index_name,
                "KeySchema": [
                    {"AttributeName": spec.index_partition_key, "KeyType": "HASH"},
                    {"AttributeName": spec.index_sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    definition["AttributeDefinitions"] = [{"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)]
    return definition


def _queue_pair(sqs: Any, name: str, spec: ConsumerSpec, visibility_override: int | None) -> tuple[str, str]:
    suffix, fifo = (".fifo", {"FifoQueue": "true"}) if spec.fifo else ("", {})
    dlq_url = sqs.create_queue(
        QueueName=f"{name}-dlq{suffix}",
        Attributes={
            "MessageRetentionPeriod": str(contract.DLQ_RETENTION_DAYS * 86400),
            "VisibilityTimeout": str(contract.DLQ_VISIBILITY_TIMEOUT_SECONDS),
            **fifo,
        },
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    visibility = visibility_override if visibility_override is not None else spec.visibility_timeout_seconds
    url = sqs.create_queue(
        QueueName=f"{name}{suffix}",
        Attributes={
            "VisibilityTimeout": str(visibility),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
            **fifo,
        },
    )["QueueUrl"]
    return url, dlq_url


def provision(
    clients: Any, admin_token: str, names: LocalNames = LocalNames(), visibility_override: int | None = None
) -> Provisioned:
    """`visibility_override` shortens the visibility timeout locally, so a crashed batch retries in seconds."""
    dynamodb, sqs, secrets = clients.get("dynamodb"), clients.get("sqs"), clients.get("secretsmanager")
    for name, spec in (
        (names.subscriptions_table, contract.SUBSCRIPTIONS_TABLE),
        (names.executions_table, contract.EXECUTIONS_TABLE),
    ):
        dynamodb.create_table(**table_definition(name, spec))
        if spec.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )
    events_url, events_dlq = _queue_pair(sqs, names.events_queue, contract.EVENTS_CONSUMER, visibility_override)
    deliveries_url, deliveries_dlq = _queue_pair(
        sqs, names.deliveries_queue, contract.DELIVERIES_CONSUMER, visibility_override
    )
    ordered_url, ordered_dlq = _queue_pair(
        sqs, names.ordered_deliveries_queue, contract.ORDERED_DELIVERIES_CONSUMER, visibility_override
    )
    secret_arn = secrets.create_secret(Name=names.admin_secret, SecretString=admin_token)["ARN"]
    key_id = clients.get("kms").create_key(Description="Hookwire hook secrets")["KeyMetadata"]["Arn"]
    return Provisioned(
        subscriptions_table=names.subscriptions_table,
        executions_table=names.executions_table,
        events_queue_url=events_url,
        deliveries_queue_url=deliveries_url,
        events_dlq_url=events_dlq,
        deliveries_dlq_url=deliveries_dlq,
        admin_secret_arn=secret_arn,
        kms_key_id=key_id,
        ordered_deliveries_queue_url=ordered_url,
        ordered_deliveries_dlq_url=ordered_dlq,
    )


def environment(provisioned: Provisioned) -> dict[str, str]:
    """The environment variables the functions read, exactly as the stack sets them."""
    return {
        contract.Env.SUBSCRIPTIONS_TABLE: provisioned.subscriptions_table,
        contract.Env.EXECUTIONS_TABLE: provisioned.executions_table,
        contract.Env.EVENTS_QUEUE_URL: provisioned.events_queue_url,
        contract.Env.DELIVERIES_QUEUE_URL: provisioned.deliveries_queue_url,
        contract.Env.ORDERED_DELIVERIES_QUEUE_URL: provisioned.ordered_deliveries_queue_url,
        contract.Env.ADMIN_SECRET_ARN: provisioned.admin_secret_arn,
        contract.Env.KMS_KEY_ID: provisioned.kms_key_id,
        contract.Env.API_CONCURRENCY: "1",  # one in-process api container holds a tenant's whole publish rate
    }

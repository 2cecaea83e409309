"""The two DynamoDB tables, built from the contract's key specs."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from functions.common import contract
from functions.common.contract import TableSpec


def _string(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


def _table(scope: Construct, construct_id: str, spec: TableSpec) -> dynamodb.TableV2:
    table = dynamodb.TableV2(
        scope,
        construct_id,
        partition_key=_string(spec.partition_key),
        sort_key=_string(spec.sort_key),
        billing=dynamodb.Billing.on_demand(),
        time_to_live_attribute=spec.ttl_attribute,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        deletion_protection=False,
        removal_policy=RemovalPolicy.RETAIN,
    )
    if spec.index_name and spec.index_partition_key and spec.index_sort_key:
        table.add_global_secondary_index(
            index_name=spec.index_name,
            partition_key=_string(spec.index_partition_key),
            sort_key=_string(spec.index_sort_key),
        )
    return table


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.subscriptions = _table(self, "Subscriptions", contract.SUBSCRIPTIONS_TABLE)
        self.executions = _table(self, "Executions", contract.EXECUTIONS_TABLE)

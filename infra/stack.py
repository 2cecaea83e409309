"""The Hookwire stack: a thin composition of one construct per capability, plus least-privilege grants."""

from __future__ import annotations

from aws_cdk import CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.common.contract import Env
from infra.config import DeployConfig
from infra.constructs.api import HookApi
from infra.constructs.catalog import CatalogSeeder
from infra.constructs.pipeline import DeliveryPipeline
from infra.constructs.storage import Storage

# The DynamoDB actions each function's data-access code really calls.
API_SUBSCRIPTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
)
API_EXECUTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")
FANOUT_SUBSCRIPTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query")
DELIVER_SUBSCRIPTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem")
DELIVER_EXECUTIONS = ("dynamodb:BatchWriteItem",)


def _grant_table(table: dynamodb.TableV2, function: lambda_.IFunction, actions: tuple[str, ...]) -> None:
    """Actions on the table and its indexes only (TableV2.grant covers the index ARNs)."""
    table.grant(function, *actions)


def _grant_send(queue: sqs.IQueue, function: lambda_.IFunction) -> None:
    queue.grant_send_messages(function)


class HookwireStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: DeployConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        storage = Storage(self, "Storage")
        secrets_key = kms.Key(
            self,
            "HookSecretsKey",
            description="Encrypts Hookwire hook signing secrets",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        environment = {
            Env.KMS_KEY_ID: secrets_key.key_arn,
            Env.SUBSCRIPTIONS_TABLE: storage.subscriptions.table_name,
            Env.EXECUTIONS_TABLE: storage.executions.table_name,
            Env.RETRY_SCHEDULE: config.retry_schedule,
            Env.RETRY_JITTER: str(config.retry_jitter),
            Env.DELIVERY_TIMEOUT_SECONDS: str(config.delivery_timeout_seconds),
            Env.DISABLE_AFTER_SECONDS: str(int(config.disable_after_days * 86400)),
            Env.EXECUTION_RETENTION_DAYS: str(config.execution_retention_days),
            Env.EVENT_RETENTION_DAYS: str(config.event_retention_days),
            Env.ALLOW_HTTP: str(config.allow_http).lower(),
            Env.ALLOWED_CIDRS: config.allowed_cidrs,
        }
        pipeline = DeliveryPipeline(self, "Pipeline", config=config, environment=environment)
        api = HookApi(self, "Api", config=config, environment=pipeline.environment)
        CatalogSeeder(self, "Catalog", config=config, table=storage.subscriptions)

        secrets_key.grant_encrypt_decrypt(api.handler)
        secrets_key.grant_decrypt(pipeline.deliver)
        _grant_table(storage.subscriptions, api.handler, API_SUBSCRIPTIONS)
        _grant_table(storage.executions, api.handler, API_EXECUTIONS)
        _grant_send(pipeline.events.queue, api.handler)
        _grant_send(pipeline.deliveries.queue, api.handler)

        _grant_table(storage.subscriptions, pipeline.fanout, FANOUT_SUBSCRIPTIONS)
        _grant_send(pipeline.deliveries.queue, pipeline.fanout)

        _grant_table(storage.subscriptions, pipeline.deliver, DELIVER_SUBSCRIPTIONS)
        _grant_table(storage.executions, pipeline.deliver, DELIVER_EXECUTIONS)
        _grant_send(pipeline.deliveries.queue, pipeline.deliver)

        self.api = api
        self.pipeline = pipeline
        self.storage = storage
        CfnOutput(self, "ApiUrl", value=api.url, description="Base URL of the Hookwire HTTP API")
        CfnOutput(
            self,
            "AdminSecretArn",
            value=api.admin_secret.secret_arn,
            description="Secrets Manager secret holding the admin token",
        )
        CfnOutput(self, "EventsQueueUrl", value=pipeline.events.queue.queue_url, description="Producers may send here")

"""The Hookwire stack: a thin composition of one construct per capability, plus least-privilege grants."""

from __future__ import annotations

from aws_cdk import Aspects, Aws, CfnOutput, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from functions.common import contract
from functions.common.contract import Env
from infra.checkov import explain_checkov_skips
from infra.config import DeployConfig
from infra.constructs.api import HookApi
from infra.constructs.catalog import CatalogSeeder
from infra.constructs.egress import StaticEgress
from infra.constructs.monitoring import Monitoring, Watched
from infra.constructs.pipeline import DeliveryPipeline
from infra.constructs.storage import Storage
from infra.nag import acknowledge_findings
from infra.runtimes import SupportedNodeRuntime

# The AWS actions each function's code calls (tests/infrastructure/test_iam_grants.py records the calls while
# every route and pipeline path runs and fails when these differ from them, either way).
API_SUBSCRIPTIONS = (
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",  # a token's last_used_at, at most once a minute per token
    "dynamodb:DeleteItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:BatchWriteItem",
)
API_EXECUTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query")
# BatchGetItem: fan-out claims a batch's events in one consistent read.
FANOUT_SUBSCRIPTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:Query",
)
FANOUT_EXECUTIONS = ("dynamodb:Query",)  # a recovery's pages read the hook's executions
DELIVER_SUBSCRIPTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",  # disabling a hook removes its routes (in the hook's transaction)
)
DELIVER_EXECUTIONS = ("dynamodb:BatchWriteItem",)
DEAD_LETTERS_SUBSCRIPTIONS = ("dynamodb:BatchGetItem", "dynamodb:UpdateItem")
DEAD_LETTERS_EXECUTIONS = ("dynamodb:BatchWriteItem",)
SEND = ("sqs:SendMessage",)  # SendMessageBatch is authorized as SendMessage
# deliver keeps a FIFO message for its retry by changing its visibility itself (besides the event source's use).
HOLD = ("sqs:ChangeMessageVisibility",)
READ_SECRET = ("secretsmanager:GetSecretValue",)
# SQS/EventBridge destinations: deliver (and the api, for test deliveries) assume the customer's role. Any
# account (customers bring their own), only roles named hookwire-* (the API refuses other names at save time),
# and the role's trust policy must name Hookwire's account and the hook's external id (docs/delivery-controls.md).
ASSUME_DESTINATION_ROLE = ("sts:AssumeRole",)
DESTINATION_ROLES = f"arn:{Aws.PARTITION}:iam::*:role/{contract.DESTINATION_ROLE_PREFIX}*"


def _grant(function: lambda_.IFunction, actions: tuple[str, ...], *resources: str) -> None:
    function.add_to_role_policy(iam.PolicyStatement(actions=list(actions), resources=list(resources)))


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
            Env.TENANT_PUBLISH_RATE: str(config.tenant_publish_rate),
            Env.API_CONCURRENCY: str(config.api_reserved_concurrency),
            Env.MAX_HOOKS_PER_TENANT: str(config.max_hooks_per_tenant),
        }
        egress = StaticEgress(self, "Egress", az_count=config.egress_az_count) if config.static_egress_ips else None
        if egress:
            environment[Env.EGRESS_IPS] = egress.addresses
        pipeline = DeliveryPipeline(self, "Pipeline", config=config, environment=environment, egress=egress)
        portal_url = config.portal_url or (f"https://{config.domain_name}/portal" if config.domain_name else "")
        portal_environment = {
            Env.PORTAL_URL: portal_url,
            Env.PORTAL_PRODUCT_NAME: config.portal_product_name,
            Env.PORTAL_LOGO_URL: config.portal_logo_url,
            Env.PORTAL_ACCENT_COLOR: config.portal_accent_color,
            Env.PORTAL_FRAME_ANCESTORS: config.portal_frame_ancestors,
        }
        api = HookApi(
            self,
            "Api",
            config=config,
            environment={**pipeline.environment, **portal_environment},
            secrets_key=secrets_key,
        )
        CatalogSeeder(self, "Catalog", config=config, table=storage.subscriptions)

        subscriptions, executions = storage.subscriptions.table_arn, storage.executions.table_arn
        events_queue, deliveries_queue = pipeline.events.queue.queue_arn, pipeline.deliveries.queue.queue_arn
        secrets_key.grant(api.handler, "kms:Encrypt", "kms:Decrypt")
        secrets_key.grant(pipeline.deliver, "kms:Decrypt")
        _grant(api.handler, READ_SECRET, api.admin_secret.secret_arn)
        _grant(api.handler, API_SUBSCRIPTIONS, subscriptions)
        _grant(api.handler, API_EXECUTIONS, executions)
        _grant(api.handler, SEND, events_queue, deliveries_queue)
        _grant(api.handler, ASSUME_DESTINATION_ROLE, DESTINATION_ROLES)

        _grant(pipeline.fanout, FANOUT_SUBSCRIPTIONS, subscriptions)
        _grant(pipeline.fanout, FANOUT_EXECUTIONS, executions)
        ordered_queue = pipeline.ordered_deliveries.queue.queue_arn
        # a recovery hands its next page on through the events queue
        _grant(pipeline.fanout, SEND, events_queue, deliveries_queue, ordered_queue)

        _grant(pipeline.deliver, DELIVER_SUBSCRIPTIONS, subscriptions)
        _grant(pipeline.deliver, DELIVER_EXECUTIONS, executions)
        _grant(pipeline.deliver, SEND, deliveries_queue)
        _grant(pipeline.deliver, HOLD, ordered_queue)
        _grant(pipeline.deliver, ASSUME_DESTINATION_ROLE, DESTINATION_ROLES)

        # The event sources grant receive and delete on the DLQs; no KMS, no sends.
        _grant(pipeline.dead_letters, DEAD_LETTERS_SUBSCRIPTIONS, subscriptions)
        _grant(pipeline.dead_letters, DEAD_LETTERS_EXECUTIONS, executions)

        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            watched=Watched(
                http_api=api.http_api,
                queues={
                    "Events": pipeline.events,
                    "Deliveries": pipeline.deliveries,
                    "OrderedDeliveries": pipeline.ordered_deliveries,
                },
                functions={
                    "Api": api.handler,
                    "Fanout": pipeline.fanout,
                    "Deliver": pipeline.deliver,
                    "DeadLetters": pipeline.dead_letters,
                },
            ),
        )
        self.api = api
        self.secrets_key = secrets_key
        self.pipeline = pipeline
        self.storage = storage
        acknowledge_findings(self)
        explain_checkov_skips(self)
        Aspects.of(self).add(SupportedNodeRuntime())
        CfnOutput(self, "ApiUrl", value=api.url, description="Base URL of the Hookwire HTTP API")
        CfnOutput(
            self,
            "AdminSecretArn",
            value=api.admin_secret.secret_arn,
            description="Secrets Manager secret holding the admin token",
        )
        CfnOutput(self, "EventsQueueUrl", value=pipeline.events.queue.queue_url, description="Producers may send here")
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.topic.topic_arn, description="Subscribe to get paged")
        CfnOutput(self, "DashboardName", value=self.monitoring.dashboard.dashboard_name)
        if egress:
            CfnOutput(
                self,
                "EgressIps",
                value=egress.addresses,
                description="Every delivery comes from one of these addresses: customers allow-list them",
            )
        if api.domain:
            CfnOutput(
                self,
                "CustomDomainTarget",
                value=api.domain.regional_domain_name,
                description="Point a CNAME (or alias) for the custom domain here",
            )

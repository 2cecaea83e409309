"""One way to build every Hookwire function: arm64, Python 3.13, Powertools layer, JSON logs, optional tracing."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from functions.common import contract
from infra import constants
from infra.config import DeployConfig
from infra.constructs.egress import StaticEgress
from infra.constructs.lambda_code import lambda_code

RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def powertools_layer(scope: Construct, explicit_arn: str | None) -> lambda_.ILayerVersion:
    """The layer of the pinned Powertools release, resolved from its SSM parameter at deploy time."""
    arn = explicit_arn or ssm.StringParameter.value_for_string_parameter(scope, constants.powertools_layer_parameter())
    return lambda_.LayerVersion.from_layer_version_arn(scope, "PowertoolsLayer", arn)


class HookwireFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        memory_mb: int,
        timeout_seconds: int,
        environment: dict[str, str],
        config: DeployConfig,
        description: str,
        reserved_concurrency: int | None = None,
        egress: StaticEgress | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        retention = RETENTION.get(config.log_retention_days)
        if retention is None:
            raise ValueError(f"log_retention_days must be one of {sorted(RETENTION)}")
        self.log_group = logs.LogGroup(self, "Logs", retention=retention, removal_policy=RemovalPolicy.DESTROY)
        # Our own role instead of AWSLambdaBasicExecutionRole: log writes to this function's group only.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{description}: logs to its own group, plus the grants the stack adds",
        )
        self.log_group.grant(self.role, "logs:CreateLogStream", "logs:PutLogEvents")
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=lambda_code(config.catalog),
            memory_size=memory_mb,
            timeout=Duration.seconds(timeout_seconds),
            layers=[powertools_layer(self, config.powertools_layer_arn)],
            # X-Ray is a deployment setting (`-c tracing=true`), off by default: see docs/cost.md.
            tracing=lambda_.Tracing.ACTIVE if config.tracing else lambda_.Tracing.DISABLED,
            logging_format=lambda_.LoggingFormat.JSON,
            # WARN drops Lambda's START/END/REPORT lines (INFO-level system logs, ~330 bytes per invocation);
            # the functions' own INFO lines still go out.
            system_log_level_v2=lambda_.SystemLogLevel[constants.LAMBDA_SYSTEM_LOG_LEVEL],
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            log_group=self.log_group,
            role=self.role,
            description=description,
            reserved_concurrent_executions=reserved_concurrency or None,
            vpc=egress.vpc if egress else None,
            vpc_subnets=egress.subnets if egress else None,
            security_groups=[egress.security_group] if egress else None,
            environment={
                "POWERTOOLS_SERVICE_NAME": contract.SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": contract.METRICS_NAMESPACE,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                "POWERTOOLS_TRACE_DISABLED": str(not config.tracing).lower(),
                **environment,
            },
        )

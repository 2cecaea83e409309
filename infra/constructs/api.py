"""The HTTP API (API Gateway v2) in front of the api function, and the admin-token secret."""

from __future__ import annotations

import json

import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from functions.common import contract
from infra import constants
from infra.config import DeployConfig
from infra.constructs.function import RETENTION, HookwireFunction

# HTTP API ($default stage, payload 2.0) context variables only: REST-API variables such as
# $context.resourcePath are empty on an HTTP API.
HTTP_API_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
}


@jsii.implements(apigw.IAccessLogSettings)
class AccessLogs:
    """JSON access logs for the HTTP API stage (IAccessLogSettings is an interface in jsii terms)."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(json.dumps(HTTP_API_ACCESS_LOG_FIELDS))


class HookApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        environment: dict[str, str],
        secrets_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.admin_secret = secretsmanager.Secret(
            self,
            "AdminToken",
            # The stack's CMK: one kms:Decrypt per api cold start (the value is cached per container).
            encryption_key=secrets_key,
            description="Hookwire admin token (Authorization: Bearer <this value>)",
            generate_secret_string=secretsmanager.SecretStringGenerator(exclude_punctuation=True, password_length=48),
        )
        self.handler = HookwireFunction(
            self,
            "Api",
            handler=constants.API_HANDLER,
            memory_mb=constants.API_MEMORY_MB,
            timeout_seconds=contract.API_FUNCTION_TIMEOUT_SECONDS,
            environment={**environment, contract.Env.ADMIN_SECRET_ARN: self.admin_secret.secret_arn},
            config=config,
            description="Hookwire HTTP API",
            # Reserved: a delivery flood (or anything else in the account) can't take the API's capacity.
            reserved_concurrency=config.api_reserved_concurrency,
        ).function
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            description="Hookwire webhook API",
            default_integration=integrations.HttpLambdaIntegration("Api", self.handler),
            create_default_stage=False,
        )
        access_logs = logs.LogGroup(self, "AccessLogs", retention=RETENTION[config.log_retention_days])
        self.stage = apigw.HttpStage(
            self,
            "Stage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=constants.API_THROTTLE_RATE, burst_limit=constants.API_THROTTLE_BURST
            ),
            access_log_settings=AccessLogs(access_logs),
        )

        self.domain: apigw.DomainName | None = None
        if config.domain_name and config.certificate_arn:
            self.domain = apigw.DomainName(
                self,
                "Domain",
                domain_name=config.domain_name,
                certificate=acm.Certificate.from_certificate_arn(self, "Certificate", config.certificate_arn),
            )
            apigw.ApiMapping(self, "Mapping", api=self.http_api, domain_name=self.domain, stage=self.stage)

    @property
    def url(self) -> str:
        return f"https://{self.domain.name}/" if self.domain else self.stage.url

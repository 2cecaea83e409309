"""cdk-nag AwsSolutions checks, and the findings we accept, each with the reason a reviewer needs."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions::"

# (construct path below the stack, or "" for the whole stack; rule id; reason)
ACKNOWLEDGED: tuple[tuple[str, str, str], ...] = (
    (
        "",
        "AwsSolutions-IAM5[Resource::*]",
        "xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions; every traced "
        "function needs them on '*'. No other statement uses a wildcard resource.",
    ),
    (
        "",
        "AwsSolutions-L1",
        "Python functions run on python3.13 on purpose: the AWS-published Powertools layer we deploy "
        "(AWSLambdaPowertoolsPythonV3-python313-arm64) is built for it; the runtime moves with the layer. "
        "The custom-resource provider runs on the Node.js runtime infra/runtimes.py pins (constants.CDK_NODE_RUNTIME).",
    ),
    (
        "Pipeline/Deliver",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/hookwire-*]",
        "Destinations in customers' accounts: the role's account is the customer's, unknown at deploy time. "
        "Scoped to roles named hookwire-* (the API refuses other names), and each role's trust policy must name "
        "this account and the hook's external id, so no role is assumable unless its owner allowed it.",
    ),
    (
        "Api",
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/hookwire-*]",
        "Destinations in customers' accounts: the role's account is the customer's, unknown at deploy time. "
        "Scoped to roles named hookwire-* (the API refuses other names), and each role's trust policy must name "
        "this account and the hook's external id, so no role is assumable unless its owner allowed it.",
    ),
    (
        "Api/HttpApi",
        "AwsSolutions-APIG4",
        "Authorization is done in the api function: every route but GET /health requires a bearer token "
        "(admin token from Secrets Manager, or a tenant token stored as a SHA-256 hash), and tenant scoping "
        "needs the token's tenant, which an API Gateway authorizer would have to look up the same way.",
    ),
    (
        "Api/AdminToken",
        "AwsSolutions-SMG4",
        "The admin token is an operator credential, not a database password with a rotation Lambda: the "
        "operator rotates it with put-secret-value (README, Deploying); api containers read it at cold start.",
    ),
    (
        "Catalog/Provider",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "The custom-resource provider framework (aws-cdk-lib) creates this role; it only writes its own logs.",
    ),
    (
        "Catalog/Provider",
        "AwsSolutions-IAM5[Resource::<CatalogSeedFunction02632CAF.Arn>:*]",
        "The provider framework may invoke any version of the seed function it created; nothing else.",
    ),
)

# Findings on constructs only some deployments have (acknowledged when the construct exists).
ACKNOWLEDGED_WHEN_PRESENT: tuple[tuple[str, str, str], ...] = (
    (
        "Egress/Vpc",
        "AwsSolutions-VPC7",
        "The static-egress VPC carries only the deliver function's outbound requests, each already recorded as an "
        "execution (URL, status, timing, error); flow logs would repeat that at $0.50 per GB ingested.",
    ),
)


def add_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def _construct_at(stack: Stack, path: str) -> IConstruct | None:
    target: IConstruct | None = stack
    for part in path.split("/") if path else []:
        target = target.node.try_find_child(part) if target else None
    return target


def acknowledge_findings(stack: Stack) -> None:
    for path, rule, reason in ACKNOWLEDGED:
        target = _construct_at(stack, path)
        if target is None:
            raise ValueError(f"infra/nag.py acknowledges {rule} on {path!r}, which the stack does not have")
        Validations.of(target).acknowledge(Acknowledgment(id=PACK + rule, reason=reason))
    for path, rule, reason in ACKNOWLEDGED_WHEN_PRESENT:
        if (target := _construct_at(stack, path)) is not None:
            Validations.of(target).acknowledge(Acknowledgment(id=PACK + rule, reason=reason))

"""checkov findings we accept on purpose: each skipped in the resource's template metadata with its reason.

checkov (CloudFormation framework, `make scan`) then reports 0 failed checks, and every skip it lists says why.
Fixed rather than skipped: the api function's reserved concurrency (CKV_AWS_115, unless configured to 0),
the SQS event sources' MaximumConcurrency, and the admin secret's CMK (CKV_AWS_149).
"""

from __future__ import annotations

from aws_cdk import CfnResource, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from functions.common import contract

_NOT_ASYNC = (
    "Never invoked asynchronously, and a function DLQ only catches asynchronous invocations: the api is invoked "
    "synchronously by API Gateway, fanout and deliver by SQS event source mappings (a message that keeps failing "
    "moves to the queue's DLQ after maxReceiveCount, with an alarm), the catalogue seed by CloudFormation."
)
_NO_VPC = (
    "Outside a VPC on purpose: deliver must reach customers' public HTTPS endpoints (in a VPC that needs NAT "
    "gateways, about $33/month each plus $0.045/GB), and every function talks only to AWS APIs over TLS with IAM. "
    "Outbound requests are confined by the SSRF guard (functions/common/ssrf.py) instead. The opt-in "
    "static_egress_ips deployment puts deliver in a VPC (then this skip is absent from it)."
)
_ENV_HAS_NO_SECRET = (
    "The environment holds no secret: table names, queue URLs, the KMS key and secret ARNs, tuning values. The "
    "admin token is in Secrets Manager (CMK) and hook secrets are KMS-encrypted in DynamoDB; Lambda encrypts "
    "the environment at rest with its service key."
)
_LOGS_HOLD_IDS = (
    "Logs hold ids, statuses and timings, never tokens, signing secrets, payloads or Authorization values "
    "(tests/integration/test_secrets_hygiene.py proves it); CloudWatch Logs encrypts them at rest with service "
    "keys. A CMK would cost $1/month plus a key-policy grant to CloudWatch Logs and protect nothing more."
)
_QUEUES_SSE_SQS = (
    "Encrypted at rest with SSE-SQS (SQS-managed keys, no per-request charge). The API enqueues {tenant_id, id} "
    "only; a CMK would need kms:GenerateDataKey for every producer that sends directly and one KMS call per "
    "data-key reuse period per principal ($0.03 per 10,000) for no confidentiality gain over SSE-SQS."
)
_UNRESERVED = {
    "Pipeline/Fanout": f"Capped, not reserved: its SQS event source's MaximumConcurrency "
    f"({contract.EVENTS_CONSUMER.max_concurrency}) bounds it without taking from the account's unreserved pool.",
    "Pipeline/Deliver": f"Capped, not reserved: its SQS event source's MaximumConcurrency "
    f"({contract.DELIVERIES_CONSUMER.max_concurrency}) bounds it, so a delivery flood can't take the API's "
    "reserved capacity, without taking from the account's unreserved pool.",
    "Pipeline/DeadLetters": f"Capped, not reserved: its SQS event sources' MaximumConcurrency "
    f"({contract.DEAD_LETTERS_CONSUMER.max_concurrency} per DLQ) bounds it; it runs only when a message reached a DLQ.",
    "Catalog/": "Runs only during a deploy (CloudFormation custom resource), once per catalogue change.",
    "Api/": "Reserved concurrency disabled by configuration (api_reserved_concurrency=0), e.g. in an account "
    "whose concurrency quota is still the new-account 10.",
}


def _unreserved_reason(resource: CfnResource) -> str:
    path = resource.node.path
    for part, reason in _UNRESERVED.items():
        if part in path:
            return reason
    raise ValueError(f"{path} has no reserved concurrency and no reason for it in infra/checkov.py")


def _skips(resource: CfnResource) -> list[tuple[str, str]]:
    if isinstance(resource, lambda_.CfnFunction):
        skips = [("CKV_AWS_116", _NOT_ASYNC), ("CKV_AWS_173", _ENV_HAS_NO_SECRET)]
        if resource.vpc_config is None:
            skips.append(("CKV_AWS_117", _NO_VPC))
        if resource.reserved_concurrent_executions is None:
            skips.append(("CKV_AWS_115", _unreserved_reason(resource)))
        return skips
    if isinstance(resource, logs.CfnLogGroup):
        return [("CKV_AWS_158", _LOGS_HOLD_IDS)]
    if isinstance(resource, sqs.CfnQueue):
        return [("CKV_AWS_27", _QUEUES_SSE_SQS)]
    return []


def explain_checkov_skips(stack: Stack) -> None:
    for construct in stack.node.find_all():
        if isinstance(construct, CfnResource) and (skips := _skips(construct)):
            construct.add_metadata("checkov", {"skip": [{"id": check, "comment": why} for check, why in skips]})

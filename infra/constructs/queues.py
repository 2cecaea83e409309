"""An SQS queue with its DLQ, sized from the contract's consumer spec (both FIFO when the spec is)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.common import contract
from functions.common.contract import ConsumerSpec


class QueueWithDlq(Construct):
    def __init__(self, scope: Construct, construct_id: str, spec: ConsumerSpec) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.dlq = sqs.Queue(
            self,
            "Dlq",
            retention_period=Duration.days(contract.DLQ_RETENTION_DAYS),
            visibility_timeout=Duration.seconds(contract.DLQ_VISIBILITY_TIMEOUT_SECONDS),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            **_fifo(spec),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            visibility_timeout=Duration.seconds(spec.visibility_timeout_seconds),
            retention_period=Duration.days(4),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dlq, max_receive_count=spec.max_receive_count),
            **_fifo(spec),
        )


def _fifo(spec: ConsumerSpec) -> dict[str, bool]:
    """FIFO, with explicit deduplication ids (fan-out sends them): two equal bodies can be two deliveries."""
    return {"fifo": True, "content_based_deduplication": False} if spec.fifo else {}

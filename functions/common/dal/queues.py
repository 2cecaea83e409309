"""SQS access: batched sends with per-message delays."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any

from functions.common import contract
from functions.common.dal.clients import AwsClients, aws
from functions.common.dal.sdk import call
from functions.common.errors import DependencyFailure

SEND_BATCH_LIMIT = 10


@dataclass(frozen=True)
class OutgoingMessage:
    """`group_id` and `deduplication_id` only for a FIFO queue (which takes no per-message delay)."""

    body: str
    delay_seconds: int = 0
    group_id: str | None = None
    deduplication_id: str | None = None


class QueueClient:
    def __init__(self, queue_url: str, clients: AwsClients = aws) -> None:
        self.queue_url = queue_url
        self._clients = clients

    @property
    def _sqs(self) -> Any:
        return self._clients.get("sqs")

    def send(self, message: OutgoingMessage) -> None:
        self.send_many([message])

    def send_many(self, messages: Sequence[OutgoingMessage]) -> None:
        """SendMessageBatch in tens. Raises when any message could not be sent, after one retry of those."""
        unsent = self.send_each(messages)
        if unsent:
            raise DependencyFailure(f"SQS refused {len(unsent)} of the messages")

    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[int]:
        """SendMessageBatch in tens, one retry of what failed; the positions still unsent come back (never
        an exception), so a caller can tell exactly which messages need another way out."""
        unsent: list[int] = []
        for start in range(0, len(messages), SEND_BATCH_LIMIT):
            chunk = {str(start + i): m for i, m in enumerate(messages[start : start + SEND_BATCH_LIMIT])}
            for _ in range(2):
                try:
                    failed = self._send_chunk(chunk)
                except DependencyFailure:
                    break  # the call may have taken effect: sending again could duplicate messages
                chunk = {key: chunk[key] for key in failed}
                if not chunk:
                    break
            unsent.extend(int(key) for key in chunk)
        return unsent

    def _send_chunk(self, chunk: dict[str, OutgoingMessage]) -> list[str]:
        entries = [_entry(key, message) for key, message in chunk.items()]
        response = call(self._sqs.send_message_batch, QueueUrl=self.queue_url, Entries=entries)
        return [failure["Id"] for failure in response.get("Failed", [])]

    def hold(self, receipt_handle: str, seconds: float) -> None:
        """Keep a received message out of sight for `seconds` (its FIFO group waits behind it)."""
        timeout = max(0, min(contract.SQS_MAX_VISIBILITY_SECONDS, ceil(seconds)))
        call(
            self._sqs.change_message_visibility,
            QueueUrl=self.queue_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=timeout,
        )


def _entry(key: str, message: OutgoingMessage) -> dict[str, Any]:
    if message.group_id is not None:
        entry = {"Id": key, "MessageBody": message.body, "MessageGroupId": message.group_id}
        if message.deduplication_id is not None:
            entry["MessageDeduplicationId"] = message.deduplication_id
        return entry
    delay = max(0, min(contract.SQS_MAX_DELAY_SECONDS, message.delay_seconds))
    return {"Id": key, "MessageBody": message.body, "DelaySeconds": delay}

"""SQS and EventBridge destinations in customers' accounts: every boto3 call they need.

Each hook's role is assumed with STS (its external id required) and the credentials are cached per
(role, external id) until shortly before they expire, with one client per (role, external id, service,
region) built on them: a busy destination costs one AssumeRole per container per ~55 minutes, then one
SendMessage or PutEvents per delivery. A slow or failing role delays only its own hook's attempts (each
role has its own lock; every call has the delivery deadline as its connect and read timeouts, no SDK retry).

Both senders implement HttpSender (functions/common/delivery/ports.py): the request they are given is the
exact body and headers an HTTPS receiver would get, mapped as docs/delivery-controls.md describes.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from functions.common.dal.clients import AwsClients, aws
from functions.common.http_client import HttpResult
from functions.common.models import Destination, DestinationType, Hook

SESSION_NAME = "hookwire-delivery"
SESSION_SECONDS = 3600
REFRESH_BEFORE_EXPIRY_SECONDS = 300
EVENT_SOURCE = "hookwire"
# The Standard Webhooks headers a queue message or bus event carries (SQS allows 10 message attributes; a
# hook's custom headers are for HTTP receivers and are not sent).
CARRIED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "user-agent")


@dataclass
class _Session:
    credentials: dict[str, str]
    refresh_at: float
    clients: dict[tuple[str, str], Any]


class AssumedRoles:
    """Clients acting as a customer's role, with the role's credentials cached until shortly before expiry."""

    def __init__(self, clients: AwsClients = aws, clock: Callable[[], float] = time.time) -> None:
        self._clients = clients
        self._clock = clock
        self._sessions: dict[tuple[str, str], _Session] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _session(self, destination: Destination) -> _Session:
        key = (destination.role_arn, destination.external_id)
        with self._lock(key):
            session = self._sessions.get(key)
            if session is None or self._clock() >= session.refresh_at:
                response = self._clients.get("sts").assume_role(
                    RoleArn=destination.role_arn,
                    RoleSessionName=SESSION_NAME,
                    ExternalId=destination.external_id,
                    DurationSeconds=SESSION_SECONDS,
                )
                credentials = response["Credentials"]
                expires_at = credentials["Expiration"].timestamp()
                session = _Session(
                    credentials={
                        "aws_access_key_id": credentials["AccessKeyId"],
                        "aws_secret_access_key": credentials["SecretAccessKey"],
                        "aws_session_token": credentials["SessionToken"],
                    },
                    refresh_at=expires_at - REFRESH_BEFORE_EXPIRY_SECONDS,
                    clients={},
                )
                self._sessions[key] = session
            return session

    def client(self, destination: Destination, service: str, timeout: float) -> Any:
        session = self._session(destination)
        client_key = (service, destination.region)
        client = session.clients.get(client_key)
        if client is None:
            config = Config(connect_timeout=timeout, read_timeout=timeout, retries={"total_max_attempts": 1})
            client = boto3.session.Session(**session.credentials).client(
                service, region_name=destination.region, config=config
            )
            session.clients[client_key] = client
        return client


def _carried(headers: dict[str, str]) -> dict[str, str]:
    return {name: headers[name] for name in CARRIED_HEADERS if name in headers}


def _failure(destination: Destination, started: float, exc: Exception) -> HttpResult:
    """An SDK failure as the attempt's transport failure, in words: retried on the hook's schedule."""
    duration_ms = int((time.monotonic() - started) * 1000)
    if isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        return HttpResult(
            status=None, duration_ms=duration_ms, error=f"{destination.type} timed out: {exc}", failure="timeout"
        )
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        where = "assuming destination.role_arn" if exc.operation_name == "AssumeRole" else str(destination.type)
        text = f"{where}: {exc.operation_name} refused: {error.get('Code')}: {error.get('Message')}"
        return HttpResult(status=None, duration_ms=duration_ms, error=text, failure="connection")
    return HttpResult(status=None, duration_ms=duration_ms, error=f"{destination.type}: {exc}", failure="connection")


@dataclass
class SqsSender:
    """Sends the request as one SQS message: the body verbatim, the signature headers as message attributes."""

    roles: AssumedRoles
    destination: Destination
    group_id: str

    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResult:
        started = time.monotonic()
        try:
            params: dict[str, Any] = {
                "QueueUrl": url,
                "MessageBody": body.decode(),
                "MessageAttributes": {
                    name: {"DataType": "String", "StringValue": value} for name, value in _carried(headers).items()
                },
            }
            if url.endswith(".fifo"):  # one group per hook keeps its order; the event id deduplicates retries
                params.update(MessageGroupId=self.group_id, MessageDeduplicationId=headers["webhook-id"])
            answer = self.roles.client(self.destination, "sqs", timeout).send_message(**params)
        except (BotoCoreError, ClientError) as exc:
            return _failure(self.destination, started, exc)
        reply = json.dumps({"MessageId": answer.get("MessageId")}).encode()
        return HttpResult(status=200, duration_ms=int((time.monotonic() - started) * 1000), body=reply)


@dataclass
class EventBridgeSender:
    """Puts the request as one event on the bus: detail-type is the event type, detail carries the signature
    headers and the exact body as a string (EventBridge re-serialises JSON, which would break the signature)."""

    roles: AssumedRoles
    destination: Destination
    event_type: str

    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResult:
        started = time.monotonic()
        detail = {**_carried(headers), "body": body.decode()}
        entry = {
            "Source": EVENT_SOURCE,
            "DetailType": self.event_type,
            "Detail": json.dumps(detail),
            "EventBusName": url,
        }
        try:
            answer = self.roles.client(self.destination, "events", timeout).put_events(Entries=[entry])
        except (BotoCoreError, ClientError) as exc:
            return _failure(self.destination, started, exc)
        duration_ms = int((time.monotonic() - started) * 1000)
        [result] = answer.get("Entries") or [{}]
        if answer.get("FailedEntryCount") or "EventId" not in result:
            error = f"eventbridge: PutEvents refused the event: {result.get('ErrorCode')}: {result.get('ErrorMessage')}"
            return HttpResult(status=None, duration_ms=duration_ms, error=error, failure="connection")
        return HttpResult(status=200, duration_ms=duration_ms, body=json.dumps({"EventId": result["EventId"]}).encode())


class CrossAccountSenders:
    """Implements DestinationSenders: one AssumedRoles cache per container, a sender per attempt."""

    def __init__(self, roles: AssumedRoles | None = None) -> None:
        self.roles = roles or AssumedRoles()

    def sender(self, hook: Hook, event_type: str) -> SqsSender | EventBridgeSender:
        destination = hook.destination
        if destination is None:
            raise ValueError(f"hook {hook.id} delivers by HTTPS, not through a destination sender")
        if destination.type is DestinationType.SQS:
            return SqsSender(self.roles, destination, group_id=hook.id)
        return EventBridgeSender(self.roles, destination, event_type=event_type)

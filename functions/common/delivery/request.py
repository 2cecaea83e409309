"""What one delivery attempt sends: the exact body and headers, signed. Pure logic: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from functions.common import contract, rawjson, signing
from functions.common.models import Event, Hook, PayloadFormat
from functions.common.timeutil import epoch_seconds, iso
from functions.common.validation import PROTECTED_HEADERS

# Credentials a hook may send to its receiver: executions keep the header, never its value.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
REDACTED = "[redacted]"


def recorded_headers(headers: dict[str, str]) -> dict[str, str]:
    """The request headers as an execution stores them: credential values replaced by REDACTED."""
    return {name: REDACTED if name.lower() in CREDENTIAL_HEADERS else value for name, value in headers.items()}


@dataclass(frozen=True)
class OutgoingRequest:
    url: str
    headers: dict[str, str]
    body: bytes
    payload_format: PayloadFormat


def request_body(payload_format: PayloadFormat, event: Event) -> bytes:
    if payload_format is PayloadFormat.DATA:
        return event.data.encode()
    return rawjson.envelope(event.id, event.type, iso(event.created_at), event.data).encode()


def build_request(hook: Hook, event: Event, now: datetime, secrets: list[str]) -> OutgoingRequest:
    """The exact request: body, custom headers, then Hookwire's own headers (which always win).

    `secrets` are the hook's live secrets in plaintext, newest first.
    """
    body = request_body(hook.payload_format, event)
    timestamp = epoch_seconds(now)
    headers = {name: value for name, value in hook.headers.items() if name.lower() not in PROTECTED_HEADERS}
    headers.update(
        {
            "content-type": "application/json",
            "user-agent": contract.USER_AGENT,
            "webhook-id": event.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signing.signature_header(secrets, event.id, timestamp, body),
        }
    )
    return OutgoingRequest(url=hook.url, headers=headers, body=body, payload_format=hook.payload_format)

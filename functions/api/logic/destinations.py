"""Checking a hook's `destination` at save time: an SQS queue or EventBridge bus in the customer's account, the
role Hookwire assumes there and its external id. Every refusal names the offending field."""

from __future__ import annotations

import re

from functions.api.schemas import DestinationSpec
from functions.common import contract
from functions.common.errors import ValidationFailed
from functions.common.models import Destination, DestinationType

REGION = r"(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})"
ACCOUNT = r"(?P<account>\d{12})"
PARTITION = r"arn:aws(?:-cn|-us-gov)?"
QUEUE_NAME = r"(?P<name>[A-Za-z0-9_-]{1,80}(?:\.fifo)?)"
QUEUE_URL = re.compile(rf"^https://sqs\.{REGION}\.amazonaws\.com(?:\.cn)?/{ACCOUNT}/{QUEUE_NAME}$")
QUEUE_ARN = re.compile(rf"^{PARTITION}:sqs:{REGION}:{ACCOUNT}:{QUEUE_NAME}$")
EVENT_BUS_ARN = re.compile(rf"^{PARTITION}:events:{REGION}:{ACCOUNT}:event-bus/[A-Za-z0-9._\-/]{{1,256}}$")
# The deliver function may assume only roles named hookwire-* (its IAM policy says so): refused here, at save time.
ROLE_NAME_PREFIX = contract.DESTINATION_ROLE_PREFIX
ROLE_ARN = re.compile(rf"^{PARTITION}:iam::{ACCOUNT}:role/(?:[\w+=,.@-]+/)*{ROLE_NAME_PREFIX}[\w+=,.@-]{{1,55}}$")
EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")  # STS's own rule for ExternalId


def _required(value: str | None, field: str, what: str) -> str:
    if not value:
        raise ValidationFailed(f"{field} is required: {what}", field=field)
    return value


def _queue(spec: DestinationSpec) -> tuple[str, str]:
    """(queue URL, region) from the queue's URL or ARN."""
    given = _required(spec.queue_url, "destination.queue_url", "the queue's URL or ARN")
    if match := QUEUE_URL.match(given):
        return given, match["region"]
    if match := QUEUE_ARN.match(given):
        suffix = ".cn" if given.startswith("arn:aws-cn:") else ""
        return f"https://sqs.{match['region']}.amazonaws.com{suffix}/{match['account']}/{match['name']}", match[
            "region"
        ]
    raise ValidationFailed(
        "destination.queue_url must be an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>) "
        "or ARN (arn:aws:sqs:<region>:<account>:<name>)",
        field="destination.queue_url",
    )


def _event_bus(spec: DestinationSpec) -> tuple[str, str]:
    given = _required(spec.event_bus_arn, "destination.event_bus_arn", "the event bus's ARN")
    if match := EVENT_BUS_ARN.match(given):
        return given, match["region"]
    raise ValidationFailed(
        "destination.event_bus_arn must be an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)",
        field="destination.event_bus_arn",
    )


def check_destination(spec: DestinationSpec | None) -> Destination | None:
    """The destination to store, or None for an HTTPS hook (no destination, or type https)."""
    if spec is None or spec.type is DestinationType.HTTPS:
        return None
    target, region = _queue(spec) if spec.type is DestinationType.SQS else _event_bus(spec)
    role_arn = _required(spec.role_arn, "destination.role_arn", "the role Hookwire assumes in your account")
    if not ROLE_ARN.match(role_arn):
        raise ValidationFailed(
            f"destination.role_arn must be an IAM role ARN whose name starts with {ROLE_NAME_PREFIX} "
            f"(arn:aws:iam::<account>:role/{ROLE_NAME_PREFIX}...): Hookwire may assume no other role",
            field="destination.role_arn",
        )
    external_id = _required(
        spec.external_id, "destination.external_id", "the external id your role's trust policy requires"
    )
    if not EXTERNAL_ID.match(external_id):
        raise ValidationFailed(
            "destination.external_id must be 2-1224 characters: letters, digits and + = , . @ : / - _",
            field="destination.external_id",
        )
    return Destination(type=spec.type, target=target, region=region, role_arn=role_arn, external_id=external_id)

"""SQS and EventBridge destinations: what a hook may save, how an attempt reaches the customer's queue or bus
(same body and signature headers, mapped), credentials cached per role, and HTTPS hooks untouched."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from functions.api.logic import hooks
from functions.api.logic.destinations import check_destination
from functions.api.schemas import CreateHook, DestinationSpec, UpdateHook
from functions.common import signing
from functions.common.dal.clients import AwsClients
from functions.common.dal.destinations import AssumedRoles, CrossAccountSenders, EventBridgeSender, SqsSender
from functions.common.delivery import AttemptContext, attempt
from functions.common.errors import ValidationFailed
from functions.common.models import Destination, DestinationType, Event, ExecutionStatus, Hook
from tests.support.fakes import FakeStore, ScriptedSender, fake_deps
from tests.support.hook_fakes import (
    AllowAllUrls,
    FakeHookStore,
    FixedRoles,
    RecordingAwsClient,
    hooks_api_deps,
)

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
QUEUE_URL = "https://sqs.eu-west-1.amazonaws.com/111122223333/orders"
BUS_ARN = "arn:aws:events:eu-west-1:111122223333:event-bus/orders"
ROLE_ARN = "arn:aws:iam::111122223333:role/hookwire-delivery"
SQS_SPEC = {"type": "sqs", "queue_url": QUEUE_URL, "role_arn": ROLE_ARN, "external_id": "acme-7f3a"}


def _spec(**fields: Any) -> DestinationSpec:
    return DestinationSpec.model_validate({**SQS_SPEC, **fields})


def _refusal(**fields: Any) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        check_destination(_spec(**fields))
    return refused.value


def test_an_sqs_queue_is_accepted_by_url_or_arn_and_an_event_bus_by_arn() -> None:
    # When destinations are given by queue URL, queue ARN and bus ARN
    by_url = check_destination(_spec())
    by_arn = check_destination(_spec(queue_url="arn:aws:sqs:eu-west-1:111122223333:orders"))
    bus = check_destination(_spec(type="eventbridge", queue_url=None, event_bus_arn=BUS_ARN))
    # Then each is stored with its target and region (an ARN becomes the queue's URL)
    assert (
        by_url
        == by_arn
        == Destination(
            type=DestinationType.SQS, target=QUEUE_URL, region="eu-west-1", role_arn=ROLE_ARN, external_id="acme-7f3a"
        )
    )
    assert bus is not None and (bus.type, bus.target, bus.region) == (DestinationType.EVENTBRIDGE, BUS_ARN, "eu-west-1")
    assert check_destination(DestinationSpec(type=DestinationType.HTTPS)) is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"queue_url": None}, "destination.queue_url"),
        ({"queue_url": "https://example.com/111122223333/orders"}, "destination.queue_url"),
        ({"queue_url": "https://sqs.EU-WEST-1.amazonaws.com/111122223333/orders"}, "destination.queue_url"),
        (
            {"type": "eventbridge", "event_bus_arn": "arn:aws:events:eu-west-1:1111:event-bus/x"},
            "destination.event_bus_arn",
        ),
        ({"type": "eventbridge"}, "destination.event_bus_arn"),
        ({"role_arn": None}, "destination.role_arn"),
        ({"role_arn": "arn:aws:iam::111122223333:role/Admin"}, "destination.role_arn"),
        ({"role_arn": "arn:aws:iam::111122223333:user/hookwire-x"}, "destination.role_arn"),
        ({"external_id": None}, "destination.external_id"),
        ({"external_id": "has space"}, "destination.external_id"),
    ],
)
def test_a_bad_destination_is_refused_naming_the_field(fields: dict[str, Any], field: str) -> None:
    # When a destination has a bad or missing part, then the 422 names exactly that part
    assert _refusal(**fields).field == field


def _create(store: FakeHookStore, **fields: Any) -> hooks.HookWithSecret:
    body = CreateHook.model_validate({"name": "n", "on": ["order.created"], **fields})
    return hooks.create_hook("ten_1", body, hooks_api_deps(store), NOW)


def test_a_queue_hook_needs_no_url_and_shows_its_target_as_url() -> None:
    # Given a hook created with an SQS destination and no url
    store = FakeHookStore()
    created = _create(store, destination=SQS_SPEC)
    # Then its url is the queue's, and the view shows the destination
    assert created.url == QUEUE_URL and created.destination is not None
    assert created.destination.role_arn == ROLE_ARN
    # And an HTTPS hook without a url, or a queue hook with another url, is refused naming url
    with pytest.raises(ValidationFailed) as no_url:
        _create(store)
    with pytest.raises(ValidationFailed) as other_url:
        _create(store, url="https://r.example/h", destination=SQS_SPEC)
    assert no_url.value.field == other_url.value.field == "url"


def _update(store: FakeHookStore, hook_id: str, **fields: Any) -> hooks.HookView:
    body = UpdateHook.model_validate(fields)
    return hooks.update_hook("ten_1", hook_id, body, store, store, AllowAllUrls(), NOW)  # type: ignore[arg-type]


def test_an_update_moves_a_hook_between_https_and_a_queue() -> None:
    # Given an HTTPS hook
    store = FakeHookStore()
    created = _create(store, url="https://r.example/h")
    # When it moves to a queue, then back to HTTPS with a url
    to_queue = _update(store, created.id, destination=SQS_SPEC)
    with pytest.raises(ValidationFailed) as url_on_queue:
        _update(store, created.id, url="https://r.example/other")
    with pytest.raises(ValidationFailed) as back_without_url:
        _update(store, created.id, destination={"type": "https"})
    back = _update(store, created.id, destination={"type": "https"}, url="https://r.example/again")
    # Then each state is consistent, and the refusals name url
    assert to_queue.url == QUEUE_URL and to_queue.destination is not None
    assert url_on_queue.value.field == back_without_url.value.field == "url"
    assert back.url == "https://r.example/again" and back.destination is None
    assert "destination" not in store.hooks[created.id].model_dump_json()


def _hook(destination: Destination | None) -> Hook:
    return Hook(
        id="hook_1",
        tenant_id="ten_1",
        name="n",
        url=destination.target if destination else "https://r.example/h",
        on=["order.created"],
        destination=destination,
        created_at=NOW,
        updated_at=NOW,
        secrets=[hooks.HookSecret(ciphertext=signing.generate_secret(), created_at=NOW)],
    )


EVENT = Event(id="evt_1", tenant_id="ten_1", type="order.created", data='{"a":1}', created_at=NOW)
HEADERS = {
    "content-type": "application/json",
    "user-agent": "Hookwire/test",
    "webhook-id": "evt_1",
    "webhook-timestamp": "1700000000",
    "webhook-signature": "v1,abc",
    "x-custom": "not carried",
}


def test_sqs_carries_the_exact_body_and_the_signature_headers_as_message_attributes() -> None:
    # Given an SQS destination
    destination = check_destination(_spec())
    assert destination is not None
    client = RecordingAwsClient(answers={"SendMessage": {"MessageId": "m-1"}})
    sender = SqsSender(FixedRoles(client), destination, group_id="hook_1")  # type: ignore[arg-type]
    # When a request is posted to it
    result = sender.post(QUEUE_URL, HEADERS, b'{"a":1}', 2.0)
    # Then one SendMessage carries the body verbatim and the Standard Webhooks headers as attributes
    [(operation, params)] = client.calls
    attributes = params["MessageAttributes"]
    assert operation == "SendMessage" and params["QueueUrl"] == QUEUE_URL and params["MessageBody"] == '{"a":1}'
    assert isinstance(attributes, dict) and set(attributes) == {
        "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "user-agent"
    }  # fmt: skip
    assert attributes["webhook-signature"] == {"DataType": "String", "StringValue": "v1,abc"}
    assert "MessageGroupId" not in params
    assert result.status == 200 and json.loads(result.body) == {"MessageId": "m-1"}


def test_a_fifo_queue_gets_one_group_per_hook_and_the_event_id_as_deduplication_id() -> None:
    destination = check_destination(_spec(queue_url=QUEUE_URL + ".fifo"))
    assert destination is not None
    client = RecordingAwsClient()
    SqsSender(FixedRoles(client), destination, group_id="hook_1").post(QUEUE_URL + ".fifo", HEADERS, b"{}", 2.0)  # type: ignore[arg-type]
    [(_, params)] = client.calls
    assert (params["MessageGroupId"], params["MessageDeduplicationId"]) == ("hook_1", "evt_1")


def test_eventbridge_puts_the_body_as_a_string_with_the_event_type_as_detail_type() -> None:
    # Given an EventBridge destination
    destination = check_destination(_spec(type="eventbridge", queue_url=None, event_bus_arn=BUS_ARN))
    assert destination is not None
    client = RecordingAwsClient(answers={"PutEvents": {"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]}})
    sender = EventBridgeSender(FixedRoles(client), destination, event_type="order.created")  # type: ignore[arg-type]
    # When a request is posted to it
    result = sender.post(BUS_ARN, HEADERS, b'{"a": 1}', 2.0)
    # Then the entry's detail holds the exact body bytes as a string (so the signature still verifies)
    [(_, params)] = client.calls
    [entry] = params["Entries"]  # type: ignore[misc]
    detail = json.loads(entry["Detail"])
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == ("hookwire", "order.created", BUS_ARN)
    assert detail["body"] == '{"a": 1}' and detail["webhook-signature"] == "v1,abc" and "x-custom" not in detail
    assert result.status == 200


def test_a_refused_put_or_send_is_a_failed_attempt_that_says_why() -> None:
    # Given a bus that rejects the entry, and a queue whose role may not send
    bus = check_destination(_spec(type="eventbridge", queue_url=None, event_bus_arn=BUS_ARN))
    queue = check_destination(_spec())
    assert bus is not None and queue is not None
    rejected = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}]}
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "no sqs:SendMessage"}}, "SendMessage")
    timed_out = ReadTimeoutError(endpoint_url=QUEUE_URL)
    # When each is posted to
    put = EventBridgeSender(FixedRoles(RecordingAwsClient({"PutEvents": rejected})), bus, "t").post(
        BUS_ARN, HEADERS, b"{}", 1
    )  # type: ignore[arg-type]
    sent = SqsSender(FixedRoles(RecordingAwsClient({"SendMessage": denied})), queue, "h").post(
        QUEUE_URL, HEADERS, b"{}", 1
    )  # type: ignore[arg-type]
    slow = SqsSender(FixedRoles(RecordingAwsClient({"SendMessage": timed_out})), queue, "h").post(
        QUEUE_URL, HEADERS, b"{}", 1
    )  # type: ignore[arg-type]
    # Then each is a transport failure (retried on the schedule) whose error names the cause
    assert put.status is None and "InternalFailure: try again" in (put.error or "")
    assert sent.status is None and "AccessDenied: no sqs:SendMessage" in (sent.error or "")
    assert slow.failure == "timeout"


def _credentials(expires_at: datetime) -> dict[str, Any]:
    return {
        "Credentials": {
            "AccessKeyId": "AKIA",
            "SecretAccessKey": "secret",
            "SessionToken": "token",
            "Expiration": expires_at,
        }
    }


def test_a_roles_credentials_are_assumed_once_and_refreshed_shortly_before_they_expire() -> None:
    # Given STS answering with credentials valid for one hour, and a clock we move
    sts = RecordingAwsClient(answers={"AssumeRole": _credentials(NOW + timedelta(hours=1))})
    clients = AwsClients()
    clients.inject("sts", sts)
    now = [NOW.timestamp()]
    roles = AssumedRoles(clients, clock=lambda: now[0])
    destination = check_destination(_spec())
    assert destination is not None
    # When many deliveries use the role within 50 minutes, then one more after 56 minutes
    first = roles.client(destination, "sqs", 2.0)
    for _ in range(50):
        assert roles.client(destination, "sqs", 2.0) is first
    now[0] += 56 * 60
    roles.client(destination, "sqs", 2.0)
    # Then STS was asked twice, each time with the hook's external id
    assert [call[0] for call in sts.calls] == ["AssumeRole", "AssumeRole"]
    assert sts.calls[0][1]["ExternalId"] == "acme-7f3a" and sts.calls[0][1]["RoleArn"] == ROLE_ARN


def test_a_failing_assume_role_is_the_attempts_error_naming_the_role() -> None:
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "not trusted"}}, "AssumeRole")
    clients = AwsClients()
    clients.inject("sts", RecordingAwsClient(answers={"AssumeRole": denied}))
    destination = check_destination(_spec())
    assert destination is not None
    result = SqsSender(AssumedRoles(clients), destination, "h").post(QUEUE_URL, HEADERS, b"{}", 1)
    assert result.status is None and "assuming destination.role_arn" in (result.error or "")


class _Senders:
    """DestinationSenders that records which hooks asked, answering with one scripted sender."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.sent = ScriptedSender()

    def sender(self, hook: Hook, event_type: str) -> ScriptedSender:
        self.asked.append(hook.id)
        return self.sent


def test_an_attempt_picks_the_destination_sender_and_an_https_hook_never_touches_it() -> None:
    # Given one queue hook and one HTTPS hook, and a delivery for each
    queue_hook, https_hook = _hook(check_destination(_spec())), _hook(None).model_copy(update={"id": "hook_2"})
    with ThreadPoolExecutor(1) as executor:
        http = ScriptedSender()
        deps = fake_deps(executor, store=FakeStore(), http=http)
        senders = _Senders()
        deps.destinations = senders
        # When both are attempted
        queued = attempt(queue_hook, EVENT, AttemptContext(attempt=1), deps, NOW)
        posted = attempt(https_hook, EVENT, AttemptContext(attempt=1), deps, NOW)
    # Then the queue hook went through the destination sender with its signed request, recorded like any other
    assert senders.asked == ["hook_1"] and senders.sent.requests == [QUEUE_URL]
    assert queued.execution.status is ExecutionStatus.SUCCEEDED and queued.execution.request_url == QUEUE_URL
    # And the HTTPS hook used the HTTP client only (no AssumeRole, no extra request)
    assert http.requests == ["https://r.example/h"] and posted.execution.status is ExecutionStatus.SUCCEEDED


def test_cross_account_senders_build_the_sender_matching_the_destination() -> None:
    senders = CrossAccountSenders(AssumedRoles(AwsClients()))
    queue = senders.sender(_hook(check_destination(_spec())), "order.created")
    bus = senders.sender(_hook(check_destination(_spec(type="eventbridge", event_bus_arn=BUS_ARN))), "order.created")
    assert isinstance(queue, SqsSender) and queue.group_id == "hook_1"
    assert isinstance(bus, EventBridgeSender) and bus.event_type == "order.created"

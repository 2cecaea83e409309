"""Fan-out rules on in-memory fakes, through `fan_out` and `Routes` only: a duplicate message for an event
already fanned out, an event that is gone, replays, and bad messages refused by field and text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.common.dal.hooks import RouteTarget
from functions.common.errors import EventRejected, PermanentMessageError
from functions.common.models import DeliveryMessage, Event, EventMessage, EventType, Hook, HookStatus, Tenant
from functions.fanout.logic import Routes, fan_out
from tests.support.fakes import FakeQueue, FakeSubscriptions, fake_fanout_deps
from tests.support.logs import captured_logs, log_lines

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
RETENTION_DAYS = 7


class RecordingSubscriptions(FakeSubscriptions):
    """FakeSubscriptions that also reads events for replays and records claims and route lookups."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.claims: list[tuple[str, str, str, datetime]] = []
        self.routed: list[tuple[str, str]] = []
        self.reads: list[tuple[str, str, datetime | None]] = []
        self.retention_days: list[int] = []

    def create_event(self, event: Event, retention_days: int) -> Event | None:
        self.retention_days.append(retention_days)
        return super().create_event(event, retention_days)

    def claim_fanout(self, tenant_id: str, event_id: str, claimant: str, now: datetime) -> Event | None:
        self.claims.append((tenant_id, event_id, claimant, now))
        return super().claim_fanout(tenant_id, event_id, claimant, now)

    def route_targets(self, tenant_id: str, event_type: str) -> list[RouteTarget]:
        self.routed.append((tenant_id, event_type))
        return super().route_targets(tenant_id, event_type)

    def get_event(self, tenant_id: str, event_id: str, now: datetime | None = None) -> Event | None:
        self.reads.append((tenant_id, event_id, now))
        return self.events.get((tenant_id, event_id))


def _hook(hook_id: str, on: list[str], status: HookStatus = HookStatus.ACTIVE) -> Hook:
    return Hook(
        id=hook_id,
        tenant_id="ten_a",
        name=hook_id,
        url="https://hooks.example.com/",
        on=on,
        status=status,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.fixture
def subscriptions() -> RecordingSubscriptions:
    return RecordingSubscriptions(
        tenants={"ten_a": Tenant(id="ten_a", name="a", created_at=NOW)},
        event_types={"lead.created": EventType(type="lead.created"), "lead.lost": EventType(type="lead.lost")},
        hooks={
            "ten_a": [
                _hook("hook_all", ["*"]),
                _hook("hook_leads", ["lead.created"]),
                _hook("hook_paused", ["*"], HookStatus.PAUSED),
            ]
        },
    )


def _deliveries(queue: FakeQueue) -> list[DeliveryMessage]:
    return [DeliveryMessage.model_validate_json(message.body) for message in queue.sent]


def _stored(subscriptions: FakeSubscriptions, event_id: str = "evt_1", **fields: object) -> Event:
    event = Event(id=event_id, tenant_id="ten_a", type="lead.created", data="{}", created_at=NOW, **fields)
    subscriptions.events[("ten_a", event_id)] = event
    return event


def _fan_out(
    subscriptions: FakeSubscriptions,
    queue: FakeQueue,
    message: EventMessage,
    raw_data: str | None = None,
    message_id: str | None = None,
) -> int:
    """One message through `fan_out` with a fresh routing index, as the handler does per batch; without a
    message id, as the local runtime calls it."""
    deps = fake_fanout_deps(subscriptions, queue, RETENTION_DAYS)
    if message_id is None:
        return fan_out(message, deps, Routes(subscriptions), NOW, raw_data)
    return fan_out(message, deps, Routes(subscriptions), NOW, raw_data, message_id)


@pytest.fixture
def queue() -> FakeQueue:
    return FakeQueue()


def test_a_producer_event_is_stored_and_sent_to_each_active_matching_hook(subscriptions, queue) -> None:
    # Given a producer's publish body for lead.created, with its exact data text
    message = EventMessage(tenant_id="ten_a", type="lead.created", data={"a": 1}, id="evt_1")
    # When it is fanned out
    count = _fan_out(subscriptions, queue, message, '{"a" : 1}', "msg_1")
    # Then the event is stored with that text, claimed by the SQS message, and one delivery goes per active hook
    assert count == 2
    assert _deliveries(queue) == [
        DeliveryMessage(tenant_id="ten_a", hook_id="hook_all", event_id="evt_1"),
        DeliveryMessage(tenant_id="ten_a", hook_id="hook_leads", event_id="evt_1"),
    ]
    stored = subscriptions.events[("ten_a", "evt_1")]
    assert stored.data == '{"a" : 1}' and stored.created_at == NOW
    assert stored.fanned_out_at == NOW and stored.fanout_hooks == ["hook_all", "hook_leads"]
    assert subscriptions.claims == [("ten_a", "evt_1", "msg_1", NOW)]
    assert subscriptions.retention_days == [RETENTION_DAYS]


def test_a_duplicate_message_for_an_event_already_fanned_out_sends_nothing(subscriptions, queue) -> None:
    # Given an event stored and already fanned out
    _stored(subscriptions, fanned_out_at=NOW - timedelta(minutes=1), fanout_hooks=["hook_all"])
    # When a message naming it arrives again
    with captured_logs() as logs:
        count = _fan_out(subscriptions, queue, EventMessage(tenant_id="ten_a", id="evt_1"))
    # Then nothing is sent or rewritten, and the log says it was a duplicate, naming the event
    assert count == 0 and queue.sent == []
    assert subscriptions.events[("ten_a", "evt_1")].fanned_out_at == NOW - timedelta(minutes=1)
    assert [(line["message"], line["event_id"]) for line in log_lines(logs.getvalue())] == [
        ("event already fanned out; duplicate message ignored", "evt_1")
    ]


def test_a_message_for_an_event_that_is_gone_sends_nothing(subscriptions, queue) -> None:
    # Given no stored event evt_9, and a message without an SQS message id (the local runtime's case)
    # When a message naming it is fanned out
    with captured_logs() as logs:
        count = _fan_out(subscriptions, queue, EventMessage(tenant_id="ten_a", id="evt_9"))
    # Then nothing is sent, the claim was made under a local claimant, and the log says why
    assert count == 0 and queue.sent == []
    assert subscriptions.claims == [("ten_a", "evt_9", "local-evt_9", NOW)]
    assert [(line["message"], line["event_id"]) for line in log_lines(logs.getvalue())] == [
        ("event gone or claimed by another message; nothing to fan out", "evt_9")
    ]


def test_a_stored_event_named_by_id_is_fanned_out_and_the_earlier_hooks_kept(subscriptions, queue) -> None:
    # Given a stored event that an earlier replay already sent to hook_old
    _stored(subscriptions, fanout_hooks=["hook_old"])
    # When the API's message for it is fanned out
    count = _fan_out(subscriptions, queue, EventMessage(tenant_id="ten_a", id="evt_1"), None, "m")
    # Then both matching hooks get it and the event records the union of hooks, sorted
    assert count == 2
    assert subscriptions.events[("ten_a", "evt_1")].fanout_hooks == ["hook_all", "hook_leads", "hook_old"]


def test_a_replay_goes_only_to_the_named_hooks_that_still_match(subscriptions, queue) -> None:
    # Given a stored event already fanned out
    _stored(subscriptions, fanned_out_at=NOW - timedelta(hours=1), fanout_hooks=["hook_all", "hook_leads"])
    replay = EventMessage(tenant_id="ten_a", id="evt_1", replay=True, hook_ids=["hook_leads", "hook_paused", "hook_x"])
    # When a replay naming one matching, one paused and one unknown hook is fanned out
    count = _fan_out(subscriptions, queue, replay, None, "m")
    # Then the event is read (not claimed) and only the active matching named hook gets it
    assert count == 1
    assert _deliveries(queue) == [DeliveryMessage(tenant_id="ten_a", hook_id="hook_leads", event_id="evt_1")]
    assert subscriptions.reads == [("ten_a", "evt_1", NOW)] and subscriptions.claims == []


def test_hook_ids_narrow_only_a_replay(subscriptions, queue) -> None:
    # Given a stored event not yet fanned out
    _stored(subscriptions)
    # When a message that is not a replay but names one hook is fanned out
    count = _fan_out(subscriptions, queue, EventMessage(tenant_id="ten_a", id="evt_1", hook_ids=["hook_leads"]))
    # Then every active matching hook gets it: a first fan-out is never narrowed
    assert count == 2
    assert [d.hook_id for d in _deliveries(queue)] == ["hook_all", "hook_leads"]


def test_a_replay_without_hook_ids_goes_to_every_matching_hook(subscriptions, queue) -> None:
    # Given a stored event already fanned out
    _stored(subscriptions, fanned_out_at=NOW - timedelta(hours=1))
    # When a replay naming no hooks is fanned out
    count = _fan_out(subscriptions, queue, EventMessage(tenant_id="ten_a", id="evt_1", replay=True))
    # Then every active matching hook gets it again
    assert count == 2


def test_a_replay_of_an_event_that_is_gone_sends_nothing(subscriptions, queue) -> None:
    # Given no stored event
    # When a replay for it is fanned out
    count = _fan_out(subscriptions, queue, EventMessage(tenant_id="ten_a", id="evt_9", replay=True))
    # Then nothing is sent
    assert count == 0 and queue.sent == []


@pytest.mark.parametrize(
    ("message", "error", "field", "text"),
    [
        (EventMessage(tenant_id="ten_a", replay=True), PermanentMessageError, "id", "a replay message needs an id"),
        (
            EventMessage(tenant_id="ten_a"),
            PermanentMessageError,
            "id",
            "an events-queue message needs either data or an id",
        ),
        (
            EventMessage(tenant_id="ten_x", type="lead.created", data={}),
            EventRejected,
            "tenant_id",
            "unknown tenant ten_x",
        ),
        (
            EventMessage(tenant_id="ten_a", type="nope", data={}),
            EventRejected,
            "type",
            "event rejected: type 'nope' is not in the event-type catalogue",
        ),
        (
            EventMessage(tenant_id="ten_a", type="lead.created", data=[1]),
            EventRejected,
            "data",
            "event rejected: data must be a JSON object",
        ),
        (
            EventMessage(tenant_id="ten_a", type="lead.created", data={"big": "x" * (256 * 1024)}),
            EventRejected,
            "data",
            "event rejected: data is larger than 256 KiB",
        ),
    ],
)
def test_a_bad_message_is_refused_naming_the_field_and_saying_why(
    subscriptions, queue, message: EventMessage, error: type[Exception], field: str, text: str
) -> None:
    # Given a message fanout cannot act on
    # When it is fanned out
    with pytest.raises(PermanentMessageError) as refused:
        _fan_out(subscriptions, queue, message, None, "m")
    # Then the error is permanent, of the expected kind, names the field and says why; nothing is sent or stored
    assert type(refused.value) is error
    assert (refused.value.field, refused.value.message) == (field, text)
    assert queue.sent == [] and subscriptions.events == {}


def test_routes_are_looked_up_once_per_tenant_and_type_in_a_batch(subscriptions) -> None:
    # Given one routing index for a batch
    routes = Routes(subscriptions)
    # When the same tenant and type are routed twice, and another type once
    first = routes.targets("ten_a", "lead.created")
    again = routes.targets("ten_a", "lead.created")
    other = routes.targets("ten_a", "lead.lost")
    # Then the index is read once per (tenant, type) and the answers are the matching active hooks
    assert first == again == [RouteTarget("hook_all"), RouteTarget("hook_leads")] and other == [RouteTarget("hook_all")]
    assert subscriptions.routed == [("ten_a", "lead.created"), ("ten_a", "lead.lost")]


def test_the_fan_out_log_line_counts_the_hooks(subscriptions, queue) -> None:
    # Given a stored event
    _stored(subscriptions)
    # When it is fanned out, logging at DEBUG (the line is DEBUG: one per event would be the hot path's cost)
    with captured_logs("DEBUG") as logs:
        _fan_out(subscriptions, queue, EventMessage(tenant_id="ten_a", id="evt_1"))
    # Then one line names the event, tenant and type and counts the hooks
    line = log_lines(logs.getvalue())[-1]
    assert {key: line[key] for key in ("message", "event_id", "tenant_id", "event_type", "hooks")} == {
        "message": "event fanned out",
        "event_id": "evt_1",
        "tenant_id": "ten_a",
        "event_type": "lead.created",
        "hooks": 2,
    }

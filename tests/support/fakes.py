"""In-memory stand-ins for what delivery (functions/common/delivery/ports.py) and fanout depend on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime

from functions.common.dal.hooks import RouteTarget
from functions.common.dal.queues import OutgoingMessage
from functions.common.delivery import DeliverDeps
from functions.common.errors import DependencyFailure
from functions.common.http_client import HttpResult
from functions.common.matching import matches_any
from functions.common.models import Event, EventType, Execution, Hook, HookSecret, HookStatus, Ordering, Tenant
from functions.common.retry import RetrySchedule
from functions.fanout.logic import FanoutDeps


@dataclass
class FakeStore:
    """Hooks and events as delivery sees them (the HookStore and EventStore ports): pass it as both."""

    hooks: dict[str, Hook] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    broken_hooks: set[str] = field(default_factory=set)  # reading these raises, as a corrupt item would

    def add(self, *records: Hook | Event) -> None:
        for record in records:
            (self.hooks if isinstance(record, Hook) else self.events)[record.id] = record

    def get_hook(self, tenant_id: str, hook_id: str) -> Hook | None:
        if hook_id in self.broken_hooks:
            raise ValueError(f"hook {hook_id} does not parse")
        hook = self.hooks.get(hook_id)
        return hook if hook and hook.tenant_id == tenant_id else None

    def get_hooks(self, keys: Iterable[tuple[str, str]]) -> dict[str, Hook]:
        found = (self.get_hook(tenant_id, hook_id) for tenant_id, hook_id in keys)
        return {hook.id: hook for hook in found if hook}

    def get_event(self, tenant_id: str, event_id: str, now: datetime | None = None) -> Event | None:
        event = self.events.get(event_id)
        return event if event and event.tenant_id == tenant_id else None

    def get_events(self, keys: Iterable[tuple[str, str]]) -> dict[str, Event]:
        found = (self.get_event(tenant_id, event_id) for tenant_id, event_id in keys)
        return {event.id: event for event in found if event}

    def update_hook(self, tenant_id: str, hook_id: str, change: Callable[[Hook], Hook | None]) -> Hook:
        current = self.hooks[hook_id]
        updated = change(current)
        if updated is not None:
            self.hooks[hook_id] = updated
        return updated or current

    def mark_settled(self, tenant_id: str, event_id: str, hook_id: str, at: datetime) -> None:
        event = self.events[event_id]
        self.events[event_id] = event.model_copy(update={"settled": {**event.settled, hook_id: at}})


def signed_hook(hook_id: str, tenant_id: str, now: datetime, **fields: object) -> Hook:
    """An active hook on every event type with one live secret, at https://receiver.example/{hook_id}."""
    secret = HookSecret(ciphertext="whsec_" + "a" * 43 + "=", created_at=now)
    url = f"https://receiver.example/{hook_id}"
    return Hook.model_validate(
        {"id": hook_id, "tenant_id": tenant_id, "name": hook_id, "url": url, "on": ["*"], "created_at": now,
         "updated_at": now, "secrets": [secret], **fields}
    )  # fmt: skip


@dataclass
class FakeExecutions:
    written: list[Execution] = field(default_factory=list)
    refuse: Callable[[Execution], bool] = lambda _execution: False  # a write the store refuses

    def put(self, execution: Execution) -> None:
        if self.refuse(execution):
            raise ValueError("item too large")
        self.written.append(execution)

    def put_many(self, executions: Sequence[Execution]) -> None:
        if any(self.refuse(execution) for execution in executions):
            raise ValueError("item too large")  # one bad item fails the whole BatchWriteItem
        self.written.extend(executions)


@dataclass
class FakeQueue:
    sent: list[OutgoingMessage] = field(default_factory=list)
    refuse: Callable[[OutgoingMessage], bool] = lambda _message: False

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)

    def send_many(self, messages: Sequence[OutgoingMessage]) -> None:
        self.sent.extend(messages)

    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[int]:
        unsent = [position for position, message in enumerate(messages) if self.refuse(message)]
        self.sent.extend(message for position, message in enumerate(messages) if position not in unsent)
        return unsent


@dataclass
class FakeRateCounter:
    """Per-hook, per-second counters in memory; `updates` counts the requests the real one would make."""

    counts: dict[tuple[str, int], int] = field(default_factory=dict)
    updates: int = 0
    unavailable: bool = False

    def take(self, hook_id: str, wanted: int, now: datetime) -> int:
        self.updates += 1
        if self.unavailable:
            raise DependencyFailure("UpdateItem failed: ProvisionedThroughputExceededException")
        key = (hook_id, int(now.timestamp()))
        before = self.counts.get(key, 0)
        self.counts[key] = before + wanted
        return before


@dataclass
class FakeHeldQueue:
    """The FIFO queue's visibility changes: receipt handle -> seconds held."""

    held: dict[str, float] = field(default_factory=dict)

    def hold(self, receipt_handle: str, seconds: float) -> None:
        self.held[receipt_handle] = seconds


class PlainSecrets:
    """The 'ciphertext' is the secret itself."""

    def open(self, ciphertext: str, context: dict[str, str]) -> str:
        return ciphertext


@dataclass
class ScriptedSender:
    """An HTTP sender answering from a script; it can advance a fake clock to simulate slow receivers."""

    answer: Callable[[str], HttpResult] = lambda _url: HttpResult(status=200, duration_ms=1)
    clock: FakeClock | None = None
    seconds_per_request: float = 0.0
    requests: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # each request's headers, in sending order

    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResult:
        self.requests.append(url)
        self.headers.append(headers)
        if self.clock:
            self.clock.advance(self.seconds_per_request)
        return self.answer(url)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def fake_deps(
    executor: Executor,
    *,
    store: FakeStore | None = None,
    http: object | None = None,
    executions: FakeExecutions | None = None,
    queue: FakeQueue | None = None,
    rate_counter: FakeRateCounter | None = None,
    ordered_queue: FakeHeldQueue | None = None,
    clock: Callable[[], float] | None = None,
    timeout_seconds: float = 1.0,
    concurrency: int = 10,
    schedule: str = "1s,1s",
    disable_after_seconds: float = 7 * 86400,
) -> DeliverDeps:
    extra = {"clock": clock} if clock else {}
    store = store or FakeStore()
    return DeliverDeps(
        hooks=store,
        events=store,
        executions=executions or FakeExecutions(),
        deliveries=queue or FakeQueue(),
        ordered_deliveries=ordered_queue or FakeHeldQueue(),
        rate_counter=rate_counter or FakeRateCounter(),
        http=http or ScriptedSender(),  # type: ignore[arg-type]
        secret_box=PlainSecrets(),
        schedule=RetrySchedule.parse(schedule, jitter=0),
        timeout_seconds=timeout_seconds,
        disable_after_seconds=disable_after_seconds,
        concurrency=concurrency,
        executor=executor,
        **extra,
    )


@dataclass
class FakeSubscriptions:
    """What fanout reads and writes, standing in for its four repositories (pass it as each): tenants,
    event types, hooks (routed as the routing index does) and events in dicts; claiming an event in
    `unreadable_events` raises, as reading a corrupted record does."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    event_types: dict[str, EventType] = field(default_factory=dict)
    hooks: dict[str, list[Hook]] = field(default_factory=dict)
    events: dict[tuple[str, str], Event] = field(default_factory=dict)
    unreadable_events: set[tuple[str, str]] = field(default_factory=set)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def get_event_type(self, type_name: str) -> EventType | None:
        return self.event_types.get(type_name)

    def create_event(self, event: Event, retention_days: int) -> Event | None:
        """The conditional put: an id seen before keeps its stored event, which is returned."""
        key = (event.tenant_id, event.id)
        if key in self.events:
            return self.events[key]
        self.events[key] = event
        return None

    def claim_fanout(self, tenant_id: str, event_id: str, claimant: str, now: datetime) -> Event | None:
        if (tenant_id, event_id) in self.unreadable_events:
            raise ValueError(f"stored event {event_id} does not parse")
        return self.events.get((tenant_id, event_id))

    def claim_fanouts(self, claims: Sequence[tuple[str, str, str]], now: datetime) -> dict[tuple[str, str], Event]:
        """One batch read: a record that does not parse fails it all, as it fails a BatchGetItem's parse."""
        found = {(t, e): self.claim_fanout(t, e, c, now) for t, e, c in claims}
        return {key: event for key, event in found.items() if event is not None}

    def mark_fanned_out(self, event: Event, hook_ids: list[str], now: datetime) -> None:
        update = {"fanned_out_at": now, "fanout_hooks": hook_ids}
        self.events[(event.tenant_id, event.id)] = event.model_copy(update=update)

    def route_targets(self, tenant_id: str, event_type: str) -> list[RouteTarget]:
        """The routing index with each hook's payload filter and ordering, as the route items carry it."""
        hooks = self.hooks.get(tenant_id, [])
        matched = (h for h in hooks if h.status is HookStatus.ACTIVE and matches_any(h.on, event_type))
        targets = (RouteTarget(h.id, h.filter, h.ordering is Ordering.FIFO) for h in matched)
        return sorted(targets, key=lambda target: target.hook_id)


def fake_fanout_deps(
    subscriptions: FakeSubscriptions, deliveries: FakeQueue, retention_days: int = 1, ordered: FakeQueue | None = None
) -> FanoutDeps:
    """One in-memory table stands in for the four repositories fanout reads."""
    return FanoutDeps(
        tenants=subscriptions,  # type: ignore[arg-type]
        event_types=subscriptions,  # type: ignore[arg-type]
        events=subscriptions,  # type: ignore[arg-type]
        hooks=subscriptions,  # type: ignore[arg-type]
        deliveries=deliveries,  # type: ignore[arg-type]
        ordered_deliveries=ordered or FakeQueue(),  # type: ignore[arg-type]
        event_retention_days=retention_days,
    )

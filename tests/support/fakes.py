"""Small in-memory stand-ins for the data-access layer, for logic and handler tests without moto."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from functions.common.dal.queues import OutgoingMessage
from functions.common.models import Event, EventType, Hook, Tenant


@dataclass
class FakeSubscriptions:
    """Tenants, event types, hooks and events in dicts. `unreadable_hooks` are sort keys of stored hooks
    that no longer parse: listing reports them to `on_unreadable` (or raises, as the real table does);
    claiming an event in `unreadable_events` raises, as reading a corrupted record does."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    event_types: dict[str, EventType] = field(default_factory=dict)
    hooks: dict[str, list[Hook]] = field(default_factory=dict)
    unreadable_hooks: dict[str, list[str]] = field(default_factory=dict)
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

    def mark_fanned_out(self, event: Event, hook_ids: list[str], now: datetime) -> None:
        self.events[(event.tenant_id, event.id)] = event.model_copy(
            update={"fanned_out_at": now, "fanout_hooks": hook_ids}
        )

    def list_hooks(
        self,
        tenant_id: str,
        limit: int | None = None,
        cursor: str | None = None,
        on_unreadable: Callable[[str, Exception], None] | None = None,
    ) -> tuple[list[Hook], str | None]:
        for key in self.unreadable_hooks.get(tenant_id, []):
            error = ValueError(f"{key} does not parse")
            if on_unreadable is None:
                raise error
            on_unreadable(key, error)
        return list(self.hooks.get(tenant_id, [])), None


@dataclass
class FakeQueue:
    sent: list[OutgoingMessage] = field(default_factory=list)

    def send(self, message: OutgoingMessage) -> None:
        self.sent.append(message)

    def send_many(self, messages: Sequence[OutgoingMessage]) -> None:
        self.sent.extend(messages)

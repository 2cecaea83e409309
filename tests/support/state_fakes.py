"""Small in-memory stand-ins for the repositories the event-state and dead-letter logic use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from functions.common.models import Event, Execution


@dataclass
class EventsFake:
    """The events repository (functions/common/dal/events.py)."""

    events: dict[str, Event] = field(default_factory=dict)
    settled: list[tuple[str, str, str, datetime]] = field(default_factory=list)
    fanout_failures: list[tuple[str, str, str]] = field(default_factory=list)

    def get_event(self, tenant_id: str, event_id: str, now: datetime | None = None) -> Event | None:
        event = self.events.get(event_id)
        return event if event is not None and event.tenant_id == tenant_id else None

    def get_events(self, keys: Iterable[tuple[str, str]]) -> dict[str, Event]:
        found = (self.get_event(tenant_id, event_id) for tenant_id, event_id in keys)
        return {event.id: event for event in found if event is not None}

    def mark_settled(self, tenant_id: str, event_id: str, hook_id: str, at: datetime) -> None:
        self.settled.append((tenant_id, event_id, hook_id, at))

    def mark_fanout_failed(self, tenant_id: str, event_id: str, reason: str) -> bool:
        if self.get_event(tenant_id, event_id) is None:
            return False
        self.fanout_failures.append((tenant_id, event_id, reason))
        return True


@dataclass
class ExecutionsFake:
    executions: list[Execution] = field(default_factory=list)

    def list_for_event(self, event_id: str, event_created_at: datetime, hook_ids: Sequence[str]) -> list[Execution]:
        return [e for e in self.executions if e.event_id == event_id and e.hook_id in hook_ids]

    def put_many(self, executions: Iterable[Execution]) -> None:
        self.executions.extend(executions)


@dataclass
class RecoveriesFake:
    """The recoveries repository's dead-letter side (functions/common/dal/recoveries.py)."""

    running: set[tuple[str, str, str]] = field(default_factory=set)
    failed: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def mark_failed(self, tenant_id: str, hook_id: str, recovery_id: str, reason: str, now: datetime) -> bool:
        key = (tenant_id, hook_id, recovery_id)
        if key not in self.running:
            return False
        self.running.discard(key)
        self.failed[key] = reason
        return True

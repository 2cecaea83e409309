"""What delivery needs from the outside world, as Protocols: the AWS-backed repositories implement them,
and the logic tests use small in-memory fakes (tests/support/fakes.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from functions.common.dal.queues import OutgoingMessage
from functions.common.http_client import HttpResult
from functions.common.models import Event, Execution, Hook


class HookStore(Protocol):
    """What delivery reads and changes of hooks (functions/common/dal/hooks.py)."""

    def get_hook(self, tenant_id: str, hook_id: str) -> Hook | None: ...

    def get_hooks(self, keys: Iterable[tuple[str, str]]) -> dict[str, Hook]: ...

    def update_hook(self, tenant_id: str, hook_id: str, change: Callable[[Hook], Hook | None]) -> Hook: ...


class EventStore(Protocol):
    """What delivery reads and marks of events (functions/common/dal/events.py)."""

    def get_event(self, tenant_id: str, event_id: str, now: datetime | None = None) -> Event | None: ...

    def get_events(self, keys: Iterable[tuple[str, str]]) -> dict[str, Event]: ...

    def mark_settled(self, tenant_id: str, event_id: str, hook_id: str, at: datetime) -> None: ...


class ExecutionLog(Protocol):
    def put(self, execution: Execution) -> None: ...

    def put_many(self, executions: Sequence[Execution]) -> None: ...


class QueuePublisher(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...

    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[int]:
        """Sends all it can; returns the positions of the messages that could not be sent."""
        ...


class HttpSender(Protocol):
    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResult: ...


class SecretOpener(Protocol):
    def open(self, ciphertext: str, context: dict[str, str]) -> str: ...

"""In-memory stand-ins for what the hooks API logic (functions/api/logic/hooks.py) depends on."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from functions.common.models import EventType, Hook, Tenant
from tests.support.fakes import FakeStore


@dataclass
class FakeHookStore(FakeStore):
    """Hooks in a dict, a fixed catalogue and no tenants: enough for create, update and rotate."""

    catalogue: list[EventType] = field(default_factory=lambda: [EventType(type="order.created")])

    def create_hook(self, hook: Hook) -> None:
        self.hooks[hook.id] = hook

    def list_event_types(self) -> list[EventType]:
        return self.catalogue

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return None

    def count_hooks(self, tenant_id: str) -> int:
        return sum(1 for hook in self.hooks.values() if hook.tenant_id == tenant_id)


@dataclass
class PlainSecretBox:
    """Seals to the plaintext itself (so PlainSecrets opens it) and counts the seals (KMS requests)."""

    seals: int = 0

    def seal(self, plaintext: str, context: dict[str, str]) -> str:
        self.seals += 1
        return plaintext

    def open(self, ciphertext: str, context: dict[str, str]) -> str:
        return ciphertext


class AllowAllUrls:
    def check(self, url: str) -> None:
        return None


@dataclass
class RecordingAwsClient:
    """An SQS, EventBridge or STS client that records each call and answers from `answers` (an exception
    instance is raised instead)."""

    answers: dict[str, object] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    def _call(self, operation: str, kwargs: dict[str, object]) -> object:
        self.calls.append((operation, kwargs))
        answer = self.answers.get(operation, {})
        if isinstance(answer, Exception):
            raise answer
        return answer

    def send_message(self, **kwargs: object) -> object:
        return self._call("SendMessage", kwargs)

    def put_events(self, **kwargs: object) -> object:
        return self._call("PutEvents", kwargs)

    def assume_role(self, **kwargs: object) -> object:
        return self._call("AssumeRole", kwargs)


@dataclass
class FixedRoles:
    """Stands in for AssumedRoles: every destination gets the same recording client."""

    client_for_all: RecordingAwsClient

    def client(self, destination: object, service: str, timeout: float) -> RecordingAwsClient:
        return self.client_for_all


def hooks_api_deps(store: FakeHookStore, box: PlainSecretBox | None = None, max_hooks: int = 0) -> Any:
    """What `create_hook` reads of ApiDeps, on one in-memory store (0 hooks: no per-tenant limit)."""
    return SimpleNamespace(
        hooks=store,
        event_types=store,
        tenants=store,
        guard=AllowAllUrls(),
        secret_box=box or PlainSecretBox(),
        settings=SimpleNamespace(max_hooks_per_tenant=max_hooks),
    )

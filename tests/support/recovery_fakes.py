"""In-memory stand-ins for what a recovery's pages read and write (functions/common/recovery.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from functions.common.models import Execution, Recovery


@dataclass
class FakeRecoveries:
    stored: dict[str, Recovery] = field(default_factory=dict)

    def get(self, tenant_id: str, hook_id: str, recovery_id: str) -> Recovery | None:
        recovery = self.stored.get(recovery_id)
        return recovery if recovery and (recovery.tenant_id, recovery.hook_id) == (tenant_id, hook_id) else None

    def record_page(self, recovery: Recovery, worked_page: int, now: datetime) -> bool:
        """The conditional write: only when the stored page count is still `worked_page`."""
        if self.stored[recovery.id].pages != worked_page:
            return False
        self.stored[recovery.id] = recovery.model_copy(update={"updated_at": now})
        return True


@dataclass
class FakeExecutionPages:
    """A hook's executions by id, read in id order as the key-range Query does."""

    executions: list[Execution] = field(default_factory=list)

    def page_in_range(
        self, hook_id: str, first_id: str, last_id: str, after: str | None, limit: int
    ) -> tuple[list[Execution], bool]:
        in_range = (e for e in self.executions if e.hook_id == hook_id and first_id <= e.id <= last_id)
        matching = sorted((e for e in in_range if e.id > (after or "")), key=lambda e: e.id)
        return matching[:limit], len(matching) > limit

"""A manual retry that delivered an event settles it: the automatic retries already scheduled stop.

A succeeded manual retry marks (event, hook) settled on the event item. deliver reads every due event
anyway (one BatchGetItem per batch), so checking the mark costs no request; only retried messages
(attempt > 1, not manual) are checked. A retry scheduled by a later fan-out (a replay after the manual
retry, which moves `fanned_out_at` past the mark) goes on: the replay asked for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from functions.common.delivery import AttemptOutcome
from functions.common.errors import HookwireError
from functions.common.models import DeliveryMessage, Event, ExecutionStatus
from functions.common.observability import logger


class SettlementStore(Protocol):
    def mark_settled(self, tenant_id: str, event_id: str, hook_id: str, at: datetime) -> None: ...


def superseded_by_manual_retry(message: DeliveryMessage, event: Event) -> bool:
    if message.manual or message.attempt == 1:
        return False
    settled_at = event.settled.get(message.hook_id)
    if settled_at is None:
        return False
    return event.fanned_out_at is None or event.fanned_out_at <= settled_at


def settle_manual_successes(outcomes: Iterable[AttemptOutcome], store: SettlementStore, now: datetime) -> None:
    """Best effort: if the mark can't be written, the next automatic retry still goes out (and succeeds)."""
    for outcome in outcomes:
        execution = outcome.execution
        if not (execution.manual and execution.status is ExecutionStatus.SUCCEEDED) or execution.test:
            continue
        try:
            store.mark_settled(execution.tenant_id, execution.event_id, execution.hook_id, now)
        except HookwireError:
            logger.exception("manual retry not marked settled", extra={"execution_id": execution.id})

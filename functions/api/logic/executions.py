"""Execution history of a hook, and the manual retry of one execution."""

from __future__ import annotations

from datetime import datetime

from functions.api.logic.hooks import get_hook
from functions.api.logic.views import execution_detail
from functions.api.schemas import Accepted, ExecutionDetail, ExecutionView, Page
from functions.common.dal.events import EventsRepository
from functions.common.dal.executions import ExecutionsRepository
from functions.common.dal.hooks import HooksRepository
from functions.common.dal.queues import OutgoingMessage, QueueClient
from functions.common.errors import ExecutionNotFound, NotFound, ValidationFailed
from functions.common.models import DeliveryMessage, Execution, ExecutionStatus, Hook


def list_executions(
    tenant_id: str,
    hook_id: str,
    limit: int,
    cursor: str | None,
    status: ExecutionStatus | None,
    event_type: str | None,
    hooks: HooksRepository,
    executions: ExecutionsRepository,
) -> Page[ExecutionView]:
    get_hook(tenant_id, hook_id, hooks)
    items, next_cursor = executions.list_for_hook(hook_id, limit, cursor, status.value if status else None, event_type)
    return Page[ExecutionView](items=[ExecutionView.of(e) for e in items], next_cursor=next_cursor)


def _get_execution(hook: Hook, execution_id: str, executions: ExecutionsRepository) -> Execution:
    execution = executions.get(hook.id, execution_id)
    if execution is None or execution.tenant_id != hook.tenant_id:
        raise ExecutionNotFound(execution_id)
    return execution


def get_execution(
    tenant_id: str,
    hook_id: str,
    execution_id: str,
    hooks: HooksRepository,
    events: EventsRepository,
    executions: ExecutionsRepository,
    now: datetime,
) -> ExecutionDetail:
    hook = get_hook(tenant_id, hook_id, hooks)
    execution = _get_execution(hook, execution_id, executions)
    event = None if execution.test else events.get_event(tenant_id, execution.event_id, now)
    return execution_detail(execution, event)


def retry_execution(
    tenant_id: str,
    hook_id: str,
    execution_id: str,
    hooks: HooksRepository,
    events: EventsRepository,
    executions: ExecutionsRepository,
    deliveries: QueueClient,
    now: datetime,
) -> Accepted:
    """Deliver that event to that hook again now, whatever the hook's state or the schedule says.
    The new attempt is a manual one: recorded as its own execution, never retried automatically."""
    hook = get_hook(tenant_id, hook_id, hooks)
    execution = _get_execution(hook, execution_id, executions)
    if execution.test:
        raise ValidationFailed("a test delivery can't be retried; send a new test instead", field="execution_id")
    if events.get_event(tenant_id, execution.event_id, now) is None:
        raise NotFound(f"event {execution.event_id} is no longer retained", field="execution_id")
    message = DeliveryMessage(
        tenant_id=tenant_id, hook_id=hook.id, event_id=execution.event_id, attempt=execution.attempt + 1, manual=True
    )
    deliveries.send(OutgoingMessage(body=message.model_dump_json()))
    return Accepted(id=execution.event_id)

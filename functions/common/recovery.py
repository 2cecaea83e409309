"""Working a recovery or bulk replay, one page per events-queue message (fan-out runs it).

A page reads the hook's executions of events published in the range, oldest event first (their ids start
with the event's publish time, so this is one key-range Query on the hook's partition), decides each event
whose executions it has seen whole, and re-sends the chosen ones through the one delivery path: the same
deliveries-queue message a manual retry sends, marked with the recovery id. Then it records the page (the
count of pages, the cursor and the counts, in one conditional write) and hands the next page on.

Crash safety: the page's record is written only if no one recorded that page yet, so a duplicate message
never counts or hands on a page twice. A crash after sending and before recording repeats that one page's
sends (the receiver sees the same webhook-id again, as at-least-once delivery allows); a crash after
recording and before handing on is repaired when SQS redelivers the same message (`advanced_by`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Protocol

from functions.common import ids
from functions.common.dal.queues import OutgoingMessage
from functions.common.matching import entry_matches
from functions.common.models import (
    DeliveryMessage,
    EventMessage,
    Execution,
    ExecutionStatus,
    Recovery,
    RecoveryKind,
    RecoveryPage,
    RecoveryStatus,
)
from functions.common.observability import logger

QUERY_LIMIT = 200  # executions per Query
PAGE_LIMIT = 1000  # executions one page reads at most while looking for the end of an event's attempts


class RecoveryStore(Protocol):
    def get(self, tenant_id: str, hook_id: str, recovery_id: str) -> Recovery | None: ...

    def record_page(self, recovery: Recovery, worked_page: int, now: datetime) -> bool: ...


class ExecutionPages(Protocol):
    def page_in_range(
        self, hook_id: str, first_id: str, last_id: str, after: str | None, limit: int
    ) -> tuple[list[Execution], bool]: ...


class Sender(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...

    def send_many(self, messages: Sequence[OutgoingMessage]) -> None: ...


@dataclass
class RecoveryDeps:
    recoveries: RecoveryStore
    executions: ExecutionPages
    deliveries: Sender
    events: Sender  # the next page's message goes back on the events queue


def page_message(recovery: Recovery) -> OutgoingMessage:
    """The events-queue message that works the recovery's next page."""
    page = RecoveryPage(hook_id=recovery.hook_id, recovery_id=recovery.id, page=recovery.pages)
    message = EventMessage(tenant_id=recovery.tenant_id, recovery=page)
    return OutgoingMessage(body=message.model_dump_json(exclude_defaults=True))


def _wanted(recovery: Recovery, latest: Execution) -> bool:
    """Whether an event whose newest execution at the hook is `latest` is re-sent. Test deliveries never are."""
    if latest.test:
        return False
    if recovery.kind is RecoveryKind.RECOVER:
        return latest.status is ExecutionStatus.FAILED
    return entry_matches(recovery.event_type or "*", latest.event_type)


def _read_page(recovery: Recovery, deps: RecoveryDeps) -> tuple[list[Execution], bool]:
    """Executions after the cursor up to the end of an event's attempts (or the range); whether more remain.
    When more remain, the last event's attempts may continue on the next page, so they are left to it."""
    first, last = ids.execution_range(recovery.since, recovery.until)
    read: list[Execution] = []
    after, more = recovery.cursor, True
    while more and len(read) < PAGE_LIMIT:
        batch, more = deps.executions.page_in_range(recovery.hook_id, first, last, after, QUERY_LIMIT)
        read += batch
        if not batch or len({execution.event_id for execution in read}) > 1:
            break
        after = batch[-1].id
    if more and len({execution.event_id for execution in read}) > 1:
        trailing = read[-1].event_id
        while read[-1].event_id == trailing:
            read.pop()
    return read, more


def work_page(tenant_id: str, page: RecoveryPage, message_id: str, deps: RecoveryDeps, now: datetime) -> int:
    """Work one page of a recovery; returns how many deliveries it queued."""
    recovery = deps.recoveries.get(tenant_id, page.hook_id, page.recovery_id)
    where = {"tenant_id": tenant_id, "hook_id": page.hook_id, "recovery_id": page.recovery_id, "page": page.page}
    if recovery is None or recovery.status is RecoveryStatus.DONE:
        logger.info("recovery gone or done; page message ignored", extra=where)
        return 0
    if recovery.pages == page.page + 1 and recovery.advanced_by == message_id:
        deps.events.send(page_message(recovery))  # recorded, then stopped before handing on: hand on now
        return 0
    if recovery.pages != page.page:
        logger.info("recovery page already worked; duplicate message ignored", extra=where)
        return 0
    executions, more = _read_page(recovery, deps)
    # Attempts made after the recovery started (its own re-sends among them) sort inside their event's
    # attempts, possibly past the cursor: they are not what the request was about.
    before_start = [execution for execution in executions if execution.created_at <= recovery.created_at]
    chosen = [
        latest
        for latest in (list(attempts)[-1] for _, attempts in groupby(before_start, key=lambda e: e.event_id))
        if _wanted(recovery, latest)
    ]
    deliveries = [
        DeliveryMessage(
            tenant_id=tenant_id,
            hook_id=recovery.hook_id,
            event_id=latest.event_id,
            attempt=latest.attempt + 1,
            manual=True,
            recovery_id=recovery.id,
        )
        for latest in chosen
    ]
    deps.deliveries.send_many([OutgoingMessage(body=message.model_dump_json()) for message in deliveries])
    worked = recovery.model_copy(
        update={
            "scanned": recovery.scanned + len(executions),
            "found": recovery.found + len(chosen),
            "queued": recovery.queued + len(deliveries),
            "pages": recovery.pages + 1,
            "cursor": executions[-1].id if executions else recovery.cursor,
            "advanced_by": message_id,
            "status": RecoveryStatus.RUNNING if more else RecoveryStatus.DONE,
            "finished_at": None if more else now,
        }
    )
    if not deps.recoveries.record_page(worked, page.page, now):
        logger.info("recovery page recorded by another message meanwhile", extra=where)
        return len(deliveries)
    if more:
        deps.events.send(page_message(worked))
    logger.info("recovery page worked", extra={**where, "queued": len(deliveries), "more": more})
    return len(deliveries)

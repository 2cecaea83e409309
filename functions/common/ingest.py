"""The one ingest path: every event, whether published through `POST /events` or sent by a producer straight
to the events queue, meets the same rules here before it is stored.

Rules, in order (each refusal names the field): `id` and `type` have the documented shapes, `data` is a
JSON object of real JSON (no NaN or Infinity) nesting at most MAX_DATA_DEPTH levels, at most 256 KiB as
text, the type is in the catalogue, and `data` matches the type's JSON Schema when it has one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from functions.common import ids
from functions.common.errors import PayloadTooLarge, ValidationFailed
from functions.common.models import Event, EventType
from functions.common.schema_check import check_data
from functions.common.validation import json_value_problem

MAX_DATA_BYTES = 256 * 1024
ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,128}$"
TYPE_PATTERN = r"^[A-Za-z0-9_.\-]{1,200}$"
_ID = re.compile(ID_PATTERN)
_TYPE = re.compile(TYPE_PATTERN)


class Catalogue(Protocol):
    """The event types an event may have (functions/common/dal/event_types.py)."""

    def get_event_type(self, type_name: str) -> EventType | None: ...


class EventWriter(Protocol):
    """Where ingest stores events (functions/common/dal/events.py)."""

    def create_event(self, event: Event, retention_days: int) -> Event | None: ...


@dataclass(frozen=True)
class Submission:
    """An event as a producer sent it. `raw_data` is the exact text of `data` when the sender's JSON is at
    hand, so `data` hooks get it byte for byte; `type` and `data` are untyped because a queue message is."""

    tenant_id: str
    type: Any
    data: Any
    raw_data: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class Ingested:
    event: Event  # the stored event: the new one, or the one stored earlier under the same id
    created: bool  # False: the id was seen before and the earlier event was kept (idempotency)


def check_submission(submission: Submission, catalogue: Catalogue) -> str:
    """Apply every rule; returns `data` as the text to store. Raises ValidationFailed or PayloadTooLarge."""
    if submission.id is not None and not (isinstance(submission.id, str) and _ID.match(submission.id)):
        raise ValidationFailed("id must be 1-128 letters, digits and _ . : -", field="id")
    if not isinstance(submission.type, str) or not _TYPE.match(submission.type):
        raise ValidationFailed("type must be 1-200 letters, digits and _ . -", field="type")
    if not isinstance(submission.data, dict):
        raise ValidationFailed("data must be a JSON object", field="data")
    problem = json_value_problem(submission.data)
    if problem is not None:
        path, message = problem
        raise ValidationFailed(message, field=path)
    text = submission.raw_data
    if text is None:
        text = json.dumps(submission.data, separators=(",", ":"), ensure_ascii=False)
    if len(text.encode()) > MAX_DATA_BYTES:
        raise PayloadTooLarge(f"data is larger than {MAX_DATA_BYTES // 1024} KiB", field="data")
    event_type = catalogue.get_event_type(submission.type)
    if event_type is None:
        raise ValidationFailed(f"type {submission.type!r} is not in the event-type catalogue", field="type")
    check_data(submission.data, event_type.json_schema, submission.type)
    return text


def ingest(
    submission: Submission, catalogue: Catalogue, events: EventWriter, retention_days: int, now: datetime
) -> Ingested:
    """Check the event and store it (a conditional put: an id seen before keeps its stored event)."""
    text = check_submission(submission, catalogue)
    event = Event(
        id=submission.id or ids.new_id("evt"),
        tenant_id=submission.tenant_id,
        type=submission.type,
        data=text,
        created_at=now,
    )
    existing = events.create_event(event, retention_days)
    return Ingested(event=existing, created=False) if existing is not None else Ingested(event=event, created=True)

"""The event-type catalogue, in the subscriptions table.

| item       | pk          | sk          |
|------------|-------------|-------------|
| event type | EVENT_TYPES | TYPE#{type} |
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from functions.common.dal import dynamo
from functions.common.dal.dynamo import Item, s
from functions.common.dal.table import TableRepository
from functions.common.models import EventType

EVENT_TYPES_PK = "EVENT_TYPES"
EVENT_TYPE_CACHE_SECONDS = 5.0
_event_types: dict[tuple[str, str], tuple[float, EventType | None]] = {}


def event_type_key(type_name: str) -> Item:
    return {"pk": s(EVENT_TYPES_PK), "sk": s(f"TYPE#{type_name}")}


class EventTypesRepository(TableRepository):
    def put_event_types(self, event_types: Iterable[EventType]) -> None:
        _event_types.clear()
        requests = [
            {"PutRequest": {"Item": {**event_type_key(t.type), "doc": s(t.model_dump_json(by_alias=True))}}}
            for t in event_types
        ]
        dynamo.batch_write(self._db, self.table, requests)

    def get_event_type(self, type_name: str) -> EventType | None:
        """Read through a per-container cache: every publish checks its type, and the catalogue changes
        rarely. A change made elsewhere is seen within EVENT_TYPE_CACHE_SECONDS; here at once."""
        cached = _event_types.get((self.table, type_name))
        if cached is not None and time.monotonic() - cached[0] < EVENT_TYPE_CACHE_SECONDS:
            return cached[1]
        item = self._get(event_type_key(type_name))
        event_type = EventType.model_validate_json(item["doc"]["S"]) if item else None
        _event_types[(self.table, type_name)] = (time.monotonic(), event_type)
        return event_type

    def list_event_types(self) -> list[EventType]:
        items = dynamo.query_all(self._db, self.table, key_condition="pk = :pk", values={":pk": s(EVENT_TYPES_PK)})
        return [EventType.model_validate_json(item["doc"]["S"]) for item in items]

    def delete_event_type(self, type_name: str) -> bool:
        _event_types.clear()
        return self._delete(event_type_key(type_name)) is not None

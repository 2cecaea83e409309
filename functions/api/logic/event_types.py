"""The event-type catalogue."""

from __future__ import annotations

from functions.api.schemas import EventTypeList, EventTypeView, PutEventType
from functions.common.dal.event_types import EventTypesRepository
from functions.common.errors import EventTypeNotFound, ValidationFailed
from functions.common.models import EventType
from functions.common.schema_check import check_schema


def list_event_types(event_types: EventTypesRepository) -> EventTypeList:
    types = sorted(event_types.list_event_types(), key=lambda t: ((t.category or ""), t.type))
    return EventTypeList(items=[EventTypeView.of(t) for t in types])


def put_event_type(type_name: str, body: PutEventType, event_types: EventTypesRepository) -> EventTypeView:
    if "*" in type_name:
        raise ValidationFailed("an event type can't contain '*' (that is for globs in a hook's on)", field="type")
    if body.json_schema is not None:
        check_schema(body.json_schema)
    event_type = EventType(
        type=type_name,
        description=body.description,
        category=body.category,
        json_schema=body.json_schema,
        example=body.example,
        payload_format=body.payload_format,
    )
    event_types.put_event_types([event_type])
    return EventTypeView.of(event_type)


def delete_event_type(type_name: str, event_types: EventTypesRepository) -> None:
    if not event_types.delete_event_type(type_name):
        raise EventTypeNotFound(type_name)

"""The event-type catalogue."""

from __future__ import annotations

from functions.api.schemas import EventTypeList, EventTypeView, PutEventType
from functions.common.dal.subscriptions import SubscriptionsRepository
from functions.common.errors import NotFound, ValidationFailed
from functions.common.models import EventType
from functions.common.schema_check import check_schema


def list_event_types(subscriptions: SubscriptionsRepository) -> EventTypeList:
    types = sorted(subscriptions.list_event_types(), key=lambda t: ((t.category or ""), t.type))
    return EventTypeList(items=[EventTypeView.of(t) for t in types])


def put_event_type(type_name: str, body: PutEventType, subscriptions: SubscriptionsRepository) -> EventTypeView:
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
    subscriptions.put_event_types([event_type])
    return EventTypeView.of(event_type)


def delete_event_type(type_name: str, subscriptions: SubscriptionsRepository) -> None:
    if not subscriptions.delete_event_type(type_name):
        raise NotFound(f"event type {type_name} not found", field="type")

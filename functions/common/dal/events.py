"""Events, in the subscriptions table.

| item  | pk                        | sk    |
|-------|---------------------------|-------|
| event | EVENT#{tenant}#{event_id} | EVENT |

An event item also carries delivery state written after the fact, as attributes beside `doc`:
`settled#{hook_id}` (when a manual retry delivered the event to that hook) and `fanout_error`.

No per-event write lands on a per-tenant key: each event is its own partition (written once by the
publish and once when fanned out).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from functions.common.dal import dynamo
from functions.common.dal.dynamo import Item, n, s
from functions.common.dal.table import TableRepository
from functions.common.models import Event
from functions.common.timeutil import epoch_seconds

_UNCLAIMED_OR_MINE = "attribute_exists(pk) AND (attribute_not_exists(claimed_by) OR claimed_by = :claimant)"
_SETTLED_PREFIX = "settled#"
_FANOUT_ERROR = "fanout_error"


def event_key(tenant_id: str, event_id: str) -> Item:
    return {"pk": s(f"EVENT#{tenant_id}#{event_id}"), "sk": s("EVENT")}


def _event_item(event: Event, retention_days: int) -> Item:
    expires = epoch_seconds(event.created_at + timedelta(days=retention_days))
    return {
        **event_key(event.tenant_id, event.id),
        "doc": s(event.model_dump_json(include={"id", "tenant_id", "type", "created_at"})),
        "data": s(event.data),
        "expires_at": n(expires),
    }


def _event_from_item(item: Item) -> Event:
    event = Event.model_validate_json(item["doc"]["S"][:-1] + ',"data":' + json.dumps(item["data"]["S"]) + "}")
    fanned_out_at = item.get("fanned_out_at", {}).get("S")
    return event.model_copy(
        update={
            "fanout_hooks": sorted(item["fanout_hooks"]["SS"]) if "fanout_hooks" in item else None,
            "fanned_out_at": datetime.fromisoformat(fanned_out_at) if fanned_out_at else None,
            "claimed_by": item.get("claimed_by", {}).get("S"),
            "settled": {
                name.removeprefix(_SETTLED_PREFIX): datetime.fromisoformat(value["S"])
                for name, value in item.items()
                if name.startswith(_SETTLED_PREFIX)
            },
            "fanout_error": item.get(_FANOUT_ERROR, {}).get("S"),
        }
    )


class EventsRepository(TableRepository):
    def create_event(self, event: Event, retention_days: int) -> Event | None:
        """Store a new event. When the id was seen within the retention, returns the stored event instead
        (idempotency); two racing publishes of one id resolve in the conditional put, so one wins."""
        created = self._conditional(
            self._db.put_item,
            Item=_event_item(event, retention_days),
            # TTL deletes lag by up to days: an expired event counts as gone.
            ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
            ExpressionAttributeValues={":now": n(epoch_seconds(event.created_at))},
        )
        if created:
            return None
        existing = self.get_event(event.tenant_id, event.id, event.created_at)
        if existing is None:  # expired between the two calls: the id is free again
            return self.create_event(event, retention_days)
        return existing

    def _read(self, tenant_id: str, event_id: str, now: datetime | None, consistent: bool) -> Event | None:
        item = self._get(event_key(tenant_id, event_id), consistent=consistent)
        if not item:
            return None
        # TTL deletion lags by up to days; an expired event is treated as gone.
        if now is not None and int(item["expires_at"]["N"]) < epoch_seconds(now):
            return None
        return _event_from_item(item)

    def get_event(self, tenant_id: str, event_id: str, now: datetime | None = None) -> Event | None:
        return self._read(tenant_id, event_id, now, consistent=False)

    def get_events(self, keys: Iterable[tuple[str, str]]) -> dict[str, Event]:
        items = dynamo.batch_get(self._db, self.table, (event_key(tenant_id, event_id) for tenant_id, event_id in keys))
        events = (_event_from_item(item) for item in items)
        return {event.id: event for event in events}

    def delete_event(self, tenant_id: str, event_id: str) -> None:
        dynamo.call(self._db.delete_item, TableName=self.table, Key=event_key(tenant_id, event_id))

    def claim_fanout(self, tenant_id: str, event_id: str, claimant: str, now: datetime) -> Event | None:
        """The event, when `claimant` may fan it out: it is retained and no other message fanned it out.

        `claimant` is the SQS message id, which stays the same when SQS redelivers that message. This is a
        read; `mark_fanned_out` records the claim together with the hooks, so fan-out writes the event
        once. None to a second message for the same event (a retried publish re-enqueues) or when the event
        is gone. Two messages for one event racing each other may both send (receivers see one webhook-id
        twice, which at-least-once delivery allows); only one of them is recorded.
        """
        return self.claim_fanouts([(tenant_id, event_id, claimant)], now).get((tenant_id, event_id))

    def claim_fanouts(self, claims: Sequence[tuple[str, str, str]], now: datetime) -> dict[tuple[str, str], Event]:
        """`claim_fanout` for many (tenant, event, claimant) in strongly consistent BatchGetItem calls (one
        per 100 events), keyed by (tenant, event). Absent: gone, expired, or claimed by another message."""
        items = dynamo.batch_get(self._db, self.table, (event_key(t, e) for t, e, _ in claims), consistent=True)
        retained = [item for item in items if int(item["expires_at"]["N"]) >= epoch_seconds(now)]
        stored = {(event.tenant_id, event.id): event for event in map(_event_from_item, retained)}
        claimed: dict[tuple[str, str], Event] = {}
        for tenant_id, event_id, claimant in claims:
            event = stored.get((tenant_id, event_id))
            if event is not None and event.claimed_by in (None, claimant):
                claimed[(tenant_id, event_id)] = event.model_copy(update={"claimed_by": claimant})
        return claimed

    def mark_fanned_out(self, event: Event, hook_ids: list[str], now: datetime) -> None:
        """Record that `event.claimed_by` fanned the event out to `hook_ids` (one write of the event).

        When the condition fails another message fanned it out first (or the event is gone): its record
        stands."""
        values: Item = {":now": s(now.isoformat()), ":claimant": s(event.claimed_by or "")}
        # A replay of an event no message has claimed yet must leave the claim to that message.
        update = "SET fanned_out_at = :now" + (", claimed_by = :claimant" if event.claimed_by else "")
        if hook_ids:
            update += ", fanout_hooks = :hooks"
            values[":hooks"] = {"SS": sorted(set(hook_ids))}
        # A fan-out that went through clears an earlier failure (a replay after the DLQ).
        update += f" REMOVE {_FANOUT_ERROR}"
        self._conditional(
            self._db.update_item,
            Key=event_key(event.tenant_id, event.id),
            UpdateExpression=update,
            ConditionExpression=_UNCLAIMED_OR_MINE,
            ExpressionAttributeValues=values,
        )

    def _set_on_event(self, tenant_id: str, event_id: str, attribute: str, value: str) -> bool:
        """Set one attribute on a stored event; False when the event is gone (nothing is created)."""
        return self._conditional(
            self._db.update_item,
            Key=event_key(tenant_id, event_id),
            UpdateExpression="SET #attribute = :value",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#attribute": attribute},
            ExpressionAttributeValues={":value": s(value)},
        )

    def mark_settled(self, tenant_id: str, event_id: str, hook_id: str, at: datetime) -> None:
        """A manual retry delivered the event to the hook: automatic retries scheduled before `at` stop.
        Stored on the event item, which deliver reads anyway, so checking it costs no extra request."""
        self._set_on_event(tenant_id, event_id, f"{_SETTLED_PREFIX}{hook_id}", at.isoformat())

    def mark_fanout_failed(self, tenant_id: str, event_id: str, reason: str) -> bool:
        """The event's fan-out message reached the DLQ; False when the event is not stored."""
        return self._set_on_event(tenant_id, event_id, _FANOUT_ERROR, reason)

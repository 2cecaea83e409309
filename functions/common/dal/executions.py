"""The executions table: one item per delivery attempt, expiring through TTL.

pk = HOOK#{hook_id}, sk = {execution_id}. An execution id starts with its event's group (the event's
publish time and a hash of its id, `ids.event_group`), so under a hook:
- the history, newest first, is a reverse Query of the hook's partition;
- one event's attempts are adjacent: GET /events/{id} reads them with one `begins_with` Query per hook the
  event went to. No GSI, so an attempt costs exactly one write.

The item is kept small enough that a successful attempt is one write unit: the record is one compact
JSON document without defaults, without the fields the keys hold, and without the request headers
Hookwire sets to constant or derivable values; the body sent is never stored (it is rebuilt from the
event).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from functions.common import contract, ids
from functions.common.dal import dynamo
from functions.common.dal.clients import AwsClients, aws
from functions.common.dal.dynamo import Item, n, s
from functions.common.dal.table import TableRepository
from functions.common.models import Execution
from functions.common.timeutil import epoch_seconds

_SPEC = contract.EXECUTIONS_TABLE
_IN_KEYS_OR_ATTRIBUTES = {"id", "hook_id", "status", "event_type"}


def execution_partition(hook_id: str) -> str:
    """A hook's executions share its partition, newest last by id."""
    return f"HOOK#{hook_id}"


def execution_key(hook_id: str, execution_id: str) -> Item:
    return {_SPEC.partition_key: s(execution_partition(hook_id)), _SPEC.sort_key: s(execution_id)}


def _derived_request_headers(execution: Execution) -> dict[str, str]:
    """Request headers every attempt of this event carries: not stored, put back when read."""
    return {"content-type": "application/json", "user-agent": contract.USER_AGENT, "webhook-id": execution.event_id}


class ExecutionsRepository(TableRepository):
    def __init__(self, table_name: str, retention_days: int, clients: AwsClients = aws) -> None:
        super().__init__(table_name, clients)
        self.retention_days = retention_days

    def _item(self, execution: Execution) -> Item:
        expires = epoch_seconds(execution.created_at + timedelta(days=self.retention_days))
        derived = _derived_request_headers(execution)
        headers = {k: v for k, v in execution.request_headers.items() if derived.get(k) != v}
        doc = execution.model_copy(update={"request_headers": headers}).model_dump_json(
            exclude=_IN_KEYS_OR_ATTRIBUTES, exclude_defaults=True
        )
        return {
            **execution_key(execution.hook_id, execution.id),
            "status": s(execution.status.value),
            "event_type": s(execution.event_type),
            "doc": s(doc),
            _SPEC.ttl_attribute: n(expires),
        }

    @staticmethod
    def _execution(item: Item) -> Execution:
        values = json.loads(item["doc"]["S"])
        values.update(
            id=item[_SPEC.sort_key]["S"],
            hook_id=item[_SPEC.partition_key]["S"].removeprefix(execution_partition("")),
            status=item["status"]["S"],
            event_type=item["event_type"]["S"],
        )
        execution = Execution.model_validate(values)
        headers = {**_derived_request_headers(execution), **execution.request_headers}
        return execution.model_copy(update={"request_headers": headers})

    def put(self, execution: Execution) -> None:
        dynamo.call(self._db.put_item, TableName=self.table, Item=self._item(execution))

    def put_many(self, executions: Sequence[Execution]) -> None:
        dynamo.batch_write(self._db, self.table, [{"PutRequest": {"Item": self._item(e)}} for e in executions])

    def get(self, hook_id: str, execution_id: str) -> Execution | None:
        response = dynamo.call(
            self._db.get_item,
            TableName=self.table,
            Key=execution_key(hook_id, execution_id),
        )
        item = response.get("Item")
        return self._execution(item) if item else None

    def list_for_hook(
        self,
        hook_id: str,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        event_type: str | None = None,
    ) -> tuple[list[Execution], str | None]:
        filters: list[str] = []
        values: Item = {":pk": s(execution_partition(hook_id))}
        names: dict[str, str] = {}
        if status:
            filters.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = s(status)
        if event_type:
            filters.append("event_type = :event_type")
            values[":event_type"] = s(event_type)
        query: dict[str, Any] = {
            "key_condition": "pk = :pk",
            "values": values,
            "limit": limit,
            "cursor": dynamo.decode_cursor(cursor, "pk", execution_partition(hook_id)),
            "newest_first": True,
            "names": names or None,
        }
        if filters:
            # The limit counts matching executions, not the ones read before the filter.
            items, last = dynamo.query_filtered_page(
                self._db,
                self.table,
                key_names=(_SPEC.partition_key, _SPEC.sort_key),
                filter_expression=" AND ".join(filters),
                **query,
            )
        else:
            items, last = dynamo.query_page(self._db, self.table, **query)
        return [self._execution(i) for i in items], dynamo.encode_cursor(last)

    def list_for_event(self, event_id: str, event_created_at: datetime, hook_ids: Sequence[str]) -> list[Execution]:
        """Every execution of the event at the hooks it went to: one key-range Query per hook."""
        group = f"exe_{ids.event_group(event_id, event_created_at)}"
        found: list[Execution] = []
        for hook_id in hook_ids:
            items = dynamo.query_all(
                self._db,
                self.table,
                key_condition="pk = :pk AND begins_with(sk, :group)",
                values={":pk": s(execution_partition(hook_id)), ":group": s(group)},
            )
            found.extend(e for e in map(self._execution, items) if e.event_id == event_id)
        return found

    def page_in_range(
        self, hook_id: str, first_id: str, last_id: str, after: str | None, limit: int
    ) -> tuple[list[Execution], bool]:
        """Up to `limit` executions of the hook with ids in [first_id, last_id], oldest event first, after the
        execution id `after`; and whether more remain. One Query (`limit` items at most) per call."""
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :first AND :last",
            "ExpressionAttributeValues": {
                ":pk": s(execution_partition(hook_id)),
                ":first": s(first_id),
                ":last": s(last_id),
            },
            "Limit": limit,
        }
        if after:
            query["ExclusiveStartKey"] = execution_key(hook_id, after)
        response = dynamo.call(self._db.query, **query)
        return [self._execution(item) for item in response["Items"]], "LastEvaluatedKey" in response

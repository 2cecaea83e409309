"""The executions table: one item per delivery attempt, expiring through TTL.

pk = HOOK#{hook_id}, sk = EXEC#{execution_id} (sortable id: newest first is a reverse Query).
GSI `by_event`: event_pk = EVENT#{event_id}, event_sk = {hook_id}#{execution_id}.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from functions.common import contract
from functions.common.dal import dynamo
from functions.common.dal.clients import AwsClients, aws
from functions.common.dal.dynamo import Item, n, s
from functions.common.models import Execution
from functions.common.timeutil import epoch_seconds

_SPEC = contract.EXECUTIONS_TABLE


def _hook_pk(hook_id: str) -> str:
    return f"HOOK#{hook_id}"


class ExecutionsRepository:
    def __init__(self, table_name: str, retention_days: int, clients: AwsClients = aws) -> None:
        self.table = table_name
        self.retention_days = retention_days
        self._clients = clients

    @property
    def _db(self) -> Any:
        return self._clients.get("dynamodb")

    def _item(self, execution: Execution) -> Item:
        expires = epoch_seconds(execution.created_at + timedelta(days=self.retention_days))
        return {
            _SPEC.partition_key: s(_hook_pk(execution.hook_id)),
            _SPEC.sort_key: s(f"EXEC#{execution.id}"),
            _SPEC.index_partition_key: s(f"EVENT#{execution.event_id}"),
            _SPEC.index_sort_key: s(f"{execution.hook_id}#{execution.id}"),
            "status": s(execution.status.value),
            "event_type": s(execution.event_type),
            "doc": s(execution.model_dump_json()),
            _SPEC.ttl_attribute: n(expires),
        }

    def put(self, execution: Execution) -> None:
        dynamo.call(self._db.put_item, TableName=self.table, Item=self._item(execution))

    def put_many(self, executions: Sequence[Execution]) -> None:
        dynamo.batch_write(self._db, self.table, [{"PutRequest": {"Item": self._item(e)}} for e in executions])

    def get(self, hook_id: str, execution_id: str) -> Execution | None:
        response = dynamo.call(
            self._db.get_item,
            TableName=self.table,
            Key={"pk": s(_hook_pk(hook_id)), "sk": s(f"EXEC#{execution_id}")},
        )
        item = response.get("Item")
        return Execution.model_validate_json(item["doc"]["S"]) if item else None

    def list_for_hook(
        self,
        hook_id: str,
        limit: int,
        cursor: str | None,
        status: str | None = None,
        event_type: str | None = None,
    ) -> tuple[list[Execution], str | None]:
        filters: list[str] = []
        values: Item = {":pk": s(_hook_pk(hook_id))}
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
            "cursor": dynamo.decode_cursor(cursor, "pk", _hook_pk(hook_id)),
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
        return [Execution.model_validate_json(i["doc"]["S"]) for i in items], dynamo.encode_cursor(last)

    def list_for_event(self, event_id: str) -> list[Execution]:
        items = dynamo.query_all(
            self._db,
            self.table,
            key_condition=f"{_SPEC.index_partition_key} = :pk",
            values={":pk": s(f"EVENT#{event_id}")},
            index=_SPEC.index_name,
        )
        return [Execution.model_validate_json(item["doc"]["S"]) for item in items]

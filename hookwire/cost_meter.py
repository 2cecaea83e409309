"""Counting what the functions ask of AWS: requests by operation, and DynamoDB capacity units computed from
the items actually written and read, with DynamoDB's size rules and every GSI copy counted.

It hangs on botocore's event hooks of the functions' own clients, so nothing in the functions changes. To
size the item an UpdateItem leaves behind it reads that item back through a private client the meter
does not count.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

EVENT_SOURCE_OPERATIONS = frozenset({"ReceiveMessage", "DeleteMessageBatch", "DeleteMessage"})
# The local runtime's own bookkeeping (queue depths); no function makes these calls.
NOT_COUNTED = frozenset({"GetQueueAttributes"})
WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
_SQS_CHUNK_BYTES = 64 * 1024


def attribute_size(value: dict[str, Any]) -> int:
    """Bytes of one typed attribute value, by DynamoDB's item size rules."""
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = Decimal(inner).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(name.encode()) + attribute_size(member) + 1 for name, member in inner.items())
    if kind == "L":
        return 3 + sum(attribute_size(member) + 1 for member in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: member}) for member in inner)
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT_BYTES))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    return units if consistent else units / 2


@dataclass(frozen=True)
class IndexSpec:
    name: str
    keys: tuple[str, ...]
    projection: str
    included: tuple[str, ...]

    def copy_size(self, item: dict[str, Any], table_keys: tuple[str, ...]) -> int | None:
        """Bytes of this index's copy of `item`, or None when the item is not in the (sparse) index."""
        if not all(key in item for key in self.keys):
            return None
        if self.projection == "ALL":
            return item_size(item)
        kept = {*self.keys, *table_keys, *(self.included if self.projection == "INCLUDE" else ())}
        # DynamoDB adds 100 bytes of overhead to every index entry.
        return item_size({name: value for name, value in item.items() if name in kept}) + 100


@dataclass(frozen=True)
class TableShape:
    keys: tuple[str, ...]
    indexes: tuple[IndexSpec, ...]


class CostMeter:
    def __init__(self, inspector: Any) -> None:
        """`inspector` is a DynamoDB client the meter may use freely (its calls are not counted)."""
        self.requests: Counter[str] = Counter()
        self.write_units: Counter[str] = Counter()  # by table (GSI copies included)
        self.read_units: Counter[str] = Counter()
        self.write_units_by_key: defaultdict[tuple[str, str], float] = defaultdict(float)
        self.sqs_billed_requests = 0
        self.idle_receives = 0
        self.kms_requests = 0
        self.aws_seconds_by_thread: defaultdict[int, float] = defaultdict(float)
        self.aws_calls_by_thread: Counter[int] = Counter()
        self.meter_seconds_by_thread: defaultdict[int, float] = defaultdict(float)
        self._inspector = inspector
        self._shapes: dict[str, TableShape] = {}
        self._lock = threading.Lock()

    # --- wiring ----------------------------------------------------------------------------------
    def attach(self, clients: dict[str, Any]) -> None:
        for client in clients.values():
            events = client.meta.events
            events.register("before-parameter-build", self._before_parameters)
            events.register("before-call", self._before_call)
            events.register("after-call", self._after_call)

    def _before_parameters(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        context["meter_params"] = dict(params)
        if model.name == "UpdateItem":
            with self._own_time():
                context["meter_old_size"] = self._stored_size(params["TableName"], params["Key"])

    @contextlib.contextmanager
    def _own_time(self) -> Iterator[None]:
        """The meter's own work (reading items back to size them) is no function's time."""
        started = time.perf_counter()
        try:
            yield
        finally:
            with self._lock:
                self.meter_seconds_by_thread[threading.get_ident()] += time.perf_counter() - started

    def _before_call(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        context["meter_started"] = time.perf_counter()

    def _after_call(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if model.name in NOT_COUNTED:
            return
        if model.name == "ReceiveMessage" and not parsed.get("Messages"):
            # An idle poll: the event source long-polls an empty queue whatever the traffic, a fixed cost
            # per queue and poller (docs/cost.md), not a cost of any delivery.
            with self._lock:
                self.idle_receives += 1
            return
        elapsed = time.perf_counter() - context.get("meter_started", time.perf_counter())
        params = context.get("meter_params", {})
        with self._lock:
            self.requests[model.name] += 1
            self.aws_seconds_by_thread[threading.get_ident()] += elapsed
            self.aws_calls_by_thread[threading.get_ident()] += 1
            if model.service_model.service_name == "kms":
                self.kms_requests += 1
            if model.service_model.service_name == "sqs":
                self.sqs_billed_requests += self._sqs_chunks(model.name, params)
        if model.service_model.service_name == "dynamodb":
            with self._own_time():
                self._dynamodb(model.name, params, parsed, context)

    @property
    def aws_requests(self) -> int:
        return sum(self.requests.values())

    def split(self) -> tuple[Counter[str], Counter[str]]:
        own = Counter({k: v for k, v in self.requests.items() if k not in EVENT_SOURCE_OPERATIONS})
        source = Counter({k: v for k, v in self.requests.items() if k in EVENT_SOURCE_OPERATIONS})
        return own, source

    # --- SQS ---------------------------------------------------------------------------------------
    @staticmethod
    def _sqs_chunks(operation: str, params: dict[str, Any]) -> int:
        if operation == "SendMessageBatch":
            size = sum(len(entry["MessageBody"].encode()) for entry in params.get("Entries", []))
        elif operation == "SendMessage":
            size = len(params.get("MessageBody", "").encode())
        else:
            return 1
        return max(1, math.ceil(size / _SQS_CHUNK_BYTES))

    # --- DynamoDB ------------------------------------------------------------------------------------
    def _shape(self, table: str) -> TableShape:
        if table not in self._shapes:
            description = self._inspector.describe_table(TableName=table)["Table"]
            keys = tuple(k["AttributeName"] for k in description["KeySchema"])
            indexes = tuple(
                IndexSpec(
                    name=index["IndexName"],
                    keys=tuple(k["AttributeName"] for k in index["KeySchema"]),
                    projection=index["Projection"]["ProjectionType"],
                    included=tuple(index["Projection"].get("NonKeyAttributes", [])),
                )
                for index in description.get("GlobalSecondaryIndexes", [])
            )
            self._shapes[table] = TableShape(keys, indexes)
        return self._shapes[table]

    def _stored_item(self, table: str, key: dict[str, Any]) -> dict[str, Any]:
        return self._inspector.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})

    def _stored_size(self, table: str, key: dict[str, Any]) -> int:
        return item_size(self._stored_item(table, key))

    def _record_write(self, table: str, item: dict[str, Any], size: int, touched: set[str] | None = None) -> None:
        """A write of `item` (billed at `size` bytes) and its GSI copies. `touched` names the attributes an
        update changed: an index none of whose attributes changed is not written."""
        shape = self._shape(table)
        units = float(write_units(size))
        for index in shape.indexes:
            copy = index.copy_size(item, shape.keys)
            projected = set(item) if index.projection == "ALL" else {*index.keys, *index.included}
            if copy is not None and (touched is None or touched & projected):
                units += write_units(copy)
        partition = item.get(shape.keys[0], {}).get("S", "?")
        with self._lock:
            self.write_units[table] += units
            self.write_units_by_key[(table, partition)] += units

    def _dynamodb(
        self, operation: str, params: dict[str, Any], parsed: dict[str, Any], context: dict[str, Any]
    ) -> None:
        table = params.get("TableName", "")
        if operation == "PutItem":
            self._record_write(table, params["Item"], item_size(params["Item"]))
        elif operation == "UpdateItem":
            item = self._stored_item(table, params["Key"])
            size = max(item_size(item), context.get("meter_old_size", 0))
            touched = set(params.get("ExpressionAttributeNames", {}).values()) | {
                word.strip(",") for word in params.get("UpdateExpression", "").split() if word.isidentifier()
            }
            self._record_write(table, item or params["Key"], size, touched)
        elif operation == "DeleteItem":
            self._record_write(table, params["Key"], item_size(parsed.get("Attributes", params["Key"])))
        elif operation == "BatchWriteItem":
            for name, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        self._record_write(name, item, item_size(item))
                    else:
                        self._record_write(name, request["DeleteRequest"]["Key"], 1)
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                (kind, body), *_ = action.items()
                item = body.get("Item") or body.get("Key", {})
                # Transactions cost twice the units of the same writes outside one.
                for _ in range(2):
                    self._record_write(body["TableName"], item, item_size(item) if kind == "Put" else 1)
        elif operation in ("GetItem", "Query", "BatchGetItem"):
            self._reads(operation, params, parsed)

    def _reads(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        if operation == "GetItem":
            units = {
                params["TableName"]: read_units(item_size(parsed.get("Item", {})), bool(params.get("ConsistentRead")))
            }
        elif operation == "Query":
            # A Query is billed on the summed size of the items it read, not per item.
            total = sum(item_size(item) for item in parsed.get("Items", []))
            units = {params["TableName"]: read_units(total, bool(params.get("ConsistentRead")))}
        else:
            units = {
                table: sum(
                    read_units(item_size(item), bool(params["RequestItems"][table].get("ConsistentRead")))
                    for item in items
                )
                for table, items in parsed.get("Responses", {}).items()
            }
        with self._lock:
            for table, value in units.items():
                self.read_units[table] += value

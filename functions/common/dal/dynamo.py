"""Low-level DynamoDB helpers: attribute (de)serialisation, cursors, batched reads and writes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

from functions.common.dal.sdk import call
from functions.common.errors import BadRequest, DependencyFailure

Item = dict[str, Any]
BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
MAX_SORT_KEY_BYTES = 1024  # DynamoDB's limit for a sort key value
_BACKOFF_SECONDS = (0.05, 0.1, 0.2, 0.4, 0.8, 1.6)


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def key_of(item: Item) -> Item:
    """The key attributes of a stored item (both tables key on `pk` and `sk`), to delete or re-read it."""
    return {"pk": item["pk"], "sk": item["sk"]}


def plain(item: Item) -> dict[str, Any]:
    """Flatten the S/N attributes this project stores into a dict of Python values."""
    out: dict[str, Any] = {}
    for name, typed in item.items():
        if "S" in typed:
            out[name] = typed["S"]
        elif "N" in typed:
            out[name] = int(typed["N"])
        elif "BOOL" in typed:
            out[name] = typed["BOOL"]
    return out


def encode_cursor(last_key: Item | None) -> str | None:
    if not last_key:
        return None
    return base64.urlsafe_b64encode(json.dumps(last_key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, partition_key: str, partition_value: str, sort_key: str = "sk") -> Item | None:
    """A cursor is only valid for the partition it came from: that keeps tenants apart."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, RecursionError) as exc:
        raise BadRequest("cursor is not a cursor this API returned", field="cursor") from exc
    # Only the shape this API hands out: the partition it came from and a string sort key. Anything else
    # would reach DynamoDB as a malformed ExclusiveStartKey and fail there (a 5xx instead of a 400).
    if (
        not isinstance(key, dict)
        or set(key) != {partition_key, sort_key}
        or key[partition_key] != {"S": partition_value}
        or not isinstance(key[sort_key], dict)
        or set(key[sort_key]) != {"S"}
        or not isinstance(key[sort_key]["S"], str)
        or not 0 < len(key[sort_key]["S"].encode()) <= MAX_SORT_KEY_BYTES
    ):
        raise BadRequest("cursor is not a cursor this API returned", field="cursor")
    return key


def batch_write(client: Any, table: str, requests: Sequence[Item]) -> None:
    """BatchWriteItem in chunks of 25, retrying unprocessed items with backoff until none are left."""
    for start in range(0, len(requests), BATCH_WRITE_LIMIT):
        pending: list[Item] = list(requests[start : start + BATCH_WRITE_LIMIT])
        for delay in (*_BACKOFF_SECONDS, None):
            response = call(client.batch_write_item, RequestItems={table: pending})
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                break
            if delay is None:
                raise DependencyFailure(f"{len(pending)} writes stayed unprocessed after retries")
            time.sleep(delay)


def batch_get(client: Any, table: str, keys: Iterable[Item], consistent: bool = False) -> list[Item]:
    """BatchGetItem in chunks of 100 (keys deduplicated), retrying unprocessed keys."""
    unique = {json.dumps(key, sort_keys=True): key for key in keys}
    all_keys = list(unique.values())
    found: list[Item] = []
    for start in range(0, len(all_keys), BATCH_GET_LIMIT):
        pending = {table: {"Keys": all_keys[start : start + BATCH_GET_LIMIT], "ConsistentRead": consistent}}
        for delay in (*_BACKOFF_SECONDS, None):
            response = call(client.batch_get_item, RequestItems=pending)
            found.extend(response.get("Responses", {}).get(table, []))
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                break
            if delay is None:
                raise DependencyFailure("reads stayed unprocessed after retries")
            time.sleep(delay)
    return found


def query_page(
    client: Any,
    table: str,
    *,
    key_condition: str,
    values: Item,
    limit: int | None,
    cursor: Item | None,
    newest_first: bool = False,
    index: str | None = None,
    names: dict[str, str] | None = None,
    filter_expression: str | None = None,
) -> tuple[list[Item], Item | None]:
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": not newest_first,
    }
    if limit:
        kwargs["Limit"] = limit
    if cursor:
        kwargs["ExclusiveStartKey"] = cursor
    if index:
        kwargs["IndexName"] = index
    if names:
        kwargs["ExpressionAttributeNames"] = names
    if filter_expression:
        kwargs["FilterExpression"] = filter_expression
    response = call(client.query, **kwargs)
    return response.get("Items", []), response.get("LastEvaluatedKey")


# A filtered page stops reading after this many evaluated items (then its cursor says where to go on),
# so one request's read cost stays bounded however rare the matching items are.
MAX_EVALUATED_PER_PAGE = 2000
_FILTERED_READ_MAX = 1000


def query_filtered_page(
    client: Any,
    table: str,
    *,
    key_names: tuple[str, str],
    limit: int,
    cursor: Item | None,
    filter_expression: str,
    **kwargs: Any,
) -> tuple[list[Item], Item | None]:
    """Up to `limit` items that pass the filter, and the cursor after the last one returned.

    DynamoDB applies `Limit` before the filter, so one Query with Limit=5 may return no match at all
    while matches exist further on. This reads on, in growing pages, until it has `limit` matches, the
    partition ends, or MAX_EVALUATED_PER_PAGE items were evaluated; then a page with fewer items still
    carries a cursor. `key_names` (the table's or index's key attributes) rebuild the cursor when a read
    returned more matches than the page takes.
    """
    found: list[Item] = []
    evaluated = 0
    read_size = limit
    while True:
        items, last = query_page(
            client, table, limit=read_size, cursor=cursor, filter_expression=filter_expression, **kwargs
        )
        evaluated += read_size
        room = limit - len(found)
        if len(items) >= room:
            taken = items[:room]
            found.extend(taken)
            # Cut inside this read: go on right after the last item returned, not after the read's end.
            cut = {name: taken[-1][name] for name in key_names} if len(items) > room else last
            return found, cut
        found.extend(items)
        cursor = last
        if not last or evaluated >= MAX_EVALUATED_PER_PAGE:
            return found, last
        read_size = min(read_size * 2, _FILTERED_READ_MAX)


def query_all(client: Any, table: str, *, key_condition: str, values: Item, **kwargs: Any) -> list[Item]:
    items: list[Item] = []
    cursor: Item | None = None
    while True:
        page, cursor = query_page(
            client, table, key_condition=key_condition, values=values, limit=None, cursor=cursor, **kwargs
        )
        items.extend(page)
        if not cursor:
            return items

"""Hooks and their routing index, in the subscriptions table.

| item       | pk                    | sk             |
|------------|-----------------------|----------------|
| hook       | TENANT#{tenant}       | HOOK#{hook_id} |
| route      | ROUTE#{tenant}#{type} | {hook_id}      |
| glob route | ROUTE#{tenant}#*      | {hook_id}      |

Hooks carry a `version` for optimistic locking, because the API and the deliver function both update them.

Routes are fan-out's index: one item per (tenant, exact event type) an active hook listens to, and one
item per active hook with globs, under the tenant's glob key. Routing an event reads the hooks listening
to its exact type plus the tenant's glob hooks, never the hooks listening to other types. A hook and its
routes are one aggregate: they are written together (in one transaction when the change fits in one, so a
reader never sees a route without its hook's change) and routes exist only for active hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from functions.common.dal import dynamo
from functions.common.dal.dynamo import Item, n, s
from functions.common.dal.table import TableRepository
from functions.common.dal.tenants import tenant_partition
from functions.common.errors import Conflict, DependencyFailure, HookNotFound
from functions.common.matching import entry_matches, is_glob
from functions.common.models import Hook, HookStatus

GLOB_ROUTE = "*"
_HOOK_PREFIX = "HOOK#"
_MAX_LOCK_RETRIES = 5
_TRANSACTION_LIMIT = 100


def hook_key(tenant_id: str, hook_id: str) -> Item:
    return {"pk": s(tenant_partition(tenant_id)), "sk": s(f"{_HOOK_PREFIX}{hook_id}")}


def route_partition(tenant_id: str, event_type: str) -> str:
    """The routes of one exact event type, or with GLOB_ROUTE, of every hook with globs."""
    return f"ROUTE#{tenant_id}#{event_type}"


def route_key(tenant_id: str, event_type: str, hook_id: str) -> Item:
    return {"pk": s(route_partition(tenant_id, event_type)), "sk": s(hook_id)}


def route_items(hook: Hook) -> dict[tuple[str, str], Item]:
    """The routing items of `hook`, by (pk, sk): none unless it is active."""
    if hook.status is not HookStatus.ACTIVE:
        return {}
    items = [route_key(hook.tenant_id, entry, hook.id) for entry in hook.on if not is_glob(entry)]
    globs = sorted(entry for entry in hook.on if is_glob(entry))
    if globs:
        items.append({**route_key(hook.tenant_id, GLOB_ROUTE, hook.id), "globs": {"SS": globs}})
    return {(item["pk"]["S"], item["sk"]["S"]): item for item in items}


def _hook_item(hook: Hook, version: int) -> Item:
    return {**hook_key(hook.tenant_id, hook.id), "doc": s(hook.model_dump_json()), "version": n(version)}


def _parse_hooks(items: list[Item], on_unreadable: Callable[[str, Exception], None] | None) -> list[Hook]:
    hooks: list[Hook] = []
    for item in items:
        try:
            hooks.append(Hook.model_validate_json(item["doc"]["S"]))
        except (ValidationError, KeyError) as exc:
            if on_unreadable is None:
                raise
            on_unreadable(item.get("sk", {}).get("S", "?"), exc)
    return hooks


def _as_batch_request(change: Item) -> Item:
    if "Delete" in change:
        return {"DeleteRequest": {"Key": change["Delete"]["Key"]}}
    return {"PutRequest": {"Item": change["Put"]["Item"]}}


class HooksRepository(TableRepository):
    def _write_hook(self, hook_put: Item, old: Hook | None, new: Hook) -> bool:
        """Write a hook (`hook_put` is a PutItem's arguments, with its condition) and the routing items that
        changed. False when the condition failed. One transaction when it fits in one; a hook with more
        routes than that has them written right after it."""
        old_routes = route_items(old) if old else {}
        new_routes = route_items(new)
        changes: list[Item] = [
            {"Delete": {"TableName": self.table, "Key": dynamo.key_of(old_routes[key])}}
            for key in old_routes.keys() - new_routes.keys()
        ]
        changes += [
            {"Put": {"TableName": self.table, "Item": item}}
            for key, item in new_routes.items()
            if old_routes.get(key) != item
        ]
        if not changes or len(changes) >= _TRANSACTION_LIMIT:
            if not self._conditional(self._db.put_item, **hook_put):
                return False
            dynamo.batch_write(self._db, self.table, [_as_batch_request(change) for change in changes])
            return True
        try:
            self._db.transact_write_items(TransactItems=[{"Put": {"TableName": self.table, **hook_put}}, *changes])
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise DependencyFailure(f"TransactWriteItems failed: {exc.response['Error'].get('Code')}") from exc
        return True

    def create_hook(self, hook: Hook) -> None:
        put = {"Item": _hook_item(hook, 1), "ConditionExpression": "attribute_not_exists(pk)"}
        if not self._write_hook(put, None, hook):
            raise Conflict(f"hook {hook.id} already exists", field="hook_id")

    def import_hooks(self, hooks: Iterable[Hook]) -> None:
        """Bulk-load new hooks with their routes in batched writes (25 items a call, unconditional: the
        caller guarantees the ids are new)."""
        requests = [
            {"PutRequest": {"Item": item}}
            for hook in hooks
            for item in (_hook_item(hook, 1), *route_items(hook).values())
        ]
        dynamo.batch_write(self._db, self.table, requests)

    def _get_versioned(self, tenant_id: str, hook_id: str) -> tuple[Hook, int] | None:
        item = self._get(hook_key(tenant_id, hook_id))
        if not item:
            return None
        return Hook.model_validate_json(item["doc"]["S"]), int(item["version"]["N"])

    def get_hook(self, tenant_id: str, hook_id: str) -> Hook | None:
        found = self._get_versioned(tenant_id, hook_id)
        return found[0] if found else None

    def get_hooks(self, keys: Iterable[tuple[str, str]]) -> dict[str, Hook]:
        """Many hooks in BatchGetItem calls, keyed by hook id. Missing hooks are simply absent."""
        items = dynamo.batch_get(self._db, self.table, (hook_key(tenant_id, hook_id) for tenant_id, hook_id in keys))
        hooks = (Hook.model_validate_json(item["doc"]["S"]) for item in items)
        return {hook.id: hook for hook in hooks}

    def _hooks_query(self, tenant_id: str) -> dict[str, Any]:
        return {
            "key_condition": "pk = :pk AND begins_with(sk, :hook)",
            "values": {":pk": s(tenant_partition(tenant_id)), ":hook": s(_HOOK_PREFIX)},
        }

    def list_hooks(
        self,
        tenant_id: str,
        limit: int | None = None,
        cursor: str | None = None,
        on_unreadable: Callable[[str, Exception], None] | None = None,
    ) -> tuple[list[Hook], str | None]:
        """A page of the tenant's hooks (all of them without `limit`). With `on_unreadable`, a stored hook
        that no longer parses is reported to it (its sort key and the error) and skipped, not raised."""
        query = self._hooks_query(tenant_id)
        if limit is None:
            items, last = dynamo.query_all(self._db, self.table, **query), None
        else:
            page_cursor = dynamo.decode_cursor(cursor, "pk", tenant_partition(tenant_id))
            items, last = dynamo.query_page(self._db, self.table, limit=limit, cursor=page_cursor, **query)
        return _parse_hooks(items, on_unreadable), dynamo.encode_cursor(last)

    def route(self, tenant_id: str, event_type: str) -> list[str]:
        """Ids of the tenant's active hooks whose `on` matches `event_type`: the exact-type routes plus the
        glob routes that match. Hooks listening to other exact types are never read."""

        def routes(route_type: str) -> list[Item]:
            pk = route_partition(tenant_id, route_type)
            return dynamo.query_all(self._db, self.table, key_condition="pk = :pk", values={":pk": s(pk)})

        matched = {item["sk"]["S"] for item in routes(event_type)}
        matched.update(
            item["sk"]["S"]
            for item in routes(GLOB_ROUTE)
            if any(entry_matches(g, event_type) for g in item["globs"]["SS"])
        )
        return sorted(matched)

    def update_hook(self, tenant_id: str, hook_id: str, change: Callable[[Hook], Hook | None]) -> Hook:
        """Read, apply `change`, write back if the hook was not changed meanwhile; retry on a race.

        `change` returns the new hook, or None to leave it as it is.
        """
        for _ in range(_MAX_LOCK_RETRIES):
            found = self._get_versioned(tenant_id, hook_id)
            if not found:
                raise HookNotFound(hook_id)
            hook, version = found
            updated = change(hook)
            if updated is None:
                return hook
            put = {
                "Item": _hook_item(updated, version + 1),
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": {":version": n(version)},
            }
            if self._write_hook(put, hook, updated):
                return updated
        raise Conflict(f"hook {hook_id} is being changed concurrently; try again", field="hook_id")

    def count_hooks(self, tenant_id: str) -> int:
        """Query with Select=COUNT: still reads the hooks (0.5 RCU per 4 KB), done only when one is created."""
        query = self._hooks_query(tenant_id)
        total, cursor = 0, None
        while True:
            kwargs = {"ExclusiveStartKey": cursor} if cursor else {}
            response = dynamo.call(
                self._db.query,
                TableName=self.table,
                KeyConditionExpression=query["key_condition"],
                ExpressionAttributeValues=query["values"],
                Select="COUNT",
                **kwargs,
            )
            total += response["Count"]
            cursor = response.get("LastEvaluatedKey")
            if not cursor:
                return total

    def delete_hook(self, tenant_id: str, hook_id: str) -> bool:
        """Deletes the hook and its routes; False when there was no such hook."""
        old = self._delete(hook_key(tenant_id, hook_id))
        if old is None:
            return False
        self._delete_routes([Hook.model_validate_json(old["doc"]["S"])])
        return True

    def delete_hooks(self, tenant_id: str) -> None:
        """Deletes every hook of the tenant with its routes (routes first, so fan-out stops routing to them)."""
        items = dynamo.query_all(self._db, self.table, **self._hooks_query(tenant_id))
        self._delete_routes(Hook.model_validate_json(item["doc"]["S"]) for item in items)
        dynamo.batch_write(self._db, self.table, [{"DeleteRequest": {"Key": dynamo.key_of(i)}} for i in items])

    def _delete_routes(self, hooks: Iterable[Hook]) -> None:
        requests = [
            {"DeleteRequest": {"Key": dynamo.key_of(item)}} for hook in hooks for item in route_items(hook).values()
        ]
        dynamo.batch_write(self._db, self.table, requests)

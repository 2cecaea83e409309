"""The subscriptions table: tenants, tokens, event types, hooks and events (single-table design).

| item        | pk                | sk                 |
|-------------|-------------------|--------------------|
| tenant      | TENANTS           | TENANT#{id}        |
| token       | TOKEN#{sha256}    | TOKEN              |
| token index | TENANT#{tenant}   | TOKEN#{token_id}   |
| admin token index | ADMIN_TOKENS | TOKEN#{token_id} |
| root token use | ADMIN_TOKENS   | ROOT               |
| hook        | TENANT#{tenant}   | HOOK#{hook_id}     |
| route       | ROUTE#{tenant}#{type} | {hook_id}      |
| glob route  | ROUTE#{tenant}#*  | {hook_id}          |
| event       | EVENT#{tenant}#{event_id} | EVENT      |
| event type  | EVENT_TYPES       | TYPE#{type}        |

An event item also carries delivery state written after the fact, as attributes beside `doc`:
`settled#{hook_id}` (when a manual retry delivered the event to that hook) and `fanout_error`.

Every read is a GetItem, a BatchGetItem or a Query on one partition; nothing scans.
Records are stored as a JSON document (`doc`) next to their keys; hooks carry a `version` for
optimistic locking, because the API and the deliver function both update them.

No per-event write lands on a per-tenant key: each event is its own partition (written once by the
publish and once when fanned out). Per-tenant keys take only the writes of hook and token changes.

Routes are fan-out's index: one item per (tenant, exact event type) an active hook listens to, and one
item per active hook with globs, under the tenant's glob key. Routing an event reads the hooks listening
to its exact type plus the tenant's glob hooks, never the hooks listening to other types. They are written
with the hook (in one transaction when the change fits in one) and exist only for active hooks.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from functions.common.dal import dynamo
from functions.common.dal.dynamo import Item, n, s
from functions.common.dal.table import TableRepository
from functions.common.dal.ttl_cache import TtlCache
from functions.common.errors import Conflict, DependencyFailure, NotFound
from functions.common.matching import entry_matches, is_glob
from functions.common.models import Event, EventType, Hook, HookStatus, Tenant, TokenRecord
from functions.common.timeutil import epoch_seconds

TENANTS_PK = "TENANTS"
EVENT_TYPES_PK = "EVENT_TYPES"
_MAX_LOCK_RETRIES = 5
_UNCLAIMED_OR_MINE = "attribute_exists(pk) AND (attribute_not_exists(claimed_by) OR claimed_by = :claimant)"
_SETTLED_PREFIX = "settled#"
_FANOUT_ERROR = "fanout_error"


GLOB_ROUTE = "*"
EVENT_SK = "EVENT"
_TRANSACTION_LIMIT = 100
EVENT_TYPE_CACHE_SECONDS = 5.0
# A verified token is kept this long per container, so a publish reads no token. A revocation (or a
# tenant's deletion) takes effect at once in the container that made it and within this time in the others.
TOKEN_CACHE_SECONDS = 5.0
_tokens: TtlCache[TokenRecord] = TtlCache(TOKEN_CACHE_SECONDS)
_event_types: dict[tuple[str, str], tuple[float, EventType | None]] = {}


ADMIN_TOKENS_PK = "ADMIN_TOKENS"
ROOT_USAGE_SK = "ROOT"
TOKEN_SK = "TOKEN"


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def event_key(tenant_id: str, event_id: str) -> Item:
    return {"pk": s(f"EVENT#{tenant_id}#{event_id}"), "sk": s(EVENT_SK)}


def route_pk(tenant_id: str, event_type: str) -> str:
    return f"ROUTE#{tenant_id}#{event_type}"


def route_items(hook: Hook) -> dict[tuple[str, str], Item]:
    """The routing items of `hook`, by (pk, sk): none unless it is active."""
    if hook.status is not HookStatus.ACTIVE:
        return {}
    items: dict[tuple[str, str], Item] = {}
    for entry in hook.on:
        if not is_glob(entry):
            pk = route_pk(hook.tenant_id, entry)
            items[(pk, hook.id)] = {"pk": s(pk), "sk": s(hook.id)}
    globs = sorted(entry for entry in hook.on if is_glob(entry))
    if globs:
        pk = route_pk(hook.tenant_id, GLOB_ROUTE)
        items[(pk, hook.id)] = {"pk": s(pk), "sk": s(hook.id), "globs": {"SS": globs}}
    return items


def token_lookup_pk(token_hash: str) -> str:
    return f"TOKEN#{token_hash}"


def token_owner_pk(tenant_id: str | None) -> str:
    """Where a token is indexed: under its tenant, or under ADMIN_TOKENS for a scoped admin token."""
    return tenant_pk(tenant_id) if tenant_id else ADMIN_TOKENS_PK


def token_index_sk(token_id: str) -> str:
    return f"TOKEN#{token_id}"


def _condition_failed(exc: ClientError) -> bool:
    return exc.response["Error"].get("Code") == "ConditionalCheckFailedException"


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


class SubscriptionsRepository(TableRepository):
    def _get(self, pk: str, sk: str) -> Item | None:
        response = dynamo.call(self._db.get_item, TableName=self.table, Key={"pk": s(pk), "sk": s(sk)})
        return response.get("Item")

    def _put_new(self, item: Item, now: datetime | None = None) -> bool:
        """Put an item that must not exist yet (or, given `now`, may exist but be expired); False when it does."""
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if now is not None:
            # TTL deletes lag by up to days: an expired item counts as gone.
            condition = {
                "ConditionExpression": "attribute_not_exists(pk) OR expires_at < :now",
                "ExpressionAttributeValues": {":now": n(epoch_seconds(now))},
            }
        try:
            self._db.put_item(TableName=self.table, Item=item, **condition)
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise DependencyFailure(f"PutItem failed: {exc.response['Error'].get('Code')}") from exc
        return True

    def _delete(self, pk: str, sk: str) -> bool:
        response = dynamo.call(
            self._db.delete_item,
            TableName=self.table,
            Key={"pk": s(pk), "sk": s(sk)},
            ReturnValues="ALL_OLD",
        )
        return "Attributes" in response

    # --- tenants -------------------------------------------------------------------------------
    def put_tenant(self, tenant: Tenant) -> None:
        item = {"pk": s(TENANTS_PK), "sk": s(f"TENANT#{tenant.id}"), "doc": s(tenant.model_dump_json())}
        dynamo.call(self._db.put_item, TableName=self.table, Item=item)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get(TENANTS_PK, f"TENANT#{tenant_id}")
        return Tenant.model_validate_json(item["doc"]["S"]) if item else None

    def list_tenants(self, limit: int, cursor: str | None) -> tuple[list[Tenant], str | None]:
        items, last = dynamo.query_page(
            self._db,
            self.table,
            key_condition="pk = :pk",
            values={":pk": s(TENANTS_PK)},
            limit=limit,
            cursor=dynamo.decode_cursor(cursor, "pk", TENANTS_PK),
        )
        return [Tenant.model_validate_json(i["doc"]["S"]) for i in items], dynamo.encode_cursor(last)

    def delete_tenant(self, tenant_id: str) -> bool:
        """Deletes the tenant, its tokens (so they stop working at once here, within TOKEN_CACHE_SECONDS in
        other containers) and its hooks."""
        if not self._delete(TENANTS_PK, f"TENANT#{tenant_id}"):
            return False
        owned = dynamo.query_all(
            self._db,
            self.table,
            key_condition="pk = :pk",
            values={":pk": s(tenant_pk(tenant_id))},
        )
        deletes: list[Item] = []
        self._delete_routes(
            Hook.model_validate_json(item["doc"]["S"]) for item in owned if item["sk"]["S"].startswith("HOOK#")
        )
        for item in owned:
            sk = item["sk"]["S"]
            if sk.startswith(("TOKEN#", "HOOK#")):
                deletes.append({"DeleteRequest": {"Key": {"pk": item["pk"], "sk": item["sk"]}}})
            if sk.startswith("TOKEN#"):
                token_key = {"pk": s(token_lookup_pk(item["token_hash"]["S"])), "sk": s(TOKEN_SK)}
                deletes.append({"DeleteRequest": {"Key": token_key}})
        dynamo.batch_write(self._db, self.table, deletes)
        _tokens.clear()
        return True

    # --- tokens --------------------------------------------------------------------------------
    def put_token(self, token: TokenRecord) -> None:
        """Two items in one transaction: the hash lookup (authentication) and the owner's index (list, revoke)."""
        fields = {
            "token_id": s(token.id),
            "created_at": s(token.created_at.isoformat()),
            "scopes": s(" ".join(token.scopes)),
            "read_only": {"BOOL": token.read_only},
        }
        if token.tenant_id:
            fields["tenant_id"] = s(token.tenant_id)
        if token.name:
            fields["name"] = s(token.name)
        lookup = {"pk": s(token_lookup_pk(token.token_hash)), "sk": s(TOKEN_SK), **fields}
        index = {"pk": s(token_owner_pk(token.tenant_id)), "sk": s(token_index_sk(token.id))}
        index |= {"token_hash": s(token.token_hash), **fields}
        dynamo.call(
            self._db.transact_write_items,
            TransactItems=[{"Put": {"TableName": self.table, "Item": item}} for item in (lookup, index)],
        )

    @staticmethod
    def _token_from_item(item: Item, token_hash: str, last_used: Item | None = None) -> TokenRecord:
        values = dynamo.plain(item)
        used = dynamo.plain(last_used or item).get("last_used_at")
        return TokenRecord(
            id=values["token_id"],
            tenant_id=values.get("tenant_id"),
            token_hash=token_hash,
            created_at=values["created_at"],
            name=values.get("name"),
            scopes=values.get("scopes", "").split(),
            read_only=values.get("read_only", False),
            last_used_at=used,
        )

    def find_token(self, token_hash: str) -> TokenRecord | None:
        """Read through the per-container token cache (TOKEN_CACHE_SECONDS); unknown tokens are not kept."""
        cached = _tokens.get(f"{self.table}#{token_hash}")
        if cached is not None:
            return cached
        item = self._get(token_lookup_pk(token_hash), TOKEN_SK)
        if not item:
            return None
        record = self._token_from_item(item, token_hash)
        _tokens.put(f"{self.table}#{token_hash}", record)
        return record

    def list_tokens(self, tenant_id: str | None) -> list[TokenRecord]:
        """A tenant's tokens (or, with None, the scoped admin tokens), oldest first. `last_used_at` lives on
        the lookup items, which have a partition each, so one BatchGetItem fetches it."""
        index = dynamo.query_all(
            self._db,
            self.table,
            key_condition="pk = :pk AND begins_with(sk, :token)",
            values={":pk": s(token_owner_pk(tenant_id)), ":token": s(token_index_sk(""))},
        )
        keys = [{"pk": s(token_lookup_pk(item["token_hash"]["S"])), "sk": s(TOKEN_SK)} for item in index]
        lookups = {item["pk"]["S"]: item for item in dynamo.batch_get(self._db, self.table, keys)}
        records = []
        for item in index:
            token_hash = item["token_hash"]["S"]
            records.append(self._token_from_item(item, token_hash, lookups.get(token_lookup_pk(token_hash))))
        return records

    def touch_token(self, token_hash: str, now: datetime) -> None:
        """Record a use: one write on the token's own partition (never a tenant's); callers throttle it."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key={"pk": s(token_lookup_pk(token_hash)), "sk": s(TOKEN_SK)},
                UpdateExpression="SET last_used_at = :now",
                ConditionExpression="attribute_exists(pk)",  # revoked meanwhile: don't resurrect it
                ExpressionAttributeValues={":now": s(now.isoformat())},
            )
        except ClientError as exc:
            if not _condition_failed(exc):
                raise DependencyFailure(f"UpdateItem failed: {exc.response['Error'].get('Code')}") from exc
        # The kept record is used a while longer: it must not look unused (and write again) meanwhile.
        _tokens.replace(f"{self.table}#{token_hash}", lambda record: record.model_copy(update={"last_used_at": now}))

    def revoke_token(self, tenant_id: str | None, token_id: str) -> bool:
        item = self._get(token_owner_pk(tenant_id), token_index_sk(token_id))
        if not item:
            return False
        token_hash = item["token_hash"]["S"]
        dynamo.call(
            self._db.transact_write_items,
            TransactItems=[
                {"Delete": {"TableName": self.table, "Key": {"pk": s(token_lookup_pk(token_hash)), "sk": s(TOKEN_SK)}}},
                {"Delete": {"TableName": self.table, "Key": {"pk": item["pk"], "sk": item["sk"]}}},
            ],
        )
        _tokens.clear()  # revoked here: refused here at once
        return True

    def root_last_used(self) -> datetime | None:
        item = self._get(ADMIN_TOKENS_PK, ROOT_USAGE_SK)
        return dynamo.plain(item)["last_used_at"] if item else None

    def touch_root(self, now: datetime) -> None:
        item = {"pk": s(ADMIN_TOKENS_PK), "sk": s(ROOT_USAGE_SK), "last_used_at": s(now.isoformat())}
        dynamo.call(self._db.put_item, TableName=self.table, Item=item)

    # --- event types ---------------------------------------------------------------------------
    def put_event_types(self, event_types: Iterable[EventType]) -> None:
        _event_types.clear()
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": s(EVENT_TYPES_PK),
                        "sk": s(f"TYPE#{event_type.type}"),
                        "doc": s(event_type.model_dump_json(by_alias=True)),
                    }
                }
            }
            for event_type in event_types
        ]
        dynamo.batch_write(self._db, self.table, requests)

    def get_event_type(self, type_name: str) -> EventType | None:
        """Read through a per-container cache: every publish checks its type, and the catalogue changes
        rarely. A change made elsewhere is seen within EVENT_TYPE_CACHE_SECONDS; here at once."""
        cached = _event_types.get((self.table, type_name))
        if cached is not None and time.monotonic() - cached[0] < EVENT_TYPE_CACHE_SECONDS:
            return cached[1]
        item = self._get(EVENT_TYPES_PK, f"TYPE#{type_name}")
        event_type = EventType.model_validate_json(item["doc"]["S"]) if item else None
        _event_types[(self.table, type_name)] = (time.monotonic(), event_type)
        return event_type

    def list_event_types(self) -> list[EventType]:
        items = dynamo.query_all(self._db, self.table, key_condition="pk = :pk", values={":pk": s(EVENT_TYPES_PK)})
        return [EventType.model_validate_json(item["doc"]["S"]) for item in items]

    def delete_event_type(self, type_name: str) -> bool:
        _event_types.clear()
        return self._delete(EVENT_TYPES_PK, f"TYPE#{type_name}")

    # --- hooks ---------------------------------------------------------------------------------
    @staticmethod
    def _hook_item(hook: Hook, version: int) -> Item:
        return {
            "pk": s(tenant_pk(hook.tenant_id)),
            "sk": s(f"HOOK#{hook.id}"),
            "doc": s(hook.model_dump_json()),
            "version": n(version),
        }

    def _write_hook(self, hook_put: Item, old: Hook | None, new: Hook) -> bool:
        """Write a hook (`hook_put` is a PutItem's arguments, with its condition) and the routing items that
        changed. False when the condition failed. One transaction when it fits in one; a hook with more
        routes than that has them written right after it."""
        old_routes = route_items(old) if old else {}
        new_routes = route_items(new)
        changes: list[Item] = [
            {"Delete": {"TableName": self.table, "Key": {"pk": s(pk), "sk": s(sk)}}}
            for pk, sk in old_routes.keys() - new_routes.keys()
        ]
        changes += [
            {"Put": {"TableName": self.table, "Item": item}}
            for key, item in new_routes.items()
            if old_routes.get(key) != item
        ]
        if not changes or len(changes) >= _TRANSACTION_LIMIT:
            if not self._conditional_put(hook_put):
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

    def _conditional_put(self, hook_put: Item) -> bool:
        try:
            self._db.put_item(TableName=self.table, **hook_put)
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise DependencyFailure(f"PutItem failed: {exc.response['Error'].get('Code')}") from exc
        return True

    def create_hook(self, hook: Hook) -> None:
        put = {"Item": self._hook_item(hook, 1), "ConditionExpression": "attribute_not_exists(pk)"}
        if not self._write_hook(put, None, hook):
            raise Conflict(f"hook {hook.id} already exists", field="id")

    def import_hooks(self, hooks: Iterable[Hook]) -> None:
        """Bulk-load new hooks with their routes in batched writes (25 items a call, unconditional: the
        caller guarantees the ids are new)."""
        requests = [
            {"PutRequest": {"Item": item}}
            for hook in hooks
            for item in (self._hook_item(hook, 1), *route_items(hook).values())
        ]
        dynamo.batch_write(self._db, self.table, requests)

    def _get_hook_item(self, tenant_id: str, hook_id: str) -> tuple[Hook, int] | None:
        item = self._get(tenant_pk(tenant_id), f"HOOK#{hook_id}")
        if not item:
            return None
        return Hook.model_validate_json(item["doc"]["S"]), int(item["version"]["N"])

    def get_hook(self, tenant_id: str, hook_id: str) -> Hook | None:
        found = self._get_hook_item(tenant_id, hook_id)
        return found[0] if found else None

    def get_hooks(self, keys: Iterable[tuple[str, str]]) -> dict[str, Hook]:
        """Many hooks in BatchGetItem calls, keyed by hook id. Missing hooks are simply absent."""
        items = dynamo.batch_get(
            self._db,
            self.table,
            ({"pk": s(tenant_pk(tenant_id)), "sk": s(f"HOOK#{hook_id}")} for tenant_id, hook_id in keys),
        )
        hooks = (Hook.model_validate_json(item["doc"]["S"]) for item in items)
        return {hook.id: hook for hook in hooks}

    def list_hooks(
        self,
        tenant_id: str,
        limit: int | None = None,
        cursor: str | None = None,
        on_unreadable: Callable[[str, Exception], None] | None = None,
    ) -> tuple[list[Hook], str | None]:
        """A page of the tenant's hooks (all of them without `limit`). With `on_unreadable`, a stored hook
        that no longer parses is reported to it (its sort key and the error) and skipped, not raised."""
        pk = tenant_pk(tenant_id)
        kwargs: dict[str, Any] = {"key_condition": "pk = :pk AND begins_with(sk, :hook)"}
        kwargs["values"] = {":pk": s(pk), ":hook": s("HOOK#")}
        if limit is None:
            items, last = dynamo.query_all(self._db, self.table, **kwargs), None
        else:
            items, last = dynamo.query_page(
                self._db, self.table, limit=limit, cursor=dynamo.decode_cursor(cursor, "pk", pk), **kwargs
            )
        return _parse_hooks(items, on_unreadable), dynamo.encode_cursor(last)

    def route(self, tenant_id: str, event_type: str) -> list[str]:
        """Ids of the tenant's active hooks whose `on` matches `event_type`: the exact-type routes plus the
        glob routes that match. Hooks listening to other exact types are never read."""
        exact = dynamo.query_all(
            self._db, self.table, key_condition="pk = :pk", values={":pk": s(route_pk(tenant_id, event_type))}
        )
        globs = dynamo.query_all(
            self._db, self.table, key_condition="pk = :pk", values={":pk": s(route_pk(tenant_id, GLOB_ROUTE))}
        )
        matched = {item["sk"]["S"] for item in exact}
        matched.update(
            item["sk"]["S"] for item in globs if any(entry_matches(g, event_type) for g in item["globs"]["SS"])
        )
        return sorted(matched)

    def update_hook(self, tenant_id: str, hook_id: str, change: Callable[[Hook], Hook | None]) -> Hook:
        """Read, apply `change`, write back if the hook was not changed meanwhile; retry on a race.

        `change` returns the new hook, or None to leave it as it is.
        """
        for _ in range(_MAX_LOCK_RETRIES):
            found = self._get_hook_item(tenant_id, hook_id)
            if not found:
                raise NotFound(f"hook {hook_id} not found", field="id")
            hook, version = found
            updated = change(hook)
            if updated is None:
                return hook
            put = {
                "Item": self._hook_item(updated, version + 1),
                "ConditionExpression": "version = :version",
                "ExpressionAttributeValues": {":version": n(version)},
            }
            if self._write_hook(put, hook, updated):
                return updated
        raise Conflict(f"hook {hook_id} is being changed concurrently; try again", field="id")

    def count_hooks(self, tenant_id: str) -> int:
        """Query with Select=COUNT: still reads the hooks (0.5 RCU per 4 KB), done only when one is created."""
        total, cursor = 0, None
        while True:
            kwargs = {"ExclusiveStartKey": cursor} if cursor else {}
            response = dynamo.call(
                self._db.query,
                TableName=self.table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :hook)",
                ExpressionAttributeValues={":pk": s(tenant_pk(tenant_id)), ":hook": s("HOOK#")},
                Select="COUNT",
                **kwargs,
            )
            total += response["Count"]
            cursor = response.get("LastEvaluatedKey")
            if not cursor:
                return total

    def delete_hook(self, tenant_id: str, hook_id: str) -> bool:
        response = dynamo.call(
            self._db.delete_item,
            TableName=self.table,
            Key={"pk": s(tenant_pk(tenant_id)), "sk": s(f"HOOK#{hook_id}")},
            ReturnValues="ALL_OLD",
        )
        if "Attributes" not in response:
            return False
        self._delete_routes([Hook.model_validate_json(response["Attributes"]["doc"]["S"])])
        return True

    def _delete_routes(self, hooks: Iterable[Hook]) -> None:
        keys = [key for hook in hooks for key in route_items(hook)]
        requests = [{"DeleteRequest": {"Key": {"pk": s(pk), "sk": s(sk)}}} for pk, sk in keys]
        dynamo.batch_write(self._db, self.table, requests)

    # --- events --------------------------------------------------------------------------------
    def _event_item(self, event: Event, retention_days: int) -> Item:
        expires = epoch_seconds(event.created_at + timedelta(days=retention_days))
        return {
            **event_key(event.tenant_id, event.id),
            "doc": s(event.model_dump_json(include={"id", "tenant_id", "type", "created_at"})),
            "data": s(event.data),
            "expires_at": n(expires),
        }

    def create_event(self, event: Event, retention_days: int) -> Event | None:
        """Store a new event. When the id was seen within the retention, returns the stored event instead
        (idempotency); two racing publishes of one id resolve in the conditional put, so one wins."""
        if self._put_new(self._event_item(event, retention_days), now=event.created_at):
            return None
        existing = self.get_event(event.tenant_id, event.id, event.created_at)
        if existing is None:  # expired between the two calls: the id is free again
            return self.create_event(event, retention_days)
        return existing

    @staticmethod
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

    def _get_event_item(self, tenant_id: str, event_id: str, now: datetime | None, consistent: bool) -> Event | None:
        response = dynamo.call(
            self._db.get_item, TableName=self.table, Key=event_key(tenant_id, event_id), ConsistentRead=consistent
        )
        item = response.get("Item")
        if not item:
            return None
        # TTL deletion lags by up to days; an expired event is treated as gone.
        if now is not None and int(item["expires_at"]["N"]) < epoch_seconds(now):
            return None
        return self._event_from_item(item)

    def get_event(self, tenant_id: str, event_id: str, now: datetime | None = None) -> Event | None:
        return self._get_event_item(tenant_id, event_id, now, consistent=False)

    def get_events(self, keys: Iterable[tuple[str, str]]) -> dict[str, Event]:
        items = dynamo.batch_get(self._db, self.table, (event_key(tenant_id, event_id) for tenant_id, event_id in keys))
        events = (self._event_from_item(item) for item in items)
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
        stored = {(event.tenant_id, event.id): event for event in map(self._event_from_item, retained)}
        claimed: dict[tuple[str, str], Event] = {}
        for tenant_id, event_id, claimant in claims:
            event = stored.get((tenant_id, event_id))
            if event is not None and event.claimed_by in (None, claimant):
                claimed[(tenant_id, event_id)] = event.model_copy(update={"claimed_by": claimant})
        return claimed

    def mark_fanned_out(self, event: Event, hook_ids: list[str], now: datetime) -> None:
        """Record that `event.claimed_by` fanned the event out to `hook_ids` (one write of the event)."""
        values: Item = {":now": s(now.isoformat()), ":claimant": s(event.claimed_by or "")}
        # A replay of an event no message has claimed yet must leave the claim to that message.
        update = "SET fanned_out_at = :now" + (", claimed_by = :claimant" if event.claimed_by else "")
        if hook_ids:
            update += ", fanout_hooks = :hooks"
            values[":hooks"] = {"SS": sorted(set(hook_ids))}
        # A fan-out that went through clears an earlier failure (a replay after the DLQ).
        update += f" REMOVE {_FANOUT_ERROR}"
        try:
            self._db.update_item(
                TableName=self.table,
                Key=event_key(event.tenant_id, event.id),
                UpdateExpression=update,
                ConditionExpression=_UNCLAIMED_OR_MINE,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return  # another message fanned it out first (or the event is gone): its record stands
            raise DependencyFailure(f"UpdateItem failed: {exc.response['Error'].get('Code')}") from exc

    def _set_on_event(self, tenant_id: str, event_id: str, attribute: str, value: str) -> bool:
        """Set one attribute on a stored event; False when the event is gone (nothing is created)."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=event_key(tenant_id, event_id),
                UpdateExpression="SET #attribute = :value",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#attribute": attribute},
                ExpressionAttributeValues={":value": s(value)},
            )
        except ClientError as exc:
            if _condition_failed(exc):
                return False
            raise DependencyFailure(f"UpdateItem failed: {exc.response['Error'].get('Code')}") from exc
        return True

    def mark_settled(self, tenant_id: str, event_id: str, hook_id: str, at: datetime) -> None:
        """A manual retry delivered the event to the hook: automatic retries scheduled before `at` stop.
        Stored on the event item, which deliver reads anyway, so checking it costs no extra request."""
        self._set_on_event(tenant_id, event_id, f"{_SETTLED_PREFIX}{hook_id}", at.isoformat())

    def mark_fanout_failed(self, tenant_id: str, event_id: str, reason: str) -> bool:
        """The event's fan-out message reached the DLQ; False when the event is not stored."""
        return self._set_on_event(tenant_id, event_id, _FANOUT_ERROR, reason)


def _as_batch_request(change: Item) -> Item:
    if "Delete" in change:
        return {"DeleteRequest": {"Key": change["Delete"]["Key"]}}
    return {"PutRequest": {"Item": change["Put"]["Item"]}}

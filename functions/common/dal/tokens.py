"""API tokens (tenant tokens and scoped admin tokens), in the subscriptions table.

| item              | pk              | sk               |
|-------------------|-----------------|------------------|
| token             | TOKEN#{sha256}  | TOKEN            |
| token index       | TENANT#{tenant} | TOKEN#{token_id} |
| admin token index | ADMIN_TOKENS    | TOKEN#{token_id} |
| root token use    | ADMIN_TOKENS    | ROOT             |

The lookup item (by the token's hash) authenticates with one GetItem; the owner's index lists and revokes.
A verified token is then kept per container for TOKEN_CACHE_SECONDS, so most requests read no token: a
revocation (or a tenant's deletion) takes effect at once in the container that made it, within that time in
the others (docs/cost.md).
"""

from __future__ import annotations

from datetime import datetime

from functions.common.dal import dynamo
from functions.common.dal.dynamo import Item, s
from functions.common.dal.table import TableRepository
from functions.common.dal.tenants import tenant_partition
from functions.common.dal.ttl_cache import TtlCache
from functions.common.models import TokenRecord

TOKEN_CACHE_SECONDS = 5.0
_verified: TtlCache[TokenRecord] = TtlCache(TOKEN_CACHE_SECONDS)

ADMIN_TOKENS_PK = "ADMIN_TOKENS"
_INDEX_PREFIX = "TOKEN#"


def token_lookup_key(token_hash: str) -> Item:
    return {"pk": s(f"TOKEN#{token_hash}"), "sk": s("TOKEN")}


def token_owner_partition(tenant_id: str | None) -> str:
    """Where a token is indexed: under its tenant, or under ADMIN_TOKENS for a scoped admin token."""
    return tenant_partition(tenant_id) if tenant_id else ADMIN_TOKENS_PK


def token_index_key(tenant_id: str | None, token_id: str) -> Item:
    return {"pk": s(token_owner_partition(tenant_id)), "sk": s(f"{_INDEX_PREFIX}{token_id}")}


def root_usage_key() -> Item:
    return {"pk": s(ADMIN_TOKENS_PK), "sk": s("ROOT")}


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


class TokensRepository(TableRepository):
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
        lookup = {**token_lookup_key(token.token_hash), **fields}
        index = {**token_index_key(token.tenant_id, token.id), "token_hash": s(token.token_hash), **fields}
        dynamo.call(
            self._db.transact_write_items,
            TransactItems=[{"Put": {"TableName": self.table, "Item": item}} for item in (lookup, index)],
        )

    def find_token(self, token_hash: str) -> TokenRecord | None:
        """Read through the per-container token cache (TOKEN_CACHE_SECONDS); unknown tokens are not kept."""
        cached = _verified.get(f"{self.table}#{token_hash}")
        if cached is not None:
            return cached
        item = self._get(token_lookup_key(token_hash))
        if not item:
            return None
        record = _token_from_item(item, token_hash)
        _verified.put(f"{self.table}#{token_hash}", record)
        return record

    def _index(self, tenant_id: str | None) -> list[Item]:
        return dynamo.query_all(
            self._db,
            self.table,
            key_condition="pk = :pk AND begins_with(sk, :token)",
            values={":pk": s(token_owner_partition(tenant_id)), ":token": s(_INDEX_PREFIX)},
        )

    def list_tokens(self, tenant_id: str | None) -> list[TokenRecord]:
        """A tenant's tokens (or, with None, the scoped admin tokens), oldest first. `last_used_at` lives on
        the lookup items, which have a partition each, so one BatchGetItem fetches it."""
        index = self._index(tenant_id)
        keys = [token_lookup_key(item["token_hash"]["S"]) for item in index]
        lookups = {item["pk"]["S"]: item for item in dynamo.batch_get(self._db, self.table, keys)}
        records = []
        for item in index:
            token_hash = item["token_hash"]["S"]
            last_used = lookups.get(token_lookup_key(token_hash)["pk"]["S"])
            records.append(_token_from_item(item, token_hash, last_used))
        return records

    def touch_token(self, token_hash: str, now: datetime) -> None:
        """Record a use: one write on the token's own partition (never a tenant's); callers throttle it."""
        self._conditional(
            self._db.update_item,
            Key=token_lookup_key(token_hash),
            UpdateExpression="SET last_used_at = :now",
            ConditionExpression="attribute_exists(pk)",  # revoked meanwhile: don't resurrect it
            ExpressionAttributeValues={":now": s(now.isoformat())},
        )
        # The kept record is used a while longer: it must not look unused (and write again) meanwhile.
        _verified.replace(f"{self.table}#{token_hash}", lambda record: record.model_copy(update={"last_used_at": now}))

    def revoke_token(self, tenant_id: str | None, token_id: str) -> bool:
        item = self._get(token_index_key(tenant_id, token_id))
        if not item:
            return False
        dynamo.call(
            self._db.transact_write_items,
            TransactItems=[
                {"Delete": {"TableName": self.table, "Key": key}}
                for key in (token_lookup_key(item["token_hash"]["S"]), dynamo.key_of(item))
            ],
        )
        _verified.clear()  # revoked here: refused here at once
        return True

    def delete_tokens(self, tenant_id: str) -> None:
        """Delete every token of the tenant (both items of each), so they stop working at once."""
        deletes = [
            {"DeleteRequest": {"Key": key}}
            for item in self._index(tenant_id)
            for key in (dynamo.key_of(item), token_lookup_key(item["token_hash"]["S"]))
        ]
        dynamo.batch_write(self._db, self.table, deletes)
        _verified.clear()

    def root_last_used(self) -> datetime | None:
        item = self._get(root_usage_key())
        return dynamo.plain(item)["last_used_at"] if item else None

    def touch_root(self, now: datetime) -> None:
        item = {**root_usage_key(), "last_used_at": s(now.isoformat())}
        dynamo.call(self._db.put_item, TableName=self.table, Item=item)

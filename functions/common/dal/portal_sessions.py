"""Portal links and sessions, in the subscriptions table next to the tenant they belong to.

| item         | pk                  | sk                 |
|--------------|---------------------|--------------------|
| credential   | PORTAL#{sha256}     | PORTAL             |
| tenant index | TENANT#{tenant}     | PORTAL#{id}        |

The secret is looked up by its hash (one GetItem per API call); the tenant index lets the admin revoke
every link and session of a tenant with one Query. Both items carry `expires_at`, so DynamoDB's TTL
removes them; reads treat an expired item as gone because TTL deletion lags.
"""

from __future__ import annotations

from datetime import datetime

from functions.common.dal import dynamo
from functions.common.dal.dynamo import Item, n, s
from functions.common.dal.table import TableRepository
from functions.common.dal.tenants import tenant_partition
from functions.common.models import PortalCredential
from functions.common.timeutil import epoch_seconds

INDEX_PREFIX = "PORTAL#"


def credential_key(token_hash: str) -> Item:
    return {"pk": s(f"PORTAL#{token_hash}"), "sk": s("PORTAL")}


def index_key(tenant_id: str, credential_id: str) -> Item:
    return {"pk": s(tenant_partition(tenant_id)), "sk": s(f"{INDEX_PREFIX}{credential_id}")}


class PortalSessionsRepository(TableRepository):
    def put(self, credential: PortalCredential) -> None:
        """The credential and its tenant-index entry in one transaction (2 write units)."""
        expires = n(epoch_seconds(credential.expires_at))
        lookup = {
            **credential_key(credential.token_hash),
            "doc": s(credential.model_dump_json()),
            "expires_at": expires,
        }
        index = {
            **index_key(credential.tenant_id, credential.id),
            "token_hash": s(credential.token_hash),
            "expires_at": expires,
        }
        dynamo.call(
            self._db.transact_write_items,
            TransactItems=[{"Put": {"TableName": self.table, "Item": item}} for item in (lookup, index)],
        )

    def find(self, token_hash: str, now: datetime) -> PortalCredential | None:
        """The unexpired credential with this hash, or None."""
        response = dynamo.call(self._db.get_item, TableName=self.table, Key=credential_key(token_hash))
        item = response.get("Item")
        if not item or int(item["expires_at"]["N"]) <= epoch_seconds(now):
            return None
        return PortalCredential.model_validate_json(item["doc"]["S"])

    def revoke_all(self, tenant_id: str) -> int:
        """Deletes every portal link and session of the tenant; returns how many there were."""
        indexed = dynamo.query_all(
            self._db,
            self.table,
            key_condition="pk = :pk AND begins_with(sk, :prefix)",
            values={":pk": s(tenant_partition(tenant_id)), ":prefix": s(INDEX_PREFIX)},
        )
        deletes: list[Item] = []
        for item in indexed:
            deletes.append({"DeleteRequest": {"Key": dynamo.key_of(item)}})
            deletes.append({"DeleteRequest": {"Key": credential_key(item["token_hash"]["S"])}})
        dynamo.batch_write(self._db, self.table, deletes)
        return len(indexed)

"""Tenants, in the subscriptions table.

| item   | pk      | sk              |
|--------|---------|-----------------|
| tenant | TENANTS | TENANT#{tenant} |

What a tenant owns (its tokens' index, its hooks, its portal links) lives in the tenant's own partition,
`tenant_partition(tenant_id)`, in the modules of those aggregates. Deleting a tenant with all it owns spans
those aggregates: `functions/api/logic/tenants.py` does it, in one place.
"""

from __future__ import annotations

from functions.common.dal import dynamo
from functions.common.dal.dynamo import Item, s
from functions.common.dal.table import TableRepository
from functions.common.models import Tenant

TENANTS_PK = "TENANTS"


def tenant_key(tenant_id: str) -> Item:
    return {"pk": s(TENANTS_PK), "sk": s(f"TENANT#{tenant_id}")}


def tenant_partition(tenant_id: str) -> str:
    """The partition holding what the tenant owns: its tokens' index, its hooks, its portal links."""
    return f"TENANT#{tenant_id}"


class TenantsRepository(TableRepository):
    def put_tenant(self, tenant: Tenant) -> None:
        item = {**tenant_key(tenant.id), "doc": s(tenant.model_dump_json())}
        dynamo.call(self._db.put_item, TableName=self.table, Item=item)

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get(tenant_key(tenant_id))
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
        """Deletes the tenant item only; False when there was none."""
        return self._delete(tenant_key(tenant_id)) is not None

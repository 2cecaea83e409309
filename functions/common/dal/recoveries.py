"""Recoveries and bulk replays, on the subscriptions table: pk = RECOVERY#{tenant}#{hook}, sk = {recovery_id}.

One item per recovery, written once when it starts and once per page worked (on the hook's own key: a
recovery's writes never land on a tenant-wide key). Items expire RECOVERY_RETENTION_DAYS after they start;
after that the same request starts a new recovery.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from functions.common import contract
from functions.common.dal import dynamo
from functions.common.dal.dynamo import Item, n, s
from functions.common.dal.table import TableRepository, condition_failed
from functions.common.errors import DependencyFailure
from functions.common.models import Recovery, RecoveryStatus
from functions.common.timeutil import epoch_seconds

RECOVERY_RETENTION_DAYS = 7
_TTL = contract.SUBSCRIPTIONS_TABLE.ttl_attribute or "expires_at"
_STATUS = "recovery_status"  # beside the document, so a start can replace a failed recovery in one condition


def recovery_key(tenant_id: str, hook_id: str, recovery_id: str) -> Item:
    return {"pk": s(f"RECOVERY#{tenant_id}#{hook_id}"), "sk": s(recovery_id)}


class RecoveriesRepository(TableRepository):
    def _item(self, recovery: Recovery) -> Item:
        expires = epoch_seconds(recovery.created_at + timedelta(days=RECOVERY_RETENTION_DAYS))
        key = recovery_key(recovery.tenant_id, recovery.hook_id, recovery.id)
        return {
            **key,
            "doc": s(recovery.model_dump_json()),
            "pages": n(recovery.pages),
            _STATUS: s(recovery.status.value),
            _TTL: n(expires),
        }

    def start(self, recovery: Recovery) -> Recovery | None:
        """Store a new recovery; when one with its id is already stored (not expired, not failed), return that
        one. A failed recovery is replaced: asking again is how it is restarted."""
        try:
            self._db.put_item(
                TableName=self.table,
                Item=self._item(recovery),
                ConditionExpression=f"attribute_not_exists(pk) OR {_TTL} < :now OR {_STATUS} = :failed",
                ExpressionAttributeValues={
                    ":now": n(epoch_seconds(recovery.created_at)),
                    ":failed": s(RecoveryStatus.FAILED.value),
                },
            )
        except ClientError as exc:
            if not condition_failed(exc):
                raise DependencyFailure(f"PutItem failed: {exc.response['Error'].get('Code')}") from exc
            return self.get(recovery.tenant_id, recovery.hook_id, recovery.id)
        return None

    def get(self, tenant_id: str, hook_id: str, recovery_id: str) -> Recovery | None:
        response = dynamo.call(
            self._db.get_item, TableName=self.table, Key=recovery_key(tenant_id, hook_id, recovery_id)
        )
        item = response.get("Item")
        return Recovery.model_validate_json(item["doc"]["S"]) if item else None

    def record_page(self, recovery: Recovery, worked_page: int, now: datetime) -> bool:
        """Store `recovery` as it is after working page `worked_page`, only if no one recorded that page yet
        (the stored `pages` is still `worked_page`). False when someone did: that page's work is theirs."""
        try:
            self._db.update_item(
                TableName=self.table,
                Key=recovery_key(recovery.tenant_id, recovery.hook_id, recovery.id),
                UpdateExpression=f"SET doc = :doc, pages = :next, {_STATUS} = :status",
                ConditionExpression="pages = :worked",
                ExpressionAttributeValues={
                    ":doc": s(recovery.model_copy(update={"updated_at": now}).model_dump_json()),
                    ":next": n(recovery.pages),
                    ":status": s(recovery.status.value),
                    ":worked": n(worked_page),
                },
            )
        except ClientError as exc:
            if condition_failed(exc):
                return False
            raise DependencyFailure(f"UpdateItem failed: {exc.response['Error'].get('Code')}") from exc
        return True

    def mark_failed(self, tenant_id: str, hook_id: str, recovery_id: str, reason: str, now: datetime) -> bool:
        """Mark a running recovery failed (its page message was dead-lettered). False when it is not stored;
        a recovery that already finished, or failed, stays as it is."""
        for _ in range(3):  # a page recorded meanwhile changes `pages`: read again
            recovery = self.get(tenant_id, hook_id, recovery_id)
            if recovery is None:
                return False
            if recovery.status is not RecoveryStatus.RUNNING:
                return True
            failed = recovery.model_copy(update={"status": RecoveryStatus.FAILED, "error": reason, "finished_at": now})
            if self.record_page(failed, recovery.pages, now):
                return True
        raise DependencyFailure(f"recovery {recovery_id} kept changing while being marked failed")

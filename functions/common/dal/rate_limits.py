"""Per-hook rate-limit counters in the subscriptions table: one item per (hook, clock second).

| item           | pk                           | sk    |
|----------------|------------------------------|-------|
| rate counter   | RATE#{hook_id}#{epoch second} | RATE  |

Only hooks with `rate_limit_per_second` ever touch these items. Each deliver batch takes the slots it
needs for one hook in one UpdateItem (an atomic ADD of the number wanted, 1 write unit), whatever the
outcome; the counter's new value says which of them fit in the second. The item lives a minute (TTL):
a counter is only read in its own second. A key takes at most 1,000 writes per second, above the highest
limit (1,000/s) even when every delivery came in its own batch.
"""

from __future__ import annotations

from datetime import datetime

from functions.common.dal.dynamo import n, s
from functions.common.dal.sdk import call
from functions.common.dal.table import TableRepository
from functions.common.timeutil import epoch_seconds

RATE_SK = "RATE"
COUNTER_LIFETIME_SECONDS = 60


def rate_counter_pk(hook_id: str, second: int) -> str:
    return f"RATE#{hook_id}#{second}"


class RateLimitRepository(TableRepository):
    def take(self, hook_id: str, wanted: int, now: datetime) -> int:
        """Counts `wanted` more deliveries to the hook in `now`'s second; returns the second's count before
        them (so the caller knows which positions are within the limit)."""
        second = epoch_seconds(now)
        response = call(
            self._db.update_item,
            TableName=self.table,
            Key={"pk": s(rate_counter_pk(hook_id, second)), "sk": s(RATE_SK)},
            UpdateExpression="ADD taken :wanted SET expires_at = if_not_exists(expires_at, :expires)",
            ExpressionAttributeValues={":wanted": n(wanted), ":expires": n(second + COUNTER_LIFETIME_SECONDS)},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["taken"]["N"]) - wanted

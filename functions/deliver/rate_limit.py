"""Per-hook rate limits: which deliveries of a batch may go now, and how long the others wait.

A hook with `rate_limit_per_second = L` gets at most L deliveries in any clock second. Each batch takes the
slots it needs for one hook with one counter update (an atomic ADD on the hook's counter for this second);
the counter's value before the update numbers this batch's deliveries among everything counted in that
second. Position p goes now when p < L; otherwise it waits p // L whole seconds, so a burst is spread over
the seconds ahead instead of crowding the next one (a delivery that still finds its second full waits
again, further on). Waiting is not an attempt: the message goes back unchanged, nothing is recorded.

Hooks without a limit cost nothing here: no request, no write, no log line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from functions.common import contract
from functions.common.delivery.ports import RateCounter
from functions.common.models import Hook
from functions.common.observability import logger

# When the counter can't be reached, a limited delivery waits this long rather than risk exceeding its limit.
COUNTER_UNAVAILABLE_WAIT_SECONDS = 1


def seconds_to_wait(hooks: Sequence[Hook], counter: RateCounter, now: datetime) -> list[int]:
    """For each delivery of a batch (given as its hook, in batch order): 0 to send now, else the whole
    seconds it must wait. One counter update per rate-limited hook in the batch, none for the others."""
    waits = [0] * len(hooks)
    by_hook: dict[str, list[int]] = {}
    for position, hook in enumerate(hooks):
        if hook.rate_limit_per_second is not None:
            by_hook.setdefault(hook.id, []).append(position)
    for hook_id, positions in by_hook.items():
        limit = hooks[positions[0]].rate_limit_per_second or contract.RATE_LIMIT_MAX_PER_SECOND
        try:
            counted_before = counter.take(hook_id, len(positions), now)
        except Exception:  # noqa: BLE001 - one hook's counter never fails the batch: its deliveries wait
            logger.exception("rate-limit counter not updated; the hook's deliveries wait", extra={"hook_id": hook_id})
            for position in positions:
                waits[position] = COUNTER_UNAVAILABLE_WAIT_SECONDS
            continue
        for offset, position in enumerate(positions):
            waits[position] = (counted_before + offset) // limit
    return waits

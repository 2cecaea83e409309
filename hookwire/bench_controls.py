"""`make bench-controls` (run by `make bench`): delivery controls measured on the local runtime.

Rate limit: one hook limited to `--rate-limit` deliveries a second and one unlimited hook, both on the same
`--events` events published with the pollers paused. Reports, per hook, the seconds from the first to the
last arrival at its receiver and the most arrivals in one clock second, and the rate-limit counter
requests (UpdateItem on `RATE#` keys) per limited delivery; then the same run with neither hook limited
(`baseline`), the unlimited hook's normal pace. Goal (issue 16): 100 events at 5/s take >= 19 s for the
limited hook while the unlimited one drains at its normal pace.
Prints one JSON object and writes it to `bench/controls.json`.
"""

from __future__ import annotations

import argparse
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalConfig, LocalRuntime
from hookwire.receiver import Delivery, Receiver

RESULTS_FILE = Path("bench/controls.json")
EVENT_TYPE = "order.status.changed"
RATE_COUNTER_MARK = b'"RATE#'


def _arrivals(deliveries: list[Delivery]) -> dict[str, Any]:
    times = sorted(d.received_at for d in deliveries)
    per_second = Counter(int(t) for t in times)
    return {
        "deliveries": len(times),
        "first_to_last_seconds": round(times[-1] - times[0], 2) if times else 0.0,
        "max_in_one_clock_second": max(per_second.values(), default=0),
    }


def rate_limit(events: int, limit: int | None, timeout: float) -> dict[str, Any]:
    """`limit` None: the baseline, both hooks unlimited."""
    runtime = LocalRuntime(LocalConfig(port=0, admin_token="bench-admin")).start()
    counter_requests = 0
    lock = threading.Lock()

    def count(operation: str, body: bytes) -> None:
        nonlocal counter_requests
        if operation == "UpdateItem" and RATE_COUNTER_MARK in body:
            with lock:
                counter_requests += 1

    try:
        with Receiver() as limited, Receiver() as unlimited:
            admin = HookwireClient(runtime.url, runtime.admin_token)
            client = HookwireClient(runtime.url, admin.call("POST", "/tenants", {"name": "bench"})["token"])
            limited_hook = {"name": "limited", "url": limited.url, "on": "order.*", "rate_limit_per_second": limit}
            client.call("POST", "/hooks", limited_hook)
            client.call("POST", "/hooks", {"name": "unlimited", "url": unlimited.url, "on": "order.*"})
            runtime.observe_aws_requests(count)
            for poller in runtime.pollers:
                poller.pause()
            for index in range(events):
                client.call("POST", "/events", {"type": EVENT_TYPE, "data": {"orderId": index, "status": "shipped"}})
            for poller in runtime.pollers:
                poller.resume()
            fast = unlimited.wait_for(events, timeout)
            slow = limited.wait_for(events, timeout)
            runtime.wait_until_quiet(timeout=30)
    finally:
        runtime.stop()
    return {
        "events": events,
        "rate_limit_per_second": limit,
        "limited_hook": _arrivals(slow),
        "unlimited_hook": _arrivals(fast),
        "counter_requests_per_limited_delivery": round(counter_requests / max(1, len(slow)), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--rate-limit", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args()
    limited = rate_limit(args.events, args.rate_limit, args.timeout)
    baseline = rate_limit(args.events, None, args.timeout)
    spread = limited["limited_hook"]["first_to_last_seconds"]
    limited["goal_met"] = limited["limited_hook"]["deliveries"] == args.events and spread >= (
        args.events / args.rate_limit - 1
    )
    results = {"rate_limit": limited, "baseline": baseline}
    text = json.dumps(results, indent=2)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    if not results["rate_limit"]["goal_met"]:
        raise SystemExit("the rate-limited hook's deliveries did not spread as its limit requires")


if __name__ == "__main__":
    main()

"""The local runtime under a backlog: `python -m hookwire.bench_backlog` prints one JSON summary.

1. Backlog: `hooks` hooks (one tenant) and `events` events published with every poller paused, fanned out
   with delivery paused, so `events x hooks` messages wait in the deliveries queue. With that backlog:
   `POST /events` latency (p50/p99, the deliveries queue full), then the drain rate with delivery
   resumed (`deliveries_per_second`).
2. Soak: `soak_events` events to `soak_hooks` hooks whose receiver fails `failure_rate` of the attempts
   (seeded), with a short retry schedule; every (event, hook) pair must be answered 2xx exactly once:
   `lost` pairs never were, `duplicates` were more than once.

Goals (issue 12): >= 100 deliveries/s and `POST /events` p99 <= 100 ms with 10,000 messages queued; the
10,000-pair soak finishes with 0 lost and 0 duplicates in minutes. `--moto-store` runs the same on moto's
own SQS store, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalConfig, LocalRuntime
from hookwire.receiver import Answer, Delivery, Receiver

SOAK_RETRY_SCHEDULE = ",".join(["1s"] * 12)  # 13 attempts: at 25 % failures, P(all fail) = 0.25^13
EVENT_TYPE = "order.status.changed"


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p99": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 1),
        "max": round(ordered[-1], 1),
    }


def _cpu_seconds(runtime: LocalRuntime) -> float:
    """CPU time of this process (moto, gateway, pollers) and every function environment (Linux /proc)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    ticks = os.sysconf("SC_CLK_TCK")
    for function in runtime.functions.values():
        for pid in function.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # an environment that ended meanwhile
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _pollers(runtime: LocalRuntime, name: str) -> Any:
    return next(poller for poller in runtime.pollers if poller.invoke.name == name)


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.2)


def _tenant_with_hooks(runtime: LocalRuntime, name: str, urls: list[str]) -> HookwireClient:
    admin = HookwireClient(runtime.url, runtime.admin_token)
    client = HookwireClient(runtime.url, admin.call("POST", "/tenants", {"name": name})["token"])
    for index, url in enumerate(urls):
        client.call("POST", "/hooks", {"name": f"{name} {index}", "url": url, "on": EVENT_TYPE})
    return client


def _publish(client: HookwireClient, count: int, offset: int = 0) -> list[float]:
    """Publishes `count` events; returns each request's latency in ms."""
    latencies = []
    for index in range(count):
        started = time.perf_counter()
        client.call("POST", "/events", {"type": EVENT_TYPE, "data": {"orderId": offset + index}})
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def backlog(runtime: LocalRuntime, events: int, hooks: int, probe_publishes: int, timeout: float) -> dict[str, Any]:
    fanout, deliver = _pollers(runtime, "fanout"), _pollers(runtime, "deliver")
    with Receiver() as receiver:
        client = _tenant_with_hooks(runtime, "backlog", [f"{receiver.url}/{index}" for index in range(hooks)])
        fanout.pause()
        deliver.pause()
        _publish(client, events)
        fanout.resume()
        queued = events * hooks
        _wait_for(lambda: runtime.queue_depths()["deliveries"] >= queued, timeout, f"{queued} deliveries queued")
        fanout.pause()  # the probe's events stay in the events queue: the deliveries backlog stays exact
        depth = runtime.queue_depths()["deliveries"]
        publish_ms = _percentiles(_publish(client, probe_publishes, offset=events))
        started, cpu_before = time.time(), _cpu_seconds(runtime)
        deliver.resume()
        arrived = receiver.wait_for(queued, timeout)
        drain_seconds = time.time() - started
        drain_cpu = _cpu_seconds(runtime) - cpu_before
        fanout.resume()
    return {
        "queued_deliveries": depth,
        "publish_ms_with_backlog": publish_ms,
        "deliveries": len(arrived),
        "drain_seconds": round(drain_seconds, 1),
        "deliveries_per_second": round(len(arrived) / drain_seconds, 1),
        # CPU of every process involved (moto included): the rate a machine with N free cores could reach
        "cpu_ms_per_delivery": round(drain_cpu * 1000 / max(1, len(arrived)), 2),
        "load_average_1m": round(os.getloadavg()[0], 1),
    }


class FlakyReceiver:
    """Fails `rate` of the attempts (seeded); counts the 2xx answers per (hook path, webhook-id) pair."""

    def __init__(self, rate: float, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.succeeded: Counter[tuple[str, str]] = Counter()
        self.attempts = 0
        self.receiver = Receiver(self._answer)
        self.rate = rate

    def _answer(self, delivery: Delivery, _count: int) -> Answer:
        with self._lock:
            self.attempts += 1
            if self._rng.random() < self.rate:
                return Answer(status=500)
            self.succeeded[(delivery.path, delivery.headers["webhook-id"])] += 1
        return Answer(status=200)


def soak(runtime: LocalRuntime, events: int, hooks: int, failure_rate: float, timeout: float) -> dict[str, Any]:
    flaky = FlakyReceiver(failure_rate)
    with flaky.receiver:
        paths = [f"/webhook/{index}" for index in range(hooks)]
        client = _tenant_with_hooks(runtime, "soak", [flaky.receiver.url + path[len("/webhook") :] for path in paths])
        started = time.time()
        event_ids = [
            client.call("POST", "/events", {"type": EVENT_TYPE, "data": {"orderId": index}})["id"]
            for index in range(events)
        ]
        expected = {(path, event_id) for path in paths for event_id in event_ids}
        _wait_for(lambda: len(flaky.succeeded) >= len(expected), timeout, "every pair answered")
        runtime.wait_until_quiet(timeout=60)
        seconds = time.time() - started
        succeeded = dict(flaky.succeeded)
    return {
        "pairs": len(expected),
        "attempts": flaky.attempts,
        "lost": len(expected - succeeded.keys()),
        "duplicates": sum(count - 1 for count in succeeded.values() if count > 1),
        "unexpected": len(succeeded.keys() - expected),
        "seconds": round(seconds, 1),
        "attempts_per_second": round(flaky.attempts / seconds, 1),
    }


def run(
    events: int = 1000,
    hooks: int = 10,
    probe_publishes: int = 200,
    soak_events: int = 1000,
    soak_hooks: int = 10,
    failure_rate: float = 0.25,
    timeout: float = 900,
    indexed_sqs: bool = True,
) -> dict[str, Any]:
    """Both scenarios, each on a fresh runtime; a dict of numbers."""
    config = LocalConfig(port=0, admin_token="bench-admin", indexed_sqs=indexed_sqs)
    runtime = LocalRuntime(config).start()
    try:
        backlog_result = backlog(runtime, events, hooks, probe_publishes, timeout)
    finally:
        runtime.stop()
    config = LocalConfig(port=0, admin_token="bench-admin", retry_schedule=SOAK_RETRY_SCHEDULE, indexed_sqs=indexed_sqs)
    runtime = LocalRuntime(config).start()
    try:
        soak_result = soak(runtime, soak_events, soak_hooks, failure_rate, timeout)
    finally:
        runtime.stop()
    return {
        "sqs_store": "indexed" if indexed_sqs else "moto",
        "delivery_concurrency": config.delivery_concurrency,
        "backlog": backlog_result,
        "soak": soak_result,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000, help="backlog: events published (x hooks = queued)")
    parser.add_argument("--hooks", type=int, default=10)
    parser.add_argument("--probe-publishes", type=int, default=200, help="POST /events timed with the backlog")
    parser.add_argument("--soak-events", type=int, default=1000)
    parser.add_argument("--soak-hooks", type=int, default=10)
    parser.add_argument("--failure-rate", type=float, default=0.25)
    parser.add_argument("--timeout", type=float, default=900, help="seconds each phase may take")
    parser.add_argument("--moto-store", action="store_true", help="moto's own SQS store (slow past ~1,000 queued)")
    args = parser.parse_args()
    result = run(
        args.events,
        args.hooks,
        args.probe_publishes,
        args.soak_events,
        args.soak_hooks,
        args.failure_rate,
        args.timeout,
        indexed_sqs=not args.moto_store,
    )
    print(json.dumps(result, indent=2))
    soak_result = result["soak"]
    if soak_result["lost"] or soak_result["duplicates"]:
        raise SystemExit("the soak lost or duplicated deliveries")


if __name__ == "__main__":
    main()

"""`make bench`: push deliveries through the local runtime and report throughput and AWS calls per delivery.

Events are published with the pollers paused, then the pollers drain the backlog: `publishes_per_second`
is the API's rate and `deliveries_per_second` the pipeline's. The local runtime drains each queue with one
poller (Lambda concurrency 1) on moto (about 10 ms a call), so these are the rates of a single fanout and a
single deliver container on a slow backend; on AWS the event source scales out with `max_concurrency`.
AWS calls are counted on the boto3 clients the functions share (moto stands in for AWS), split into the
calls Hookwire's code makes and the receive/delete calls the event source makes on its behalf.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import threading
import time
from collections import Counter
from typing import Any

from hookwire.client import HookwireClient
from hookwire.local.runtime import LocalConfig, LocalRuntime
from hookwire.receiver import Receiver

EVENT_SOURCE_OPERATIONS = {"ReceiveMessage", "DeleteMessageBatch", "DeleteMessage", "GetQueueAttributes"}


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, model: Any, **_kwargs: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def attach(self, clients: dict[str, Any]) -> None:
        for client in clients.values():
            client.meta.events.register("before-call", self)

    def split(self) -> tuple[Counter[str], Counter[str]]:
        ours = Counter({k: v for k, v in self.calls.items() if k not in EVENT_SOURCE_OPERATIONS})
        source = Counter({k: v for k, v in self.calls.items() if k in EVENT_SOURCE_OPERATIONS})
        return ours, source


def run(events: int, hooks: int, timeout: float) -> dict[str, Any]:
    runtime = LocalRuntime(LocalConfig(port=0, admin_token="bench-admin")).start()
    receiver = Receiver().start()
    try:
        admin = HookwireClient(runtime.url, runtime.admin_token)
        tenant = admin.call("POST", "/tenants", {"name": "bench"})
        client = HookwireClient(runtime.url, tenant["token"])
        for index in range(hooks):
            client.call("POST", "/hooks", {"name": f"bench {index}", "url": receiver.url, "on": "order.*"})

        from functions.common.dal.clients import aws

        for service in ("dynamodb", "sqs", "kms", "secretsmanager"):
            aws.get(service)
        counter = CallCounter()
        counter.attach(aws._clients)

        # Publish with the pollers paused, then drain: the two rates are measured apart.
        for poller in runtime.pollers:
            poller.pause()
        started = time.perf_counter()
        for index in range(events):
            client.call("POST", "/events", {"type": "order.status.changed", "data": {"orderId": index}})
        publish_seconds = time.perf_counter() - started
        drain_started = time.time()
        for poller in runtime.pollers:
            poller.resume()
        expected = events * hooks
        deliveries = receiver.wait_for(expected, timeout)
        drain_seconds = time.time() - drain_started
        runtime.wait_until_quiet(timeout=30)
    finally:
        receiver.stop()
        runtime.stop()

    latencies = sorted((d.received_at - drain_started) * 1000 for d in deliveries)
    ours, source = counter.split()
    delivered = len(deliveries)
    return {
        "events": events,
        "hooks": hooks,
        "deliveries": delivered,
        "complete": delivered == expected,
        "publish_seconds": round(publish_seconds, 2),
        "publishes_per_second": round(events / publish_seconds, 1),
        "drain_seconds": round(drain_seconds, 2),
        "deliveries_per_second": round(delivered / drain_seconds, 1),
        "delivered_after_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p90": round(latencies[int(len(latencies) * 0.9) - 1], 1),
            "p99": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        },
        "aws_calls_per_delivery": round(sum(ours.values()) / delivered, 3),
        "aws_calls_by_operation": dict(ours.most_common()),
        "event_source_calls_per_delivery": round(sum(source.values()) / delivered, 3),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--hooks", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    result = run(args.events, args.hooks, args.timeout)
    print(json.dumps(result, indent=2))
    if not result["complete"]:
        raise SystemExit("not every delivery arrived")


if __name__ == "__main__":
    main()

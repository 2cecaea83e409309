"""`make bench`: what one delivery costs, measured on the local runtime, and how fast it drains.

For 1, 10 and 100 hooks per event, events are published with the pollers paused, then the pollers drain
the backlog (`publishes_per_second` is the API's rate, `deliveries_per_second` the pipeline's: one
fanout and one deliver container on moto). Per delivery it reports:

- `aws_requests_per_delivery`: the functions' own calls, and the event source's receive/delete calls apart
  (a receive that found the queue empty is an idle poll, a fixed cost: `idle_event_source_receives`);
- DynamoDB write and read units computed from the items written and read (`hookwire.cost_meter`), and the
  most write units one partition key took per published event (a per-tenant key would show here);
- `lambda_ms_per_delivery`: the handlers' wall time with every AWS call's local (moto) time replaced by a
  typical in-region latency (`pricing.AWS_CALL_MILLISECONDS`);
- `log_bytes_per_delivery`: the functions' log lines at INFO plus Lambda's START/END/REPORT lines when the
  stack's system log level writes them (it does not: `constants.LAMBDA_SYSTEM_LOG_LEVEL` is WARN);
- `mean_batch_size` per function (messages per invocation, as the event source fills batches within its
  batching window) and `deliveries_per_deliver_invocation` (a group message is several deliveries);
- `usd_per_million_deliveries` by service, from `hookwire.pricing`.

Then routing at 5,000 hooks per tenant (10 matching), and the handlers' import time against a bare
import of Powertools, boto3 and pydantic. Everything goes to stdout and `bench/results.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hookwire import bench_cpu, pricing
from hookwire.client import HookwireClient
from hookwire.cost_meter import CostMeter
from hookwire.local.lambda_emulation import SerialInvoker
from hookwire.local.runtime import LocalConfig, LocalRuntime
from hookwire.receiver import Receiver
from infra import constants
from infra.config import DeployConfig

RESULTS_FILE = Path("bench/results.json")
EVENT_TYPE = "order.status.changed"
MEMORY_MB = {
    "api": constants.API_MEMORY_MB,
    "fanout": constants.FANOUT_MEMORY_MB,
    "deliver": constants.DELIVER_MEMORY_MB,
}
HANDLER_MODULES = ("functions.api.handler", "functions.fanout.handler", "functions.deliver.handler")


@dataclass
class Invocations:
    """Wall time of every handler invocation, by function, with the AWS calls' local time taken out."""

    meter: CostMeter
    count: Counter[str] = field(default_factory=Counter)
    billed_ms: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str, wall_seconds: float, aws_seconds: float, aws_calls: int) -> None:
        own_ms = max(0.0, wall_seconds - aws_seconds) * 1000
        with self.lock:
            self.count[name] += 1
            self.billed_ms[name] += own_ms + aws_calls * pricing.AWS_CALL_MILLISECONDS


def _time_invocations(meter: CostMeter) -> tuple[Invocations, Any]:
    """Wrap every SerialInvoker (api, fanout, deliver) so each invocation is timed."""
    invocations = Invocations(meter)
    original = SerialInvoker.__call__

    def timed(self: SerialInvoker, event: dict[str, Any]) -> dict[str, Any]:
        thread = threading.get_ident()
        aws_before, calls_before = meter.aws_seconds_by_thread[thread], meter.aws_calls_by_thread[thread]
        meter_before = meter.meter_seconds_by_thread[thread]
        started = time.perf_counter()
        try:
            return original(self, event)
        finally:
            invocations.record(
                self.name,
                time.perf_counter() - started - (meter.meter_seconds_by_thread[thread] - meter_before),
                meter.aws_seconds_by_thread[thread] - aws_before,
                meter.aws_calls_by_thread[thread] - calls_before,
            )

    SerialInvoker.__call__ = timed  # type: ignore[method-assign]
    return invocations, original


class LogSink(io.TextIOBase):
    """Counts the bytes the functions' logger writes (instead of printing them)."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


def _capture_logs() -> LogSink:
    from functions.common.observability import logger

    sink = LogSink()
    logger.setLevel("INFO")
    logger.registered_handler.setStream(sink)  # type: ignore[attr-defined]
    return sink


def _metered_clients(runtime: LocalRuntime) -> CostMeter:
    import boto3

    from functions.common.dal.clients import aws

    for service in ("dynamodb", "sqs", "kms", "secretsmanager"):
        aws.get(service)
    meter = CostMeter(boto3.session.Session().client("dynamodb"))
    meter.attach(aws._clients)
    return meter


def _handler(ref: str) -> Any:
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


@contextlib.contextmanager
def _functions_in_process(runtime: LocalRuntime) -> Iterator[None]:
    """Run the functions in this process (one SerialInvoker each) instead of the runtime's worker
    processes, so the meter sees every AWS call and item, the timer every invocation and the sink every
    log line. The worker processes stay idle and are put back before the runtime stops them."""
    originals = dict(runtime.functions)
    serial = {name: SerialInvoker(name, _handler(f.handler_ref), f.timeout_seconds) for name, f in originals.items()}
    pollers = {id(poller): poller.invoke for poller in runtime.pollers}
    runtime.functions.update(serial)
    for poller in runtime.pollers:
        poller.invoke = serial[poller.invoke.name]
    try:
        yield
    finally:
        runtime.functions.update(originals)
        for poller in runtime.pollers:
            poller.invoke = pollers[id(poller)]


def _setup_tenant(runtime: LocalRuntime, hooks: int, url: str) -> tuple[HookwireClient, str]:
    """A tenant with `hooks` hooks on `order.*`; returns its client and id."""
    admin = HookwireClient(runtime.url, runtime.admin_token)
    tenant = admin.call("POST", "/tenants", {"name": "bench"})
    client = HookwireClient(runtime.url, tenant["token"])
    for index in range(hooks):
        client.call("POST", "/hooks", {"name": f"bench {index}", "url": url, "on": "order.*"})
    return client, tenant["id"]


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p90": round(ordered[max(0, int(len(ordered) * 0.9) - 1)], 1),
        "p99": round(ordered[max(0, int(len(ordered) * 0.99) - 1)], 1),
    }


def run(events: int, hooks: int, timeout: float) -> dict[str, Any]:
    """Publish `events` events to a tenant with `hooks` matching hooks and measure the whole pipeline."""
    runtime = LocalRuntime(LocalConfig(port=0, admin_token="bench-admin")).start()
    receiver = Receiver().start()
    logs = _capture_logs()
    invocations, original_call = None, SerialInvoker.__call__
    try:
        with _functions_in_process(runtime):
            client, _ = _setup_tenant(runtime, hooks, receiver.url)
            meter = _metered_clients(runtime)
            invocations, original_call = _time_invocations(meter)
            logs.bytes = 0
            for poller in runtime.pollers:
                poller.pause()
                poller.batches = poller.messages = 0
            started = time.perf_counter()
            for index in range(events):
                client.call("POST", "/events", {"type": EVENT_TYPE, "data": {"orderId": index, "status": "shipped"}})
            publish_seconds = time.perf_counter() - started
            drain_started = time.time()
            for poller in runtime.pollers:
                poller.resume()
            expected = events * hooks
            deliveries = receiver.wait_for(expected, timeout)
            drain_seconds = time.time() - drain_started
            runtime.wait_until_quiet(timeout=30)
    finally:
        SerialInvoker.__call__ = original_call  # type: ignore[method-assign]
        receiver.stop()
        runtime.stop()

    delivered = max(1, len(deliveries))
    own, source = meter.split()
    per = 1 / delivered
    write_units = sum(meter.write_units.values())
    read_units = sum(meter.read_units.values())
    gb_seconds = sum(ms / 1000 * MEMORY_MB[name] / 1024 for name, ms in invocations.billed_ms.items())
    invocation_count = sum(invocations.count.values())
    log_bytes = logs.bytes + invocation_count * pricing.platform_log_bytes_per_invocation(
        constants.LAMBDA_SYSTEM_LOG_LEVEL
    )
    bytes_out = sum(len(d.body) + sum(len(k) + len(v) + 4 for k, v in d.headers.items()) for d in deliveries)
    usage = pricing.Usage(
        http_api_requests=events * per,
        lambda_invocations=invocation_count * per,
        lambda_gb_seconds=gb_seconds * per,
        sqs_requests=meter.sqs_billed_requests * per,
        dynamodb_write_units=write_units * per,
        dynamodb_read_units=read_units * per,
        kms_requests=meter.kms_requests * per,
        log_bytes=log_bytes * per,
        bytes_out=bytes_out * per,
        tracing=DeployConfig().tracing,
    )
    hottest_key, hottest_units = max(meter.write_units_by_key.items(), key=lambda kv: kv[1], default=(("", ""), 0.0))
    return {
        "events": events,
        "hooks_per_event": hooks,
        "deliveries": len(deliveries),
        "complete": len(deliveries) == expected,
        "aws_requests_per_delivery": {
            "own": round(sum(own.values()) * per, 3),
            "event_source": round(sum(source.values()) * per, 3),
            "total": round(meter.aws_requests * per, 3),
        },
        "aws_requests_by_operation": dict(own.most_common()),
        "event_source_requests_by_operation": dict(source.most_common()),
        "dynamodb_write_units_per_delivery": round(write_units * per, 3),
        "read_units_per_delivery": round(read_units * per, 3),
        "write_units_by_table": {t: round(u * per, 3) for t, u in meter.write_units.items()},
        "max_write_units_per_partition_key_per_event": round(hottest_units / events, 3),
        "hottest_partition_key": hottest_key[1],
        "lambda_ms_per_delivery": round(sum(invocations.billed_ms.values()) * per, 2),
        "lambda_ms_by_function": {k: round(v * per, 2) for k, v in invocations.billed_ms.items()},
        "lambda_invocations_per_delivery": round(invocation_count * per, 3),
        "mean_batch_size": {
            poller.invoke.name: round(poller.mean_batch_size, 2) for poller in runtime.pollers if poller.batches
        },
        "deliveries_per_deliver_invocation": round(len(deliveries) / max(1, invocations.count["deliver"]), 2),
        "idle_event_source_receives": meter.idle_receives,
        "log_bytes_per_delivery": round(log_bytes * per, 1),
        "usd_per_million_deliveries": pricing.usd_per_million(usage),
        "xray_usd_per_million_if_tracing": round(pricing.xray_usd_per_million(usage.lambda_invocations), 4),
        "publishes_per_second": round(events / publish_seconds, 1),
        "deliveries_per_second": round(len(deliveries) / drain_seconds, 1),
        "delivered_after_ms": _percentiles([(d.received_at - drain_started) * 1000 for d in deliveries] or [0.0]),
    }


def routing(total_hooks: int, matching: int, events: int) -> dict[str, Any]:
    """Fan-out's reads per event when a tenant has `total_hooks` hooks of which `matching` match."""
    from datetime import UTC, datetime

    from functions.common.dal.hooks import HooksRepository
    from functions.common.models import Hook

    runtime = LocalRuntime(LocalConfig(port=0, admin_token="bench-admin")).start()
    receiver = Receiver().start()
    _capture_logs()
    try:
        with _functions_in_process(runtime):
            client, tenant_id = _setup_tenant(runtime, matching, receiver.url)
            assert runtime.resources
            repository = HooksRepository(runtime.resources.subscriptions_table)
            now = datetime.now(UTC)
            others = ("deal.created", "invoice.paid", "lead.created")
            repository.import_hooks(
                Hook(
                    id=f"hk_other{index:05d}",
                    tenant_id=tenant_id,
                    name=f"other {index}",
                    url=receiver.url,
                    on=[others[index % len(others)]],
                    created_at=now,
                    updated_at=now,
                )
                for index in range(total_hooks - matching)
            )
            meter = _metered_clients(runtime)
            invocations, original_call = _time_invocations(meter)
            try:
                for index in range(events):
                    client.call("POST", "/events", {"type": EVENT_TYPE, "data": {"orderId": index}})
                receiver.wait_for(events * matching, 120)
                runtime.wait_until_quiet(timeout=30)
            finally:
                SerialInvoker.__call__ = original_call  # type: ignore[method-assign]
    finally:
        receiver.stop()
        runtime.stop()
    tables = runtime.resources
    return {
        "hooks_per_tenant": total_hooks,
        "matching_hooks": matching,
        "events": events,
        "delivered": len(receiver.deliveries),
        "subscriptions_read_units_per_event": round(meter.read_units.get(tables.subscriptions_table, 0.0) / events, 2),
        "fanout_ms_per_event": round(invocations.billed_ms["fanout"] / events, 2),
    }


def _import_seconds(statement: str, runs: int) -> float:
    """Median CPU time of `statement` in a fresh interpreter (tracing off, as locally). CPU, not wall, time:
    on a shared machine the wall clock measures the neighbours too."""
    code = f"import time; t = time.process_time(); {statement}; print(time.process_time() - t)"
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"}
    samples = [
        float(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout)
        for _ in range(runs)
    ]
    return statistics.median(samples)


def import_times(runs: int = 5) -> dict[str, Any]:
    bench_cpu.compile_functions()  # the deployed asset ships bytecode (infra/constructs/lambda_code.py)
    bare = _import_seconds("import aws_lambda_powertools, boto3, pydantic", runs)
    result: dict[str, Any] = {"bare_powertools_boto3_pydantic_ms": round(bare * 1000, 1)}
    for module in HANDLER_MODULES:
        seconds = _import_seconds(f"import {module}", runs)
        result[module] = {"ms": round(seconds * 1000, 1), "vs_bare": round(seconds / bare, 2)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=1000, help="deliveries per hooks-per-event scenario")
    parser.add_argument("--hooks", type=int, nargs="*", default=[1, 10, 100])
    parser.add_argument("--routing-hooks", type=int, default=5000)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--output", type=Path, default=RESULTS_FILE)
    args = parser.parse_args()
    os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO"
    results: dict[str, Any] = {
        "prices": {"as_of": pricing.PRICES_AS_OF, "region": pricing.REGION, "architecture": "arm64"},
        "per_hooks_per_event": {},
    }
    for hooks in args.hooks:
        scenario = run(max(1, args.deliveries // hooks), hooks, args.timeout)
        scenario["eventbridge_api_destinations_usd_per_million"] = round(
            pricing.eventbridge_usd_per_million_deliveries(hooks), 3
        )
        results["per_hooks_per_event"][str(hooks)] = scenario
        print(json.dumps({f"{hooks} hooks per event": scenario}), file=sys.stderr, flush=True)
    if args.routing_hooks:
        results["routing"] = routing(args.routing_hooks, 10, 20)
        print(json.dumps({"routing": results["routing"]}), file=sys.stderr, flush=True)
    results["import_time"] = import_times()
    results["cpu_per_delivery"] = bench_cpu.measure()
    results["cpu_vs_bare_urllib3"] = results["cpu_per_delivery"]["cpu_vs_bare_urllib3"]
    text = json.dumps(results, indent=2)
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    if not all(s["complete"] for s in results["per_hooks_per_event"].values()):
        raise SystemExit("not every delivery arrived")


if __name__ == "__main__":
    main()

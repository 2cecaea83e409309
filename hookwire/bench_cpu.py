"""CPU per delivery: Hookwire's deliver path against a bare signed urllib3 POST loop.

Both deliver the same number of events to one receiver on 127.0.0.1 running in *another process* (its CPU
is not counted), with the same concurrency, and the CPU this process spends (`time.process_time()`, every
thread) is divided by the deliveries:

- **hookwire**: `deliver_batch` (functions/deliver/logic.py) on SQS-sized batches, each message parsed from
  its JSON body as the handler does, with the real `WebhookHttpClient` (SSRF check, deadline watchdog,
  capped read), the real execution and queue repositories on a stub AWS client that answers at once
  (Hookwire's item building is counted, boto3's and the network's are not), hooks and events read from
  memory, and the functions' logger at INFO writing to a sink;
- **bare**: build the same envelope, sign it (Standard Webhooks HMAC-SHA256) and POST it with one urllib3
  PoolManager, reading the answer.

Each side is warmed up first (connections open, code imported), then measured `rounds` times alternately;
the median round's ratio counts. `--profile` prints a cProfile top 15 of the hookwire side.

    python -m hookwire.bench_cpu [--deliveries 2000] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import base64
import compileall
import contextlib
import cProfile
import hashlib
import hmac
import io
import json
import pstats
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SECRET = "whsec_" + base64.b64encode(b"bench-secret-bench-secret-bench!").decode()
EVENT_DATA = json.dumps({"orderId": 12345, "status": "shipped", "items": [{"sku": "A-1", "qty": 2}]})
TIMEOUT_SECONDS = 15.0
CONCURRENCY = 10
BATCH_SIZE = 10


def serve() -> None:
    """`--serve`: a receiver answering 200 in this process until stdin closes; prints its URL first."""
    from hookwire.receiver import Receiver

    with Receiver() as receiver:
        print(receiver.url, flush=True)
        sys.stdin.read()


@contextlib.contextmanager
def receiver_process() -> Iterator[str]:
    """The receiver in a child process; yields its URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "hookwire.bench_cpu", "--serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=10)


def _spread(work: Callable[[int], None], count: int, executor: ThreadPoolExecutor) -> None:
    """`work(index)` for every index below `count`, on `CONCURRENCY` threads pulling from one counter."""
    lock = threading.Lock()
    indexes = iter(range(count))

    def loop() -> None:
        while True:
            with lock:
                index = next(indexes, None)
            if index is None:
                return
            work(index)

    for future in [executor.submit(loop) for _ in range(CONCURRENCY)]:
        future.result()


class BareLoop:
    """What any webhook sender must do at least: body, signature, POST, read the answer."""

    def __init__(self, url: str) -> None:
        import urllib3

        self.url = url
        self.pool = urllib3.PoolManager(maxsize=CONCURRENCY, retries=False)
        self.key = base64.b64decode(SECRET.removeprefix("whsec_"))
        self.executor = ThreadPoolExecutor(max_workers=CONCURRENCY)

    def deliver_one(self, index: int) -> None:
        message_id = f"evt_{index:08d}"
        timestamp = int(time.time())
        head = json.dumps({"id": message_id, "type": "order.status.changed", "timestamp": "2026-01-01T00:00:00.000Z"})
        body = (head[:-1] + ',"data":' + EVENT_DATA + "}").encode()
        digest = hmac.new(self.key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        }
        response = self.pool.request("POST", self.url, body=body, headers=headers, timeout=TIMEOUT_SECONDS)
        if response.status != 200:
            raise RuntimeError(f"bare loop: receiver answered {response.status}")

    def run(self, deliveries: int) -> None:
        _spread(self.deliver_one, deliveries, self.executor)

    def close(self) -> None:
        self.executor.shutdown()
        self.pool.clear()


class _AnsweringAws:
    """Stands in for boto3's DynamoDB and SQS clients: every write succeeds at once."""

    def batch_write_item(self, **_request: Any) -> dict[str, Any]:
        return {"UnprocessedItems": {}}

    def put_item(self, **_request: Any) -> dict[str, Any]:
        return {}

    def send_message_batch(self, **_request: Any) -> dict[str, Any]:
        return {"Successful": [], "Failed": []}


@dataclass
class _MemoryStore:
    """Hooks and events by id (the HookStore and EventStore Protocols), as already read."""

    hooks: dict[str, Any]
    events: dict[str, Any]

    def get_hook(self, tenant_id: str, hook_id: str) -> Any:
        return self.hooks.get(hook_id)

    def get_hooks(self, keys: Iterable[tuple[str, str]]) -> dict[str, Any]:
        return {hook_id: self.hooks[hook_id] for _tenant, hook_id in keys if hook_id in self.hooks}

    def get_event(self, tenant_id: str, event_id: str, now: datetime | None = None) -> Any:
        return self.events.get(event_id)

    def get_events(self, keys: Iterable[tuple[str, str]]) -> dict[str, Any]:
        return {event_id: self.events[event_id] for _tenant, event_id in keys if event_id in self.events}

    def update_hook(self, tenant_id: str, hook_id: str, change: Callable[[Any], Any]) -> Any:
        return change(self.hooks[hook_id]) or self.hooks[hook_id]

    def mark_settled(self, tenant_id: str, event_id: str, hook_id: str, at: datetime) -> None:
        pass


class _Discard(io.TextIOBase):
    """Where the functions' log lines go: formatted (that CPU counts), then dropped."""

    def write(self, text: str) -> int:
        return len(text)


class _PlainSecrets:
    def open(self, ciphertext: str, context: dict[str, str]) -> str:
        return ciphertext


class HookwireLoop:
    """Hookwire's deliver path on batches of SQS message bodies, as the deliver function receives them."""

    def __init__(self, url: str) -> None:
        from functions.common.dal.clients import AwsClients
        from functions.common.dal.executions import ExecutionsRepository
        from functions.common.dal.queues import QueueClient
        from functions.common.dal.rate_limits import RateLimitRepository
        from functions.common.delivery import DeliverDeps
        from functions.common.delivery.factory import shared_executor, shared_http_client
        from functions.common.models import Event, Hook, HookSecret
        from functions.common.observability import logger
        from functions.common.retry import RetrySchedule

        logger.setLevel("INFO")
        logger.registered_handler.setStream(_Discard())  # type: ignore[attr-defined]
        now = datetime.now(UTC)
        self.hook = Hook(
            id="hk_bench",
            tenant_id="ten_bench",
            name="bench",
            url=url,
            on=["order.*"],
            created_at=now,
            updated_at=now,
            secrets=[HookSecret(ciphertext=SECRET, created_at=now)],
        )
        self.store = _MemoryStore({self.hook.id: self.hook}, {})
        self.event_type = Event
        clients = AwsClients()
        clients.inject("dynamodb", _AnsweringAws())
        clients.inject("sqs", _AnsweringAws())
        self.deps = DeliverDeps(
            hooks=self.store,
            events=self.store,
            executions=ExecutionsRepository("bench-executions", 30, clients),
            deliveries=QueueClient("bench-deliveries", clients),
            # Neither is touched: the bench hook has no rate limit and no FIFO ordering.
            ordered_deliveries=QueueClient("bench-ordered-deliveries.fifo", clients),
            rate_counter=RateLimitRepository("bench-subscriptions", clients),
            http=shared_http_client(True, "127.0.0.0/8", CONCURRENCY),
            secret_box=_PlainSecrets(),
            schedule=RetrySchedule.parse("5s,5m,30m,2h,5h,10h,10h", jitter=0.2),
            timeout_seconds=TIMEOUT_SECONDS,
            disable_after_seconds=5 * 86400,
            concurrency=CONCURRENCY,
            executor=shared_executor(CONCURRENCY),
        )
        self.next_event = 0

    def _bodies(self, deliveries: int) -> list[str]:
        """Publish `deliveries` events (into memory) and return their deliveries-queue message bodies."""
        now = datetime.now(UTC)
        bodies = []
        for _ in range(deliveries):
            event_id = f"evt_{self.next_event:08d}"
            self.next_event += 1
            self.store.events[event_id] = self.event_type(
                id=event_id, tenant_id="ten_bench", type="order.status.changed", data=EVENT_DATA, created_at=now
            )
            bodies.append(json.dumps({"tenant_id": "ten_bench", "hook_id": self.hook.id, "event_id": event_id}))
        return bodies

    def run(self, deliveries: int, measure: Callable[[Callable[[], None]], float]) -> float:
        """Seconds `measure` reports for delivering `deliveries` queued messages (set up outside it)."""
        from functions.common.models import DeliveryMessage
        from functions.deliver.logic import QueuedDelivery, deliver_batch

        bodies = self._bodies(deliveries)
        batches = [bodies[start : start + BATCH_SIZE] for start in range(0, deliveries, BATCH_SIZE)]

        def deliver_all() -> None:
            for number, batch in enumerate(batches):
                queued = [
                    QueuedDelivery(f"m{number}-{i}", DeliveryMessage.model_validate_json(body))
                    for i, body in enumerate(batch)
                ]
                report = deliver_batch(queued, self.deps, datetime.now(UTC), budget_seconds=900)
                if report.succeeded != len(batch):
                    raise RuntimeError(f"hookwire: {report.succeeded} of {len(batch)} deliveries succeeded")

        seconds = measure(deliver_all)
        self.store.events.clear()
        return seconds


def compile_functions() -> None:
    """The functions' bytecode, as the Lambda asset carries it, so an import measures what a cold start does.
    Checked by timestamp here (a source edited later is compiled again), unlike the asset's."""
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "functions", quiet=1)


def _cpu_seconds(work: Callable[[], None]) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def measure(deliveries: int = 2000, rounds: int = 5, warm_up: int = 200) -> dict[str, Any]:
    """CPU microseconds per delivery of both loops and their ratio. The rounds alternate the two loops and
    each round's ratio is taken, so load from other processes on the machine weighs on both alike; the
    median round counts."""
    with receiver_process() as url:
        hookwire, bare = HookwireLoop(url), BareLoop(url)
        try:
            hookwire.run(warm_up, _cpu_seconds)
            bare.run(warm_up)
            own, baseline = [], []
            for _ in range(rounds):
                own.append(hookwire.run(deliveries, _cpu_seconds) / deliveries * 1e6)
                baseline.append(_cpu_seconds(lambda: bare.run(deliveries)) / deliveries * 1e6)
        finally:
            bare.close()
    return {
        "deliveries": deliveries,
        "rounds": rounds,
        "concurrency": CONCURRENCY,
        "hookwire_cpu_us_per_delivery": round(statistics.median(own), 1),
        "bare_urllib3_cpu_us_per_delivery": round(statistics.median(baseline), 1),
        "cpu_vs_bare_urllib3": round(statistics.median(o / b for o, b in zip(own, baseline, strict=True)), 2),
    }


def profile(deliveries: int, top: int = 15) -> str:
    """cProfile of the hookwire loop (every thread), the `top` functions by own time."""
    with receiver_process() as url:
        hookwire = HookwireLoop(url)
        hookwire.run(200, _cpu_seconds)
        profiler = cProfile.Profile(time.process_time)

        def profiled(work: Callable[[], None]) -> float:
            profiler.runcall(work)
            return 0.0

        hookwire.run(deliveries, profiled)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(top)
    return text.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a cProfile top 15 of the hookwire loop")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
    elif args.profile:
        print(profile(args.deliveries))
    else:
        print(json.dumps(measure(args.deliveries, args.rounds), indent=2))


if __name__ == "__main__":
    main()

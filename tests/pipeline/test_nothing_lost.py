"""The promise: no event is lost. 200 events x 5 hooks, receivers failing a third of the time, 2 % of
all AWS calls failing (half of them after taking effect). Every pair must end succeeded, failed with a
record, or in a DLQ; the counts must add up."""

import json
import random
import threading

import pytest

from functions.common.dal.clients import aws
from functions.common.dal.executions import ExecutionsRepository
from hookwire.receiver import Answer
from tests.conftest import create_hook
from tests.support.faults import FlakyClient

EVENTS = 200
HOOKS = 5
RECEIVER_FAILURE_RATE = 1 / 3
AWS_FAILURE_RATE = 0.02


def _publish_until_accepted(api, token, event_id, index) -> None:
    """A producer retries 5xx with the same id, as idempotency invites it to."""
    for _ in range(30):
        reply = api.post("/events", token, {"type": "lead.created", "id": event_id, "data": {"n": index}})
        if reply.status in (200, 202):
            return
        assert reply.status >= 500, reply.body
    raise AssertionError(f"{event_id} never accepted")


def _drain_dlq(sqs, url) -> list[dict]:
    bodies = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _all_executions(executions: ExecutionsRepository, hook_id: str) -> list:
    found, cursor = [], None
    while True:
        page, cursor = executions.list_for_hook(hook_id, 100, cursor)
        found += page
        if not cursor:
            return found


@pytest.mark.timeout(420)  # drains for up to 240 s on a busy machine
def test_nothing_is_lost_under_receiver_and_internal_faults(api, tenant, pipeline, make_receiver, aws_env) -> None:
    rng, lock = random.Random(20261123), threading.Lock()
    answered_ok: set[tuple[str, int]] = set()

    def flaky_receiver(index: int):
        def answer(delivery, _count) -> Answer:
            with lock:
                failed = rng.random() < RECEIVER_FAILURE_RATE
                if not failed:
                    answered_ok.add((delivery.headers["webhook-id"], index))
            return Answer(status=500 if failed else 200)

        return answer

    token = tenant["token"]
    receivers = [make_receiver(flaky_receiver(i)) for i in range(HOOKS)]
    hooks = [create_hook(api, token, r.url, on="lead.*") for r in receivers]
    hook_index = {hook["id"]: i for i, hook in enumerate(hooks)}

    # Given faults in every AWS service our code calls (the event source itself stays reliable)
    fault_rng = random.Random(7)
    real = {name: aws.get(name) for name in ("dynamodb", "sqs", "kms")}
    flaky = {name: FlakyClient(client, fault_rng, AWS_FAILURE_RATE) for name, client in real.items()}
    for name, client in flaky.items():
        aws.inject(name, client)
    try:
        event_ids = [f"evt_nl_{i:04d}" for i in range(EVENTS)]
        for index, event_id in enumerate(event_ids):
            _publish_until_accepted(api, token, event_id, index)
        pipeline.run_until_quiet(timeout=240)
    finally:
        for name, client in real.items():
            aws.inject(name, client)
    injected = sum(sum(c.injected.values()) for c in flaky.values())
    assert injected > 20, "the faults must really have happened"

    # Then every pair has a final state
    executions = ExecutionsRepository(aws_env.executions_table, 30)
    finals: dict[tuple[str, str], set[str]] = {}
    latest: dict[tuple[str, str], str] = {}
    for hook in hooks:
        for execution in sorted(_all_executions(executions, hook["id"]), key=lambda e: e.id):
            pair = (execution.event_id, hook["id"])
            latest[pair] = execution.status.value
            if execution.status.value in ("succeeded", "failed"):
                finals.setdefault(pair, set()).add(execution.status.value)
    sqs = real["sqs"]
    dead_events = {m.get("id") for m in _drain_dlq(sqs, aws_env.events_dlq_url)}
    dead_pairs = {(m.get("event_id"), m.get("hook_id")) for m in _drain_dlq(sqs, aws_env.deliveries_dlq_url)}

    pairs = {(event_id, hook["id"]) for event_id in event_ids for hook in hooks}
    succeeded = {p for p in pairs if "succeeded" in finals.get(p, set())}
    failed = {p for p in pairs - succeeded if "failed" in finals.get(p, set())}
    in_dlq = {p for p in pairs - succeeded - failed if p in dead_pairs or p[0] in dead_events}
    missing = pairs - succeeded - failed - in_dlq
    assert not missing, f"{len(missing)} pairs vanished, e.g. {sorted(missing)[:5]}"
    assert len(succeeded) + len(failed) + len(in_dlq) == EVENTS * HOOKS
    # Nothing is left half-way: no pair's latest record is still 'retrying' without a later final
    assert all(latest.get(p) != "retrying" or p in finals or p in in_dlq for p in pairs)
    # And every success on record was a real 2xx at that pair's receiver
    assert all((event_id, hook_index[hook_id]) in answered_ok for event_id, hook_id in succeeded)
    # With 3 attempts at a 1/3 failure rate about 1 pair in 27 fails for good
    assert len(succeeded) > 0.9 * EVENTS * HOOKS and len(failed) > 0
    print(
        f"\npairs={len(pairs)} succeeded={len(succeeded)} failed={len(failed)} dlq={len(in_dlq)} "
        f"faults_injected={injected}"
    )

import json
from datetime import UTC, datetime, timedelta

from functions.common.dal.executions import ExecutionsRepository
from functions.common.delivery import (
    AttemptContext,
    DeliveryKey,
    Verdict,
    build_request,
    hook_after_attempt,
    judge,
    record_attempt,
)
from functions.common.http_client import RESPONSE_BODY_CAP, HttpResult, cap_headers
from functions.common.models import Event, ExecutionStatus, Hook, HookSecret, HookStatus, PayloadFormat
from functions.common.retry import RetrySchedule

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
SECRET = "whsec_" + "a" * 43 + "="


def make_hook(**fields) -> Hook:
    values = {
        "id": "hook_1",
        "tenant_id": "ten_1",
        "name": "h",
        "url": "https://example.com/hook",
        "on": ["*"],
        "created_at": NOW,
        "updated_at": NOW,
        "secrets": [HookSecret(ciphertext="sealed-current", created_at=NOW)],
    }
    values.update(fields)
    return Hook(**values)


EVENT = Event(id="evt_1", tenant_id="ten_1", type="lead.created", data='{"id": "ld_1"}', created_at=NOW)


def test_request_has_standard_webhooks_headers_and_custom_headers_never_override_them() -> None:
    # Given a hook whose custom headers try to replace protected ones
    hook = make_hook(headers={"X-Team": "billing", "Content-Type": "text/plain", "webhook-id": "forged"})
    # When the request is built
    request = build_request(hook, EVENT, NOW, [SECRET])
    # Then the custom header is there and the protected ones are Hookwire's
    assert request.headers["X-Team"] == "billing"
    assert "Content-Type" not in request.headers
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == "evt_1"
    assert request.headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["user-agent"].startswith("Hookwire/")


def test_data_format_sends_data_byte_for_byte() -> None:
    request = build_request(make_hook(payload_format=PayloadFormat.DATA), EVENT, NOW, [SECRET])
    assert request.body == b'{"id": "ld_1"}'


def test_live_secrets_are_newest_first_and_exclude_expired_ones() -> None:
    current = HookSecret(ciphertext="current", created_at=NOW)
    grace = HookSecret(ciphertext="grace", created_at=NOW - timedelta(days=1), expires_at=NOW + timedelta(hours=1))
    expired = HookSecret(
        ciphertext="expired", created_at=NOW - timedelta(days=2), expires_at=NOW - timedelta(seconds=1)
    )
    hook = make_hook(secrets=[expired, grace, current])
    assert [s.ciphertext for s in hook.live_secrets(NOW)] == ["current", "grace"]


def test_one_signature_per_live_secret() -> None:
    request = build_request(make_hook(), EVENT, NOW, [SECRET, "whsec_" + "b" * 43 + "="])
    assert len(request.headers["webhook-signature"].split(" ")) == 2


def test_judge_maps_receiver_answers() -> None:
    assert judge(HttpResult(status=204, duration_ms=1), NOW).verdict is Verdict.SUCCESS
    assert judge(HttpResult(status=410, duration_ms=1), NOW).verdict is Verdict.GONE
    redirect = judge(HttpResult(status=302, duration_ms=1, headers={"location": "https://x"}), NOW)
    assert redirect.verdict is Verdict.RETRY and "redirect not followed" in (redirect.error or "")
    limited = judge(HttpResult(status=429, duration_ms=1, headers={"retry-after": "120"}), NOW)
    assert limited.retry_after == 120
    assert judge(HttpResult(status=400, duration_ms=1, headers={"retry-after": "120"}), NOW).retry_after is None
    assert judge(HttpResult(status=None, duration_ms=1, error="connection refused"), NOW).error == "connection refused"


def _attempt(status: int | None, attempt: int = 1, **context) -> ExecutionStatus:
    hook = make_hook()
    request = build_request(hook, EVENT, NOW, [SECRET])
    result = HttpResult(status=status, duration_ms=5, error=None if status else "timed out")
    schedule = RetrySchedule.parse("5s,5m", jitter=0)
    return record_attempt(
        DeliveryKey.of(hook, EVENT), request, result, AttemptContext(attempt, **context), schedule, NOW
    ).execution


def test_failed_attempt_is_retrying_until_the_schedule_is_exhausted() -> None:
    first = _attempt(500, attempt=1)
    assert first.status is ExecutionStatus.RETRYING and first.next_attempt_at == NOW + timedelta(seconds=5)
    assert _attempt(500, attempt=2).status is ExecutionStatus.RETRYING
    last = _attempt(500, attempt=3)
    assert last.status is ExecutionStatus.FAILED and last.next_attempt_at is None


def test_manual_and_test_attempts_are_never_retried_automatically() -> None:
    assert _attempt(None, manual=True).status is ExecutionStatus.FAILED
    assert _attempt(500, test=True).status is ExecutionStatus.FAILED
    assert _attempt(200, manual=True).status is ExecutionStatus.SUCCEEDED


def test_hook_state_after_attempts() -> None:
    success, failure = (
        judge(HttpResult(status=200, duration_ms=1), NOW),
        judge(HttpResult(status=500, duration_ms=1), NOW),
    )
    gone = judge(HttpResult(status=410, duration_ms=1), NOW)
    week = 7 * 86400
    # A first failure starts the failure record; a success clears it
    started = hook_after_attempt(make_hook(), failure, NOW, week)
    assert started is not None and started.failing_since == NOW
    cleared = hook_after_attempt(started, success, NOW, week)
    assert cleared is not None and cleared.failing_since is None
    assert hook_after_attempt(make_hook(), success, NOW, week) is None
    # 410 disables at once, with a reason
    disabled = hook_after_attempt(make_hook(), gone, NOW, week)
    assert disabled is not None and disabled.status is HookStatus.DISABLED and "410" in (disabled.disabled_reason or "")
    # Failing for longer than the limit disables
    long_failing = make_hook(failing_since=NOW - timedelta(seconds=week + 1))
    auto = hook_after_attempt(long_failing, failure, NOW, week)
    assert (
        auto is not None and auto.status is HookStatus.DISABLED and "failed for 7 days" in (auto.disabled_reason or "")
    )


def test_the_largest_possible_execution_item_stays_far_below_dynamodbs_limit() -> None:
    # Given the worst answer the client can keep: 8 KB of headers that escape to 6 bytes a character, a 4 KB
    # body of invalid UTF-8, and a hostile error text
    headers, truncated = cap_headers((f"x-{i}", "\x7f" * 1000) for i in range(100))
    result = HttpResult(
        status=599,
        duration_ms=1,
        headers=headers,
        headers_truncated=truncated,
        body=b"\xff" * RESPONSE_BODY_CAP,
        error="e" * 1_000_000,
    )
    hook = make_hook(headers={f"X-{i}": "v" * 100 for i in range(20)})
    request = build_request(hook, EVENT, NOW, [SECRET])
    schedule = RetrySchedule.parse("5s", jitter=0)
    execution = record_attempt(DeliveryKey.of(hook, EVENT), request, result, AttemptContext(1), schedule, NOW).execution
    # When it is stored
    item = ExecutionsRepository("executions", 30)._item(execution)
    # Then the item is a small fraction of the 400 KB limit
    assert len(json.dumps(item).encode()) < 100 * 1024


def test_retry_after_is_honoured_on_429_and_every_5xx_but_not_on_other_4xx() -> None:
    # Given answers that each carry Retry-After: 120
    def retry_after_of(status: int) -> float | None:
        return judge(HttpResult(status=status, duration_ms=1, headers={"retry-after": "120"}), NOW).retry_after

    # Then 429 and every 5xx honour it, and no other answer does
    assert {status: retry_after_of(status) for status in (429, 500, 502, 503, 504, 599)} == dict.fromkeys(
        (429, 500, 502, 503, 504, 599), 120
    )
    assert [retry_after_of(status) for status in (400, 404, 422, 302)] == [None] * 4


def test_a_5xx_retry_after_keeps_the_schedule_clamp() -> None:
    # Given a 500 asking for a day's wait after attempt 1 of a "5s,5m" schedule
    hook = make_hook()
    result = HttpResult(status=500, duration_ms=1, headers={"retry-after": "86400"})
    schedule = RetrySchedule.parse("5s,5m", jitter=0)
    # When it is recorded
    outcome = record_attempt(DeliveryKey.of(hook, EVENT), None, result, AttemptContext(1), schedule, NOW)
    # Then the wait is clamped to twice the scheduled delay, as for 429/503
    assert outcome.retry_delay == 10


def _abort_outcome(status: int, value: str, name: str = "webhook-delivery", attempt: int = 1):
    hook = make_hook()
    result = HttpResult(status=status, duration_ms=1, headers={name: value})
    schedule = RetrySchedule.parse("5s,5m", jitter=0)
    return record_attempt(DeliveryKey.of(hook, EVENT), None, result, AttemptContext(attempt), schedule, NOW)


def test_webhook_delivery_abort_on_a_non_2xx_stops_retries_and_records_why() -> None:
    # Given non-2xx answers carrying Webhook-Delivery: abort in any letter case
    for status, value in ((500, "abort"), (429, " ABORT "), (400, "Abort"), (302, "abort")):
        # When the first attempt is recorded
        outcome = _abort_outcome(status, value)
        # Then it is failed at once, with nothing scheduled and the reason in the error
        assert outcome.judgement.verdict is Verdict.ABORT, status
        assert outcome.execution.status is ExecutionStatus.FAILED and outcome.retry_delay is None
        assert outcome.execution.next_attempt_at is None
        error = outcome.execution.error or ""
        assert f"HTTP {status}" in error and "asked to abort" in error


def test_abort_is_ignored_on_a_2xx_and_other_values_retry_as_before() -> None:
    # Given a 2xx with the abort header, and a 500 with another value of it
    success = judge(HttpResult(status=200, duration_ms=1, headers={"webhook-delivery": "abort"}), NOW)
    other = _abort_outcome(500, "later")
    # Then the 2xx succeeds, and the 500 is retried on the schedule
    assert success.verdict is Verdict.SUCCESS
    assert other.judgement.verdict is Verdict.RETRY and other.execution.status is ExecutionStatus.RETRYING


def test_410_still_disables_even_when_the_receiver_also_asks_to_abort() -> None:
    assert _abort_outcome(410, "abort").judgement.verdict is Verdict.GONE


def test_an_aborted_attempt_counts_as_a_failure_for_the_hook() -> None:
    # Given a hook with no failure record, When an attempt is aborted by the receiver
    aborted = hook_after_attempt(make_hook(), _abort_outcome(500, "abort").judgement, NOW, 7 * 86400)
    # Then the hook's failure record starts (it is not disabled)
    assert aborted is not None and aborted.failing_since == NOW and aborted.status is HookStatus.ACTIVE

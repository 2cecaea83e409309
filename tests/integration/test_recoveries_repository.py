"""The recoveries repository on moto: a dead-lettered recovery is marked failed, and asking again restarts it."""

from datetime import UTC, datetime, timedelta

from functions.common.dal.recoveries import RecoveriesRepository
from functions.common.models import Recovery, RecoveryKind, RecoveryStatus

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


def _recovery() -> Recovery:
    return Recovery(
        id="rec_1",
        tenant_id="ten_1",
        hook_id="hook_1",
        kind=RecoveryKind.RECOVER,
        since=NOW - timedelta(days=1),
        until=NOW,
        created_at=NOW,
        updated_at=NOW,
    )


def test_a_running_recovery_marked_failed_shows_why_and_the_same_request_restarts_it(aws_env) -> None:
    # Given a running recovery
    recoveries = RecoveriesRepository(aws_env.subscriptions_table)
    assert recoveries.start(_recovery()) is None
    # When its page message was dead-lettered
    assert recoveries.mark_failed("ten_1", "hook_1", "rec_1", "page died", NOW + timedelta(minutes=5)) is True
    # Then it shows failed, with the reason and when
    failed = recoveries.get("ten_1", "hook_1", "rec_1")
    assert failed is not None
    assert (failed.status, failed.error, failed.finished_at) == (
        RecoveryStatus.FAILED,
        "page died",
        NOW + timedelta(minutes=5),
    )
    # And asking for the same recovery again starts it afresh instead of returning the failed one
    assert recoveries.start(_recovery()) is None
    restarted = recoveries.get("ten_1", "hook_1", "rec_1")
    assert restarted is not None and (restarted.status, restarted.error) == (RecoveryStatus.RUNNING, None)


def test_a_finished_recovery_is_not_marked_failed_and_an_unknown_one_is_reported(aws_env) -> None:
    # Given a recovery that already finished
    recoveries = RecoveriesRepository(aws_env.subscriptions_table)
    done = _recovery().model_copy(update={"status": RecoveryStatus.DONE, "finished_at": NOW})
    recoveries.start(done)
    # When a late dead letter of one of its pages arrives, and one of a recovery never stored
    kept = recoveries.mark_failed("ten_1", "hook_1", "rec_1", "late", NOW)
    unknown = recoveries.mark_failed("ten_1", "hook_1", "rec_missing", "late", NOW)
    # Then the finished one stays done, and the unknown one is reported as not stored
    stored = recoveries.get("ten_1", "hook_1", "rec_1")
    assert kept is True and stored is not None and stored.status is RecoveryStatus.DONE
    assert unknown is False

from datetime import UTC, datetime, timedelta

from procedure.recovery import RecordView, decide_recovery

LIVE_SINCE = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
SIGNIFICANT = timedelta(hours=2)


def test_nothing_unfinished_nothing_to_do() -> None:
    records = [RecordView(1, "v1", 1800, "success"), RecordView(2, "v2", 1800, "failure")]
    assert decide_recovery(records, "v1", LIVE_SINCE, SIGNIFICANT) == []


def test_live_unverified_resumes_for_the_rest_of_its_window_not_a_new_one() -> None:
    [plan] = decide_recovery(
        [RecordView(7, "v2", 1800, "in_progress")], "v2", LIVE_SINCE, SIGNIFICANT
    )
    assert plan.action == "resume" and plan.record_id == 7
    assert plan.deadline == LIVE_SINCE + timedelta(minutes=30)


def test_unknown_window_falls_back_to_the_significant_one() -> None:
    [plan] = decide_recovery([RecordView(7, "v2", None, "queued")], "v2", LIVE_SINCE, SIGNIFICANT)
    assert plan.deadline == LIVE_SINCE + SIGNIFICANT


def test_a_record_with_no_status_counts_as_unfinished() -> None:
    [plan] = decide_recovery([RecordView(7, "v2", 60, None)], "v2", LIVE_SINCE, SIGNIFICANT)
    assert plan.action == "resume"


def test_record_of_a_version_no_longer_live_is_stale_and_never_resumed() -> None:
    [plan] = decide_recovery(
        [RecordView(7, "v2", 1800, "in_progress")], "v1", LIVE_SINCE, SIGNIFICANT
    )
    assert plan.action == "stale" and plan.deadline is None
    assert "v2" in plan.reason and "v1" in plan.reason


def test_only_the_newest_record_of_the_live_version_resumes() -> None:
    records = [
        RecordView(3, "v2", 60, "in_progress"),
        RecordView(9, "v2", 60, "in_progress"),
        RecordView(5, "v1", 60, "success"),
    ]
    plan = decide_recovery(records, "v2", LIVE_SINCE, SIGNIFICANT)
    assert [(p.record_id, p.action) for p in plan] == [(9, "resume"), (3, "stale")]

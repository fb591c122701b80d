"""`make bench`'s table: each key beside its goal, and whether one run's number meets it."""

from __future__ import annotations

from bench.run import goals, met, table


def test_a_bound_is_met_or_missed_and_other_goals_are_not_judged() -> None:
    assert met(4.2, "≤ 10") == "met"
    assert met(10.0, "≤ 10") == "met"
    assert met(10.5, "≤ 10 (50 ms provider latency)") == "MISSED"
    assert met(0, "0") == "met" and met(2, "0") == "MISSED"
    assert met(1.7, "(pipeline / bare)") == ""
    assert met("FAILED", "≤ 1") == ""


def test_the_issue_keys_all_have_goals_and_the_table_shows_them() -> None:
    issue_keys = {
        "workers_pipeline_s", "bare_httpx_s", "workers_overhead_ratio", "stage_slack_median_s",
        "stage_slack_p95_s", "burst_drain_s", "detect_to_halt_s", "detect_to_rollback_s",
        "reconcile_1000_s", "calls_per_rollout", "reconcile_rss_mb", "waiting_processes",
    }  # fmt: skip
    assert issue_keys <= set(goals())
    shown = table({"reconcile_1000_s": 12.3, "calls_per_rollout": 0.0})
    assert "reconcile_1000_s" in shown and "MISSED" in shown and "met" in shown
    assert "detect_to_halt_s" not in shown  # a part left out is not shown as measured

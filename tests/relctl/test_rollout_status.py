"""`relctl rollout status`: the rows advance-rollouts wrote, each with its 100 % forecast over
the freeze calendar (the shipped policy: NSW, Sydney time)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from procedure.forecast import Window
from procedure.freeze import freeze_windows
from procedure.policy import Policy
from relctl.rollout_cmd import rollout_forecast
from tasks.policy_file import load_policy

ROOT = Path(__file__).resolve().parents[2]
SYDNEY = ZoneInfo("Australia/Sydney")
MONDAY = datetime(2026, 12, 21, 9, 0, tzinfo=SYDNEY)


def _calendar(policy: Policy) -> list[Window]:
    end = datetime(2027, 2, 1, tzinfo=SYDNEY)
    return [Window(w.start, w.end, w.name) for w in freeze_windows(MONDAY, end, policy.freeze)]


def test_christmas_moves_an_android_rollout_by_the_holidays() -> None:
    policy = load_policy(ROOT / "policy" / "release-policy.yaml", None)
    row = {"app": "wallet", "version": 412, "stage": "stage", "fraction": "20%", "when": ""}
    got = rollout_forecast(row, policy, _calendar(policy), MONDAY)
    assert got is not None and got.done_at is not None
    # 50 % due Tue 22nd, 100 % due Wed 23rd: before Christmas, nothing moved
    assert got.done_at.astimezone(SYDNEY).day == 23 and got.moved_by == ()
    late = rollout_forecast(
        {**row, "fraction": "5%"}, policy, _calendar(policy), MONDAY.replace(day=23)
    )
    assert late is not None and late.done_at is not None
    assert any("Christmas" in name for name in late.moved_by)
    assert late.done_at.astimezone(SYDNEY) >= datetime(2026, 12, 27, tzinfo=SYDNEY)


def test_an_ios_phased_release_stops_through_the_holidays() -> None:
    policy = load_policy(ROOT / "policy" / "release-policy.yaml", None)
    row = {"app": "wallet (iOS)", "version": "2.4.1 (412)", "stage": "phase", "fraction": "5%"}
    got = rollout_forecast(row, policy, _calendar(policy), MONDAY.replace(day=23))
    assert got is not None and got.done_at is not None  # day 3 → day 7: four days, paused 2+
    assert got.done_at.astimezone(SYDNEY) >= datetime(2026, 12, 29, 9, tzinfo=SYDNEY)
    assert any("Christmas" in name for name in got.moved_by)


def test_rows_that_are_not_a_staged_rollout_have_no_forecast() -> None:
    policy = load_policy(ROOT / "policy" / "release-policy.yaml", None)
    for row in (
        {"app": "wallet", "stage": "review", "fraction": "0%"},
        {"app": "verifier", "stage": "unverified", "fraction": ""},
        {"app": "wallet (iOS)", "stage": "error", "fraction": ""},
    ):
        assert rollout_forecast(row, policy, [], MONDAY) is None

"""`quiet_until`: the instant before which a live rollout, read from its stored timeline alone,
needs nothing — never later than what `decide` and `vitals_due` say on the store's own answer,
so advance-rollouts skipping the read until then skips no step and no health check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from procedure.android import (
    PUBLISHED,
    PlayView,
    Step,
    Timeline,
    decide,
    quiet_until,
    stage_key,
    vitals_due,
)
from tasks.policy_file import load_policy

ROOT = Path(__file__).resolve().parents[2]
APP = load_policy(ROOT / "policy" / "release-policy.yaml").android_app("wallet")
T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
offsets = st.timedeltas(-APP.stage_soak * 2, timedelta(0))


@settings(max_examples=300, deadline=None)
@given(
    stage=st.sampled_from([s for s in APP.stages if s < 1.0]),
    stage_ago=offsets,
    checked_ago=st.one_of(st.none(), offsets),
    later=st.timedeltas(timedelta(0), APP.stage_soak * 2),
)
def test_quiet_until_is_never_after_a_due_step(
    stage: float, stage_ago: timedelta, checked_ago: timedelta | None, later: timedelta
) -> None:
    timeline = Timeline(
        promoted_at=T0 + stage_ago,
        stage_since={stage_key(stage): T0 + stage_ago},
        vitals_checked_at=None if checked_ago is None else T0 + checked_ago,
    )
    until = quiet_until(timeline, APP)
    if until is None:
        return  # the caller reads the store: nothing to prove
    now = T0 + later
    if now >= until:
        return
    view = PlayView(True, "inProgress", stage, PUBLISHED)
    decision = decide(view, timeline, APP, significant=False, now=now, has_bundle=False)
    assert decision.step is Step.STAGE  # quiet: no advance due yet
    watch = vitals_due(view, timeline, APP, now)
    assert watch is not None and watch >= until  # and no health check due before `until`


def test_no_quiet_without_a_health_check_or_at_100_percent() -> None:
    at_five = Timeline(stage_since={"0.05": T0})
    assert quiet_until(at_five, APP) is None  # never checked: a check is due now
    done = Timeline(stage_since={"0.05": T0, "1": T0}, vitals_checked_at=T0)
    assert quiet_until(done, APP) is None  # the post-100 % watch is the store's to tell
    assert quiet_until(Timeline(), APP) is None
    checked = Timeline(stage_since={"0.05": T0, "0.2": T0}, vitals_checked_at=T0)
    assert quiet_until(checked, APP) == min(T0 + APP.stage_soak, T0 + APP.vitals.check_interval)

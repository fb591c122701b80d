"""iOS `quiet_until`: the instant before which a running phased release, read from its stored
timeline alone, needs nothing — never later than `decide` says on the store's own answer (no
checkpoint closing, no health check due, Apple's day not over), so advance-rollouts skipping the
read until then skips no step, no health check and no checkpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from procedure.ios import (
    LIVE,
    IosTimeline,
    PhasedView,
    Step,
    StoreView,
    decide,
    quiet_until,
)
from procedure.phased_release import checkpoints
from tests.procedure.test_ios_phased_properties import APP

T0 = datetime(2026, 12, 1, tzinfo=UTC)
ago = st.timedeltas(-APP.phased_day * 2, timedelta(0))


@settings(max_examples=400, deadline=None)
@given(
    day=st.integers(1, 7),
    day_ago=ago,
    checked_ago=st.one_of(st.none(), ago),
    passed=st.frozensets(st.integers(1, 7)),
    later=st.timedeltas(timedelta(0), APP.phased_day * 2),
)
def test_quiet_until_is_never_after_anything_due(
    day: int,
    day_ago: timedelta,
    checked_ago: timedelta | None,
    passed: frozenset[int],
    later: timedelta,
) -> None:
    timeline = IosTimeline(
        day_since={d: T0 + day_ago for d in range(1, day + 1)},
        passed_days=passed,
        health_checked_at=None if checked_ago is None else T0 + checked_ago,
    )
    until = quiet_until(timeline, APP)
    if until is None:
        assert checked_ago is None  # only a never-checked phase has to be read
        return
    now = T0 + later
    if now >= until:
        return
    phased = PhasedView("COMPLETE" if day == 7 else "ACTIVE", day)
    decision = decide(
        StoreView("VALID", True, True, LIVE, phased), timeline, APP, significant=False, now=now
    )
    assert decision.step in (Step.PHASE, Step.WATCH), decision
    assert not decision.checkpoint_closing  # a checkpoint is never left to close unjudged
    assert decision.due is not None and decision.due >= until  # its own next look is not sooner
    assert timeline.health_checked_at is not None
    assert now < timeline.health_checked_at + APP.health.check_interval  # no health check due
    if day < 7:  # Apple cannot have moved to the next day (maybe a checkpoint) yet
        assert now < timeline.day_since[day] + APP.phased_day


def test_no_quiet_before_the_phase_when_paused_by_us_or_never_checked() -> None:
    assert quiet_until(IosTimeline(), APP) is None
    assert quiet_until(IosTimeline(submitted_at=T0, health_checked_at=T0), APP) is None
    assert quiet_until(IosTimeline(day_since={1: T0}), APP) is None
    paused = IosTimeline(day_since={1: T0}, health_checked_at=T0, paused_by="freeze")
    assert quiet_until(paused, APP) is None
    day1 = 1 in checkpoints(APP.stages)
    running = IosTimeline(day_since={1: T0}, health_checked_at=T0, passed_days=frozenset({1}))
    assert day1 and quiet_until(running, APP) == T0 + min(APP.health.check_interval, APP.phased_day)

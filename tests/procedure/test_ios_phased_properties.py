"""Properties of an iOS phased release driven only by the core (`decide`, `phased_action`,
`sessions_verdict`) against a model of Apple's phased release (a day every `phased_day` while
active, the counter stopped while paused), over generated histories of looks, health and freezes:

- Apple never moves past a checkpoint day that has no passing health verdict;
- once a look has seen a freeze, no day begins while it lasts (unless the release is an emergency);
- a failing verdict pauses at once, freeze or not, and nothing resumes that pause by itself;
- our pauses never take the version past Apple's 30 days of pause.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from procedure.health import Verdict
from procedure.ios import (
    IosTimeline,
    PhasedAction,
    PhasedView,
    SessionsSample,
    Step,
    StoreView,
    decide,
    phased_action,
    reconcile,
    sessions_verdict,
)
from procedure.phased_release import PAUSE_BUDGET, PauseBudget, checkpoints
from procedure.policy import IosApp

APP = IosApp(
    app_id="1234567890",
    bundle_id="app.provii.wallet",
    beta_groups=["Internal"],
    sessions={"organization": "provii", "project": "wallet-ios"},
)
CHECKPOINTS = checkpoints(APP.stages)
T0 = datetime(2026, 12, 1, tzinfo=UTC)

healthy = st.floats(0.996, 1.0, allow_nan=False)
any_rate = st.one_of(st.none(), st.floats(0.95, 1.0, allow_nan=False))
REGIMES = {  # traffic comes in spells: a quiet day must meet a checkpoint now and then
    "healthy": st.builds(SessionsSample, healthy, healthy, st.integers(1000, 50_000)),
    "quiet": st.builds(SessionsSample, healthy, healthy, st.integers(0, 999)),
    "mixed": st.builds(
        SessionsSample, any_rate, any_rate, st.one_of(st.none(), st.integers(0, 50_000))
    ),
}


@dataclass(frozen=True)
class Moment:
    after: timedelta  # since the previous look: never more than a check interval
    sample: SessionsSample
    frozen: bool


@st.composite
def histories(draw: st.DrawFn) -> list[Moment]:
    moments: list[Moment] = []
    for _ in range(draw(st.integers(1, 12))):
        regime = REGIMES[draw(st.sampled_from(["healthy", "healthy", "quiet", "mixed"]))]
        frozen_spell = draw(st.sampled_from([False] * 4 + [True]))
        for _ in range(draw(st.integers(1, 48))):
            moments.append(
                Moment(
                    draw(st.timedeltas(timedelta(minutes=1), APP.health.check_interval)),
                    draw(regime),
                    frozen_spell and draw(st.booleans()),
                )
            )
    return moments


@dataclass
class Apple:
    """Apple's side: the day moves every `phased_day` of active time; pausing stops it."""

    state: str = "ACTIVE"
    day: int = 1
    day_started: datetime = T0
    paused_since: datetime | None = None
    paused_total: timedelta = timedelta(0)

    def run_until(self, now: datetime, on_new_day: list[tuple[datetime, int]]) -> None:
        while self.state == "ACTIVE" and self.day < 7 and now >= self.day_started + APP.phased_day:
            self.day_started += APP.phased_day
            self.day += 1
            on_new_day.append((self.day_started, self.day))
        if self.state == "ACTIVE" and self.day >= 7:
            self.state = "COMPLETE"

    def pause(self, now: datetime) -> None:
        self.state, self.paused_since = "PAUSED", now

    def resume(self, now: datetime) -> None:
        assert self.paused_since is not None
        self.paused_total += now - self.paused_since
        self.day_started += now - self.paused_since  # the day's clock stood still
        self.state, self.paused_since = "ACTIVE", None

    def used(self, now: datetime) -> timedelta:
        return self.paused_total + (now - self.paused_since if self.paused_since else timedelta(0))


@settings(max_examples=150, deadline=None)
@given(histories(), st.booleans())
def test_phased_release_properties(history: list[Moment], emergency: bool) -> None:
    apple, timeline, now = Apple(), IosTimeline(beta_since=T0), T0
    new_days: list[tuple[datetime, int]] = []
    seen_frozen_since: datetime | None = None  # the first look that saw the running freeze
    health_paused = False
    for moment in history:
        now += moment.after
        apple.run_until(now, new_days)
        if not moment.frozen:
            seen_frozen_since = None
        for started, day in new_days:
            previous = day - 1
            if previous in CHECKPOINTS:
                assert previous in timeline.passed_days, f"Apple moved past day {previous} unjudged"
            if seen_frozen_since is not None and not emergency:
                assert started < seen_frozen_since, f"day {day} began inside a seen freeze"
        new_days.clear()
        phased = PhasedView(apple.state, apple.day, apple.paused_total)
        view = StoreView("VALID", True, True, "READY_FOR_DISTRIBUTION", phased)
        timeline = reconcile(timeline, view, now)
        decision = decide(view, timeline, APP, significant=False, now=now)
        verdict, _ = sessions_verdict(moment.sample, None, APP)
        if decision.step is Step.PHASE and verdict is Verdict.PASS and apple.day in CHECKPOINTS:
            timeline = replace(timeline, passed_days=timeline.passed_days | {apple.day})
        action, cause, _ = phased_action(
            decision,
            verdict,
            timeline.paused_by,
            PauseBudget(apple.used(now)),
            frozen=moment.frozen,
            emergency=emergency,
            freeze_left=timedelta(hours=6) if moment.frozen else None,
        )
        if decision.step is Step.PHASE and verdict is Verdict.FAIL:
            assert action is PhasedAction.PAUSE and cause == "health"
        if health_paused:
            assert action is not PhasedAction.RESUME, "a health pause resumed by itself"
        if action is PhasedAction.PAUSE:
            apple.pause(now)
            health_paused = health_paused or cause == "health"
            timeline = replace(timeline, paused_by=cause, paused_at=now)
        elif action is PhasedAction.RESUME:
            apple.resume(now)
            timeline = replace(timeline, paused_by=None, paused_at=None)
        elif decision.step is Step.PAUSED and cause != timeline.paused_by:
            timeline = replace(timeline, paused_by=cause)  # a failure while paused keeps it paused
            health_paused = health_paused or cause == "health"
        if moment.frozen and seen_frozen_since is None:
            seen_frozen_since = now
        timeline = replace(timeline, health_checked_at=now)
        assert apple.used(now) <= PAUSE_BUDGET


def test_checkpoints_are_derived_from_the_policys_stages() -> None:
    assert CHECKPOINTS == {1: 0.01, 3: 0.05, 4: 0.1, 6: 0.5, 7: 1.0}
    assert checkpoints([0.02, 0.2, 1.0]) == {2: 0.02, 5: 0.2, 7: 1.0}


def test_a_stage_apple_does_not_offer_is_refused_naming_it() -> None:
    import pytest

    with pytest.raises(ValueError, match="3% is not a phased-release percentage"):
        IosApp.model_validate({**APP.model_dump(exclude={"name"}), "stages": [0.03, 1.0]})


def test_a_pause_that_would_exceed_the_budget_is_never_planned() -> None:
    decision = decide(
        StoreView("VALID", True, True, "READY_FOR_DISTRIBUTION", PhasedView("ACTIVE", 2)),
        IosTimeline(beta_since=T0, day_since={2: T0}),
        APP,
        significant=False,
        now=T0 + timedelta(hours=1),
    )
    action, cause, why = phased_action(
        decision,
        Verdict.PASS,
        None,
        PauseBudget(timedelta(days=29)),
        frozen=True,
        emergency=False,
        freeze_left=timedelta(days=2),
    )
    assert action is PhasedAction.CANNOT_PAUSE and cause is None
    assert "30 days of pause" in why
    assert PauseBudget(timedelta(days=25)).warning(APP.pause_warning) is not None
    assert PauseBudget(timedelta(days=1)).warning(APP.pause_warning) is None

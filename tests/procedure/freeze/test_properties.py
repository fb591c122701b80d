"""Properties of the freeze verdict over 2024-2035, every Australian zone, any state set."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from procedure.freeze import (
    FreezeObservations,
    Incident,
    evaluate_freeze,
    freeze_windows,
)

from .strategies import Scenario, oracle_holds, oracle_is_holiday, scenarios

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    database=None,  # write nothing outside the test folder
    suppress_health_check=[HealthCheck.too_slow],
)
TICK = timedelta(microseconds=1)
fractions = st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=6)


@PROPERTY
@given(scenarios())
def test_frozen_exactly_when_a_known_window_holds(s: Scenario) -> None:  # (a)
    verdict = evaluate_freeze(s.at, s.policy, s.observations)
    assert verdict.frozen == oracle_holds(s, s.at)
    assert verdict.frozen == bool(verdict.reasons)


@PROPERTY
@given(scenarios(), fractions)
def test_next_allowed_is_the_first_free_instant(s: Scenario, points: list[float]) -> None:  # (b)
    verdict = evaluate_freeze(s.at, s.policy, s.observations)
    if not verdict.frozen:
        return
    if verdict.next_allowed is None:
        # Only an in-progress maintenance has no known end here; then a recheck is asked for.
        assert verdict.recheck_at is not None
        assert verdict.recheck_at >= s.at + s.policy.recheck_interval
        return
    assert verdict.recheck_at is None
    assert verdict.next_allowed > s.at
    assert not evaluate_freeze(verdict.next_allowed, s.policy, s.observations).frozen
    span = verdict.next_allowed - s.at
    for instant in [s.at, verdict.next_allowed - TICK, *(s.at + span * p for p in points)]:
        if instant < verdict.next_allowed:
            assert evaluate_freeze(instant, s.policy, s.observations).frozen, instant


@PROPERTY
@given(scenarios())
def test_not_frozen_means_now(s: Scenario) -> None:  # (c)
    verdict = evaluate_freeze(s.at, s.policy, s.observations)
    if not verdict.frozen:
        assert verdict.next_allowed == s.at
        assert verdict.recheck_at is None
        assert verdict.reasons == ()


@PROPERTY
@given(scenarios())
def test_retry_at_is_the_one_instant_a_frozen_change_waits_for(s: Scenario) -> None:
    """What the flows wait for: the next allowed instant when known, else the recheck — always
    one of them while frozen, and never before the recheck interval when the end is unknown."""
    verdict = evaluate_freeze(s.at, s.policy, s.observations)
    if not verdict.frozen:
        assert verdict.retry_at == s.at
        return
    assert verdict.retry_at is not None and verdict.retry_at > s.at
    if verdict.next_allowed is not None:
        assert verdict.retry_at == verdict.next_allowed
    else:
        assert verdict.retry_at == verdict.recheck_at
        assert verdict.retry_at >= s.at + s.policy.recheck_interval


@PROPERTY
@given(scenarios(with_maintenance=False))
def test_holiday_reason_is_whole_local_days_around_at(s: Scenario) -> None:  # (d)
    verdict = evaluate_freeze(s.at, s.policy, s.observations)
    holiday = [r for r in verdict.reasons if r.source == "holiday"]
    rules = s.policy.holidays
    is_holiday = oracle_is_holiday(
        s.at.astimezone(s.zone).date(), rules.states, rules.include_kings_birthday
    )
    assert bool(holiday) == is_holiday
    if not holiday:
        return
    (reason,) = holiday
    assert reason.start is not None and reason.end is not None
    start, end = reason.start.astimezone(s.zone), reason.end.astimezone(s.zone)
    assert start.time() == time(0) and end.time() == time(0)
    assert reason.start <= s.at < reason.end
    # Merged: every day inside is a holiday, the days just outside are not.
    day = start.date()
    while day < end.date():
        assert oracle_is_holiday(day, rules.states, rules.include_kings_birthday)
        day += timedelta(days=1)
    for outside in (start.date() - timedelta(days=1), end.date()):
        assert not oracle_is_holiday(outside, rules.states, rules.include_kings_birthday)


def _agrees(s: Scenario, sources: frozenset[str] | None, points: list[float]) -> None:
    lo, hi = s.at - timedelta(days=3), s.at + timedelta(days=3)
    windows = freeze_windows(lo, hi, s.policy, s.observations, sources)
    assert [w.start for w in windows] == sorted(w.start for w in windows)
    samples = [lo + (hi - lo) * p for p in points]
    for w in windows:
        assert w.start < hi and (w.end is None or w.end > lo)
        edges = [w.start - TICK, w.start] + ([w.end - TICK, w.end] if w.end else [])
        samples.extend(e for e in edges if lo <= e < hi)
    for instant in samples:
        inside = any(w.start <= instant and (w.end is None or instant < w.end) for w in windows)
        assert evaluate_freeze(instant, s.policy, s.observations).frozen == inside, instant


@PROPERTY
@given(scenarios(), fractions)
def test_calendar_agrees_with_verdict(s: Scenario, points: list[float]) -> None:  # (e)
    _agrees(s, None, points)


@PROPERTY
@given(scenarios(with_maintenance=False), fractions)
def test_calendar_sources_agree_without_observations(s: Scenario, points: list[float]) -> None:
    _agrees(s, frozenset({"calendar"}), points)


@PROPERTY
@given(
    scenarios(),
    st.lists(
        st.tuples(
            st.sampled_from(["P1", "p2", "P3", "P1 - Critical", None]),
            st.sampled_from(["triggered", "acknowledged", "resolved"]),
            st.sampled_from(["high", "low", None]),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_active_p1_p2_always_freezes_with_unknown_end(
    s: Scenario, incidents: list[tuple[str | None, str, str | None]]
) -> None:
    observed = FreezeObservations(
        maintenances=s.observations.maintenances,
        incidents=tuple(
            Incident(id=f"PD{i}", title="t", priority=p, status=status, urgency=urgency)
            for i, (p, status, urgency) in enumerate(incidents)
        ),
    )
    # The rule's text: P1/P2 by name, or no priority and not low urgency; never once resolved.
    active = any(
        status != "resolved" and (p in ("P1", "p2", "P1 - Critical") or (p is None and u != "low"))
        for p, status, u in incidents
    )
    verdict = evaluate_freeze(s.at, s.policy, observed)
    assert any(r.source == "incident" for r in verdict.reasons) == active
    if active:
        assert verdict.frozen and verdict.next_allowed is None
        assert verdict.recheck_at == s.at + s.policy.recheck_interval
    else:
        # Low-priority incidents change nothing.
        assert verdict == evaluate_freeze(s.at, s.policy, s.observations).model_copy(
            update={"notes": verdict.notes}
        )


def test_years_are_in_range() -> None:
    # The strategies cover 2024-2035 as the brief asks; guard against silent narrowing.
    from .strategies import FIRST, LAST

    assert datetime(2024, 1, 1, tzinfo=UTC) == FIRST and LAST.year == 2036

"""What Play says (PlayState → PlayView) and what the timeline remembers (reconcile): the core's,
not the flow's or the task's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from procedure.android import (
    PUBLISHED,
    PlayState,
    PlayView,
    ProductionRelease,
    Timeline,
    reconcile,
    stage_key,
)

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=5)
IN_REVIEW = "RELEASE_LIFECYCLE_STATE_IN_REVIEW"


def release(
    codes: tuple[int, ...],
    status: str,
    fraction: float | None = None,
    lifecycle: str | None = PUBLISHED,
) -> ProductionRelease:
    return ProductionRelease(codes, status, fraction, None, lifecycle)


def test_view_of_a_staged_version_and_of_the_one_it_replaces() -> None:
    state = PlayState(
        frozenset({100, 101}), (release((101,), "inProgress", 0.2), release((100,), "completed"))
    )
    assert state.view(101) == PlayView(True, "inProgress", 0.2, PUBLISHED)
    assert state.view(100).fraction == 1.0
    assert state.previous_release(101) == 100
    assert state.in_flight() == [release((101,), "inProgress", 0.2)]


def test_a_version_on_production_but_gone_from_internal_is_still_uploaded() -> None:
    state = PlayState(frozenset(), (release((101,), "halted", 0.05),))
    view = state.view(101)
    assert view.on_internal and view.production_status == "halted" and view.fraction == 0.05


def test_unknown_version_is_not_on_any_track() -> None:
    assert PlayState(frozenset({100}), ()).view(101) == PlayView(False)


def test_awaiting_promotion_is_newer_than_all_of_production() -> None:
    state = PlayState(frozenset({99, 100, 102, 103}), (release((101,), "completed"),))
    assert state.awaiting_promotion() == [102, 103]
    assert state.completed_codes() == [101]


def test_reconcile_starts_a_stage_clock_only_once_published() -> None:
    approved_only = PlayView(
        True, "inProgress", 0.05, "RELEASE_LIFECYCLE_STATE_APPROVED_NOT_PUBLISHED"
    )
    assert reconcile(Timeline(), approved_only, NOW).stage_since == {}
    live = PlayView(True, "inProgress", 0.05, PUBLISHED)
    assert reconcile(Timeline(), live, NOW).stage_since == {stage_key(0.05): NOW}


STATUSES = st.sampled_from([None, "draft", "inProgress", "halted", "completed"])
LIFECYCLES = st.sampled_from([None, PUBLISHED, IN_REVIEW])
TIMES = st.one_of(st.none(), st.just(EARLIER))


@settings(max_examples=300, deadline=None, database=None)
@given(
    view=st.builds(
        PlayView, st.booleans(), STATUSES, st.sampled_from([None, 0.05, 0.2, 1.0]), LIFECYCLES
    ),
    internal=TIMES,
    promoted=TIMES,
    staged=st.booleans(),
    was_significant=st.booleans(),
    significant=st.booleans(),
)
def test_reconcile_only_fills_in_never_rewrites(
    view: PlayView,
    internal: datetime | None,
    promoted: datetime | None,
    staged: bool,
    was_significant: bool,
    significant: bool,
) -> None:
    """A recorded time is never moved (a lost record delays a step, never hurries one: what is
    filled in is "now"), and a significant rollout stays significant."""
    stages = {stage_key(view.fraction): EARLIER} if staged else {}
    before = Timeline(
        internal_since=internal,
        promoted_at=promoted,
        stage_since=stages,
        significant=was_significant,
    )
    after = reconcile(before, view, NOW, significant=significant)
    assert after.internal_since == (internal or (NOW if view.on_internal else None))
    assert after.promoted_at == (promoted or (NOW if view.production_status else None))
    assert {k: v for k, v in after.stage_since.items() if k in stages} == stages
    assert all(v == NOW for k, v in after.stage_since.items() if k not in stages)
    assert after.significant == (was_significant or significant)
    assert reconcile(after, view, NOW + timedelta(hours=1), significant=False) == after  # settled

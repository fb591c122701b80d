"""The forecast of a rollout's 100 %: soaks and changes over the freeze calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from procedure.forecast import Change, Wait, Window, android_plan, forecast, ios_plan
from procedure.policy import AndroidApp, IosApp

T0 = datetime(2026, 12, 21, 9, 0, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)
ANDROID = AndroidApp.model_validate(
    {"package_name": "app.provii.wallet", "stages": [0.05, 0.2, 0.5, 1.0], "stage_soak": "24h"}
)
IOS = IosApp.model_validate(
    {
        "app_id": "1",
        "bundle_id": "app.provii.wallet",
        "beta_groups": ["QA"],
        "sessions": {"organization": "o", "project": "p"},
    }
)


def holiday(day: int, name: str) -> Window:
    start = datetime(2026, 12, day, tzinfo=UTC)
    return Window(start, start + DAY, name)


def test_christmas_moves_an_android_rollout_to_after_boxing_day() -> None:
    windows = [
        holiday(25, "Christmas Day"),
        holiday(26, "Boxing Day"),
        holiday(28, "Boxing Day (substitute)"),
    ]
    plan = android_plan(0.05, ANDROID)  # 20 % on the 22nd, 50 % on the 23rd, 100 % on the 24th
    assert forecast(T0, plan, windows).done_at == T0 + 3 * DAY
    late = forecast(
        T0 + 2 * DAY, plan, windows
    )  # 20 % 24th; 50 % due 25th → 27th; 100 % 28th → 29th
    assert late.done_at == datetime(2026, 12, 29, tzinfo=UTC)
    assert late.moved_by == ("Christmas Day", "Boxing Day", "Boxing Day (substitute)")


def test_an_ios_phased_release_is_paused_through_a_freeze() -> None:
    plan = ios_plan(3, IOS)  # four days to day 7
    assert forecast(T0, plan, []).done_at == T0 + 4 * DAY
    got = forecast(T0, plan, [holiday(25, "Christmas Day"), holiday(26, "Boxing Day")])
    assert got.done_at == T0 + 6 * DAY
    assert ios_plan(7, IOS) == []


def test_a_freeze_with_no_known_end_makes_the_forecast_unknown() -> None:
    open_incident = Window(T0 + DAY / 2, None, "P1 payments down")
    assert forecast(T0, android_plan(0.05, ANDROID), [open_incident]).done_at is None


instants = st.integers(0, 30 * 24).map(lambda h: T0 + timedelta(hours=h))
windows = st.lists(
    st.tuples(instants, st.integers(1, 72)).map(
        lambda w: Window(w[0], w[0] + timedelta(hours=w[1]), f"w{w[0]:%d%H}")
    ),
    max_size=5,
)
plans = st.lists(
    st.one_of(
        st.builds(Wait, st.integers(0, 96).map(lambda h: timedelta(hours=h)), st.booleans()),
        st.just(Change("advance")),
    ),
    max_size=8,
)


def _oracle(now: datetime, plan: list[Wait | Change], ws: list[Window]) -> datetime:
    """Hour by hour (every instant here is on the hour)."""
    t = now
    for item in plan:
        frozen = lambda at: any(w.start <= at < w.end for w in ws if w.end)  # noqa: E731
        if isinstance(item, Change):
            while frozen(t):
                t += timedelta(hours=1)
        elif item.counts_in_freeze:
            t += item.length
        else:
            left = item.length
            while left > timedelta(0):
                if not frozen(t):
                    left -= timedelta(hours=1)
                t += timedelta(hours=1)
    return t


@given(instants, plans, windows)
def test_the_forecast_is_the_hour_by_hour_walk(
    now: datetime, plan: list[Wait | Change], ws: list[Window]
) -> None:
    assert forecast(now, plan, ws).done_at == _oracle(now, plan, ws)


@given(instants, plans, windows, windows)
def test_more_freeze_never_makes_a_rollout_end_sooner(
    now: datetime, plan: list[Wait | Change], some: list[Window], more: list[Window]
) -> None:
    fewer, all_of = forecast(now, plan, some).done_at, forecast(now, plan, some + more).done_at
    assert fewer is not None and all_of is not None and all_of >= fewer

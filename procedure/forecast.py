"""When a rollout in flight reaches 100 %: its remaining soaks and stage changes laid over the
freeze calendar, so a release engineer sees on Monday that Christmas moves a rollout's end.

A plan is a sequence of `Wait`s and `Change`s. A production change never happens inside a
freeze window: it moves to the window's end. Time spent waiting counts in a freeze (an Android
stage soaks through a holiday), except where the freeze stops the clock (`counts_in_freeze=False`:
an iOS phased release is paused during a freeze, so Apple's days stop). A freeze with no known
end makes the forecast unknown (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from procedure.phased_release import APPLE_SCHEDULE
from procedure.policy import AndroidApp, IosApp

__all__ = ["Change", "Forecast", "Wait", "Window", "android_plan", "forecast", "ios_plan"]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime | None  # None: no known end
    name: str = ""


@dataclass(frozen=True)
class Wait:
    length: timedelta
    counts_in_freeze: bool = True


@dataclass(frozen=True)
class Change:
    name: str


@dataclass(frozen=True)
class Forecast:
    done_at: datetime | None  # None: a freeze with no known end lies in the way
    moved_by: tuple[str, ...] = field(default=())  # the windows that pushed it later


def _holding(t: datetime, windows: Sequence[Window]) -> Window | None:
    return next((w for w in windows if w.start <= t and (w.end is None or t < w.end)), None)


def forecast(now: datetime, plan: Sequence[Wait | Change], windows: Sequence[Window]) -> Forecast:
    ordered = sorted(windows, key=lambda w: w.start)
    t, moved = now, dict[str, None]()
    for item in plan:
        if isinstance(item, Change):
            while (held := _holding(t, ordered)) is not None:
                moved[held.name] = None
                if held.end is None:
                    return Forecast(None, tuple(moved))
                t = held.end
            continue
        if item.counts_in_freeze:
            t += item.length
            continue
        left = item.length
        while left > timedelta(0):
            held = _holding(t, ordered)
            if held is not None:
                moved[held.name] = None
                if held.end is None:
                    return Forecast(None, tuple(moved))
                t = held.end
                continue
            upcoming = [w.start for w in ordered if w.start > t]
            step = min(left, (upcoming[0] - t) if upcoming else left)
            t, left = t + step, left - step
    return Forecast(t, tuple(moved))


def android_plan(fraction: float, app: AndroidApp) -> list[Wait | Change]:
    """From a staged rollout at `fraction`: each remaining stage soaks, then changes."""
    plan: list[Wait | Change] = []
    for stage in (s for s in app.stages if s > fraction + 1e-9):
        plan += [Wait(app.stage_soak), Change(f"{stage:.0%}")]
    return plan


def ios_plan(day: int, app: IosApp) -> list[Wait | Change]:
    """From Apple's phase `day` (1–7): the days left to day 7 (100 %), stopped by a freeze (the
    release is paused through it)."""
    last = len(APPLE_SCHEDULE)
    if day >= last:
        return []
    return [Wait(app.phased_day * (last - max(day, 1)), counts_in_freeze=False), Change("100%")]

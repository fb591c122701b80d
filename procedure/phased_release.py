"""Apple's phased release as Apple runs it, and the policy's stages laid over it.

Apple decides the percentage: a phased release offers the automatic update to 1, 2, 5, 10, 20,
50 and 100 % of users on days 1–7, and nobody can set another. It throttles only automatic
updates: anyone can update by hand, and new installs get the new version at once. The only
controls are pause, resume and release to all; pauses may total 30 days at most.

So the procedure's stages (1, 5, 10, 50, 100 %) are *checkpoints* on Apple's schedule: the first
day whose percentage reaches each stage (days 1, 3, 4, 6, 7). The mapping is derived from the
policy's stages, and a stage Apple never offers is refused when the policy is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

__all__ = [
    "APPLE_SCHEDULE",
    "PAUSE_BUDGET",
    "PauseBudget",
    "checkpoints",
    "percentage",
    "stage_reached",
]

APPLE_SCHEDULE: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10, 0.20, 0.50, 1.0)  # days 1..7
PAUSE_BUDGET = timedelta(days=30)


def percentage(day: int) -> float:
    """The share of automatic updates Apple offers on `day` (0: not started)."""
    if day <= 0:
        return 0.0
    return APPLE_SCHEDULE[min(day, len(APPLE_SCHEDULE)) - 1]


def checkpoints(stages: list[float] | tuple[float, ...]) -> dict[int, float]:
    """Apple's day → the policy stage it reaches, for each stage (ValueError for a stage that is
    not one of Apple's percentages: the policy cannot ask for what Apple will not do)."""
    days: dict[int, float] = {}
    for stage in stages:
        day = next((d for d, p in enumerate(APPLE_SCHEDULE, 1) if abs(p - stage) < 1e-9), None)
        if day is None:
            offered = ", ".join(f"{p:.0%}" for p in APPLE_SCHEDULE)
            raise ValueError(
                f"{stage:.0%} is not a phased-release percentage (Apple offers {offered})"
            )
        days[day] = stage
    return days


def stage_reached(day: int, stages: list[float] | tuple[float, ...]) -> float:
    """The highest policy stage Apple's `day` has reached (0.0 before the first)."""
    return max((s for d, s in checkpoints(stages).items() if d <= day), default=0.0)


@dataclass(frozen=True)
class PauseBudget:
    """Apple's 30 days of pause per version, counted from the version's own history (the paused
    time Apple reports plus the pause in progress). `day` is the phased-release day's length:
    the budget is 30 of them (24 h in production; the sandbox shrinks both alike)."""

    used: timedelta
    day: timedelta = timedelta(days=1)

    @property
    def limit(self) -> timedelta:
        return self.day * (PAUSE_BUDGET / timedelta(days=1))

    @property
    def left(self) -> timedelta:
        return max(timedelta(0), self.limit - self.used)

    def allows(self, pause: timedelta) -> bool:
        """Whether a pause this long fits: a pause is never planned past the budget."""
        return pause <= self.left

    def warning(self, threshold: timedelta) -> str | None:
        if self.left > threshold:
            return None
        days = self.left / self.day
        return f"{days:.1f} of Apple's 30 days of pause left for this version"

"""When a run waits out a moment instead of handing over to a continuation (DESIGN decision 2).

A continuation is a new flow run: a new process, a worker poll, a Prefect engine start — about a
second or more. A next step due within `wait_inline_under` is cheaper taken in the same run after
a sleep; anything later ends the run and schedules its continuation, so long waits (soaks,
reviews, freezes) still hold no process. The caller sleeps with no production slot held.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from procedure.durations import Duration

__all__ = ["ContinuationRules", "inline_wait"]


class ContinuationRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    wait_inline_under: Duration = Field(
        timedelta(seconds=5),
        description="a next step due within this is taken in the same run after a sleep; "
        "0 always schedules a continuation",
    )
    inline_steps_max: int = Field(
        20, ge=0, description="steps one run takes inline before it hands over anyway"
    )

    @model_validator(mode="after")
    def _short(self) -> ContinuationRules:
        # a run sleeping inline holds a process: it is for moments, not for waits
        if not timedelta(0) <= self.wait_inline_under <= timedelta(minutes=1):
            raise ValueError("continuations.wait_inline_under must be between 0 and 1 minute")
        return self


def inline_wait(
    now: datetime, due: datetime, rules: ContinuationRules, steps_taken: int = 0
) -> float | None:
    """Seconds to sleep before taking the next step in this run, or None: hand over.

    The step is never taken before `due` (a freeze's end or a soak is not shortened): the sleep
    is the whole remaining time; a step already due sleeps 0."""
    if not rules.wait_inline_under or steps_taken >= rules.inline_steps_max:
        return None
    remaining = (due - now).total_seconds()
    if remaining >= rules.wait_inline_under.total_seconds():
        return None
    return max(0.0, remaining)

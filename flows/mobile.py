"""What the Android and iOS release flows share: how a run ends (handed over to its
continuation, or retried after a store outage), the sign-off form, the emergency check."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from prefect.logging import get_run_logger
from prefect.states import State
from pydantic import BaseModel, Field

from flows.android_steps import Emergency
from flows.continuation import CannotContinue, continue_at, deferred
from procedure.android_request import AndroidReleaseRequest, resolve_significance
from procedure.continuations import inline_wait
from procedure.emergency import check_incident
from procedure.ios_request import IosReleaseRequest
from procedure.policy import Policy
from procedure.request import RequestError
from tasks import clock
from tasks.emergency import read_incident
from tasks.pull_labels import pull_labels
from tasks.settings import current_policy

__all__ = [
    "OUTAGE_BACKOFF",
    "Handover",
    "OUTAGE_RETRIES",
    "InternalSignOff",
    "RolloutStopped",
    "confirm_emergency",
    "hand_over_at",
    "retry_after_outage",
    "significance",
    "take_steps",
]

# A store outage (5xx, timeouts) outlasting the client's own retries does not end the chain: the
# run schedules a retry of the same step. Backoff from 30 s (or the app's review check interval
# if shorter: the sandbox profile's seconds) doubling up to four review check intervals; eight
# attempts span about four hours in production, then the chain ends and the cron takes over.
OUTAGE_RETRIES = 8
OUTAGE_BACKOFF = timedelta(seconds=30)


class RolloutStopped(RuntimeError):
    """The rollout cannot go on by itself: rejected, halted, paused, missing, or a gate failed."""


class InternalSignOff(BaseModel):
    """The form the Prefect UI shows when the policy asks for an internal-testing sign-off."""

    approver: str = Field(min_length=2)
    decision: bool = Field(description="true: internal testing passed; go on")
    note: str = ""


@dataclass(frozen=True)
class Handover:
    """A step's outcome when the procedure goes on: the next step, due `when`, with `params`."""

    when: datetime
    why: str
    params: dict[str, Any]
    step: str


Request = TypeVar("Request", AndroidReleaseRequest, IosReleaseRequest)


async def take_steps(
    one_step: Callable[[Request], Awaitable[Any]], request: Request
) -> dict[str, Any] | State:
    """Run `one_step` and, while its next step is due within the policy's moment
    (`continuations`, procedure/continuations.py decides), sleep on the clock and take it in this
    same run — `one_step` holds the slot only while it acts, so nothing is held while sleeping.
    A later step ends the run Deferred with its continuation scheduled."""
    rules = current_policy().continuations
    taken = 0
    while True:
        outcome = await one_step(request)
        if not isinstance(outcome, Handover):
            return outcome  # type: ignore[no-any-return]
        delay = inline_wait(clock.now(), outcome.when, rules, taken)
        if delay is None:
            return await hand_over_at(outcome.when, outcome.why, outcome.params, outcome.step)
        get_run_logger().info("%s; next step due in %.1f s: taken in this run", outcome.why, delay)
        await clock.clock().sleep(delay)
        request = type(request).model_validate(outcome.params)
        taken += 1


async def hand_over_at(when: datetime, why: str, params: dict[str, Any], step: str) -> State:
    """End this run as Deferred: its continuation (`params`, named for `step`) is due `when`;
    a run not started from a deployment leaves the step to advance-rollouts, and says so."""
    try:
        _, name = await continue_at(when, why, params, step=step)
    except CannotContinue:
        get_run_logger().warning(
            "no continuation (not run from a deployment): advance-rollouts will act when due"
        )
        return deferred(f"{why}; next step due {when.isoformat()} — left to advance-rollouts")
    return deferred(f"{why}; continues as {name} at {when.isoformat()}")


async def retry_after_outage(
    store: str,
    app: str,
    params: dict[str, Any],
    attempt: int,
    interval: timedelta,
    error: Exception,
) -> Handover:
    """The step met a store outage: nothing is known to have changed (a write's lost answer is
    read back by the client), so the same run is retried later with the same parameters; it
    re-reads the store first, so a change that did land is not made twice."""
    if attempt >= OUTAGE_RETRIES:
        raise RolloutStopped(
            f"{app}: {store} still failing after {attempt} retries ({error}); "
            "advance-rollouts takes the rollout up when it answers again"
        )
    delay = min(min(OUTAGE_BACKOFF, interval) * 2**attempt, interval * 4)
    when = clock.now() + delay
    why = f"{store} outage: {error}; retry {attempt + 1} of {OUTAGE_RETRIES}"
    get_run_logger().warning("%s at %s", why, when.isoformat())
    return Handover(
        when,
        why,
        {**params, "outage_attempt": attempt + 1},
        step=f"retry {attempt + 1} after an outage",
    )


async def significance(
    request: AndroidReleaseRequest | IosReleaseRequest, repo: str | None, policy: Policy
) -> tuple[bool, str]:
    """(significant, why): from the PR's label when CI gave the PR, else as the caller said."""
    labels = None
    if request.pr_number is not None and repo:
        labels = await pull_labels(repo, request.pr_number)
        if labels is None:
            raise RequestError(f"pr_number: no pull request #{request.pr_number} in {repo}")
    significant, why = resolve_significance(request, labels, policy.checklist.labels.significant)
    get_run_logger().info("significant: %s (%s)", significant, why)
    return significant, why


async def confirm_emergency(
    request: AndroidReleaseRequest | IosReleaseRequest, policy: Policy
) -> Emergency | None:
    """An emergency mobile release needs its incident confirmed active P1/P2 by its source, as the
    Workers emergency path does; otherwise it is refused before the store is called."""
    if not request.incident_id:
        return None
    confirmed = check_incident(
        await read_incident(request.incident_id, policy),
        request.incident_id,
        policy.freeze.incidents,
    )
    assert request.emergency_reason and request.operator  # the request model requires them
    return Emergency(request.incident_id, confirmed, request.emergency_reason, request.operator)

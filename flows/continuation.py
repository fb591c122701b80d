"""Long waits hold no process (DESIGN decision 2): a run that must wait — a freeze, a soak, a
review — ends and schedules its continuation: the same deployment, the same parameters, as a new
flow run due at the given instant. It shows in the UI as a Scheduled run (cancellable), tagged
with the run it continues, so `relctl … --watch` and people can follow the chain.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prefect.deployments.flow_runs import arun_deployment
from prefect.runtime import deployment, flow_run
from prefect.states import Completed, State

from flows.run_names import NEXT  # a continuation's name: the release's, then its step

CONTINUES_TAG = "continues:"


class CannotContinue(RuntimeError):
    pass


async def continue_at(
    when: datetime, why: str, parameters: dict[str, object] | None = None, step: str = "resume"
) -> tuple[str, str]:
    """Schedule this run's continuation at `when` (with `parameters`, default this run's own),
    named for the `step` it continues with; returns (run id, run name). Idempotent: a retried or re-run attempt of this same run finds
    the continuation it already scheduled."""
    deployment_id = deployment.id
    if not deployment_id:
        raise CannotContinue(
            f"{why}; this run was not started from a deployment, so it cannot schedule its own "
            "continuation — run it through its deployment (UI, API or relctl)"
        )
    this = str(flow_run.id)
    base = str(flow_run.name).split(NEXT)[0].split("~")[0]
    run = await arun_deployment(
        UUID(str(deployment_id)),
        parameters=dict(flow_run.parameters) if parameters is None else parameters,
        scheduled_time=when,
        timeout=0,
        as_subflow=False,
        flow_run_name=f"{base}{NEXT}{step}",
        tags=[f"{CONTINUES_TAG}{this}"],
        idempotency_key=f"continuation-of-{this}",
    )
    return str(run.id), run.name


def deferred(message: str) -> State:
    """The final state of a run that handed over to its continuation: not a failure, not done."""
    return Completed(name="Deferred", message=message)

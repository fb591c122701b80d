"""`workers-recover`: finish a Workers release whose run crashed before its verification ended
(started by the on-crash automation and by advance-rollouts' safety net)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prefect import flow

from flows.recovery import finish_unverified
from tasks.limits import release_limit
from tasks.settings import current_policy, policy_choice
from tasks.slots import hold_slot

if TYPE_CHECKING:
    ServiceName = str
else:  # the policy's names, as a choice in the Prefect form
    ServiceName = policy_choice("services")


@flow(name="workers-recover", log_prints=True)
async def workers_recover(
    service: ServiceName, flow_run_id: str | None = None
) -> dict[str, object]:
    """Args:
    service: a service from the policy's registry.
    flow_run_id: the crashed run, named in the summary.
    """
    policy = current_policy()
    policy.service(service)  # an unknown service stops here
    async with hold_slot(release_limit(service), policy.slots.wait, policy):
        lines = await finish_unverified(service, policy, crashed_run=flow_run_id)
    return {"service": service, "recovered": lines}

"""`workers-recover`: finish a Workers release or emergency deploy whose run crashed before its
verification ended (started by the on-crash automation and by advance-rollouts' safety net)."""

from __future__ import annotations

from prefect import flow

from flows.recovery import finish_emergency, finish_unverified
from flows.requests import takes
from procedure.request import WorkersRecoverRequest, service_target
from tasks.limits import release_limit
from tasks.settings import current_policy
from tasks.slots import hold_slot


@flow(name="workers-recover", log_prints=True)
@takes(WorkersRecoverRequest, choices={"service": "services"})
async def workers_recover(request: WorkersRecoverRequest) -> dict[str, object]:
    """Finish the service's unverified production release: watch the rest of its window, or roll back."""
    policy = current_policy()
    service = service_target(request.service, policy)  # an unknown service stops here
    async with hold_slot(release_limit(service.name), policy.slots.wait, policy):
        lines = await finish_unverified(service, policy, crashed_run=request.flow_run_id)
        lines += await finish_emergency(service, policy, request.flow_run_id)
    return {"service": service.name, "recovered": lines}

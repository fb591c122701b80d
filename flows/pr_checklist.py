"""pr-checklist: the Pre-Deploy Checklist on an open pull request, as a GitHub check run named
`deployment procedure / pre-deploy checklist` on its head commit (see tasks/pr_checklist.py).

CI triggers it on pull_request / pull_request_review / check_suite events. It reads and posts
to GitHub only — no production change — so a freeze never blocks it.
"""

from __future__ import annotations

from prefect import flow
from prefect.logging import get_run_logger

from flows.requests import takes
from procedure.pr_checklist_request import PrChecklistRequest
from procedure.request import service_target
from tasks.pr_checklist import post_pr_checklist
from tasks.settings import current_policy


@flow(name="pr-checklist", log_prints=True)
@takes(PrChecklistRequest, choices={"service": "services"})
async def pr_checklist(request: PrChecklistRequest) -> dict[str, object]:
    """Evaluate the Pre-Deploy Checklist on an open PR and post it as one check run."""
    policy = current_policy()
    service = service_target(request.service, policy)  # bad parameters stop here
    posted = await post_pr_checklist(request, service, policy.checklist)
    get_run_logger().info(
        f"check run {posted.check_run_id} {'created' if posted.created else 'updated'}:"
        f" {posted.conclusion} {posted.html_url or ''}"
    )
    return {
        "service": request.service,
        "pr_number": request.pr_number,
        "head_sha": posted.head_sha,
        "check_run_id": posted.check_run_id,
        "conclusion": posted.conclusion,
        "created": posted.created,
    }

"""Pre-deploy checklist: read the PR's facts from GitHub (and secret names from Cloudflare),
decide with the core, leave the evidence."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Protocol

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from clients import GitHubClient, NotFoundError, ProviderError
from clients._github_models import PullRequest
from procedure.checklist import (
    CheckFact,
    ChecklistVerdict,
    PullRequestFacts,
    RequiredCheck,
    ReviewFact,
    StatusFact,
    ThreadFact,
    evaluate_checklist,
    named_secrets,
)
from procedure.codeowners import CODEOWNERS_PATHS, owned_files, parse_codeowners
from procedure.durations import format_duration
from procedure.policy import ChecklistRules, WorkerService
from procedure.request import RequestError, WorkersDeployRequest
from tasks import clock, providers
from tasks.evidence import artifact_key, gate_markdown, publish, table


async def _code_owner_facts(
    gh: GitHubClient, repo: str, pull: PullRequest, approvers: list[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, frozenset[str]]]:
    """Owners of each changed file (CODEOWNERS of the base branch, as GitHub reads it), and the
    owning teams each approver belongs to."""
    text = None
    for path in CODEOWNERS_PATHS:  # GitHub uses the first one it finds
        text = await gh.file_text(repo, path, pull.base_ref)
        if text is not None:
            break
    if text is None:
        return {}, {}
    owned = owned_files(parse_codeowners(text), await gh.pull_files(repo, pull.number))
    teams = sorted({o for owners in owned.values() for o in owners if "/" in o})
    teams_of: dict[str, frozenset[str]] = {}
    for login in approvers:
        member = []
        for team in teams:
            org, slug = team.split("/", 1)
            if await gh.team_member(org, slug, login):
                member.append(team)
        teams_of[login] = frozenset(member)
    return owned, teams_of


class ChecklistSubject(Protocol):
    """The commit and PR the checklist reads: a release request, or pr-checklist's subject."""

    @property
    def git_sha(self) -> str: ...
    @property
    def pr_number(self) -> int: ...
    @property
    def ci_run_id(self) -> int | None: ...


async def read_pull_request_facts(
    request: ChecklistSubject, service: WorkerService, rules: ChecklistRules
) -> PullRequestFacts:
    repo, sha = service.repo, request.git_sha
    async with providers.github() as gh:
        pull = await gh.get_pull(repo, request.pr_number)
        # The branch releases come from: the policy's, else the repository's default branch.
        branch = service.release_branch or pull.default_branch
        if branch is None:
            raise ProviderError("github", "get_pull", detail="no default branch in the answer")

        async def triggering_suite_id() -> int | None:
            if request.ci_run_id is None:
                return None
            try:
                return (await gh.workflow_run(repo, request.ci_run_id)).check_suite_id
            except NotFoundError:
                raise RequestError(
                    f"ci_run_id: no workflow run {request.ci_run_id} in {repo}"
                ) from None

        reads, triggering_suite = await asyncio.gather(
            asyncio.gather(
                gh.list_reviews(repo, request.pr_number),
                gh.review_requirement(repo, branch),
                gh.required_status_checks(repo, branch),
                gh.review_state(repo, request.pr_number),
                gh.check_runs(repo, sha),
                gh.combined_status(repo, sha),
            ),
            triggering_suite_id(),
        )
        reviews, requirement, required, review_state, runs, combined = reads
        # GitHub counts an approval only from someone with write access: ask for each approver.
        approvers = sorted({r.user for r in reviews if r.user and r.state == "APPROVED"})
        permissions = dict(
            zip(
                approvers,
                await asyncio.gather(*(gh.collaborator_permission(repo, u) for u in approvers)),
                strict=True,
            )
        )
        file_owners: dict[str, tuple[str, ...]] = {}
        teams_of: dict[str, frozenset[str]] = {}
        if requirement.require_code_owner_reviews:
            file_owners, teams_of = await _code_owner_facts(gh, repo, pull, approvers)
    secrets: dict[str, frozenset[str]] = {}
    if rules.labels.secret_change in pull.labels and named_secrets(pull.body, rules.secrets_marker):
        async with providers.cloudflare() as cf:
            for env in service.deploy_order:
                script = service.environments[env].script
                secrets[env] = await cf.secret_names(service.account_id, script)
    return PullRequestFacts(
        number=pull.number,
        body=pull.body or "",
        labels=frozenset(pull.labels),
        merged=pull.merged,
        merge_commit_sha=pull.merge_commit_sha,
        head_sha=pull.head_sha,
        reviews=[
            ReviewFact(
                r.user or "(deleted user)", r.state, r.commit_id, permissions.get(r.user or "")
            )
            for r in reviews
        ],
        required_approvals=requirement.required_approvals,
        requirement_sources=tuple(requirement.sources),
        review_decision=review_state.review_decision,
        threads=[ThreadFact(t.is_resolved, t.path, t.author) for t in review_state.threads],
        check_runs=[
            CheckFact(c.name, c.status, c.conclusion, c.check_suite_id, c.app_id) for c in runs
        ],
        combined_state=combined.state,
        combined_total=combined.total_count,
        failing_statuses=[s.context for s in combined.statuses if s.state != "success"],
        statuses=[StatusFact(s.context, s.state) for s in combined.statuses],
        base_ref=pull.base_ref,
        release_branch=branch,
        dismiss_stale_reviews=requirement.dismiss_stale_reviews,
        require_code_owner_reviews=requirement.require_code_owner_reviews,
        file_owners=file_owners,
        teams_of=teams_of,
        required_checks=[RequiredCheck(c.context, c.app_id) for c in required.checks],
        required_checks_sources=required.sources,
        triggering_suite_id=triggering_suite,
        secrets_by_environment=secrets,
    )


async def checklist_until_settled(
    request: WorkersDeployRequest, service: WorkerService, rules: ChecklistRules
) -> tuple[ChecklistVerdict, PullRequestFacts]:
    """Read and decide; while the only thing missing is a required check still running, look
    again every `ci_recheck_interval` for up to `ci_wait` — then the verdict stands as it is."""
    log = get_run_logger()
    deadline = clock.clock().monotonic() + rules.ci_wait.total_seconds()
    while True:
        facts = await read_pull_request_facts(request, service, rules)
        verdict = evaluate_checklist(facts, request.git_sha, rules)
        if not verdict.waiting:
            return verdict, facts
        waiting_for = "; ".join(item.detail for item in verdict.failures)
        left = deadline - clock.clock().monotonic()
        if left <= 0:
            log.warning(f"gave up waiting after {format_duration(rules.ci_wait)}: {waiting_for}")
            failed = tuple(
                replace(i, detail=f"{i.detail} after waiting {format_duration(rules.ci_wait)}")
                if i.waiting
                else i
                for i in verdict.items
            )
            return ChecklistVerdict(failed), facts
        pause = min(rules.ci_recheck_interval.total_seconds(), left)
        log.info(f"waiting for CI: {waiting_for}; looking again in {pause:g}s")
        await clock.clock().sleep(pause)


# Not retried by Prefect: the GitHub client retries transient faults itself (see tasks/providers.py).
@task(name="pre-deploy checklist", retries=0, cache_policy=NO_CACHE)
async def pre_deploy_checklist(
    request: WorkersDeployRequest, service: WorkerService, rules: ChecklistRules
) -> tuple[ChecklistVerdict, PullRequestFacts]:
    verdict, facts = await checklist_until_settled(request, service, rules)
    rows = [
        (
            item.name,
            "pass" if item.passed else "FAIL",
            item.detail if item.applicable else f"n/a — {item.detail}",
        )
        for item in verdict.items
    ]
    await publish(
        artifact_key("workers", request.service, "checklist"),
        gate_markdown(
            f"Pre-deploy checklist — {request.service} PR #{request.pr_number}",
            "pass" if verdict.passed else "FAIL",
            {
                "repository": service.repo,
                "sha": request.git_sha,
                "labels": ", ".join(sorted(facts.labels)) or "none",
                "review decision": facts.review_decision or "null",
                "release branch": f"{facts.release_branch} (merged into {facts.base_ref})",
                "triggering CI run": str(request.ci_run_id or "not given"),
            },
            table(("item", "result", "detail"), rows),
            thresholds={
                "required approvals": max(facts.required_approvals, rules.min_approvals),
                "green conclusions": ", ".join(rules.green_conclusions),
                "required checks": ", ".join(c.context for c in facts.required_checks)
                or "none on the branch: every check",
                "wait for a required check": format_duration(rules.ci_wait),
            },
        ),
        f"checklist {'passed' if verdict.passed else 'failed'}",
    )
    return verdict, facts

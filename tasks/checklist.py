"""Pre-deploy checklist: read the PR's facts from GitHub (and secret names from Cloudflare),
decide with the core, leave the evidence."""

from __future__ import annotations

import asyncio

from prefect import task
from prefect.cache_policies import NO_CACHE

from procedure.checklist import (
    CheckFact,
    ChecklistVerdict,
    PullRequestFacts,
    ReviewFact,
    ThreadFact,
    evaluate_checklist,
    named_secrets,
)
from procedure.policy import Policy
from procedure.request import WorkersDeployRequest
from tasks import providers
from tasks.evidence import artifact_key, gate_markdown, publish, table


async def read_pull_request_facts(request: WorkersDeployRequest, policy: Policy) -> PullRequestFacts:
    service = policy.service(request.service)
    repo, sha = service.repo, request.git_sha
    async with providers.github() as gh:
        pull, reviews, requirement, review_state, runs, combined = await asyncio.gather(
            gh.get_pull(repo, request.pr_number),
            gh.list_reviews(repo, request.pr_number),
            gh.review_requirement(repo, service.branch),
            gh.review_state(repo, request.pr_number),
            gh.check_runs(repo, sha),
            gh.combined_status(repo, sha),
        )
    secrets: dict[str, frozenset[str]] = {}
    rules = policy.checklist
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
        reviews=[ReviewFact(r.user or "(deleted user)", r.state) for r in reviews],
        required_approvals=requirement.required_approvals,
        requirement_sources=tuple(requirement.sources),
        review_decision=review_state.review_decision,
        threads=[ThreadFact(t.is_resolved, t.path, t.author) for t in review_state.threads],
        check_runs=[CheckFact(c.name, c.status, c.conclusion) for c in runs],
        combined_state=combined.state,
        combined_total=combined.total_count,
        failing_statuses=[s.context for s in combined.statuses if s.state != "success"],
        secrets_by_environment=secrets,
    )


@task(name="pre-deploy checklist", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
async def pre_deploy_checklist(
    request: WorkersDeployRequest, policy: Policy
) -> tuple[ChecklistVerdict, PullRequestFacts]:
    facts = await read_pull_request_facts(request, policy)
    verdict = evaluate_checklist(facts, request.git_sha, policy.checklist)
    rows = [
        (item.name, "pass" if item.passed else "FAIL", item.detail if item.applicable else f"n/a — {item.detail}")
        for item in verdict.items
    ]
    await publish(
        artifact_key("workers", request.service, "checklist"),
        gate_markdown(
            f"Pre-deploy checklist — {request.service} PR #{request.pr_number}",
            "pass" if verdict.passed else "FAIL",
            {
                "repository": policy.service(request.service).repo,
                "sha": request.git_sha,
                "labels": ", ".join(sorted(facts.labels)) or "none",
                "review decision": facts.review_decision or "null",
            },
            table(("item", "result", "detail"), rows),
            thresholds={
                "required approvals": max(facts.required_approvals, policy.checklist.min_approvals),
                "green conclusions": ", ".join(policy.checklist.green_conclusions),
            },
        ),
        f"checklist {'passed' if verdict.passed else 'failed'}",
    )
    return verdict, facts

"""pr-checklist: the release's Pre-Deploy Checklist (the same reads and the same rules) on an
open PR, posted as ONE GitHub check run on its head commit, updated in place on every re-run.

Differences from the release, each because the PR is not merged yet: the "merged" item is not
applicable; the checklist's own check run is never CI (it would otherwise fail or wait on
itself), nor are the triggering CI job's runs still in progress (the `ci_run_id` rule); a
required check still running is not waited for — the run says so (neutral) and the next event
(check_suite completed) runs it again. It changes no production, so no freeze gates it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from prefect import task
from prefect.cache_policies import NO_CACHE

from clients import CheckRun
from procedure.checklist import ChecklistItem, ChecklistVerdict, evaluate_checklist
from procedure.policy import ChecklistRules, WorkerService
from procedure.pr_checklist_request import CHECK_NAME, PrChecklistRequest
from tasks import providers
from tasks.checklist import read_pull_request_facts
from tasks.evidence import table


@dataclass(frozen=True)
class Subject:
    """The commit the checklist reads, in the shape `read_pull_request_facts` takes."""

    git_sha: str
    pr_number: int
    ci_run_id: int | None


@dataclass(frozen=True)
class Posted:
    check_run_id: int
    html_url: str | None
    conclusion: str
    created: bool
    head_sha: str


def open_pr_verdict(verdict: ChecklistVerdict, pr_number: int) -> ChecklistVerdict:
    """The release's verdict with "merged" not applicable: the PR is checked before merging."""
    items = tuple(
        ChecklistItem(
            "merged", True, f"PR #{pr_number} is open: checked when it is released", False
        )
        if item.name == "merged"
        else item
        for item in verdict.items
    )
    return ChecklistVerdict(items)


def conclusion_of(verdict: ChecklistVerdict) -> str:
    """success; neutral while the only gap is a required check still running; else failure."""
    if verdict.passed:
        return "success"
    return "neutral" if verdict.waiting else "failure"


def summary_markdown(verdict: ChecklistVerdict, request: PrChecklistRequest, sha: str) -> str:
    rows = [
        (
            item.name,
            "pass" if item.passed and item.applicable else "n/a" if item.passed else "FAIL",
            item.detail,
        )
        for item in verdict.items
    ]
    head = (
        f"Pre-Deploy Checklist for **{request.service}** PR #{request.pr_number} at `{sha[:12]}`"
        " — the same rules the release applies."
    )
    return f"{head}\n\n{table(('item', 'result', 'evidence'), rows)}\n"


def title_of(verdict: ChecklistVerdict) -> str:
    failures = verdict.failures
    if not failures:
        return "Pre-deploy checklist passes"
    names = ", ".join(item.name for item in failures)
    if verdict.waiting:
        return f"Waiting for required CI: {names}"
    return f"Pre-deploy checklist fails: {names}"


# Not retried by Prefect: the GitHub client retries transient faults, and a lost create is
# looked up by name + external_id (clients/_github.py).
@task(name="pr checklist check run", retries=0, cache_policy=NO_CACHE)
async def post_pr_checklist(
    request: PrChecklistRequest, service: WorkerService, rules: ChecklistRules
) -> Posted:
    async with providers.github() as gh:
        sha = request.head_sha or (await gh.get_pull(service.repo, request.pr_number)).head_sha
    facts = await read_pull_request_facts(
        Subject(sha, request.pr_number, request.ci_run_id), service, rules
    )
    # Our own check run is the checklist's answer, not one of its inputs.
    facts = replace(
        facts,
        check_runs=[c for c in facts.check_runs if c.name != CHECK_NAME],
        required_checks=[c for c in facts.required_checks if c.context != CHECK_NAME],
    )
    verdict = open_pr_verdict(evaluate_checklist(facts, sha, rules), request.pr_number)
    conclusion = conclusion_of(verdict)
    fields = {
        "status": "completed",
        "conclusion": conclusion,
        "output": {
            "title": title_of(verdict),
            "summary": summary_markdown(verdict, request, sha),
        },
    }
    async with providers.github() as gh:
        existing = await gh.find_check_run(service.repo, sha, CHECK_NAME, request.external_id)
        run: CheckRun
        if existing is not None and existing.id is not None:
            run = await gh.update_check_run(service.repo, existing.id, **fields)
        else:
            run = await gh.create_check_run(
                service.repo, sha, CHECK_NAME, external_id=request.external_id, **fields
            )
    assert run.id is not None
    return Posted(run.id, run.html_url, conclusion, existing is None, sha)

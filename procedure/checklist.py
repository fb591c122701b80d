"""The pre-deploy checklist as a pure decision over facts read from GitHub and Cloudflare.

The procedure's five lines, each an item: approved by the required reviewers; CI green; no
unresolved review comments; API change → compatibility confirmed or migration communicated;
secret change → the secret is already on the target script. Plus one the procedure implies:
the change is merged to the branch at the sha being deployed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from procedure.policy import ChecklistRules


@dataclass(frozen=True)
class ReviewFact:
    user: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING


@dataclass(frozen=True)
class ThreadFact:
    is_resolved: bool
    path: str | None = None
    author: str | None = None


@dataclass(frozen=True)
class CheckFact:
    name: str
    status: str
    conclusion: str | None


@dataclass(frozen=True)
class PullRequestFacts:
    number: int
    body: str
    labels: frozenset[str]
    merged: bool
    merge_commit_sha: str | None
    head_sha: str
    reviews: Sequence[ReviewFact] = ()
    required_approvals: int = 0
    requirement_sources: Sequence[str] = ()
    review_decision: str | None = None
    threads: Sequence[ThreadFact] = ()
    check_runs: Sequence[CheckFact] = ()
    combined_state: str = "pending"
    combined_total: int = 0
    failing_statuses: Sequence[str] = ()
    # environment → secret names on that environment's script (read only when needed)
    secrets_by_environment: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ChecklistItem:
    name: str
    passed: bool
    detail: str
    applicable: bool = True


@dataclass(frozen=True)
class ChecklistVerdict:
    items: tuple[ChecklistItem, ...]

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.items)

    @property
    def failures(self) -> tuple[ChecklistItem, ...]:
        return tuple(item for item in self.items if not item.passed)


def latest_review_by_user(reviews: Sequence[ReviewFact]) -> dict[str, str]:
    """Each reviewer's standing review: COMMENTED and PENDING change nothing, DISMISSED cancels."""
    standing: dict[str, str] = {}
    for review in reviews:  # chronological, as GitHub lists them
        if review.state in ("APPROVED", "CHANGES_REQUESTED"):
            standing[review.user] = review.state
        elif review.state == "DISMISSED":
            standing.pop(review.user, None)
    return standing


def check_approval(facts: PullRequestFacts, rules: ChecklistRules) -> ChecklistItem:
    standing = latest_review_by_user(facts.reviews)
    approvers = sorted(u for u, s in standing.items() if s == "APPROVED")
    blockers = sorted(u for u, s in standing.items() if s == "CHANGES_REQUESTED")
    required = max(facts.required_approvals, rules.min_approvals)
    where = "+".join(facts.requirement_sources) or "policy floor"
    if blockers:
        return ChecklistItem("approved", False, f"changes requested by {', '.join(blockers)}")
    if facts.review_decision == "CHANGES_REQUESTED":
        return ChecklistItem("approved", False, "GitHub's review decision is CHANGES_REQUESTED")
    if len(approvers) < required:
        return ChecklistItem(
            "approved",
            False,
            f"{len(approvers)} of {required} required approvals ({where});"
            f" review decision {facts.review_decision or 'null (not an approval)'}",
        )
    return ChecklistItem(
        "approved", True, f"approved by {', '.join(approvers)} ({required} required, {where})"
    )


def check_ci(facts: PullRequestFacts, rules: ChecklistRules) -> ChecklistItem:
    green = set(rules.green_conclusions)
    unfinished = [c.name for c in facts.check_runs if c.status != "completed"]
    failed = [
        f"{c.name}={c.conclusion}"
        for c in facts.check_runs
        if c.status == "completed" and c.conclusion not in green
    ]
    # An Actions-only repository reports a combined status of `pending` with zero statuses:
    # that is "no statuses", not "pending".
    statuses_count = facts.combined_total > 0
    if not facts.check_runs and not statuses_count:
        return ChecklistItem("ci-green", False, "no check runs and no statuses for this commit")
    problems = []
    if unfinished:
        problems.append(f"not finished: {', '.join(unfinished)}")
    if failed:
        problems.append(f"not green: {', '.join(failed)}")
    if statuses_count and facts.combined_state != "success":
        shown = ", ".join(facts.failing_statuses) or facts.combined_state
        problems.append(f"combined status {facts.combined_state} ({shown})")
    if problems:
        return ChecklistItem("ci-green", False, "; ".join(problems))
    return ChecklistItem(
        "ci-green",
        True,
        f"{len(facts.check_runs)} check runs green, {facts.combined_total} statuses",
    )


def check_threads(facts: PullRequestFacts) -> ChecklistItem:
    open_threads = [t for t in facts.threads if not t.is_resolved]
    if open_threads:
        where = ", ".join(sorted({t.path or "(conversation)" for t in open_threads}))
        return ChecklistItem(
            "no-unresolved-comments", False, f"{len(open_threads)} unresolved thread(s): {where}"
        )
    return ChecklistItem(
        "no-unresolved-comments", True, f"{len(facts.threads)} thread(s), all resolved"
    )


def check_api_change(facts: PullRequestFacts, rules: ChecklistRules) -> ChecklistItem:
    if rules.labels.api_change not in facts.labels:
        return ChecklistItem("api-compatibility", True, "no API-change label", applicable=False)
    body = facts.body.lower()
    found = [m for m in rules.compatibility_markers if m.lower() in body]
    if found:
        return ChecklistItem("api-compatibility", True, f"PR description has {found[0]!r}")
    wanted = " or ".join(repr(m) for m in rules.compatibility_markers)
    return ChecklistItem(
        "api-compatibility", False, f"API-change label but the PR description lacks {wanted}"
    )


def named_secrets(body: str, marker: str) -> list[str]:
    """Secret names from the PR description line `Secrets: A, B`."""
    for line in body.splitlines():
        stripped = line.strip().lstrip("-* ").strip()
        if stripped.lower().startswith(marker.lower()):
            rest = stripped[len(marker) :]
            return [n.strip().strip("`") for n in rest.replace(";", ",").split(",") if n.strip()]
    return []


def check_secrets(facts: PullRequestFacts, rules: ChecklistRules) -> ChecklistItem:
    if rules.labels.secret_change not in facts.labels:
        return ChecklistItem("secrets-in-place", True, "no secret-change label", applicable=False)
    names = named_secrets(facts.body, rules.secrets_marker)
    if not names:
        return ChecklistItem(
            "secrets-in-place",
            False,
            f"secret-change label but no {rules.secrets_marker!r} line names the secrets",
        )
    missing = [
        f"{name} on {env}"
        for env, present in sorted(facts.secrets_by_environment.items())
        for name in names
        if name not in present
    ]
    if missing or not facts.secrets_by_environment:
        return ChecklistItem(
            "secrets-in-place", False, f"not yet in Cloudflare: {', '.join(missing) or names}"
        )
    envs = ", ".join(sorted(facts.secrets_by_environment))
    return ChecklistItem("secrets-in-place", True, f"{', '.join(names)} present on {envs}")


def check_merged(facts: PullRequestFacts, git_sha: str) -> ChecklistItem:
    if not facts.merged:
        return ChecklistItem("merged", False, f"PR #{facts.number} is not merged")
    if git_sha not in (facts.merge_commit_sha, facts.head_sha):
        return ChecklistItem(
            "merged",
            False,
            f"sha {git_sha[:12]} is neither the merge commit nor the head of PR #{facts.number}",
        )
    return ChecklistItem("merged", True, f"PR #{facts.number} merged at {git_sha[:12]}")


def evaluate_checklist(
    facts: PullRequestFacts, git_sha: str, rules: ChecklistRules
) -> ChecklistVerdict:
    return ChecklistVerdict(
        (
            check_merged(facts, git_sha),
            check_approval(facts, rules),
            check_ci(facts, rules),
            check_threads(facts),
            check_api_change(facts, rules),
            check_secrets(facts, rules),
        )
    )

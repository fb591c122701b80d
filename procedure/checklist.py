"""The pre-deploy checklist as a pure decision over facts read from GitHub and Cloudflare.

The procedure's five lines, each an item: approved by the required reviewers; CI green; no
unresolved review comments; API change → compatibility confirmed or migration communicated;
secret change → the secret is already on the target script. Plus one the procedure implies:
the change is merged to the release branch at the sha being deployed.

Approvals and CI are counted as GitHub counts them: only reviewers with write access, no stale
approval when the branch dismisses stale reviews, code owners where they are required; CI is what
the branch requires, and the run that triggered this release (still in progress) never blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from procedure.policy import ChecklistRules

WRITE_PERMISSIONS = frozenset({"admin", "maintain", "write"})  # GitHub counts only these approvals


@dataclass(frozen=True)
class ReviewFact:
    user: str
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_id: str | None = None
    permission: str | None = None  # the reviewer's repository permission; None = unknown


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
    check_suite_id: int | None = None
    app_id: int | None = None


@dataclass(frozen=True)
class StatusFact:
    context: str
    state: str  # error | failure | pending | success


@dataclass(frozen=True)
class RequiredCheck:
    """A status check the branch requires (protection `checks[]`, ruleset
    `required_status_checks`): a check run of that name, or a commit status of that context."""

    context: str
    app_id: int | None = None  # only a check run from this app counts; None = any source


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
    statuses: Sequence[StatusFact] = ()  # latest per context
    base_ref: str | None = None  # the branch the PR was merged into
    release_branch: str | None = None  # the branch the service releases from
    dismiss_stale_reviews: bool = False
    require_code_owner_reviews: bool = False
    # changed file → its code owners ("login" or "org/team"); only files that have owners
    file_owners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    teams_of: Mapping[str, frozenset[str]] = field(default_factory=dict)  # login → "org/team"s
    required_checks: Sequence[RequiredCheck] = ()
    required_checks_sources: Sequence[str] = ()
    triggering_suite_id: int | None = None  # check suite of the CI run that started this release
    # environment → secret names on that environment's script (read only when needed)
    secrets_by_environment: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ChecklistItem:
    name: str
    passed: bool
    detail: str
    applicable: bool = True
    waiting: bool = False  # not passed yet, but may pass by waiting (a required check running)


@dataclass(frozen=True)
class ChecklistVerdict:
    items: tuple[ChecklistItem, ...]

    @property
    def passed(self) -> bool:
        return all(item.passed for item in self.items)

    @property
    def failures(self) -> tuple[ChecklistItem, ...]:
        return tuple(item for item in self.items if not item.passed)

    @property
    def waiting(self) -> bool:
        """Every failure is a wait: looking again later may pass."""
        failures = self.failures
        return bool(failures) and all(item.waiting for item in failures)


def standing_reviews(reviews: Sequence[ReviewFact]) -> dict[str, ReviewFact]:
    """Each reviewer's standing review: COMMENTED and PENDING change nothing, DISMISSED cancels."""
    standing: dict[str, ReviewFact] = {}
    for review in reviews:  # chronological, as GitHub lists them
        if review.state in ("APPROVED", "CHANGES_REQUESTED"):
            standing[review.user] = review
        elif review.state == "DISMISSED":
            standing.pop(review.user, None)
    return standing


def latest_review_by_user(reviews: Sequence[ReviewFact]) -> dict[str, str]:
    return {user: review.state for user, review in standing_reviews(reviews).items()}


def _uncounted(review: ReviewFact, facts: PullRequestFacts) -> str | None:
    """Why GitHub does not count this approval, or None when it does."""
    if review.permission not in WRITE_PERMISSIONS:
        return f"{review.user} has {review.permission or 'unknown'} permission, not write"
    if facts.dismiss_stale_reviews and review.commit_id != facts.head_sha:
        given = (review.commit_id or "unknown")[:12]
        return f"{review.user} approved {given}, not the head {facts.head_sha[:12]} (stale)"
    return None


def _code_owner_gaps(facts: PullRequestFacts, approvers: Sequence[str]) -> list[str]:
    """Changed files with code owners that no counted approver owns."""
    gaps = []
    for path, owners in sorted(facts.file_owners.items()):
        owned = set(owners)
        if not any(
            login in owned or owned & facts.teams_of.get(login, frozenset()) for login in approvers
        ):
            gaps.append(f"{path} (owners {', '.join('@' + o for o in owners)})")
    return gaps


def check_approval(facts: PullRequestFacts, rules: ChecklistRules) -> ChecklistItem:
    standing = standing_reviews(facts.reviews)
    blockers = sorted(u for u, r in standing.items() if r.state == "CHANGES_REQUESTED")
    approvals = sorted((u, r) for u, r in standing.items() if r.state == "APPROVED")
    ignored = [why for _, r in approvals if (why := _uncounted(r, facts))]
    approvers = [u for u, r in approvals if _uncounted(r, facts) is None]
    required = max(facts.required_approvals, rules.min_approvals)
    where = "+".join(facts.requirement_sources) or "policy floor"
    not_counted = f"; not counted: {'; '.join(ignored)}" if ignored else ""
    gaps = _code_owner_gaps(facts, approvers) if facts.require_code_owner_reviews else []
    owners_missing = f"no approval from a code owner of {', '.join(gaps)}" if gaps else ""
    if blockers:
        return ChecklistItem("approved", False, f"changes requested by {', '.join(blockers)}")
    if facts.review_decision == "CHANGES_REQUESTED":
        return ChecklistItem("approved", False, "GitHub's review decision is CHANGES_REQUESTED")
    if facts.review_decision == "REVIEW_REQUIRED":
        # GitHub itself says the merge rules are not met: no count of ours overrides that.
        return ChecklistItem(
            "approved",
            False,
            f"GitHub's review decision is REVIEW_REQUIRED ({len(approvers)} counted approval(s)"
            f" of {required} required, {where}){not_counted}"
            + (f"; {owners_missing}" if owners_missing else ""),
        )
    if len(approvers) < required:
        return ChecklistItem(
            "approved",
            False,
            f"{len(approvers)} of {required} required approvals ({where});"
            f" review decision {facts.review_decision or 'null (not an approval)'}{not_counted}",
        )
    if owners_missing:
        return ChecklistItem("approved", False, owners_missing)
    return ChecklistItem(
        "approved", True, f"approved by {', '.join(approvers)} ({required} required, {where})"
    )


def _matches(run: CheckFact, required: RequiredCheck) -> bool:
    return run.name == required.context and required.app_id in (None, run.app_id)


def check_ci(facts: PullRequestFacts, rules: ChecklistRules) -> ChecklistItem:
    """CI as GitHub gates a merge: every required check green, plus no completed run or status
    failed. A run of the triggering CI suite that is still going never blocks (it is this very
    release); other runs still going block only when they are required, and then it is a wait."""
    green = set(rules.green_conclusions)
    own = facts.triggering_suite_id

    def ours(run: CheckFact) -> bool:
        return own is not None and run.check_suite_id == own and run.status != "completed"

    runs = [c for c in facts.check_runs if not ours(c)]
    failed = [
        f"{c.name}={c.conclusion}"
        for c in runs
        if c.status == "completed" and c.conclusion not in green
    ]
    failed += [f"{s.context}={s.state}" for s in facts.statuses if s.state in ("error", "failure")]
    required = list(facts.required_checks)
    basis = f"required by {'+'.join(facts.required_checks_sources) or 'the branch'}"
    if not required:
        # GitHub names no required check: the procedure's "all checks green" — every check run
        # and commit status there is, except the triggering run itself.
        basis = "no required checks on the branch: every check"
        required = [RequiredCheck(c.name) for c in runs] + [
            RequiredCheck(s.context) for s in facts.statuses
        ]
        if not required:
            return ChecklistItem(
                "ci-green",
                False,
                "no check runs and no statuses for this commit"
                + (" besides the triggering run" if facts.check_runs else ""),
            )
    waiting: list[str] = []
    triggering = [c for c in facts.check_runs if ours(c)]
    for need in dict.fromkeys(required):  # once each, in order
        found = [c for c in runs if _matches(c, need)]
        status = next((s for s in facts.statuses if s.context == need.context), None)
        if need.app_id is not None:
            status = None  # a check pinned to an app is satisfied by that app's check run only
        if any(c.status == "completed" for c in found) or (status and status.state != "pending"):
            continue  # done: green, or already listed as failed
        if found:
            waiting.append(f"{need.context} ({found[-1].status})")
        elif status is not None:
            waiting.append(f"{need.context} (pending)")
        elif any(_matches(c, need) for c in triggering):
            continue  # the triggering run itself: it cannot finish before this release does
        else:
            waiting.append(f"{need.context} (not reported yet)")
    if failed:
        return ChecklistItem("ci-green", False, f"not green: {', '.join(failed)}")
    if waiting:
        return ChecklistItem(
            "ci-green",
            False,
            f"required check(s) not finished: {', '.join(waiting)}",
            waiting=True,
        )
    others = [c.name for c in runs if c.status != "completed"]
    notes = []
    if triggering:
        notes.append(f"triggering run in progress: {', '.join(c.name for c in triggering)}")
    if others:
        notes.append(f"not required, still running: {', '.join(others)}")
    return ChecklistItem(
        "ci-green",
        True,
        f"{len(dict.fromkeys(required))} check(s) green ({basis})"
        + (f"; {'; '.join(notes)}" if notes else ""),
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
    if facts.release_branch is None or facts.base_ref != facts.release_branch:
        return ChecklistItem(
            "merged",
            False,
            f"PR #{facts.number} was merged into {facts.base_ref or 'an unknown branch'},"
            f" not the release branch {facts.release_branch or '(unknown)'}",
        )
    if git_sha not in (facts.merge_commit_sha, facts.head_sha):
        return ChecklistItem(
            "merged",
            False,
            f"sha {git_sha[:12]} is neither the merge commit nor the head of PR #{facts.number}",
        )
    return ChecklistItem(
        "merged", True, f"PR #{facts.number} merged into {facts.base_ref} at {git_sha[:12]}"
    )


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

"""GitHub state: repositories with their review rules, pull requests, CI results and deployments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REVIEW_VIAS = ("protection", "rulesets", "both", "none")
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING")
CHECK_STATUSES = ("queued", "in_progress", "completed", "waiting", "requested", "pending")
CHECK_CONCLUSIONS = (
    "success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required",
    "stale",
)  # fmt: skip
COMMIT_STATES = ("error", "failure", "pending", "success")
DEPLOYMENT_STATES = ("error", "failure", "inactive", "in_progress", "queued", "pending", "success")


def fake_sha(seed: str) -> str:
    """A stable 40-hex commit id for refs the sandbox does not model (branch names, bases)."""
    return hashlib.sha1(seed.encode()).hexdigest()


def user_id(login: str) -> int:
    """A stable numeric id per login, so the same user looks the same in every answer."""
    return int(hashlib.sha1(login.encode()).hexdigest()[:7], 16)


ACTIONS_APP_ID = 15368  # GitHub Actions' app id on github.com
PERMISSIONS = ("admin", "maintain", "write", "triage", "read", "none")
WRITE_ACCESS = ("admin", "maintain", "write")


def app_id(slug: str) -> int:
    return ACTIONS_APP_ID if slug == "github-actions" else user_id(f"app:{slug}")


def legacy_permission(role: str) -> str:
    """The `permission` field of the collaborator-permission answer: maintain reads as write,
    triage as read (the role itself is in `role_name`)."""
    return {"maintain": "write", "triage": "read"}.get(role, role)


@dataclass
class Review:
    id: int
    user: str
    state: str
    commit_id: str
    body: str
    submitted_at: datetime


@dataclass
class Thread:
    id: str
    is_resolved: bool
    is_outdated: bool
    path: str
    author: str
    body: str


@dataclass
class Pull:
    number: int
    id: int
    title: str
    body: str
    user: str
    head_sha: str
    head_ref: str
    base_ref: str
    merged: bool
    merge_commit_sha: str | None
    draft: bool
    labels: list[str]
    created_at: datetime
    updated_at: datetime
    merged_at: datetime | None
    closed: bool
    reviews: list[Review] = field(default_factory=list)
    threads: list[Thread] = field(default_factory=list)
    files: list[str] = field(default_factory=lambda: ["src/index.ts"])

    @property
    def state(self) -> str:
        return "closed" if self.closed or self.merged else "open"


@dataclass
class CheckRun:
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    app_slug: str
    details_url: str | None
    started_at: datetime
    completed_at: datetime | None
    check_suite_id: int = 0
    # Set by the Checks API (POST /check-runs); runs seeded by the admin API leave them empty.
    external_id: str = ""
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    created_by_api: bool = False


@dataclass
class WorkflowRun:
    """An Actions workflow run: its jobs are check runs sharing its check suite."""

    id: int
    name: str
    head_sha: str
    head_branch: str
    check_suite_id: int
    run_number: int
    event: str
    created_at: datetime


@dataclass
class CommitStatus:
    id: int
    context: str
    state: str
    target_url: str | None
    description: str | None
    created_at: datetime


@dataclass
class DeploymentStatus:
    id: int
    state: str
    description: str
    environment: str
    target_url: str
    log_url: str
    environment_url: str
    created_at: datetime


@dataclass
class Deployment:
    id: int
    sha: str
    ref: str
    task: str
    environment: str
    payload: Any
    description: str | None
    transient_environment: bool
    production_environment: bool
    created_at: datetime
    # Recorded because they change what GitHub does, though GitHub does not echo them back.
    auto_merge: bool
    required_contexts: list[str] | None
    statuses: list[DeploymentStatus] = field(default_factory=list)

    @property
    def latest_state(self) -> str | None:
        return self.statuses[-1].state if self.statuses else None


@dataclass
class Repo:
    owner: str
    name: str
    id: int
    default_branch: str
    required_approvals: int
    via: str
    thread_resolution: bool
    created_at: datetime
    pulls: dict[int, Pull] = field(default_factory=dict)
    check_runs: dict[str, list[CheckRun]] = field(default_factory=dict)
    statuses: dict[str, list[CommitStatus]] = field(default_factory=dict)
    deployments: list[Deployment] = field(default_factory=list)
    # (context, app_id or None): required status checks of the protection / ruleset
    required_checks: list[tuple[str, int | None]] = field(default_factory=list)
    dismiss_stale_reviews: bool = False
    code_owner_reviews: bool = False
    collaborators: dict[str, str] = field(default_factory=dict)  # login → role
    contents: dict[str, str] = field(default_factory=dict)  # path → text, on the default branch
    workflow_runs: dict[int, WorkflowRun] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def protected(self, branch: str) -> bool:
        """Classic branch protection with required reviews exists on `branch`."""
        return branch == self.default_branch and self.via in ("protection", "both")

    def ruleset_applies(self, branch: str) -> bool:
        """An active ruleset with a `pull_request` rule targets `branch`."""
        return branch == self.default_branch and self.via in ("rulesets", "both")

    def required_reviews(self, branch: str) -> int | None:
        """Approvals required to merge into `branch`, or None when no rule asks for reviews."""
        if self.protected(branch) or self.ruleset_applies(branch):
            return self.required_approvals
        return None


@dataclass
class Commit:
    sha: str
    parents: list[str]
    message: str
    created_at: datetime


@dataclass
class CommitGraph:
    """A repository's commits and branch tips: enough history for the compare API."""

    commits: dict[str, Commit] = field(default_factory=dict)
    tips: dict[str, str] = field(default_factory=dict)  # branch -> sha

    def add(self, sha: str, parents: list[str], message: str, now: datetime) -> Commit:
        for parent in parents:  # a parent not seen before is a root commit
            if parent not in self.commits:
                self.commits[parent] = Commit(parent, [], f"commit {parent[:7]}", now)
        commit = self.commits[sha] = Commit(sha, list(parents), message, now)
        return commit

    def merge(
        self, branch: str, merge_sha: str, head_sha: str, message: str, now: datetime
    ) -> None:
        """A pull merged into `branch`: its merge commit follows the branch's tip (a squash or
        rebase merge has the head as its own merge commit). Re-recording a known merge commit
        changes nothing, so editing an old pull never moves the branch back."""
        if merge_sha in self.commits:
            return
        tip = self.tips.get(branch)
        parents = [tip] if tip else []
        if head_sha != merge_sha:
            if head_sha not in self.commits:
                self.add(head_sha, list(parents), message, now)
            parents.append(head_sha)
        self.add(merge_sha, parents, message, now)
        self.tips[branch] = merge_sha

    def ancestors(self, sha: str) -> set[str]:
        """`sha` and every commit it descends from."""
        seen: set[str] = set()
        todo = [sha]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(self.commits[current].parents if current in self.commits else [])
        return seen


class GitHubStore:
    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.teams: dict[str, set[str]] = {}  # "org/team-slug" → member logins
        self._next_id = 1000
        self.graphs: dict[str, CommitGraph] = {}  # repo full name (lower case) -> history

    def graph(self, repo: Repo) -> CommitGraph:
        return self.graphs.setdefault(repo.full_name.lower(), CommitGraph())

    def next_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".lower())

    def put_repo(self, repo: Repo) -> None:
        self.repos[repo.full_name.lower()] = repo

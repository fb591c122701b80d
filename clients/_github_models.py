"""What the GitHub client returns: only the facts the release procedure reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clients._models import Frozen

__all__ = [
    "CheckRun",
    "CombinedStatus",
    "Comparison",
    "DeploymentStatus",
    "GitHubDeployment",
    "PullRequest",
    "Review",
    "ReviewRequirement",
    "ReviewState",
    "ReviewThread",
    "RequiredChecks",
    "RequiredStatusCheck",
    "StatusContext",
    "WorkflowRun",
]


class PullRequest(Frozen):
    number: int
    title: str
    body: str  # GitHub sends null for an empty description; it arrives here as ""
    labels: tuple[str, ...]
    head_sha: str
    merged: bool
    merge_commit_sha: str | None
    base_ref: str
    draft: bool
    html_url: str
    default_branch: str | None = None  # the repository's, as the PR's base repo reports it


class Review(Frozen):
    id: int
    user: str | None  # None when the reviewer's account was deleted
    state: str  # APPROVED | CHANGES_REQUESTED | COMMENTED | DISMISSED | PENDING
    commit_id: str | None
    submitted_at: datetime | None


class ReviewRequirement(Frozen):
    """The strictest review rule of classic branch protection and rulesets combined."""

    required_approvals: int
    require_code_owner_reviews: bool
    thread_resolution_required: bool
    sources: tuple[str, ...]  # "protection", "rulesets"; empty when neither requires anything
    dismiss_stale_reviews: bool = False  # an approval of an older commit no longer counts


class ReviewThread(Frozen):
    is_resolved: bool
    is_outdated: bool
    path: str
    author: str | None  # author of the thread's first comment
    body: str


class ReviewState(Frozen):
    review_decision: str | None  # APPROVED | CHANGES_REQUESTED | REVIEW_REQUIRED | None
    threads: tuple[ReviewThread, ...]


class CheckRun(Frozen):
    name: str
    status: str
    conclusion: str | None
    app_slug: str | None
    app_id: int | None = None
    check_suite_id: int | None = None
    id: int | None = None
    external_id: str | None = None
    html_url: str | None = None


class RequiredStatusCheck(Frozen):
    context: str
    app_id: int | None  # None (or GitHub's -1): any source satisfies it


class RequiredChecks(Frozen):
    """The status checks a branch requires, from classic protection and rulesets together."""

    checks: tuple[RequiredStatusCheck, ...]
    sources: tuple[str, ...]


class WorkflowRun(Frozen):
    id: int
    check_suite_id: int | None
    head_sha: str
    status: str | None


class StatusContext(Frozen):
    context: str
    state: str


class CombinedStatus(Frozen):
    state: str
    total_count: int
    statuses: tuple[StatusContext, ...]


class GitHubDeployment(Frozen):
    id: int
    sha: str
    environment: str
    task: str
    description: str | None
    payload: dict[str, Any]


class DeploymentStatus(Frozen):
    id: int
    state: str
    description: str


class Comparison(Frozen):
    """`GET /repos/{repo}/compare/{base}...{head}`: where head stands relative to base."""

    status: str  # identical | ahead (head contains base) | behind | diverged
    ahead_by: int
    behind_by: int
    base_sha: str
    merge_base_sha: str

"""How GitHub reduces reviews and commit statuses to a verdict."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sandbox.github.model import WRITE_ACCESS, CommitStatus, GitHubStore, Pull, Repo, Review

CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def latest_verdicts(reviews: Iterable[Review]) -> dict[str, str]:
    """Each reviewer's standing verdict: their latest review that is not a comment.

    COMMENTED (and an unsubmitted PENDING) never replaces an earlier verdict; DISMISSED does,
    and leaves the reviewer with no verdict at all.
    """
    verdicts: dict[str, str] = {}
    for review in sorted(reviews, key=lambda r: (r.submitted_at, r.id)):
        if review.state in ("COMMENTED", "PENDING"):
            continue
        if review.state == "DISMISSED":
            verdicts.pop(review.user, None)
        else:
            verdicts[review.user] = review.state
    return verdicts


def _glob(pattern: str) -> re.Pattern[str]:
    """A CODEOWNERS (gitignore-style) pattern as a regular expression over repository paths."""
    body = pattern.strip("/")
    rooted = pattern.startswith("/") or "/" in body
    parts = re.split(r"(\*\*/|/\*\*$|\*\*|\*|\?)", body)
    glob = {"**/": "(?:.*/)?", "/**": "/.*", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    text = "".join(glob.get(part, re.escape(part)) for part in parts)
    tail = "/.*" if pattern.endswith("/") else "(?:/.*)?"
    return re.compile(("^" if rooted else "^(?:.*/)?") + text + tail + "$")


def code_owners(repo: Repo, path: str) -> list[str]:
    """Owners of `path` from the first CODEOWNERS file GitHub finds; the last match wins."""
    text = next((repo.contents[p] for p in CODEOWNERS_PATHS if p in repo.contents), "")
    owners: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if words and _glob(words[0]).match(path):
            owners = [w.lstrip("@") for w in words[1:]]
    return owners


def counted_approvers(repo: Repo, pull: Pull) -> list[str]:
    """Approvals GitHub counts toward the rule: reviewers with write access, and — when stale
    reviews are dismissed — only approvals of the current head."""
    return [
        user
        for user, review in latest_reviews(pull.reviews).items()
        if review.state == "APPROVED"
        and repo.collaborators.get(user, "none") in WRITE_ACCESS
        and not (repo.dismiss_stale_reviews and review.commit_id != pull.head_sha)
    ]


def latest_reviews(reviews: Iterable[Review]) -> dict[str, Review]:
    standing: dict[str, Review] = {}
    for review in sorted(reviews, key=lambda r: (r.submitted_at, r.id)):
        if review.state in ("COMMENTED", "PENDING"):
            continue
        if review.state == "DISMISSED":
            standing.pop(review.user, None)
        else:
            standing[review.user] = review
    return standing


def review_decision(store: GitHubStore, repo: Repo, pull: Pull) -> str | None:
    """GraphQL `reviewDecision`: null when no rule requires reviews, otherwise the verdict."""
    required = repo.required_reviews(pull.base_ref)
    if required is None:
        return None
    verdicts = latest_verdicts(pull.reviews).values()
    if "CHANGES_REQUESTED" in verdicts:
        return "CHANGES_REQUESTED"
    approvers = counted_approvers(repo, pull)
    if len(approvers) < required:
        return "REVIEW_REQUIRED"
    if repo.code_owner_reviews:
        for path in pull.files:
            owners = code_owners(repo, path)
            if owners and not any(
                a in owners or any(a in store.teams.get(o, set()) for o in owners)
                for a in approvers
            ):
                return "REVIEW_REQUIRED"
    return "APPROVED"


def latest_per_context(statuses: Iterable[CommitStatus]) -> list[CommitStatus]:
    """The newest status of each context, newest first (as the combined status lists them)."""
    latest: dict[str, CommitStatus] = {}
    for status in sorted(statuses, key=lambda s: (s.created_at, s.id)):
        latest[status.context] = status
    return sorted(latest.values(), key=lambda s: (s.created_at, s.id), reverse=True)


def combined_state(statuses: Iterable[CommitStatus]) -> str:
    """failure if any error/failure, pending if none at all or any pending, else success."""
    states = [s.state for s in latest_per_context(statuses)]
    if any(s in ("error", "failure") for s in states):
        return "failure"
    if not states or "pending" in states:
        return "pending"
    return "success"

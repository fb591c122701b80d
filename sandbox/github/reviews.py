"""How GitHub reduces reviews and commit statuses to a verdict."""

from __future__ import annotations

from collections.abc import Iterable

from sandbox.github.model import CommitStatus, Review


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


def review_decision(required: int | None, reviews: Iterable[Review]) -> str | None:
    """GraphQL `reviewDecision`: null when no rule requires reviews, otherwise the verdict."""
    if required is None:
        return None
    verdicts = latest_verdicts(reviews).values()
    if "CHANGES_REQUESTED" in verdicts:
        return "CHANGES_REQUESTED"
    approvals = sum(1 for v in verdicts if v == "APPROVED")
    return "APPROVED" if approvals >= required else "REVIEW_REQUIRED"


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

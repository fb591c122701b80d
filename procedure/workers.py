"""Reading a Worker's deployment history: what is live, since when, and what to roll back to.

Cloudflare lists deployments newest first; the first one serves traffic. Rollback is a new
deployment of an earlier version at 100 % (what `wrangler rollback` does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class DeploymentView:
    id: str
    created_on: datetime
    shares: tuple[tuple[str, float], ...]  # (version id, percentage)
    message: str | None = None

    @property
    def sole_version(self) -> str | None:
        return next((v for v, pct in self.shares if pct >= 100), None)

    @property
    def main_version(self) -> str | None:
        return max(self.shares, key=lambda s: s[1])[0] if self.shares else None


def is_live(history: Sequence[DeploymentView], version_id: str) -> bool:
    return bool(history) and history[0].sole_version == version_id


def live_since(history: Sequence[DeploymentView], version_id: str) -> datetime | None:
    """When the current uninterrupted run of `version_id` at 100 % began (None if not live)."""
    since = None
    for deployment in history:
        if deployment.sole_version != version_id:
            break
        since = deployment.created_on
    return since


def rollback_target(history: Sequence[DeploymentView], new_version_id: str) -> str | None:
    """The version that served before `new_version_id`: the newest deployment not of it."""
    for deployment in history:
        candidate = deployment.sole_version or deployment.main_version
        if candidate and candidate != new_version_id:
            return candidate
    return None


ROLLBACK_PREFIX = "rollback:"


def rolled_back_from(history: Sequence[DeploymentView], version_id: str) -> DeploymentView | None:
    """The rollback that took `version_id` out of service, if its last time live ended in one:
    deploying it again would ship what verification already refused."""
    for newer, older in zip(history, history[1:], strict=False):
        if older.sole_version == version_id and newer.sole_version != version_id:
            return newer if (newer.message or "").startswith(ROLLBACK_PREFIX) else None
    return None


# Cloudflare keeps the first 100 bytes of a version's or deployment's `workers/message` (longer
# ones are cut, not refused): what identifies a change goes first.
MESSAGE_BYTES = 100


def fit_message(text: str, limit: int = MESSAGE_BYTES) -> str:
    """`text` cut to `limit` UTF-8 bytes without splitting a character."""
    return text.encode()[:limit].decode(errors="ignore")


def release_label(git_sha: str, pr_number: int) -> str:
    return f"{git_sha[:12]} PR #{pr_number}"


def release_message(git_sha: str, pr_number: int, significant: bool) -> str:
    """The deployment message of a standard release: sha, PR and the kind of change first."""
    kind = "significant" if significant else "standard"
    return fit_message(f"{release_label(git_sha, pr_number)} {kind} via release orchestrator")


def rollback_message(reason: str, release: str | None = None) -> str:
    """`rollback:` first (how a later run recognises it), then what was rolled back, then why."""
    what = f" {release} —" if release else ""
    return fit_message(f"{ROLLBACK_PREFIX}{what} {reason}")


@dataclass(frozen=True)
class Provenance:
    """Whether the uploaded versions are the approved commit (`workers/tag` = the release's sha)."""

    refused: tuple[str, ...]  # one line per version that is not the release's commit
    warnings: tuple[str, ...]  # untagged versions let through by the policy

    @property
    def passed(self) -> bool:
        return not self.refused

    @property
    def detail(self) -> str:
        return "; ".join(self.refused + self.warnings) or "every version is tagged with the sha"


def check_provenance(
    tags: dict[str, tuple[str, str | None]], git_sha: str, allow_untagged: bool
) -> Provenance:
    """`tags`: environment → (version id, its `workers/tag`). CI uploads with `--tag <sha>`, so
    a different tag is another commit's build: never deployed under this release's approval."""
    refused: list[str] = []
    warnings: list[str] = []
    for env, (version_id, tag) in sorted(tags.items()):
        if tag is None or not tag.strip():
            line = f"{env} version {version_id} has no workers/tag"
            if allow_untagged:
                warnings.append(f"warning: {line} (allowed by the policy; provenance unproven)")
            else:
                refused.append(
                    f"{line}; CI must upload it with `wrangler versions upload --tag {git_sha}`"
                )
        elif tag.strip().lower() != git_sha.lower():
            refused.append(
                f"{env} version {version_id} is tagged {tag!r}, not this release's sha {git_sha}"
            )
    return Provenance(tuple(refused), tuple(warnings))


def significance(
    requested: bool | None, labelled: bool, reason: str | None, label: str
) -> tuple[bool, str]:
    """Whether the release is significant (2-hour watch), and the evidence line. The PR's label
    decides unless the caller says otherwise; downgrading a labelled PR needs a recorded reason.
    Raises ValueError (naming `significant_reason`) when it is missing."""
    if requested is None:
        return labelled, f"{'labelled' if labelled else 'not labelled'} {label}"
    if requested or not labelled:
        return requested, f"significant={requested} given by the caller"
    if not reason:
        raise ValueError(
            f"significant: the PR is labelled {label} but significant=False was given without "
            "significant_reason — say why the short watch is enough, or leave significant unset"
        )
    return False, f"labelled {label}, downgraded by the caller: {reason}"


SHA_TAG = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class ProductionOrder:
    """Whether this release may replace what production runs: only forward (DESIGN 11)."""

    action: Literal["deploy", "already live", "superseded", "refuse"]
    detail: str
    warnings: tuple[str, ...] = ()


def production_order(
    live: Sequence[tuple[str, str | None]], git_sha: str, status_by_sha: dict[str, str]
) -> ProductionOrder:
    """`live`: (version id, its `workers/tag`) of each version serving production;
    `status_by_sha`: GitHub's compare status of this release (head) against each live sha (base)
    — identical, ahead, behind, diverged — or "unknown" when GitHub has no such history.

    A live version without a tag (an emergency `wrangler deploy`, or what ran before tags) cannot
    be ordered: the release goes ahead with a warning in the evidence, since refusing would stop
    every first release after it; a tag that GitHub cannot place is refused (fail closed)."""
    sha = git_sha.lower()
    warnings: list[str] = []
    ahead: list[str] = []
    identical = False
    for version_id, tag in live:
        live_sha = (tag or "").strip().lower()
        if not live_sha:
            warnings.append(
                f"warning: live version {version_id} has no workers/tag — its commit "
                "is unknown, so this release cannot be proven newer"
            )
            continue
        status = "identical" if live_sha == sha else status_by_sha.get(live_sha, "unknown")
        if status == "identical":
            identical = True
        elif status == "ahead":
            ahead.append(live_sha)
        elif status in ("behind", "diverged"):
            relation = "is newer than" if status == "behind" else "has diverged from"
            return ProductionOrder(
                "superseded",
                f"superseded: production runs {live_sha} (version {version_id}), which {relation} "
                f"this release's {sha} (GitHub compare: {status}); nothing deployed",
                tuple(warnings),
            )
        else:
            return ProductionOrder(
                "refuse",
                f"cannot tell whether {sha} is newer than production's {live_sha!r} (version "
                f"{version_id}): GitHub has no such commit history; nothing deployed",
                tuple(warnings),
            )
    if identical and not ahead:
        return ProductionOrder("already live", f"production already runs {sha}", tuple(warnings))
    detail = (
        f"{sha} is ahead of production's {', '.join(ahead)}"
        if ahead
        else "no tagged live version to order against"
    )
    return ProductionOrder("deploy", detail, tuple(warnings))

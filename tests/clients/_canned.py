"""Vendor-shaped answers. GitHub's start from the examples inside its own OpenAPI description;
all of them are validated against the specs in test_spec_conformance.py."""

from __future__ import annotations

import copy
from typing import Any

from tests.clients._spec import GITHUB_REST, spec_document

REPO = "octo-org/edge-api"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
SCRIPT = "edge-api-production"
V_OLD = "18f97339-c287-4872-9bdd-e2135c07ec12"
V_NEW = "bcf48806-b317-4351-9ee7-36e7d557d4de"


def _example(name: str) -> Any:
    return copy.deepcopy(spec_document(GITHUB_REST)["components"]["examples"][name]["value"])


# -- GitHub REST -------------------------------------------------------------------------------


def gh_pull(number: int = 42, **overrides: Any) -> dict[str, Any]:
    pull = _example("pull-request")
    pull.update(
        number=number,
        title="Rate-limit the key endpoint",
        body="Adds a limiter.\n\nSecrets: API_KEY",
        merged=True,
        merge_commit_sha=SHA,
        draft=False,
        html_url=f"https://github.com/{REPO}/pull/{number}",
    )
    pull["labels"] = [
        {**pull["labels"][0], "name": "secret-change"},
        {**pull["labels"][0], "id": 208045947, "name": "api-change"},
    ]
    pull["head"]["sha"] = "e5bd3914e2e596debea16f433f57875b5b90bcd6"
    pull["base"]["ref"] = "main"
    pull.update(overrides)
    return pull


def gh_review(
    review_id: int, login: str | None, state: str, commit_id: str = SHA
) -> dict[str, Any]:
    review = _example("pull-request-review-items")[0]
    review.update(id=review_id, state=state, commit_id=commit_id)
    review["submitted_at"] = "2026-03-02T10:00:00Z"
    if login is None:
        review["user"] = None
    else:
        review["user"] = {**review["user"], "login": login}
    return review


def gh_check_runs(*runs: tuple[str, str, str | None], total: int | None = None) -> dict[str, Any]:
    page = _example("check-run-paginated")
    template = page["check_runs"][0]
    page["check_runs"] = [
        {
            **copy.deepcopy(template),
            "id": i + 1,
            "name": name,
            "status": status,
            "conclusion": conclusion,
        }
        for i, (name, status, conclusion) in enumerate(runs)
    ]
    page["total_count"] = len(runs) if total is None else total
    return page


def gh_combined_status(
    state: str, *contexts: tuple[str, str], total: int | None = None
) -> dict[str, Any]:
    combined = _example("combined-commit-status")
    template = combined["statuses"][0]
    combined.update(state=state, sha=SHA)
    combined["statuses"] = [
        {**template, "id": i + 1, "context": context, "state": context_state}
        for i, (context, context_state) in enumerate(contexts)
    ]
    combined["total_count"] = len(contexts) if total is None else total
    return combined


def gh_protection(count: int, code_owners: bool = False) -> dict[str, Any]:
    # Not from the description's own example: its dismissal_restrictions.apps[].owner fails the
    # description's schema (a simple-user missing required fields).
    return {
        "url": f"https://api.github.com/repos/{REPO}/branches/main/protection/"
        "required_pull_request_reviews",
        "dismiss_stale_reviews": True,
        "require_code_owner_reviews": code_owners,
        "required_approving_review_count": count,
    }


def gh_pull_request_rule(
    count: int, *, code_owners: bool = False, threads: bool = False
) -> dict[str, Any]:
    """An active `pull_request` rule as GET /repos/{o}/{r}/rules/branches/{branch} lists it."""
    return {
        "type": "pull_request",
        "ruleset_source_type": "Repository",
        "ruleset_source": REPO,
        "ruleset_id": 4242,
        "parameters": {
            "dismiss_stale_reviews_on_push": True,
            "require_code_owner_review": code_owners,
            "require_last_push_approval": False,
            "required_approving_review_count": count,
            "required_review_thread_resolution": threads,
        },
    }


def gh_deployment(
    deployment_id: int,
    *,
    environment: str = "production",
    task: str = "deploy",
    description: str = "edge-api version v1",
    payload: Any = None,
    sha: str = SHA,
) -> dict[str, Any]:
    deployment = _example("deployment-simple-example")
    deployment.update(
        id=deployment_id,
        sha=sha,
        ref=sha,
        environment=environment,
        task=task,
        description=description,
        payload={} if payload is None else payload,
        production_environment=environment == "production",
    )
    return deployment


def gh_deployment_status(status_id: int, state: str, description: str) -> dict[str, Any]:
    status = _example("deployment-status")
    status.update(id=status_id, state=state, description=description)
    return status


def gh_error(message: str) -> dict[str, Any]:
    return {"message": message, "documentation_url": "https://docs.github.com/rest"}


# -- GitHub GraphQL ----------------------------------------------------------------------------


def gh_thread(resolved: bool, path: str, author: str | None, body: str) -> dict[str, Any]:
    comment = {"author": None if author is None else {"login": author}, "body": body}
    return {
        "isResolved": resolved,
        "isOutdated": False,
        "path": path,
        "comments": {"nodes": [comment]},
    }


def gh_review_state_page(
    decision: str | None, threads: list[dict[str, Any]], *, total: int, next_cursor: str | None
) -> dict[str, Any]:
    return {
        "data": {
            "repository": {
                "pullRequest": {
                    "reviewDecision": decision,
                    "reviewThreads": {
                        "totalCount": total,
                        "pageInfo": {
                            "hasNextPage": next_cursor is not None,
                            "endCursor": next_cursor,
                        },
                        "nodes": threads,
                    },
                }
            }
        }
    }


# -- Cloudflare --------------------------------------------------------------------------------


def cf_deployment(
    deployment_id: str, shares: list[tuple[str, float]], *, created_on: str, message: str = "deploy"
) -> dict[str, Any]:
    return {
        "id": deployment_id,
        "source": "api",
        "strategy": "percentage",
        "author_email": "release-bot@example.com",
        "created_on": created_on,
        "annotations": {"workers/message": message},
        "versions": [{"version_id": v, "percentage": p} for v, p in shares],
    }


def cf_version(
    version_id: str,
    number: int,
    *,
    tag: str | None = None,
    message: str | None = None,
    full: bool = False,
) -> dict[str, Any]:
    annotations = {k: v for k, v in (("workers/tag", tag), ("workers/message", message)) if v}
    version: dict[str, Any] = {
        "id": version_id,
        "number": number,
        "metadata": {
            "author_email": "ci@example.com",
            "author_id": "408cbcdfd4dda4617efef40b04d168a1",
            "created_on": "2026-03-02T09:00:00.000000Z",
            "modified_on": "2026-03-02T09:00:00.000000Z",
            "source": "wrangler",
        },
    }
    if annotations:
        version["annotations"] = annotations
    if full:
        version["resources"] = {
            "bindings": [],
            "script": {"etag": "13a3240e8fb414561b0366813b0b8f42", "handlers": ["fetch"]},
            "script_runtime": {"usage_model": "standard"},
        }
    return version


def cf_analytics(*rows: tuple[str, int, int]) -> dict[str, Any]:
    return {
        "data": {
            "viewer": {
                "accounts": [
                    {
                        "workersInvocationsAdaptive": [
                            {
                                "sum": {"requests": requests, "errors": errors},
                                "dimensions": {"status": status},
                            }
                            for status, requests, errors in rows
                        ]
                    }
                ]
            }
        },
        "errors": None,
    }

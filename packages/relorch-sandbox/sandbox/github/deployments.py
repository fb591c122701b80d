"""GitHub deployments and deployment statuses: how releases are recorded against commits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.errors import GitHubError
from sandbox.github import shapes
from sandbox.github.model import DEPLOYMENT_STATES, Deployment, DeploymentStatus, Repo
from sandbox.github.pagination import paginate
from sandbox.github.rest import REPO, find_repo, resolve_ref, urls_for
from sandbox.github.reviews import latest_per_context
from sandbox.httputil import BadJson, json_body, sandbox_state

# Who the sandbox says created deployments: the token's owner, which it does not model.
CREATOR = "release-bot"
MAX_DESCRIPTION = 140


def invalid(resource: str, field: str, code: str, message: str | None = None) -> GitHubError:
    error: dict[str, Any] = {"resource": resource, "code": code, "field": field}
    if message:
        error["message"] = message
    return GitHubError(422, "Validation Failed", [error])


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await json_body(request, default={})
    except BadJson as exc:
        raise GitHubError(400, "Problems parsing JSON") from exc
    if not isinstance(body, dict):
        raise GitHubError(400, "Problems parsing JSON")
    return body


def _find_deployment(repo: Repo, deployment_id: int) -> Deployment:
    found = next((d for d in repo.deployments if d.id == deployment_id), None)
    if found is None:
        raise GitHubError(404, "Not Found")
    return found


async def list_deployments(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        query = request.query_params
        items = [
            d
            for d in reversed(repo.deployments)  # newest first
            if all(
                not query.get(key) or getattr(d, key) == query[key]
                for key in ("sha", "ref", "task", "environment")
            )
        ]
        page, headers = paginate(items, request.url)
        urls = urls_for(request)
        return JSONResponse(
            [shapes.deployment(urls, repo, d, CREATOR) for d in page], headers=headers
        )


def _failing_contexts(repo: Repo, sha: str, required: list[str] | None) -> list[dict[str, str]]:
    """Contexts that block a deployment: all known ones when `required` is omitted."""
    latest = {s.context: s.state for s in latest_per_context(repo.statuses.get(sha, []))}
    contexts = list(latest) if required is None else required
    return [
        {"context": c, "state": latest.get(c, "missing")}
        for c in contexts
        if latest.get(c) != "success"
    ]


async def create_deployment(request: Request) -> Response:
    body = await _json_object(request)
    state = sandbox_state(request)
    with state.lock:
        repo = find_repo(request)
        ref = body.get("ref")
        if not isinstance(ref, str) or not ref:
            raise invalid("Deployment", "ref", "missing_field")
        required = body.get("required_contexts")
        if required is not None and not (
            isinstance(required, list) and all(isinstance(c, str) for c in required)
        ):
            raise invalid("Deployment", "required_contexts", "invalid")
        sha = resolve_ref(repo, ref)
        failing = _failing_contexts(repo, sha, required)
        if failing:
            raise GitHubError(
                409,
                f"Conflict: Commit status checks failed for {ref}.",
                [
                    {
                        "contexts": failing,
                        "resource": "Deployment",
                        "field": "required_contexts",
                        "code": "invalid",
                    }
                ],
            )
        environment = str(body.get("environment") or "production")
        deployment = Deployment(
            id=state.github.next_id(),
            sha=sha,
            ref=ref,
            task=str(body.get("task") or "deploy"),
            environment=environment,
            payload=body.get("payload", {}),
            description=body.get("description", ""),
            transient_environment=bool(body.get("transient_environment", False)),
            production_environment=bool(
                body.get("production_environment", environment == "production")
            ),
            created_at=state.now(),
            auto_merge=bool(body.get("auto_merge", True)),
            required_contexts=required,
        )
        repo.deployments.append(deployment)
        return JSONResponse(
            shapes.deployment(urls_for(request), repo, deployment, CREATOR), status_code=201
        )


def _mark_prior_inactive(
    repo: Repo, current: Deployment, status: DeploymentStatus, next_id: Callable[[], int]
) -> None:
    """`auto_inactive`: earlier successful deployments of the same environment go inactive.

    As GitHub's description words it: only prior non-transient, non-production deployments.
    """
    for other in repo.deployments:
        if (
            other.id != current.id
            and other.environment == status.environment
            and not other.transient_environment
            and not other.production_environment
            and other.latest_state == "success"
        ):
            other.statuses.append(
                DeploymentStatus(
                    id=next_id(),
                    state="inactive",
                    description="",
                    environment=other.environment,
                    target_url="",
                    log_url="",
                    environment_url="",
                    created_at=status.created_at,
                )
            )


async def create_deployment_status(request: Request) -> Response:
    body = await _json_object(request)
    state = sandbox_state(request)
    with state.lock:
        repo = find_repo(request)
        deployment = _find_deployment(repo, request.path_params["deployment_id"])
        value = body.get("state")
        if value not in DEPLOYMENT_STATES:
            raise invalid("DeploymentStatus", "state", "invalid")
        description = body.get("description") or ""
        if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
            raise invalid(
                "DeploymentStatus",
                "description",
                "custom",
                f"description is too long (maximum is {MAX_DESCRIPTION} characters)",
            )
        log_url = str(body.get("log_url") or body.get("target_url") or "")
        status = DeploymentStatus(
            id=state.github.next_id(),
            state=value,
            description=description,
            environment=str(body.get("environment") or deployment.environment),
            target_url=log_url,
            log_url=log_url,
            environment_url=str(body.get("environment_url") or ""),
            created_at=state.now(),
        )
        deployment.statuses.append(status)
        if value == "success" and body.get("auto_inactive", True):
            _mark_prior_inactive(repo, deployment, status, state.github.next_id)
        urls = urls_for(request)
        url = f"{urls.repo(repo)}/deployments/{deployment.id}/statuses/{status.id}"
        return JSONResponse(
            shapes.deployment_status(urls, repo, deployment, status, CREATOR),
            status_code=201,
            headers={"Location": url},
        )


async def list_deployment_statuses(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        deployment = _find_deployment(repo, request.path_params["deployment_id"])
        page, headers = paginate(list(reversed(deployment.statuses)), request.url)
        urls = urls_for(request)
        body = [shapes.deployment_status(urls, repo, deployment, s, CREATOR) for s in page]
        return JSONResponse(body, headers=headers)


ROUTES = [
    Route(REPO + "/deployments", list_deployments, methods=["GET"]),
    Route(REPO + "/deployments", create_deployment, methods=["POST"]),
    Route(
        REPO + "/deployments/{deployment_id:int}/statuses",
        list_deployment_statuses,
        methods=["GET"],
    ),
    Route(
        REPO + "/deployments/{deployment_id:int}/statuses",
        create_deployment_status,
        methods=["POST"],
    ),
]

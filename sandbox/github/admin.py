"""Admin API for the fake GitHub: set up repositories, pull requests and CI results."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.adminutil import AdminError, admin_json, choice, flag, text
from sandbox.github.model import (
    CHECK_CONCLUSIONS,
    CHECK_STATUSES,
    COMMIT_STATES,
    REVIEW_STATES,
    REVIEW_VIAS,
    CheckRun,
    CommitStatus,
    GitHubStore,
    Pull,
    Repo,
    Review,
    Thread,
)
from sandbox.httputil import sandbox_state
from sandbox.state import SandboxState

REPO = "/repos/{owner}/{repo}"


def upsert_repo(state: SandboxState, full_name: str, doc: dict[str, Any]) -> Repo:
    """Create or reconfigure a repository, keeping its pulls, CI results and deployments."""
    owner, _, name = full_name.partition("/")
    if not owner or not name:
        raise AdminError("repo must be 'owner/name'")
    approvals = doc.get("required_approvals", 1)
    if not isinstance(approvals, int) or not 0 <= approvals <= 6:
        raise AdminError("required_approvals must be an integer 0-6 (GitHub's range)")
    github: GitHubStore = state.github
    repo = github.repo(owner, name)
    default_branch = text(doc, "default_branch", "main")
    via = choice(doc, "via", REVIEW_VIAS, "protection")
    thread_resolution = flag(doc, "thread_resolution", True)
    if repo is None:
        repo = Repo(
            owner=owner,
            name=name,
            id=github.next_id(),
            default_branch=default_branch,
            required_approvals=approvals,
            via=via,
            thread_resolution=thread_resolution,
            created_at=state.now(),
        )
        github.put_repo(repo)
    else:
        repo.default_branch = default_branch
        repo.required_approvals = approvals
        repo.via = via
        repo.thread_resolution = thread_resolution
    return repo


def _ensure_repo(state: SandboxState, owner: str, name: str) -> Repo:
    return state.github.repo(owner, name) or upsert_repo(state, f"{owner}/{name}", {})


def _reviews(state: SandboxState, docs: Any, head_sha: str) -> list[Review]:
    if not isinstance(docs, list):
        raise AdminError("reviews must be a list")
    base = state.now()
    reviews = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or not isinstance(doc.get("user"), str):
            raise AdminError("each review needs a 'user'")
        reviews.append(
            Review(
                id=state.github.next_id(),
                user=doc["user"],
                state=choice(doc, "state", REVIEW_STATES, "APPROVED"),
                commit_id=text(doc, "commit_id", head_sha),
                body=text(doc, "body", ""),
                # One second apart, in the order given: the order is what decides verdicts.
                submitted_at=base - timedelta(seconds=len(docs) - i),
            )
        )
    return reviews


def _threads(docs: Any, number: int) -> list[Thread]:
    if not isinstance(docs, list):
        raise AdminError("threads must be a list")
    return [
        Thread(
            id=f"PRRT_{number}_{i}",
            is_resolved=flag(doc, "is_resolved", False),
            is_outdated=flag(doc, "is_outdated", False),
            path=text(doc, "path", "src/index.ts"),
            author=text(doc, "author", "reviewer-1"),
            body=text(doc, "body", ""),
        )
        for i, doc in enumerate(docs)
    ]


def upsert_pull(state: SandboxState, owner: str, name: str, number: int, doc: dict) -> Pull:
    repo = _ensure_repo(state, owner, name)
    head_sha = doc.get("head_sha")
    if not isinstance(head_sha, str) or not head_sha:
        raise AdminError("head_sha is required")
    labels = doc.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise AdminError("labels must be a list of names")
    now = state.now()
    merged = flag(doc, "merged", True)
    prior = repo.pulls.get(number)
    pull = Pull(
        number=number,
        id=prior.id if prior else state.github.next_id(),
        title=text(doc, "title", f"PR #{number}"),
        body=text(doc, "body", ""),
        user=text(doc, "user", "author-1"),
        head_sha=head_sha,
        head_ref=text(doc, "head_ref", f"feature/pr-{number}"),
        base_ref=text(doc, "base_ref", repo.default_branch),
        merged=merged,
        merge_commit_sha=doc.get("merge_commit_sha") or (head_sha if merged else None),
        draft=flag(doc, "draft", False),
        labels=list(labels),
        created_at=prior.created_at if prior else now - timedelta(hours=1),
        updated_at=now,
        merged_at=now if merged else None,
        closed=flag(doc, "closed", merged),
        reviews=_reviews(state, doc.get("reviews", []), head_sha),
        threads=_threads(doc.get("threads", []), number),
    )
    repo.pulls[number] = pull
    if pull.merged and pull.merge_commit_sha and pull.base_ref == repo.default_branch:
        state.github.graph(repo).merge(
            pull.base_ref, pull.merge_commit_sha, head_sha, pull.title, now
        )
    return pull


def set_checks(state: SandboxState, owner: str, name: str, sha: str, doc: dict) -> Repo:
    """Replace the check runs and commit statuses recorded for one commit."""
    repo = _ensure_repo(state, owner, name)
    now = state.now()
    runs, statuses = doc.get("check_runs", []), doc.get("statuses", [])
    if not isinstance(runs, list) or not isinstance(statuses, list):
        raise AdminError("check_runs and statuses must be lists")
    repo.check_runs[sha] = []
    for run in runs:
        status = choice(run, "status", CHECK_STATUSES, "completed")
        conclusion = run.get("conclusion", "success" if status == "completed" else None)
        if conclusion is not None and conclusion not in CHECK_CONCLUSIONS:
            raise AdminError(f"conclusion must be one of {', '.join(CHECK_CONCLUSIONS)}")
        repo.check_runs[sha].append(
            CheckRun(
                id=state.github.next_id(),
                name=text(run, "name", "build"),
                head_sha=sha,
                status=status,
                conclusion=conclusion,
                app_slug=text(run, "app_slug", "github-actions"),
                details_url=run.get("details_url"),
                started_at=now - timedelta(minutes=5),
                completed_at=now if status == "completed" else None,
            )
        )
    repo.statuses[sha] = [
        CommitStatus(
            id=state.github.next_id(),
            context=text(s, "context", "ci"),
            state=choice(s, "state", COMMIT_STATES, "success"),
            target_url=s.get("target_url"),
            description=s.get("description"),
            created_at=now + timedelta(microseconds=i),  # keeps the given order
        )
        for i, s in enumerate(statuses)
    ]
    return repo


def repo_json(repo: Repo) -> dict[str, Any]:
    return {
        "repo": repo.full_name,
        "default_branch": repo.default_branch,
        "required_approvals": repo.required_approvals,
        "via": repo.via,
        "thread_resolution": repo.thread_resolution,
        "pulls": sorted(repo.pulls),
    }


async def put_repo(request: Request) -> Response:
    doc = await admin_json(request)
    state = sandbox_state(request)
    full_name = f"{request.path_params['owner']}/{request.path_params['repo']}"
    with state.lock:
        return JSONResponse(repo_json(upsert_repo(state, full_name, doc)))


async def put_pull(request: Request) -> Response:
    doc = await admin_json(request)
    state = sandbox_state(request)
    params = request.path_params
    with state.lock:
        pull = upsert_pull(state, params["owner"], params["repo"], params["number"], doc)
        return JSONResponse(
            {
                "number": pull.number,
                "head_sha": pull.head_sha,
                "merge_commit_sha": pull.merge_commit_sha,
                "merged": pull.merged,
                "reviews": len(pull.reviews),
                "threads": len(pull.threads),
            }
        )


async def put_checks(request: Request) -> Response:
    doc = await admin_json(request)
    state = sandbox_state(request)
    params = request.path_params
    with state.lock:
        repo = set_checks(state, params["owner"], params["repo"], params["sha"], doc)
        sha = params["sha"]
        return JSONResponse(
            {
                "sha": sha,
                "check_runs": len(repo.check_runs[sha]),
                "statuses": len(repo.statuses[sha]),
            }
        )


async def get_deployments(request: Request) -> Response:
    """Deployments as recorded, including what GitHub does not echo (auto_merge, contexts)."""
    state = sandbox_state(request)
    params = request.path_params
    with state.lock:
        repo = state.github.repo(params["owner"], params["repo"])
        if repo is None:
            raise AdminError("unknown repo", status=404)
        return JSONResponse(
            [
                {
                    "id": d.id,
                    "sha": d.sha,
                    "ref": d.ref,
                    "environment": d.environment,
                    "task": d.task,
                    "auto_merge": d.auto_merge,
                    "required_contexts": d.required_contexts,
                    "statuses": [s.state for s in d.statuses],
                }
                for d in reversed(repo.deployments)
            ]
        )


ROUTES = [
    Route(REPO, put_repo, methods=["PUT"]),
    Route(REPO + "/pulls/{number:int}", put_pull, methods=["PUT"]),
    Route(REPO + "/commits/{sha}/checks", put_checks, methods=["PUT"]),
    Route(REPO + "/deployments", get_deployments, methods=["GET"]),
]

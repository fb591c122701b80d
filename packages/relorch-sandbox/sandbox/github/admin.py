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
    PERMISSIONS,
    REVIEW_STATES,
    REVIEW_VIAS,
    CheckRun,
    CommitStatus,
    GitHubStore,
    Pull,
    Repo,
    Review,
    Thread,
    WorkflowRun,
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
    repo.required_checks = _required_checks(doc.get("required_checks", []))
    repo.dismiss_stale_reviews = flag(doc, "dismiss_stale_reviews", False)
    repo.code_owner_reviews = flag(doc, "require_code_owner_reviews", False)
    collaborators = doc.get("collaborators", {})
    if not isinstance(collaborators, dict) or any(
        v not in PERMISSIONS for v in collaborators.values()
    ):
        raise AdminError(f"collaborators must map login -> one of {', '.join(PERMISSIONS)}")
    repo.collaborators.update(collaborators)
    codeowners = doc.get("codeowners")
    if codeowners is not None:
        if not isinstance(codeowners, str):
            raise AdminError("codeowners must be the CODEOWNERS file's text")
        repo.contents[".github/CODEOWNERS"] = codeowners
    teams = doc.get("teams", {})
    if not isinstance(teams, dict) or not all(
        isinstance(k, str) and "/" in k and isinstance(v, list) for k, v in teams.items()
    ):
        raise AdminError("teams must map 'org/team' -> a list of member logins")
    for team, members in teams.items():
        github.teams[team.lower()] = {str(m) for m in members}
    return repo


def _required_checks(docs: Any) -> list[tuple[str, int | None]]:
    """Names, or {"context": name, "app_id": id} to pin a check to one app."""
    if not isinstance(docs, list):
        raise AdminError("required_checks must be a list")
    checks: list[tuple[str, int | None]] = []
    for doc in docs:
        if isinstance(doc, str):
            checks.append((doc, None))
        elif isinstance(doc, dict) and isinstance(doc.get("context"), str):
            app = doc.get("app_id")
            if app is not None and not isinstance(app, int):
                raise AdminError("required_checks[].app_id must be an integer")
            checks.append((doc["context"], app))
        else:
            raise AdminError("each required check is a name or {context, app_id}")
    return checks


def _ensure_repo(state: SandboxState, owner: str, name: str) -> Repo:
    return state.github.repo(owner, name) or upsert_repo(state, f"{owner}/{name}", {})


def _reviews(state: SandboxState, repo: Repo, docs: Any, head_sha: str) -> list[Review]:
    if not isinstance(docs, list):
        raise AdminError("reviews must be a list")
    base = state.now()
    reviews = []
    for i, doc in enumerate(docs):
        if not isinstance(doc, dict) or not isinstance(doc.get("user"), str):
            raise AdminError("each review needs a 'user'")
        # A reviewer is a collaborator: write access unless the review (or the repo) says else.
        role = doc.get("permission") or repo.collaborators.get(doc["user"], "write")
        if role not in PERMISSIONS:
            raise AdminError(f"permission must be one of {', '.join(PERMISSIONS)}")
        repo.collaborators[doc["user"]] = role
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


def _files(docs: Any) -> list[str]:
    if not isinstance(docs, list) or not all(isinstance(x, str) and x for x in docs):
        raise AdminError("files must be a list of paths")
    return list(docs)


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
        reviews=_reviews(state, repo, doc.get("reviews", []), head_sha),
        threads=_threads(doc.get("threads", []), number),
        files=_files(doc.get("files", ["src/index.ts"])),
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
    # Replaced, except the jobs of workflow runs started through the admin API (a CI run in
    # progress, such as the job that triggers a release, stays while the others are re-seeded).
    suites = {w.check_suite_id for w in repo.workflow_runs.values() if w.head_sha == sha}
    # Runs an app created through the Checks API stay too (this orchestrator's own check run).
    repo.check_runs[sha] = [
        r for r in repo.check_runs.get(sha, []) if r.check_suite_id in suites or r.created_by_api
    ]
    suite = state.github.next_id()  # the plain runs form one suite, like one workflow's jobs
    for run in runs:
        repo.check_runs[sha].append(_check_run(state, sha, run, suite))
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


def _check_run(state: SandboxState, sha: str, doc: Any, suite: int) -> CheckRun:
    if not isinstance(doc, dict):
        raise AdminError("each check run is an object")
    now = state.now()
    status = choice(doc, "status", CHECK_STATUSES, "completed")
    conclusion = doc.get("conclusion", "success" if status == "completed" else None)
    if conclusion is not None and conclusion not in CHECK_CONCLUSIONS:
        raise AdminError(f"conclusion must be one of {', '.join(CHECK_CONCLUSIONS)}")
    return CheckRun(
        id=state.github.next_id(),
        name=text(doc, "name", "build"),
        head_sha=sha,
        status=status,
        conclusion=conclusion,
        app_slug=text(doc, "app_slug", "github-actions"),
        details_url=doc.get("details_url"),
        started_at=now - timedelta(minutes=5),
        completed_at=now if status == "completed" else None,
        check_suite_id=suite,
    )


def start_workflow_run(state: SandboxState, owner: str, name: str, doc: dict) -> WorkflowRun:
    """A workflow run on a commit with its jobs as check runs of one suite (e.g. CI's deploy job,
    in progress while it triggers the release)."""
    repo = _ensure_repo(state, owner, name)
    sha = doc.get("head_sha")
    if not isinstance(sha, str) or not sha:
        raise AdminError("head_sha is required")
    jobs = doc.get("jobs", [{"name": "deploy", "status": "in_progress"}])
    if not isinstance(jobs, list):
        raise AdminError("jobs must be a list of check runs")
    run = WorkflowRun(
        id=state.github.next_id(),
        name=text(doc, "name", "Release"),
        head_sha=sha,
        head_branch=text(doc, "head_branch", repo.default_branch),
        check_suite_id=state.github.next_id(),
        run_number=len(repo.workflow_runs) + 1,
        event=text(doc, "event", "push"),
        created_at=state.now(),
    )
    repo.workflow_runs[run.id] = run
    runs = repo.check_runs.setdefault(sha, [])
    runs.extend(_check_run(state, sha, job, run.check_suite_id) for job in jobs)
    return run


def update_check_run(state: SandboxState, owner: str, name: str, sha: str, doc: dict) -> CheckRun:
    """The newest check run of that name on the commit moves on (PATCH /check-runs/{id})."""
    repo = _ensure_repo(state, owner, name)
    check = text(doc, "name", "")
    found = [r for r in repo.check_runs.get(sha, []) if r.name == check]
    if not found:
        raise AdminError(f"no check run {check!r} on {sha}", status=404)
    run = max(found, key=lambda r: r.id)
    run.status = choice(doc, "status", CHECK_STATUSES, "completed")
    conclusion = doc.get("conclusion", "success" if run.status == "completed" else None)
    if conclusion is not None and conclusion not in CHECK_CONCLUSIONS:
        raise AdminError(f"conclusion must be one of {', '.join(CHECK_CONCLUSIONS)}")
    run.conclusion = conclusion
    run.completed_at = state.now() if run.status == "completed" else None
    return run


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


async def post_workflow_run(request: Request) -> Response:
    doc = await admin_json(request)
    state = sandbox_state(request)
    params = request.path_params
    with state.lock:
        run = start_workflow_run(state, params["owner"], params["repo"], doc)
        return JSONResponse({"id": run.id, "check_suite_id": run.check_suite_id}, status_code=201)


async def patch_check_run(request: Request) -> Response:
    doc = await admin_json(request)
    state = sandbox_state(request)
    params = request.path_params
    with state.lock:
        run = update_check_run(state, params["owner"], params["repo"], params["sha"], doc)
        return JSONResponse({"id": run.id, "status": run.status, "conclusion": run.conclusion})


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
    Route(REPO + "/commits/{sha}/check-run", patch_check_run, methods=["PATCH"]),
    Route(REPO + "/actions/runs", post_workflow_run, methods=["POST"]),
    Route(REPO + "/deployments", get_deployments, methods=["GET"]),
]

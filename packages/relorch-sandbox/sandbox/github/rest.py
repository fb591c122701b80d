"""GitHub REST endpoints the orchestrator reads (pull readiness, CI, review rules)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.errors import GitHubError
from sandbox.github import shapes
from sandbox.github.model import CheckRun, Pull, Repo, fake_sha, user_id
from sandbox.github.pagination import paginate
from sandbox.github.reviews import combined_state, latest_per_context
from sandbox.httputil import origin, sandbox_state

REPO = "/repos/{owner}/{repo}"


def urls_for(request: Request) -> shapes.Urls:
    return shapes.Urls(api=f"{origin(request)}/github")


def find_repo(request: Request) -> Repo:
    params = request.path_params
    repo = sandbox_state(request).github.repo(params["owner"], params["repo"])
    if repo is None:
        raise GitHubError(404, "Not Found")
    return repo


def find_pull(repo: Repo, number: int) -> Pull:
    pull = repo.pulls.get(number)
    if pull is None:
        raise GitHubError(404, "Not Found")
    return pull


def resolve_ref(repo: Repo, ref: str) -> str:
    """The commit a ref names: a known sha, a pull's head branch, or the default branch's tip."""
    if ref in repo.check_runs or ref in repo.statuses:
        return ref
    for pull in repo.pulls.values():
        if ref in (pull.head_sha, pull.merge_commit_sha):
            return ref
        if ref == pull.head_ref:
            return pull.head_sha
    if ref == repo.default_branch:
        merged = [p for p in repo.pulls.values() if p.merged and p.merge_commit_sha]
        if merged:
            latest = max(merged, key=lambda p: (p.merged_at or p.updated_at, p.number))
            return latest.merge_commit_sha or fake_sha(ref)
    is_hex = len(ref) >= 7 and all(c in "0123456789abcdef" for c in ref.lower())
    return ref if is_hex else fake_sha(f"{repo.full_name}:{ref}")


async def get_pull(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        pull = find_pull(repo, request.path_params["number"])
        return JSONResponse(shapes.pull_request(urls_for(request), repo, pull))


async def list_reviews(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        pull = find_pull(repo, request.path_params["number"])
        ordered = sorted(pull.reviews, key=lambda r: (r.submitted_at, r.id))
        page, headers = paginate(ordered, request.url)
        urls = urls_for(request)
        body = [shapes.review(urls, repo, pull, item) for item in page]
        return JSONResponse(body, headers=headers)


async def list_issue_labels(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        pull = find_pull(repo, request.path_params["number"])
        page, headers = paginate(pull.labels, request.url)
        urls = urls_for(request)
        return JSONResponse([shapes.label(urls, repo, name) for name in page], headers=headers)


def _reviews_rule(request: Request, repo: Repo) -> dict:
    branch = request.path_params["branch"]
    return {
        "url": f"{urls_for(request).repo(repo)}/branches/{branch}/protection/"
        "required_pull_request_reviews",
        "dismiss_stale_reviews": repo.dismiss_stale_reviews,
        "require_code_owner_reviews": repo.code_owner_reviews,
        "required_approving_review_count": repo.required_approvals,
        "require_last_push_approval": False,
    }


async def get_branch_protection(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        branch = request.path_params["branch"]
        if not repo.protected(branch):
            raise GitHubError(404, "Branch not protected")
        api = f"{urls_for(request).repo(repo)}/branches/{branch}/protection"
        return JSONResponse(
            {
                "url": api,
                "required_status_checks": shapes.status_check_policy(
                    urls_for(request), repo, branch
                )
                if repo.required_checks
                else None,
                "required_pull_request_reviews": _reviews_rule(request, repo),
                "required_conversation_resolution": {"enabled": repo.thread_resolution},
                "enforce_admins": {"url": f"{api}/enforce_admins", "enabled": False},
            }
        )


async def get_required_reviews(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        if not repo.protected(request.path_params["branch"]):
            raise GitHubError(404, "Branch not protected")
        return JSONResponse(_reviews_rule(request, repo))


async def get_branch_rules(request: Request) -> Response:
    """Active rules for a branch; only the `pull_request` rule is modelled."""
    with sandbox_state(request).lock:
        repo = find_repo(request)
        rules = []
        if repo.ruleset_applies(request.path_params["branch"]):
            rules.append(
                {
                    "type": "pull_request",
                    "ruleset_source_type": "Repository",
                    "ruleset_source": repo.full_name,
                    "ruleset_id": repo.id + 1,
                    "parameters": {
                        "required_approving_review_count": repo.required_approvals,
                        "required_review_thread_resolution": repo.thread_resolution,
                        "require_code_owner_review": repo.code_owner_reviews,
                        "dismiss_stale_reviews_on_push": repo.dismiss_stale_reviews,
                        "require_last_push_approval": False,
                    },
                }
            )
            if repo.required_checks:
                checks = [
                    {"context": c} if a is None else {"context": c, "integration_id": a}
                    for c, a in repo.required_checks
                ]
                rules.append(
                    {
                        "type": "required_status_checks",
                        "ruleset_source_type": "Repository",
                        "ruleset_source": repo.full_name,
                        "ruleset_id": repo.id + 1,
                        "parameters": {
                            "required_status_checks": checks,
                            "strict_required_status_checks_policy": False,
                        },
                    }
                )
        page, headers = paginate(rules, request.url)
        return JSONResponse(page, headers=headers)


def _latest_runs(runs: list[CheckRun]) -> list[CheckRun]:
    """`filter=latest`: the most recent run of each check name."""
    latest: dict[str, CheckRun] = {}
    for run in sorted(runs, key=lambda r: r.id):
        latest[run.name] = run
    return sorted(latest.values(), key=lambda r: r.id)


async def list_check_runs(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        sha = resolve_ref(repo, request.path_params["ref"])
        runs = list(repo.check_runs.get(sha, []))
        query = request.query_params
        if query.get("filter", "latest") == "latest":
            runs = _latest_runs(runs)
        if query.get("check_name"):
            runs = [r for r in runs if r.name == query["check_name"]]
        if query.get("status"):
            runs = [r for r in runs if r.status == query["status"]]
        page, headers = paginate(runs, request.url)
        urls = urls_for(request)
        body = {
            "total_count": len(runs),
            "check_runs": [shapes.check_run(urls, repo, run) for run in page],
        }
        return JSONResponse(body, headers=headers)


async def get_combined_status(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        sha = resolve_ref(repo, request.path_params["ref"])
        statuses = repo.statuses.get(sha, [])
        latest = latest_per_context(statuses)
        page, headers = paginate(latest, request.url, default_per_page=100)
        urls = urls_for(request)
        api = urls.repo(repo)
        body = {
            "state": combined_state(statuses),
            "statuses": [shapes.commit_status(urls, repo, s, sha) for s in page],
            "sha": sha,
            "total_count": len(latest),
            "repository": shapes.repository(urls, repo),
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        }
        return JSONResponse(body, headers=headers)


async def get_required_status_checks(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        branch = request.path_params["branch"]
        if not repo.protected(branch):
            raise GitHubError(404, "Branch not protected")
        if not repo.required_checks:
            raise GitHubError(404, "Required status checks not enabled")
        return JSONResponse(shapes.status_check_policy(urls_for(request), repo, branch))


async def get_workflow_run(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        run = repo.workflow_runs.get(request.path_params["run_id"])
        if run is None:
            raise GitHubError(404, "Not Found")
        jobs = [
            r
            for r in repo.check_runs.get(run.head_sha, [])
            if r.check_suite_id == run.check_suite_id
        ]
        return JSONResponse(shapes.workflow_run(urls_for(request), repo, run, jobs))


async def get_collaborator_permission(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        login = request.path_params["username"]
        # Someone with no access to a private repository reads as "none", not as an error.
        role = repo.collaborators.get(login, "none")
        return JSONResponse(shapes.collaborator_permission(urls_for(request), repo, login, role))


async def list_pull_files(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        pull = find_pull(repo, request.path_params["number"])
        page, headers = paginate(pull.files, request.url, default_per_page=30)
        urls = urls_for(request)
        return JSONResponse(
            [shapes.diff_entry(urls, repo, pull, path) for path in page], headers=headers
        )


async def get_contents(request: Request) -> Response:
    """Files on the default branch (the sandbox keeps one tree); CODEOWNERS is what is asked."""
    with sandbox_state(request).lock:
        repo = find_repo(request)
        path = request.path_params["path"].strip("/")
        ref = request.query_params.get("ref") or repo.default_branch
        if ref != repo.default_branch or path not in repo.contents:
            raise GitHubError(404, "Not Found")
        body = shapes.content_file(urls_for(request), repo, path, repo.contents[path], ref)
        return JSONResponse(body)


async def get_team_membership(request: Request) -> Response:
    with sandbox_state(request).lock:
        params = request.path_params
        team = f"{params['org']}/{params['team_slug']}".lower()
        members = sandbox_state(request).github.teams.get(team)
        if members is None or params["username"] not in members:
            raise GitHubError(404, "Not Found")
        url = f"{urls_for(request).api}/organizations/{user_id(params['org'])}/team/"
        return JSONResponse(
            {
                "url": f"{url}{user_id(team)}/memberships/{params['username']}",
                "role": "member",
                "state": "active",
            }
        )


ROUTES = [
    Route(REPO + "/pulls/{number:int}", get_pull, methods=["GET"]),
    Route(REPO + "/pulls/{number:int}/reviews", list_reviews, methods=["GET"]),
    Route(REPO + "/issues/{number:int}/labels", list_issue_labels, methods=["GET"]),
    Route(
        REPO + "/branches/{branch:path}/protection/required_pull_request_reviews",
        get_required_reviews,
        methods=["GET"],
    ),
    Route(REPO + "/branches/{branch:path}/protection", get_branch_protection, methods=["GET"]),
    Route(REPO + "/rules/branches/{branch:path}", get_branch_rules, methods=["GET"]),
    Route(REPO + "/commits/{ref:path}/check-runs", list_check_runs, methods=["GET"]),
    Route(REPO + "/commits/{ref:path}/status", get_combined_status, methods=["GET"]),
    Route(
        REPO + "/branches/{branch:path}/protection/required_status_checks",
        get_required_status_checks,
        methods=["GET"],
    ),
    Route(REPO + "/actions/runs/{run_id:int}", get_workflow_run, methods=["GET"]),
    Route(
        REPO + "/collaborators/{username}/permission", get_collaborator_permission, methods=["GET"]
    ),
    Route(REPO + "/pulls/{number:int}/files", list_pull_files, methods=["GET"]),
    Route(REPO + "/contents/{path:path}", get_contents, methods=["GET"]),
    Route(
        "/orgs/{org}/teams/{team_slug}/memberships/{username}", get_team_membership, methods=["GET"]
    ),
]

"""The Checks API writes: `POST /repos/{owner}/{repo}/check-runs` and
`PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}`, as strict as GitHub.

GitHub lets only a GitHub App write check runs: a personal access token or an OAuth token gets
403 "You must authenticate via a GitHub App.". The sandbox tells the two apart the way GitHub's
own token formats do: an installation token starts with `ghs_` (the Actions `GITHUB_TOKEN` is
one, of the `github-actions` app, with `checks: write`); `ghp_` / `github_pat_` (personal),
`gho_` (OAuth), `ghu_` (app user-to-server) and anything unprefixed are not app installations.
Runs created here belong to the `github-actions` app and join that app's check suite on the
commit, so they appear in `GET .../commits/{ref}/check-runs` like any other run.

Validation is GitHub's 422 ("Invalid request."): `name` and `head_sha` required; `status` one of
queued / in_progress / completed; `conclusion` required when completed (and giving a conclusion
completes the run); `output` needs `title` and `summary`; summary and text at most 65535
characters. An unknown commit is 422 "No commit found for SHA: …"; an unknown run 404; another
app's run 403. The admin API (`GET /admin/github/repos/{o}/{r}/check-runs`) lists every run the
Checks API created, with its output, for tests.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.auth import bearer_token
from sandbox.clock import parse_instant
from sandbox.errors import GitHubError
from sandbox.github import shapes
from sandbox.github.model import CHECK_CONCLUSIONS, CheckRun, Repo, user_id
from sandbox.github.rest import find_repo, urls_for
from sandbox.httputil import sandbox_state

REPO = "/repos/{owner}/{repo}"
OUTPUT_MAX = 65535
WRITE_STATUSES = ("queued", "in_progress", "completed")
APP_SLUG = "github-actions"  # the app an installation token acts for in the sandbox


def _require_app(request: Request) -> str:
    token = bearer_token(request.headers.get("authorization"), ("bearer", "token")) or ""
    if not token.startswith("ghs_"):
        raise GitHubError(403, "You must authenticate via a GitHub App.")
    return APP_SLUG


def _invalid(detail: str) -> GitHubError:
    return GitHubError(422, f"Invalid request.\n\n{detail}")


async def _body(request: Request) -> dict[str, Any]:
    try:
        doc = await request.json()
    except ValueError:
        raise GitHubError(400, "Problems parsing JSON") from None
    if not isinstance(doc, dict):
        raise _invalid("For 'links/0/schema', the body is not an object.")
    return doc


def _string(doc: dict[str, Any], key: str, *, limit: int | None = None) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(f"For 'properties/{key}', {value!r} is not a string.")
    if limit is not None and len(value) > limit:
        raise _invalid(f"For 'properties/{key}', it is longer than {limit} characters.")
    return value


def _known_commit(repo: Repo, sha: str, request: Request) -> bool:
    if sha in repo.check_runs or sha in repo.statuses:
        return True
    if any(sha in (p.head_sha, p.merge_commit_sha) for p in repo.pulls.values()):
        return True
    return sha in sandbox_state(request).github.graph(repo).commits


def _apply(run: CheckRun, doc: dict[str, Any], request: Request) -> None:
    """The fields of a create or update body onto `run` (GitHub's rules, checked first)."""
    status = _string(doc, "status")
    conclusion = _string(doc, "conclusion")
    if status is not None and status not in WRITE_STATUSES:
        raise _invalid(f"status: {status!r} is not one of {', '.join(WRITE_STATUSES)}.")
    if conclusion is not None and conclusion not in CHECK_CONCLUSIONS:
        raise _invalid(f"conclusion: {conclusion!r} is not one of {', '.join(CHECK_CONCLUSIONS)}.")
    if conclusion is not None:
        status = "completed"  # GitHub: a conclusion sets the status to completed
    if status == "completed" and conclusion is None and run.conclusion is None:
        raise _invalid("No conclusion was given for a completed check run.")
    output = doc.get("output")
    if output is not None:
        if not isinstance(output, dict):
            raise _invalid("For 'properties/output', it is not an object.")
        title = _string(output, "title")
        summary = _string(output, "summary", limit=OUTPUT_MAX)
        body_text = _string(output, "text", limit=OUTPUT_MAX)
        if title is None or summary is None:
            raise _invalid("output: title and summary are required.")
        run.title, run.summary, run.text = title, summary, body_text
    details_url = _string(doc, "details_url")
    if details_url is not None:
        run.details_url = details_url
    external_id = _string(doc, "external_id")
    if external_id is not None:
        run.external_id = external_id
    name = _string(doc, "name")
    if name is not None:
        run.name = name
    now = sandbox_state(request).now()
    started = _string(doc, "started_at")
    if started is not None:
        run.started_at = parse_instant(started)
    if status is not None:
        run.status = status
    if conclusion is not None:
        run.conclusion = conclusion
    if run.status == "completed":
        completed = _string(doc, "completed_at")
        run.completed_at = parse_instant(completed) if completed else now
    else:
        run.conclusion, run.completed_at = None, None


def _suite_id(repo: Repo, sha: str, app: str) -> int:
    """One check suite per app and commit, as GitHub groups them."""
    return user_id(f"suite:{repo.full_name}:{sha}:{app}")


async def create_check_run(request: Request) -> Response:
    doc = await _body(request)
    state = sandbox_state(request)
    with state.lock:
        repo = find_repo(request)
        app = _require_app(request)
        name, sha = _string(doc, "name"), _string(doc, "head_sha")
        if not name:
            raise _invalid("name wasn't supplied.")
        if not sha:
            raise _invalid("head_sha wasn't supplied.")
        if not _known_commit(repo, sha, request):
            raise GitHubError(422, f"No commit found for SHA: {sha}")
        run = CheckRun(
            id=state.github.next_id(),
            name=name,
            head_sha=sha,
            status="queued",
            conclusion=None,
            app_slug=app,
            details_url=None,
            started_at=state.now(),
            completed_at=None,
            check_suite_id=_suite_id(repo, sha, app),
            created_by_api=True,
        )
        _apply(run, doc, request)
        repo.check_runs.setdefault(sha, []).append(run)
        return JSONResponse(shapes.check_run(urls_for(request), repo, run), status_code=201)


def _find_run(repo: Repo, run_id: int) -> CheckRun:
    for runs in repo.check_runs.values():
        for run in runs:
            if run.id == run_id:
                return run
    raise GitHubError(404, "Not Found")


async def update_check_run(request: Request) -> Response:
    doc = await _body(request)
    with sandbox_state(request).lock:
        repo = find_repo(request)
        app = _require_app(request)
        run = _find_run(repo, request.path_params["check_run_id"])
        if run.app_slug != app:
            raise GitHubError(403, "Resource not accessible by integration")
        _apply(run, doc, request)
        return JSONResponse(shapes.check_run(urls_for(request), repo, run))


async def get_check_run(request: Request) -> Response:
    with sandbox_state(request).lock:
        repo = find_repo(request)
        run = _find_run(repo, request.path_params["check_run_id"])
        return JSONResponse(shapes.check_run(urls_for(request), repo, run))


async def admin_created_runs(request: Request) -> Response:
    """Admin: every check run the Checks API created in the repository, oldest first."""
    with sandbox_state(request).lock:
        repo = find_repo(request)
        runs = sorted(
            (r for runs in repo.check_runs.values() for r in runs if r.created_by_api),
            key=lambda r: r.id,
        )
        return JSONResponse([shapes.check_run(urls_for(request), repo, r) for r in runs])


ROUTES = [
    Route(REPO + "/check-runs", create_check_run, methods=["POST"]),
    Route(REPO + "/check-runs/{check_run_id:int}", update_check_run, methods=["PATCH"]),
    Route(REPO + "/check-runs/{check_run_id:int}", get_check_run, methods=["GET"]),
]
ADMIN_ROUTES = [Route(REPO + "/check-runs", admin_created_runs, methods=["GET"])]

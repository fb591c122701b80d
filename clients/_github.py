"""GitHub: pull request readiness (REST + one GraphQL query) and deployment records."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar, Unpack

import httpx
from pydantic import SecretStr

from clients._base import Options, TokenClient, json_body
from clients._github_models import (
    CheckRun,
    CombinedStatus,
    Comparison,
    DeploymentStatus,
    GitHubDeployment,
    PullRequest,
    RequiredChecks,
    RequiredStatusCheck,
    Review,
    ReviewRequirement,
    ReviewState,
    ReviewThread,
    StatusContext,
    WorkflowRun,
)
from clients._queries import GITHUB_REVIEW_STATE_QUERY
from clients._retry import Retry, retry_after_seconds, transient

__all__ = ["GitHubClient"]

_PER_PAGE = 100
_MAX_PAGES = 100  # 10 000 items: far past any real PR; beyond it something is looping
_CHECK_OUTPUT_MAX = 65535  # GitHub's limit on a check run's output summary and text
_STATUS_DESCRIPTION_MAX = 140  # GitHub rejects longer deployment status descriptions


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class GitHubClient(TokenClient):
    """GitHub REST v3 (2022-11-28) and GraphQL v4. Repositories are given as "owner/name"."""

    provider = "github"

    extra_headers: ClassVar[Mapping[str, str]] = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }

    def __init__(
        self,
        base_url: str,
        token: str | SecretStr,
        *,
        graphql_url: str | None = None,
        **options: Unpack[Options],
    ) -> None:
        super().__init__(base_url, token, **options)
        # GitHub Enterprise Server serves GraphQL at /api/graphql, beside (not under) /api/v3.
        self._graphql_url = graphql_url or f"{self.base_url}/graphql"

    def _retry_on(self, response: httpx.Response) -> Retry | None:
        """Besides 429 and 5xx: the secondary and spent primary rate limits, which GitHub
        answers with 403 (or 429) and `Retry-After` or `x-ratelimit-reset`."""
        limited = _rate_limit_wait(response)
        if limited is not None and response.status_code in (403, 429):
            return Retry(retry_after=limited, lost=False)
        return transient(response)

    def _describe(self, response: httpx.Response) -> tuple[int | str | None, str]:
        body = json_body(response)
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            detail = body["message"]
            if body.get("errors"):
                detail += f" {self._excerpt(json.dumps(body['errors']))}"
            return None, detail
        return None, self._excerpt(response.text)

    # -- pull request ----------------------------------------------------------------------------

    async def get_pull(self, repo: str, number: int) -> PullRequest:
        op = "get_pull"
        response = await self._call(op, "GET", self._repo_url(repo, "pulls", number))
        with self._parsing(op):
            data = response.json()
            return PullRequest(
                number=data["number"],
                title=data["title"],
                body=data.get("body") or "",
                labels=tuple(label["name"] for label in data.get("labels") or ()),
                head_sha=data["head"]["sha"],
                merged=bool(data.get("merged")),
                merge_commit_sha=data.get("merge_commit_sha"),
                base_ref=data["base"]["ref"],
                draft=bool(data.get("draft")),
                html_url=data["html_url"],
                default_branch=(data["base"].get("repo") or {}).get("default_branch"),
            )

    async def list_reviews(self, repo: str, number: int) -> list[Review]:
        """Every review, in GitHub's (chronological) order."""
        op = "list_reviews"
        reviews: list[Review] = []
        async for page in self._pages(op, self._repo_url(repo, "pulls", number, "reviews")):
            with self._parsing(op):
                reviews.extend(
                    Review(
                        id=item["id"],
                        user=(item.get("user") or {}).get("login"),
                        state=item["state"],
                        commit_id=item.get("commit_id"),
                        submitted_at=item.get("submitted_at"),
                    )
                    for item in page
                )
        return reviews

    async def review_requirement(self, repo: str, branch: str) -> ReviewRequirement:
        """Classic branch protection and rulesets can each require reviews; the strictest wins."""
        op = "review_requirement"
        protection, rules = await asyncio.gather(
            self._classic_review_protection(repo, branch),
            self._collect(op, self._repo_url(repo, "rules", "branches", branch), lambda p: p),
        )
        approvals, code_owners, threads, stale = 0, False, False, False
        sources: list[str] = []
        with self._parsing(op):
            if protection is not None:
                sources.append("protection")
                approvals = int(protection.get("required_approving_review_count") or 0)
                code_owners = bool(protection.get("require_code_owner_reviews"))
                stale = bool(protection.get("dismiss_stale_reviews"))
            pull_request_rules = [rule for rule in rules if rule.get("type") == "pull_request"]
            if pull_request_rules:
                sources.append("rulesets")
            for rule in pull_request_rules:
                params = rule.get("parameters") or {}
                approvals = max(approvals, int(params.get("required_approving_review_count") or 0))
                code_owners = code_owners or bool(params.get("require_code_owner_review"))
                threads = threads or bool(params.get("required_review_thread_resolution"))
                stale = stale or bool(params.get("dismiss_stale_reviews_on_push"))
        return ReviewRequirement(
            required_approvals=approvals,
            require_code_owner_reviews=code_owners,
            thread_resolution_required=threads,
            sources=tuple(sources),
            dismiss_stale_reviews=stale,
        )

    async def required_status_checks(self, repo: str, branch: str) -> RequiredChecks:
        """The status checks `branch` requires: classic protection's and the active rulesets'."""
        op = "required_status_checks"
        url = self._repo_url(repo, "branches", branch, "protection", "required_status_checks")
        classic, rules = await asyncio.gather(
            # 404: the branch is not protected, or protected without required checks.
            self._call(op, "GET", url, ok=lambda r: r.is_success or r.status_code == 404),
            self._collect(op, self._repo_url(repo, "rules", "branches", branch), lambda p: p),
        )
        checks: list[RequiredStatusCheck] = []
        sources: list[str] = []

        def app(value: Any) -> int | None:
            return None if value in (None, -1) else int(value)

        with self._parsing(op):
            body = json_body(classic) if classic.status_code != 404 else None
            if isinstance(body, dict):
                listed = body.get("checks") or [
                    {"context": c, "app_id": None} for c in body.get("contexts") or ()
                ]
                checks.extend(
                    RequiredStatusCheck(context=c["context"], app_id=app(c.get("app_id")))
                    for c in listed
                )
                if listed:
                    sources.append("protection")
            for rule in rules:
                if rule.get("type") != "required_status_checks":
                    continue
                params = rule.get("parameters") or {}
                listed = params.get("required_status_checks") or []
                checks.extend(
                    RequiredStatusCheck(context=c["context"], app_id=app(c.get("integration_id")))
                    for c in listed
                )
                if listed and "rulesets" not in sources:
                    sources.append("rulesets")
        return RequiredChecks(checks=tuple(dict.fromkeys(checks)), sources=tuple(sources))

    async def workflow_run(self, repo: str, run_id: int) -> WorkflowRun:
        """An Actions run; its `check_suite_id` names its jobs' check runs."""
        op = "workflow_run"
        response = await self._call(op, "GET", self._repo_url(repo, "actions", "runs", run_id))
        with self._parsing(op):
            data = response.json()
            return WorkflowRun(
                id=data["id"],
                check_suite_id=data.get("check_suite_id"),
                head_sha=data["head_sha"],
                status=data.get("status"),
            )

    async def collaborator_permission(self, repo: str, login: str) -> str:
        """admin | write | read | none — GitHub's own reduction (maintain reads as write)."""
        op = "collaborator_permission"
        url = self._repo_url(repo, "collaborators", login, "permission")
        response = await self._call(op, "GET", url)
        with self._parsing(op):
            return str(response.json()["permission"])

    async def pull_files(self, repo: str, number: int) -> list[str]:
        """Paths the pull request changes (GitHub lists at most 3000)."""
        op = "pull_files"
        url = self._repo_url(repo, "pulls", number, "files")
        files = await self._collect(op, url, lambda page: page)
        with self._parsing(op):
            return [item["filename"] for item in files]

    async def file_text(self, repo: str, path: str, ref: str) -> str | None:
        """A file's text at `ref`, or None when there is no such file."""
        op = "file_text"
        url = self._repo_url(repo, "contents", *path.split("/"))
        response = await self._call(
            op, "GET", url, params={"ref": ref}, ok=lambda r: r.is_success or r.status_code == 404
        )
        if response.status_code == 404:
            return None
        with self._parsing(op):
            data = response.json()
            if data.get("type") != "file" or data.get("encoding") != "base64":
                raise self._fail(op, detail=f"{path} is not a base64 file")
            return base64.b64decode(data["content"]).decode("utf-8", errors="replace")

    async def team_member(self, org: str, team_slug: str, login: str) -> bool:
        op = "team_member"
        url = self._url("orgs", org, "teams", team_slug, "memberships", login)
        response = await self._call(
            op, "GET", url, ok=lambda r: r.is_success or r.status_code == 404
        )
        if response.status_code == 404:
            return False
        with self._parsing(op):
            return response.json().get("state") == "active"

    async def _classic_review_protection(self, repo: str, branch: str) -> dict[str, Any] | None:
        url = self._repo_url(
            repo, "branches", branch, "protection", "required_pull_request_reviews"
        )
        # 404 means "Branch not protected" (or protected without required reviews): no rule here.
        response = await self._call(
            "review_requirement", "GET", url, ok=lambda r: r.is_success or r.status_code == 404
        )
        if response.status_code == 404:
            return None
        body = json_body(response)
        return body if isinstance(body, dict) else {}

    async def review_state(self, repo: str, number: int) -> ReviewState:
        """reviewDecision and every review thread, following GraphQL pagination."""
        op = "review_state"
        owner, name = self._split(repo)
        cursor: str | None = None
        decision: str | None = None
        threads: list[ReviewThread] = []
        for _ in range(_MAX_PAGES):
            variables = {"owner": owner, "name": name, "number": number, "cursor": cursor}
            data = await self._graphql(op, GITHUB_REVIEW_STATE_QUERY, variables)
            with self._parsing(op):
                pull = (data.get("repository") or {}).get("pullRequest")
                if pull is None:
                    raise self._fail(op, detail=f"no pull request {repo}#{number}", not_found=True)
                decision = pull.get("reviewDecision")
                connection = pull["reviewThreads"]
                threads.extend(_thread(node) for node in connection["nodes"] or () if node)
                page_info = connection["pageInfo"]
                if not page_info["hasNextPage"]:
                    return ReviewState(review_decision=decision, threads=tuple(threads))
                following = page_info.get("endCursor")
            if not following or following == cursor:
                raise self._fail(op, detail="review thread pagination did not advance")
            cursor = following
        raise self._fail(op, detail=f"more than {_MAX_PAGES} pages of review threads")

    async def _graphql(self, operation: str, query: str, variables: dict[str, Any]) -> Any:
        # A GraphQL query is a read: POST, but safe to repeat.
        response = await self._call(
            operation, "POST", self._graphql_url, json={"query": query, "variables": variables}
        )
        body = json_body(response)
        if not isinstance(body, dict):
            raise self._fail(operation, status=response.status_code, detail="answer is not JSON")
        errors = body.get("errors")
        if errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            code = first.get("type")
            detail = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
            raise self._fail(
                operation,
                status=response.status_code,
                code=code,
                detail=detail or self._excerpt(str(errors)),
                not_found=code == "NOT_FOUND",
            )
        data = body.get("data")
        if not isinstance(data, dict):
            raise self._fail(operation, status=response.status_code, detail="answer has no data")
        return data

    # -- CI status -------------------------------------------------------------------------------

    async def check_runs(self, repo: str, sha: str) -> list[CheckRun]:
        op = "check_runs"
        url = self._repo_url(repo, "commits", sha, "check-runs")
        runs = await self._collect(op, url, lambda page: page["check_runs"], filter="latest")
        with self._parsing(op):
            return [_check_run(run) for run in runs]

    async def find_check_run(
        self, repo: str, sha: str, name: str, external_id: str | None = None
    ) -> CheckRun | None:
        """The newest check run called `name` on `sha` (with that external_id when given)."""
        runs = [r for r in await self.check_runs(repo, sha) if r.name == name]
        if external_id is not None:
            runs = [r for r in runs if r.external_id == external_id]
        return max(runs, key=lambda r: r.id or 0, default=None)

    async def create_check_run(
        self, repo: str, sha: str, name: str, *, external_id: str, **fields: Any
    ) -> CheckRun:
        """Post a check run (a GitHub App's token only: GitHub refuses PATs with 403). `fields`:
        status, conclusion, output {title, summary, text}, details_url. After a lost answer the
        run is looked up by name + external_id, so a retry never posts a second one."""
        op = "create_check_run"
        body = {"name": name, "head_sha": sha, "external_id": external_id, **_check_fields(fields)}

        def parse(response: httpx.Response) -> CheckRun:
            with self._parsing(op):
                return _check_run(response.json())

        async def read_back() -> CheckRun | None:
            return await self.find_check_run(repo, sha, name, external_id)

        url = self._repo_url(repo, "check-runs")
        return await self._write(op, "POST", url, json=body, parse=parse, read_back=read_back)

    async def update_check_run(self, repo: str, run_id: int, **fields: Any) -> CheckRun:
        """Set a check run's fields; sending the same fields twice changes nothing, so it is
        retried like a read."""
        op = "update_check_run"
        url = self._repo_url(repo, "check-runs", run_id)
        response = await self._call(op, "PATCH", url, json=_check_fields(fields))
        with self._parsing(op):
            return _check_run(response.json())

    async def combined_status(self, repo: str, sha: str) -> CombinedStatus:
        op = "combined_status"
        state, total = "", 0
        statuses: list[StatusContext] = []
        async for page in self._pages(op, self._repo_url(repo, "commits", sha, "status")):
            with self._parsing(op):
                if not statuses:
                    state, total = page["state"], page["total_count"]
                statuses.extend(
                    StatusContext(context=s["context"], state=s["state"]) for s in page["statuses"]
                )
        return CombinedStatus(state=state, total_count=total, statuses=tuple(statuses))

    # -- commit order ----------------------------------------------------------------------------

    async def compare(self, repo: str, base: str, head: str) -> Comparison:
        """Where `head` stands relative to `base` (ahead = head contains base). One commit per
        page is asked for: only the counts and the status are read."""
        op = "compare"
        url = self._repo_url(repo, "compare", f"{base}...{head}")
        response = await self._call(op, "GET", url, params={"per_page": 1})
        with self._parsing(op):
            data = response.json()
            return Comparison(
                status=data["status"],
                ahead_by=int(data["ahead_by"]),
                behind_by=int(data["behind_by"]),
                base_sha=data["base_commit"]["sha"],
                merge_base_sha=data["merge_base_commit"]["sha"],
            )

    # -- deployments -----------------------------------------------------------------------------

    async def find_deployment(
        self, repo: str, sha: str, environment: str, task: str = "deploy"
    ) -> GitHubDeployment | None:
        """The newest deployment of `sha` to `environment` for `task`, if there is one."""
        found = await self.list_deployments(repo, environment, task, sha=sha)
        return found[0] if found else None

    async def list_deployments(
        self, repo: str, environment: str, task: str = "deploy", *, sha: str | None = None
    ) -> list[GitHubDeployment]:
        """The environment's deployments for `task` (of `sha` only, when given), newest first
        (the first page: the newest 100)."""
        op = "find_deployment" if sha else "list_deployments"
        params: dict[str, str | int] = {
            **({"sha": sha} if sha else {}),
            "environment": environment,
            "task": task,
            "per_page": _PER_PAGE,
        }
        response = await self._call(op, "GET", self._repo_url(repo, "deployments"), params=params)
        with self._parsing(op):
            found = [
                _deployment(item)
                for item in response.json()
                if item["environment"] == environment
                and item["task"] == task
                and (sha is None or item["sha"] == sha)
            ]
        return sorted(found, key=lambda d: d.id, reverse=True)

    async def latest_deployment_status(
        self, repo: str, deployment_id: int
    ) -> DeploymentStatus | None:
        """The deployment's newest status, or None when it has none."""
        op = "latest_deployment_status"
        url = self._repo_url(repo, "deployments", deployment_id, "statuses")
        response = await self._call(op, "GET", url, params={"per_page": _PER_PAGE})
        with self._parsing(op):
            statuses = [_status(item) for item in response.json()]
        return max(statuses, key=lambda s: s.id, default=None)

    async def create_deployment(
        self,
        repo: str,
        sha: str,
        environment: str,
        *,
        description: str,
        payload: dict[str, Any],
        task: str = "deploy",
        production_environment: bool,
    ) -> GitHubDeployment:
        """Record a deployment of `sha`. GitHub's defaults would auto-merge the default branch into
        the ref and demand every status context be green; both are switched off."""
        op = "create_deployment"
        body = {
            "ref": sha,
            "task": task,
            "auto_merge": False,
            "required_contexts": [],
            "payload": payload,
            "environment": environment,
            "description": description,
            "production_environment": production_environment,
        }

        def parse(response: httpx.Response) -> GitHubDeployment:
            if response.status_code != 201:  # 202: GitHub merged instead of deploying
                raise self._error_for(op, response, note="no deployment was created")
            with self._parsing(op):
                return _deployment(response.json())

        async def read_back() -> GitHubDeployment | None:
            # Same ref, environment, task, description and payload: this write, or an identical one.
            found = await self.find_deployment(repo, sha, environment, task)
            if found and (found.description or "") == description and found.payload == payload:
                return found
            return None

        return await self._write(
            op,
            "POST",
            self._repo_url(repo, "deployments"),
            json=body,
            parse=parse,
            read_back=read_back,
        )

    async def create_deployment_status(
        self,
        repo: str,
        deployment_id: int,
        state: str,
        *,
        description: str,
        log_url: str | None = None,
        environment_url: str | None = None,
    ) -> DeploymentStatus:
        op = "create_deployment_status"
        description = _truncate(description, _STATUS_DESCRIPTION_MAX)
        body: dict[str, Any] = {"state": state, "description": description}
        if log_url is not None:
            body["log_url"] = log_url
        if environment_url is not None:
            body["environment_url"] = environment_url
        url = self._repo_url(repo, "deployments", deployment_id, "statuses")

        def parse(response: httpx.Response) -> DeploymentStatus:
            with self._parsing(op):
                return _status(response.json())

        async def read_back() -> DeploymentStatus | None:
            listed = await self._call(op, "GET", url, params={"per_page": _PER_PAGE})
            with self._parsing(op):
                statuses = [_status(item) for item in listed.json()]
            newest = max(statuses, key=lambda s: s.id, default=None)
            if newest and newest.state == state and newest.description == description:
                return newest
            return None

        return await self._write(op, "POST", url, json=body, parse=parse, read_back=read_back)

    # -- plumbing --------------------------------------------------------------------------------

    def _split(self, repo: str) -> tuple[str, str]:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be 'owner/name', got {repo!r}")
        return owner, name

    def _repo_url(self, repo: str, *rest: str | int) -> str:
        return self._url("repos", *self._split(repo), *rest)

    async def _pages(self, operation: str, url: str, **params: str | int) -> AsyncIterator[Any]:
        """Each page's decoded body, following the Link header's rel="next"."""
        next_url: str | None = url
        query: dict[str, str | int] | None = {**params, "per_page": _PER_PAGE}
        for _ in range(_MAX_PAGES):
            assert next_url is not None
            response = await self._call(operation, "GET", next_url, params=query)
            yield json_body(response)
            link = response.links.get("next", {}).get("url")
            if not link:
                return
            next_url, query = self._follow(operation, response, link), None
        raise self._fail(operation, detail=f"more than {_MAX_PAGES} pages")

    async def _collect(
        self,
        operation: str,
        url: str,
        items: Callable[[Any], list[Any]],
        **params: str | int,
    ) -> list[Any]:
        collected: list[Any] = []
        async for page in self._pages(operation, url, **params):
            with self._parsing(operation):
                collected.extend(items(page))
        return collected


def _check_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A check run body with GitHub's limits kept: summary and text at most 65535 characters."""
    body = {k: v for k, v in fields.items() if v is not None}
    output = body.get("output")
    if isinstance(output, Mapping):
        body["output"] = {
            k: _truncate(v, _CHECK_OUTPUT_MAX) if isinstance(v, str) and k != "title" else v
            for k, v in output.items()
            if v is not None
        }
    return body


def _check_run(run: dict[str, Any]) -> CheckRun:
    return CheckRun(
        name=run["name"],
        status=run["status"],
        conclusion=run.get("conclusion"),
        app_slug=(run.get("app") or {}).get("slug"),
        app_id=(run.get("app") or {}).get("id"),
        check_suite_id=(run.get("check_suite") or {}).get("id"),
        id=run.get("id"),
        external_id=run.get("external_id") or None,
        html_url=run.get("html_url"),
    )


def _rate_limit_wait(response: httpx.Response) -> float | None:
    after = retry_after_seconds(response)
    if after is not None:
        return after
    if response.headers.get("x-ratelimit-remaining") == "0":
        reset = response.headers.get("x-ratelimit-reset", "")
        if reset.isdigit():
            return max(0.0, int(reset) - time.time())
    return None


def _thread(node: dict[str, Any]) -> ReviewThread:
    comments = (node.get("comments") or {}).get("nodes") or []
    first = comments[0] if comments and comments[0] else {}
    return ReviewThread(
        is_resolved=node["isResolved"],
        is_outdated=node["isOutdated"],
        path=node["path"],
        author=(first.get("author") or {}).get("login"),
        body=first.get("body") or "",
    )


def _deployment(item: dict[str, Any]) -> GitHubDeployment:
    payload = item.get("payload")
    if isinstance(payload, str):
        # The API accepts a payload as a JSON string and may hand it back that way.
        try:
            payload = json.loads(payload) if payload else {}
        except json.JSONDecodeError:
            payload = {"raw": payload}
    return GitHubDeployment(
        id=item["id"],
        sha=item["sha"],
        environment=item["environment"],
        task=item["task"],
        description=item.get("description"),
        payload=payload if isinstance(payload, dict) else {},
    )


def _status(item: dict[str, Any]) -> DeploymentStatus:
    return DeploymentStatus(
        id=item["id"], state=item["state"], description=item.get("description") or ""
    )

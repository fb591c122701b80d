"""SandboxControl: a small synchronous client for the sandbox's admin API.

It only speaks HTTP (no server imports), so tests, demos and scripts can drive a sandbox
running in-process, in another process or in a container alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from sandbox.control_appstore import AppStoreControl
from sandbox.control_play import PlayControl, PlayControlError
from sandbox.control_sources import FreezeSourcesControl

__all__ = ["PlayControlError", "SandboxAdminError", "SandboxControl"]

# The sample Worker: a complete wrangler project (package data), and its entry module, uploaded
# as a new version by cf_upload_version().
SAMPLE_WORKER_DIR = Path(__file__).with_name("sample-worker")
SAMPLE_WORKER = SAMPLE_WORKER_DIR / "src" / "index.js"
FALLBACK_MODULE = "export default { async fetch() { return new Response('ok'); } };\n"
CHECKS = ("lint", "test", "build")


class SandboxAdminError(RuntimeError):
    """The admin API refused a request (bad input, unknown script, ...)."""


class SandboxControl(FreezeSourcesControl, PlayControl, AppStoreControl):  # + App Store, Sentry
    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    # -- plumbing --------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxControl:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self._http.request(
            method, f"/_sandbox{path}", json=body, params={k: v for k, v in params.items() if v}
        )
        if response.is_error:
            raise SandboxAdminError(
                f"sandbox admin {method} {path}: {response.status_code} {response.text}"
            )
        return response.json()

    # -- whole world -----------------------------------------------------------------------
    def reset(self) -> None:
        self._call("POST", "/reset")

    def seed(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/seed", dict(doc))
        return result

    # -- GitHub ----------------------------------------------------------------------------
    def github_repo(
        self,
        repo: str,
        *,
        default_branch: str = "main",
        required_approvals: int = 1,
        via: str = "protection",
        thread_resolution: bool = True,
        required_checks: Iterable[str | Mapping[str, Any]] = (),
        dismiss_stale_reviews: bool = False,
        require_code_owner_reviews: bool = False,
        collaborators: Mapping[str, str] | None = None,
        codeowners: str | None = None,
        teams: Mapping[str, Iterable[str]] | None = None,
    ) -> dict[str, Any]:
        """Create or reconfigure a repository's merge rules: reviews, required status checks
        (names, or {"context", "app_id"}), code owners (CODEOWNERS text), collaborator roles."""
        result: dict[str, Any] = self._call(
            "PUT",
            f"/github/repos/{repo}",
            {
                "default_branch": default_branch,
                "required_approvals": required_approvals,
                "via": via,
                "thread_resolution": thread_resolution,
                "required_checks": [c if isinstance(c, str) else dict(c) for c in required_checks],
                "dismiss_stale_reviews": dismiss_stale_reviews,
                "require_code_owner_reviews": require_code_owner_reviews,
                "collaborators": dict(collaborators or {}),
                "codeowners": codeowners,
                "teams": {k: list(v) for k, v in (teams or {}).items()},
            },
        )
        return result

    def github_pull(
        self,
        repo: str,
        number: int,
        *,
        head_sha: str,
        merge_commit_sha: str | None = None,
        title: str = "",
        body: str = "",
        labels: Iterable[str] = (),
        merged: bool = True,
        reviews: Iterable[Mapping[str, Any]] = (),
        threads: Iterable[Mapping[str, Any]] = (),
        base_ref: str | None = None,
        files: Iterable[str] = ("src/index.ts",),
    ) -> dict[str, Any]:
        """A pull request; each review may carry the reviewer's `permission` (default write)."""
        extra: dict[str, Any] = {"base_ref": base_ref} if base_ref else {}
        result: dict[str, Any] = self._call(
            "PUT",
            f"/github/repos/{repo}/pulls/{number}",
            {
                **extra,
                "files": list(files),
                "head_sha": head_sha,
                "merge_commit_sha": merge_commit_sha,
                "title": title or None,
                "body": body,
                "labels": list(labels),
                "merged": merged,
                "reviews": [dict(r) for r in reviews],
                "threads": [dict(t) for t in threads],
            },
        )
        return result

    def github_checks(
        self,
        repo: str,
        sha: str,
        *,
        check_runs: Iterable[Mapping[str, Any]] = (),
        statuses: Iterable[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "PUT",
            f"/github/repos/{repo}/commits/{sha}/checks",
            {"check_runs": [dict(c) for c in check_runs], "statuses": [dict(s) for s in statuses]},
        )
        return result

    def github_workflow_run(
        self,
        repo: str,
        sha: str,
        *,
        name: str = "Release",
        jobs: Iterable[Mapping[str, Any]] = ({"name": "deploy", "status": "in_progress"},),
    ) -> dict[str, Any]:
        """An Actions workflow run on `sha` whose jobs are check runs of its own suite; returns
        {"id", "check_suite_id"} (the id is what CI sees as GITHUB_RUN_ID)."""
        result: dict[str, Any] = self._call(
            "POST",
            f"/github/repos/{repo}/actions/runs",
            {"head_sha": sha, "name": name, "jobs": [dict(j) for j in jobs]},
        )
        return result

    def github_check_run(
        self,
        repo: str,
        sha: str,
        name: str,
        *,
        status: str = "completed",
        conclusion: str | None = None,
    ) -> dict[str, Any]:
        """Move the newest check run called `name` on `sha` on (e.g. a running check finishes)."""
        doc: dict[str, Any] = {"name": name, "status": status}
        if conclusion is not None:
            doc["conclusion"] = conclusion
        result: dict[str, Any] = self._call(
            "PATCH", f"/github/repos/{repo}/commits/{sha}/check-run", doc
        )
        return result

    def github_commit(
        self,
        repo: str,
        sha: str,
        *,
        parents: Iterable[str] = (),
        branch: str | None = None,
        message: str = "",
    ) -> dict[str, Any]:
        """Add a commit to the repository's history (e.g. an emergency fix pushed beside the
        release); `branch` moves that branch's tip to it."""
        result: dict[str, Any] = self._call(
            "PUT",
            f"/github/repos/{repo}/commits/{sha}",
            {"parents": list(parents), "branch": branch, "message": message or None},
        )
        return result

    def ready_pull(
        self,
        repo: str,
        number: int,
        sha: str,
        *,
        labels: Iterable[str] = (),
        body: str = "",
        triggering_job: bool = True,
    ) -> dict[str, Any]:
        """A pull request that passes every readiness check: merged as `sha`, approved by one
        reviewer, green check runs (lint, test, build), no commit statuses, no open threads.
        With `triggering_job`, CI's release job is also on the commit, in progress — as it is
        on GitHub while that job triggers the release; its run id is returned as `ci_run_id`."""
        self.github_checks(
            repo, sha, check_runs=[{"name": n, "conclusion": "success"} for n in CHECKS]
        )
        ci_run_id = self.github_workflow_run(repo, sha)["id"] if triggering_job else None
        return {"ci_run_id": ci_run_id} | self.github_pull(
            repo,
            number,
            head_sha=sha,
            merge_commit_sha=sha,
            labels=labels,
            body=body,
            merged=True,
            reviews=[{"user": "reviewer-1", "state": "APPROVED", "commit_id": sha}],
        )

    def github_deployments(self, repo: str) -> list[dict[str, Any]]:
        """Deployments as recorded, newest first, including the auto_merge and
        required_contexts that were sent (GitHub does not echo those back)."""
        result: list[dict[str, Any]] = self._call("GET", f"/github/repos/{repo}/deployments")
        return result

    def github_created_check_runs(self, repo: str) -> list[dict[str, Any]]:
        """Check runs an app created through the Checks API, oldest first, as GitHub shows them
        (output title, summary and text included)."""
        result: list[dict[str, Any]] = self._call("GET", f"/github/repos/{repo}/check-runs")
        return result

    # -- Cloudflare ------------------------------------------------------------------------
    def cf_script(
        self,
        account: str,
        script: str,
        *,
        secrets: Iterable[str] | Mapping[str, str] = (),
        requests_per_second: float | None = None,
    ) -> str:
        """Create (or recreate) a script with one deployed version; returns that version's id."""
        doc: dict[str, Any] = {
            "secrets": dict(secrets) if isinstance(secrets, Mapping) else list(secrets)
        }
        if requests_per_second is not None:
            doc["requests_per_second"] = requests_per_second
        result = self._call("PUT", f"/cloudflare/accounts/{account}/scripts/{script}", doc)
        return str(result["version_id"])

    def cf_upload_version(
        self, account: str, script: str, *, message: str = "", token: str, tag: str | None = None
    ) -> str:
        """Upload a new, undeployed version through the real versions endpoint, as CI's
        `wrangler versions upload` does; returns the version id."""
        module = SAMPLE_WORKER.read_text() if SAMPLE_WORKER.exists() else FALLBACK_MODULE
        annotations = {"workers/message": message} if message else {}
        if tag:
            annotations["workers/tag"] = tag
        metadata = {
            "main_module": "index.js",
            "compatibility_date": "2025-01-01",
            "bindings": [],
            "annotations": annotations,
        }
        response = self._http.post(
            f"/cloudflare/client/v4/accounts/{account}/workers/scripts/{script}/versions",
            headers={"Authorization": f"Bearer {token}"},
            files={
                "metadata": (None, json.dumps(metadata), "application/json"),
                "index.js": ("index.js", module, "application/javascript+module"),
            },
        )
        try:
            envelope = response.json()
        except ValueError:
            envelope = {"body": response.text}
        if response.is_error or not envelope.get("success"):
            raise SandboxAdminError(f"version upload failed: {response.status_code} {envelope}")
        return str(envelope["result"]["id"])

    def cf_deployments(self, account: str, script: str) -> list[dict[str, Any]]:
        """The script's deployments, newest (live) first, in the API's shape."""
        result: list[dict[str, Any]] = self._call(
            "GET", f"/cloudflare/accounts/{account}/scripts/{script}/deployments"
        )
        return result

    def cf_versions(self, account: str, script: str) -> list[dict[str, Any]]:
        """Versions newest first, with their behaviour and secret names."""
        result: list[dict[str, Any]] = self._call(
            "GET", f"/cloudflare/accounts/{account}/scripts/{script}/versions"
        )
        return result

    # -- sample Worker ---------------------------------------------------------------------
    def worker_behaviour(
        self,
        script: str,
        version_id: str,
        *,
        health: str = "ok",
        error_rate: float = 0.0,
        key_flow: str = "ok",
    ) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "PUT",
            f"/workers/{script}/versions/{version_id}/behaviour",
            {"health": health, "error_rate": error_rate, "key_flow": key_flow},
        )
        return result

    def worker_traffic(self, script: str, rps: float) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "PUT", f"/workers/{script}/traffic", {"requests_per_second": rps}
        )
        return result

    # -- faults and the request log --------------------------------------------------------
    def add_fault(self, target: str, kind: str, **opts: Any) -> str:
        """Add a fault (see README for the options); returns its id."""
        result = self._call("POST", "/faults", {"target": target, "kind": kind, **opts})
        return str(result["id"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/faults")
        return result

    def slack_messages(self) -> list[dict[str, Any]]:
        """Every message posted to a Slack incoming webhook of the sandbox, in order."""
        result: list[dict[str, Any]] = self._call("GET", "/slack/messages")
        return result

    def requests(self, target: str | None = None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/requests", target=target)
        return result

    def credentials_seen(self) -> list[str]:
        """Every credential value callers have sent since the sandbox started (Authorization
        values without their scheme, Google grant assertions), resets or not."""
        result: list[str] = self._call("GET", "/credentials-seen")
        return result

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

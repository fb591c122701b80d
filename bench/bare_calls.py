"""The same provider calls the workers-deploy pipeline makes, with httpx alone: no Prefect, no
retries, no models. The benchmark's yardstick for orchestration overhead."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

GRAPHQL_THREADS = (
    "query($owner:String!,$name:String!,$number:Int!,$cursor:String){repository(owner:$owner,"
    "name:$name){pullRequest(number:$number){reviewDecision reviewThreads(first:100,after:$cursor)"
    "{totalCount pageInfo{hasNextPage endCursor} nodes{isResolved isOutdated path "
    "comments(first:1){nodes{author{login} body}}}}}}}"
)
GRAPHQL_ANALYTICS = (
    "query($accountTag:string,$scriptName:string,$start:string,$end:string){viewer{accounts("
    "filter:{accountTag:$accountTag}){workersInvocationsAdaptive(limit:1000,filter:{scriptName:"
    "$scriptName,datetime_geq:$start,datetime_leq:$end}){sum{requests errors} dimensions{status}}}}}"
)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def release(
    sandbox_url: str,
    gh_token: str,
    cf_token: str,
    params: dict[str, Any],
    repo: str,
    account: str,
    scripts: dict[str, str],
    window_checks: int = 1,
) -> None:
    gh = httpx.Client(
        base_url=f"{sandbox_url}/github", headers={"Authorization": f"Bearer {gh_token}"}
    )
    cf = httpx.Client(
        base_url=f"{sandbox_url}/cloudflare/client/v4",
        headers={"Authorization": f"Bearer {cf_token}"},
    )
    worker = httpx.Client(base_url=f"{sandbox_url}/workers")
    owner, name = repo.split("/")
    sha, pr = params["git_sha"], params["pr_number"]
    with gh, cf, worker:
        # checklist
        gh.get(f"/repos/{repo}/pulls/{pr}").raise_for_status()
        gh.get(f"/repos/{repo}/pulls/{pr}/reviews", params={"per_page": 100})
        gh.get(f"/repos/{repo}/branches/main/protection/required_pull_request_reviews")
        gh.get(f"/repos/{repo}/rules/branches/main")
        gh.get(f"/repos/{repo}/branches/main/protection/required_status_checks")
        gh.get(f"/repos/{repo}/rules/branches/main")
        if params.get("ci_run_id"):
            gh.get(f"/repos/{repo}/actions/runs/{params['ci_run_id']}")
        gh.get(f"/repos/{repo}/collaborators/reviewer-1/permission")
        gh.post(
            "/graphql",
            json={
                "query": GRAPHQL_THREADS,
                "variables": {"owner": owner, "name": name, "number": pr, "cursor": None},
            },
        )
        gh.get(
            f"/repos/{repo}/commits/{sha}/check-runs", params={"filter": "latest", "per_page": 100}
        )
        gh.get(f"/repos/{repo}/commits/{sha}/status")
        for env, version in params["version_ids"].items():
            cf.get(
                f"/accounts/{account}/workers/scripts/{scripts[env]}/versions/{version}"
            ).raise_for_status()
        for env in ("sandbox", "production"):
            if env not in params["version_ids"]:
                continue
            script, version = scripts[env], params["version_ids"][env]
            base = f"/accounts/{account}/workers/scripts/{script}"
            gh.get(
                f"/repos/{repo}/deployments",
                params={"sha": sha, "environment": env, "task": "deploy"},
            )
            dep = gh.post(
                f"/repos/{repo}/deployments",
                json={
                    "ref": sha,
                    "environment": env,
                    "auto_merge": False,
                    "required_contexts": [],
                    "task": "deploy",
                    "description": "bench",
                    "payload": {},
                },
            ).json()
            gh.post(
                f"/repos/{repo}/deployments/{dep['id']}/statuses", json={"state": "in_progress"}
            )
            if env == "production":  # production order: the live version's tag vs this sha
                live = cf.get(f"{base}/deployments").json()["result"]["deployments"][0]
                live_id = live["versions"][0]["version_id"]
                tag = (
                    cf.get(f"{base}/versions/{live_id}")
                    .json()["result"]["annotations"]
                    .get("workers/tag")
                )
                if tag and tag != sha:
                    gh.get(f"/repos/{repo}/compare/{tag}...{sha}", params={"per_page": 1})
            cf.get(f"{base}/deployments")
            cf.get(f"{base}/deployments")
            cf.post(
                f"{base}/deployments",
                json={
                    "strategy": "percentage",
                    "versions": [{"version_id": version, "percentage": 100}],
                    "annotations": {"workers/message": "bench"},
                },
            ).raise_for_status()
            cf.get(f"{base}/deployments")
            now = datetime.now(UTC)
            if env == "production":
                cf.post(
                    "/graphql",
                    json={
                        "query": GRAPHQL_ANALYTICS,
                        "variables": {
                            "accountTag": account,
                            "scriptName": script,
                            "start": _iso(now - timedelta(seconds=30)),
                            "end": _iso(now),
                        },
                    },
                )
            for _ in range(window_checks):
                worker.get(f"/{script}/health").raise_for_status()
                challenge = worker.post(f"/{script}/challenge", json={}).json()
                proof = hashlib.sha256(challenge["nonce"].encode()).hexdigest()
                token = worker.post(
                    f"/{script}/proof",
                    json={"challenge_id": challenge["challenge_id"], "proof": proof},
                ).json()["proof_token"]
                worker.post(
                    f"/{script}/verification", json={"proof_token": token}
                ).raise_for_status()
                if env == "production":  # since the deploy, and the sliding window
                    for _ in range(2):
                        cf.post(
                            "/graphql",
                            json={
                                "query": GRAPHQL_ANALYTICS,
                                "variables": {
                                    "accountTag": account,
                                    "scriptName": script,
                                    "start": _iso(now),
                                    "end": _iso(datetime.now(UTC)),
                                },
                            },
                        )
            gh.post(f"/repos/{repo}/deployments/{dep['id']}/statuses", json={"state": "success"})

"""Constants and small helpers shared by the sandbox tests."""

from __future__ import annotations

import httpx

GH_TOKEN = "gh-test-token"
CF_TOKEN = "cf-test-token"
REPO = "acme/auth-api"
ACCOUNT = "acct"
SCRIPT = "auth-api-production"
SHA = "0123456789abcdef0123456789abcdef01234567"


def script_path(suffix: str = "") -> str:
    return f"/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}{suffix}"


def deploy(cf: httpx.Client, split: dict[str, float], message: str = "deploy") -> httpx.Response:
    return cf.post(
        script_path("/deployments"),
        json={
            "strategy": "percentage",
            "versions": [{"version_id": v, "percentage": p} for v, p in split.items()],
            "annotations": {"workers/message": message},
        },
    )


def live_versions(cf: httpx.Client) -> dict[str, float]:
    deployments = cf.get(script_path("/deployments")).json()["result"]["deployments"]
    return {v["version_id"]: v["percentage"] for v in deployments[0]["versions"]}

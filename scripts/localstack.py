"""The local stack's glue: seed the sandbox from the policy, and play CI for a release.

Used by `make run`, `make demo`, the benchmark and the scenario tests, so all four exercise the
same set-up. It lives beside the stack rather than in `relctl/`: it drives the sandbox, a dev/local
package, and nothing in the product calls it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from procedure.policy import Policy
from sandbox.control import SandboxControl


def seed_document(policy: Policy) -> dict[str, Any]:
    repos = sorted({svc.repo for svc in policy.services.values()})
    accounts: dict[str, list[dict[str, Any]]] = {}
    for svc in policy.services.values():
        for env in svc.environments.values():
            accounts.setdefault(svc.account_id, []).append({"name": env.script, "secrets": []})
    return {
        "github": {
            "repos": [
                {
                    "repo": r,
                    "default_branch": "main",
                    "required_approvals": 1,
                    "via": "protection",
                    "thread_resolution": True,
                    "required_checks": ["lint", "test", "build"],
                }
                for r in repos
            ]
        },
        "cloudflare": {"accounts": [{"id": a, "scripts": s} for a, s in accounts.items()]},
    }


def random_sha() -> str:
    return secrets.token_hex(20)


@dataclass(frozen=True)
class PreparedRelease:
    parameters: dict[str, Any]
    previous_versions: dict[str, str]  # environment → version live before


def prepare_release(
    control: SandboxControl,
    policy: Policy,
    service: str,
    *,
    cloudflare_token: str,
    pr_number: int = 42,
    sha: str | None = None,
    labels: tuple[str, ...] = (),
    body: str = "",
    significant: bool | None = None,
) -> PreparedRelease:
    """What CI does before it calls the orchestrator: the PR is merged and green, and one version
    per environment is uploaded without traffic (`wrangler versions upload`). CI's own release
    job is on the commit, in progress, and its run id goes with the parameters (GITHUB_RUN_ID)."""
    svc = policy.service(service)
    sha = sha or random_sha()
    pull = control.ready_pull(svc.repo, pr_number, sha, labels=labels, body=body)
    version_ids: dict[str, str] = {}
    previous: dict[str, str] = {}
    for env in svc.deploy_order:
        script = svc.environments[env].script
        live = control.cf_deployments(svc.account_id, script)
        if live:
            previous[env] = live[0]["versions"][0]["version_id"]
        # `wrangler versions upload --tag <sha> --message …`, as CI runs it
        version_ids[env] = control.cf_upload_version(
            svc.account_id,
            script,
            message=f"{sha[:12]} PR #{pr_number}",
            token=cloudflare_token,
            tag=sha,
        )
    params: dict[str, Any] = {
        "service": service,
        "git_sha": sha,
        "pr_number": pr_number,
        "version_ids": version_ids,
    }
    if significant is not None:
        params["significant"] = significant
    if pull.get("ci_run_id"):
        params["ci_run_id"] = pull["ci_run_id"]
    return PreparedRelease(params, previous)

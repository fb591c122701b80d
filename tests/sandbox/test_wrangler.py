"""The real wrangler CLI (pinned in package.json) against the sandbox's Cloudflare API.

The procedure's Manual Emergency Deployment is `cd <repo> && wrangler deploy --env production`;
these tests run exactly that on a copy of the sandbox's `sample-worker/` (script `verifier-production`),
plus `deployments list`, `versions list` and `rollback`, and check the sandbox's state and its
sample Worker follow. Each wrangler run takes ~1 s (Node start-up), so runs are kept few.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.control import SAMPLE_WORKER_DIR, SandboxControl
from sandbox.server import RunningSandbox
from tests.sandbox.helpers import ACCOUNT, CF_TOKEN

ROOT = Path(__file__).resolve().parents[2]
WRANGLER = ROOT / "node_modules" / ".bin" / "wrangler"
SAMPLE_WORKER = SAMPLE_WORKER_DIR
SCRIPT = "verifier-production"  # name = "verifier", [env.production] without a name override
ANSI = re.compile(r"\x1b\[[0-9;]*m")
TIMEOUT_S = 60

pytestmark = pytest.mark.skipif(
    not WRANGLER.exists() or shutil.which("node") is None,
    reason="wrangler is not installed: run `npm ci --no-audit --no-fund` at the repository root "
    "(the Makefile does) to get node_modules/.bin/wrangler",
)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    entries: list[dict[str, Any]]  # this run's ND-JSON output entries (WRANGLER_OUTPUT_FILE_PATH)

    def entry(self, kind: str) -> dict[str, Any]:
        found = [e for e in self.entries if e.get("type") == kind]
        assert found, f"no {kind!r} entry in wrangler's output file: {self.entries}"
        return found[-1]


class Wrangler:
    """Runs the pinned wrangler in a copy of the sample Worker project, pointed at the sandbox."""

    def __init__(self, sandbox_url: str, workdir: Path) -> None:
        self.project = workdir / "verifier"
        shutil.copytree(SAMPLE_WORKER, self.project)
        self.output = workdir / "wrangler-output.ndjson"
        home = workdir / "home"
        home.mkdir()
        # Only what wrangler needs: nothing inherited can point it elsewhere (CLOUDFLARE_ENV, ...).
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "CLOUDFLARE_API_TOKEN": CF_TOKEN,
            "CLOUDFLARE_ACCOUNT_ID": ACCOUNT,
            "CLOUDFLARE_API_BASE_URL": f"{sandbox_url}/cloudflare/client/v4",
            "WRANGLER_OUTPUT_FILE_PATH": str(self.output),
            "WRANGLER_SEND_METRICS": "false",
            "WRANGLER_SEND_ERROR_REPORTS": "false",
            "WRANGLER_HIDE_BANNER": "true",  # the banner is what runs the npm update check
            "CI": "true",
            "FORCE_COLOR": "0",
        }

    def __call__(self, *args: str, env: dict[str, str | None] | None = None) -> Run:
        before = self.output.read_text().count("\n") if self.output.exists() else 0
        run_env = {**self.env, **(env or {})}
        done = subprocess.run(
            [str(WRANGLER), *args],
            cwd=self.project,
            env={k: v for k, v in run_env.items() if v is not None},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
        lines = self.output.read_text().splitlines()[before:] if self.output.exists() else []
        return Run(
            done.returncode,
            ANSI.sub("", done.stdout),
            ANSI.sub("", done.stderr),
            [json.loads(line) for line in lines if line.strip()],
        )

    def ok(self, *args: str, env: dict[str, str | None] | None = None) -> Run:
        run = self(*args, env=env)
        assert run.returncode == 0, f"wrangler {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"
        return run


@pytest.fixture
def wrangler(sandbox: RunningSandbox, control: SandboxControl, tmp_path: Path) -> Wrangler:
    return Wrangler(sandbox.url, tmp_path)


@pytest.fixture(scope="module")
def worker_http(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.url}/workers/{SCRIPT}") as client:
        yield client


def live(control: SandboxControl) -> dict[str, float]:
    newest = control.cf_deployments(ACCOUNT, SCRIPT)[0]
    return {v["version_id"]: v["percentage"] for v in newest["versions"]}


def serving_version(worker_http: httpx.Client) -> str:
    response = worker_http.get("/health")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok"
    return str(body["version_id"])


def wrangler_calls(control: SandboxControl) -> list[tuple[str, str, int]]:
    return [
        (e["method"], e["path"], e["status"])
        for e in control.requests("cloudflare")
        if e["headers"].get("user-agent", "").startswith("wrangler/")
    ]


def test_first_emergency_deploy_creates_the_worker_and_serves_it(
    wrangler: Wrangler, control: SandboxControl, worker_http: httpx.Client
) -> None:
    control.seed({"cloudflare": {"accounts": [{"id": ACCOUNT}]}})

    run = wrangler.ok("deploy", "--env", "production")

    deployed = run.entry("deploy")
    assert deployed["worker_name"] == SCRIPT
    assert deployed["wrangler_environment"] == "production"
    assert deployed["targets"] == [f"https://{SCRIPT}.sandbox.workers.dev"]
    version_id = deployed["version_id"]
    assert f"Current Version ID: {version_id}" in run.stdout
    assert live(control) == {version_id: 100.0}
    assert serving_version(worker_http) == version_id
    [version] = control.cf_versions(ACCOUNT, SCRIPT)
    assert version["metadata"]["source"] == "wrangler"

    calls = wrangler_calls(control)
    path = f"/accounts/{ACCOUNT}/workers"
    # A Worker that does not exist yet: 10090 from services, 10007 from the script's endpoints,
    # so wrangler uploads with the all-at-once PUT; everything else must be answered.
    assert {(m, p) for m, p, status in calls if status >= 400} == {
        ("GET", f"{path}/services/{SCRIPT}"),
        ("GET", f"{path}/scripts/{SCRIPT}/deployments"),
        ("GET", f"{path}/scripts/{SCRIPT}/settings"),
    }
    assert ("PUT", f"{path}/scripts/{SCRIPT}", 200) in calls
    assert ("POST", f"{path}/scripts/{SCRIPT}/subdomain", 200) in calls


def test_emergency_deploy_lists_and_rollback_on_an_existing_worker(
    wrangler: Wrangler, control: SandboxControl, worker_http: httpx.Client
) -> None:
    previous = control.cf_script(ACCOUNT, SCRIPT, secrets=["SIGNING_KEY"])

    run = wrangler.ok("deploy", "--env", "production", "--message", "hotfix INC-7")

    new = run.entry("deploy")["version_id"]
    assert new != previous
    assert live(control) == {new: 100.0}
    assert serving_version(worker_http) == new
    newest = control.cf_versions(ACCOUNT, SCRIPT)[0]
    assert newest["id"] == new
    assert newest["secrets"] == ["SIGNING_KEY"]  # deployments never delete secrets
    # An existing Worker goes through the versions and deployments APIs, not the PUT.
    path = f"/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}"
    calls = wrangler_calls(control)
    assert ("POST", f"{path}/versions", 200) in calls
    assert ("POST", f"{path}/deployments", 200) in calls
    assert ("PATCH", f"{path}/script-settings", 200) in calls
    assert all(status < 400 for _, _, status in calls), calls

    deployments = wrangler.ok("deployments", "list", "--env", "production")
    assert f"(100%) {new}" in deployments.stdout
    assert "hotfix INC-7" in deployments.stdout
    versions = wrangler.ok("versions", "list", "--env", "production", "--json")
    assert [v["id"] for v in json.loads(versions.stdout)] == [previous, new]

    rollback = wrangler.ok(
        "rollback", previous, "--env", "production", "--message", "roll back INC-7", "--yes"
    )
    assert f"Current Version ID: {previous}" in rollback.stdout
    assert live(control) == {previous: 100.0}
    assert control.cf_deployments(ACCOUNT, SCRIPT)[0]["annotations"]["workers/message"] == (
        "roll back INC-7"
    )
    assert serving_version(worker_http) == previous


def test_emergency_deploy_silently_overrides_a_gradual_deployment(
    wrangler: Wrangler, control: SandboxControl, sandbox: RunningSandbox
) -> None:
    stable = control.cf_script(ACCOUNT, SCRIPT)
    canary = control.cf_upload_version(ACCOUNT, SCRIPT, message="canary", token=CF_TOKEN)
    with httpx.Client(
        base_url=f"{sandbox.url}/cloudflare/client/v4",
        headers={"Authorization": f"Bearer {CF_TOKEN}"},
    ) as cf:
        response = cf.post(
            f"/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}/deployments",
            json={
                "strategy": "percentage",
                "versions": [
                    {"version_id": canary, "percentage": 10},
                    {"version_id": stable, "percentage": 90},
                ],
            },
        )
        assert response.status_code == 200, response.text

    run = wrangler.ok("deploy", "--env", "production")

    # Non-interactive, wrangler warns and answers its own "are you sure?" with yes.
    assert "Your last deployment has multiple versions" in run.stdout + run.stderr
    assert live(control) == {run.entry("deploy")["version_id"]: 100.0}


def test_rollback_past_a_secret_change_is_forced_without_asking(
    wrangler: Wrangler, control: SandboxControl, sandbox: RunningSandbox
) -> None:
    """The API refuses (10220); non-interactive wrangler confirms itself and retries forced."""
    older = control.cf_script(ACCOUNT, SCRIPT, secrets={"SIGNING_KEY": "old"})
    with httpx.Client(
        base_url=f"{sandbox.url}/cloudflare/client/v4",
        headers={"Authorization": f"Bearer {CF_TOKEN}"},
    ) as cf:
        changed = cf.put(
            f"/accounts/{ACCOUNT}/workers/scripts/{SCRIPT}/secrets",
            json={"name": "SIGNING_KEY", "text": "rotated", "type": "secret_text"},
        )
        assert changed.status_code == 200, changed.text

    run = wrangler.ok("rollback", older, "--env", "production", "--yes")

    assert "The following secrets have changed" in run.stdout + run.stderr
    assert live(control) == {older: 100.0}
    tries = [
        (e["query"], e["status"])
        for e in control.requests("cloudflare")
        if e["method"] == "POST" and e["path"].endswith("/deployments")
    ]
    assert tries == [({}, 400), ({"force": "true"}, 200)]


def test_account_lookup_whoami_and_a_refused_token(
    wrangler: Wrangler, control: SandboxControl
) -> None:
    first = control.cf_script(ACCOUNT, SCRIPT)

    # Without CLOUDFLARE_ACCOUNT_ID wrangler asks /memberships and uses the only account.
    found = wrangler.ok(
        "deployments", "list", "--env", "production", "--json", env={"CLOUDFLARE_ACCOUNT_ID": None}
    )
    assert [d["versions"][0]["version_id"] for d in json.loads(found.stdout)] == [first]

    whoami = wrangler.ok("whoami")
    assert "sandbox@example.com" in whoami.stdout
    assert f"{ACCOUNT} (sandbox)" in whoami.stdout

    refused = wrangler("deploy", "--env", "production", env={"CLOUDFLARE_API_TOKEN": "wrong"})
    assert refused.returncode != 0
    assert refused.entry("command-failed")["code"] == 10000
    assert live(control) == {first: 100.0}


def test_ci_versions_upload_with_tag_and_message_keeps_both_annotations(
    wrangler: Wrangler, control: SandboxControl
) -> None:
    """CI's `wrangler versions upload --tag <sha> --message …`: the release checks the tag."""
    live_before = control.cf_script(ACCOUNT, SCRIPT)
    sha = "89abcdef0123456789abcdef0123456789abcdef"
    message = f"{sha[:12]} PR #42 " + "x" * 120  # longer than Cloudflare keeps
    run = wrangler.ok(
        "versions", "upload", "--env", "production", "--tag", sha, "--message", message
    )
    uploaded = run.entry("version-upload")["version_id"]
    assert live(control) == {live_before: 100.0}  # uploaded, not deployed
    newest = control.cf_versions(ACCOUNT, SCRIPT)[0]
    assert newest["id"] == uploaded
    assert newest["annotations"]["workers/tag"] == sha
    assert newest["annotations"]["workers/message"] == message[:100]

"""The emergency path's own steps: confirm the incident, confirm CI is down, run `wrangler deploy`.

wrangler is the npm package pinned in package.json (installed by the project's set-up); it reads
the API base URL, token and account from its environment, so the same command deploys to the
sandbox in tests and to Cloudflare for real.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from clients import NotFoundError, ProviderError
from procedure.emergency import CiStatusFact, EmergencyRefused
from procedure.incidents import IncidentFact, assess
from procedure.policy import Policy, WorkerService
from tasks import clock, providers
from tasks.evidence import redact
from tasks.settings import REPO_ROOT, ProviderSettings

WRANGLER_TIMEOUT_S = 600
# wrangler's own words when a Cloudflare API call failed (a 5xx, a 429, a lost answer): it does
# not retry those itself, and the flow may run it again once it has read what is live.
_API_FAILURE = "A request to the Cloudflare API"


class WranglerApiError(RuntimeError):
    """wrangler stopped on a failed Cloudflare API request, not on the checkout (a build error,
    a bad configuration): worth running again once the live deployment has been read."""


@task(name="confirm incident", retries=0, cache_policy=NO_CACHE)
async def read_incident(incident_id: str, policy: Policy) -> IncidentFact | None:
    now = clock.now()
    declared = [d.fact(now) for d in policy.freeze.declared_incidents if d.id == incident_id]
    if declared:
        # Whether it holds now is the core's call; an id may be declared again after it ended.
        return next((f for f in declared if assess(f, policy.freeze.incidents).counts), declared[0])
    if not policy.sources.pagerduty.enabled:
        return None
    try:
        async with providers.pagerduty(policy.sources.pagerduty.base_url) as pd:
            found = await pd.get_incident(incident_id)
    except NotFoundError:
        return None
    except (ProviderError, OSError) as error:
        raise EmergencyRefused(f"cannot confirm incident {incident_id}: {error}") from None
    return IncidentFact(
        found.id,
        found.status,
        found.priority,
        found.title,
        "PagerDuty",
        urgency=found.urgency,
        observed_at=now,
    )


@task(name="read CI status", retries=0, cache_policy=NO_CACHE)
async def read_ci_status(policy: Policy) -> CiStatusFact:
    source = policy.sources.github_status
    component = policy.sources.github_actions_component
    try:
        async with providers.statuspage(source.base_url) as page:
            status = await page.component_status(component)
    except (ProviderError, OSError) as error:
        return CiStatusFact(None, str(error))
    if status is None:
        return CiStatusFact(None, f"no component named {component!r} on {source.base_url}")
    return CiStatusFact(status, f"{component}: {status}")


@dataclass(frozen=True)
class WranglerResult:
    version_id: str
    worker_name: str
    output_tail: str


def wrangler_binary() -> str:
    return os.environ.get("RELORCH_WRANGLER", str(REPO_ROOT / "node_modules" / ".bin" / "wrangler"))


def wrangler_env(account_id: str, output_file: Path) -> dict[str, str]:
    settings = ProviderSettings.from_env()
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {
        **keep,
        "CI": "true",  # never prompt: every confirmation takes its non-interactive default
        # wrangler joins URLs as strings: a trailing slash would give "//accounts/..."
        "CLOUDFLARE_API_BASE_URL": settings.cloudflare_url.rstrip("/"),
        "CLOUDFLARE_API_TOKEN": settings.cloudflare_token.get_secret_value(),
        "CLOUDFLARE_ACCOUNT_ID": account_id,
        "WRANGLER_OUTPUT_FILE_PATH": str(output_file),
        "WRANGLER_SEND_METRICS": "false",
        "WRANGLER_SEND_ERROR_REPORTS": "false",
        "WRANGLER_HIDE_BANNER": "true",  # the banner is what checks npm for updates
        "FORCE_COLOR": "0",
    }


def deployed_version(output_file: Path) -> tuple[str, str] | None:
    """wrangler's ND-JSON output: the `deploy` entry carries the version id and worker name."""
    if not output_file.exists():
        return None
    for line in reversed(output_file.read_text().splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("type") == "deploy" and entry.get("version_id"):
            return str(entry["version_id"]), str(entry.get("worker_name") or "")
    return None


async def checkout_commit(checkout: Path) -> str | None:
    """The commit the checkout is at, when the checkout is its own repository's root (a folder
    inside another repository is not that service's history). Tagged onto the emergency version,
    it lets a later release see, through GitHub's compare, that it does not contain the fix."""
    try:
        proc = await asyncio.create_subprocess_exec(
            "git",
            "-C",
            str(checkout),
            "rev-parse",
            "--show-toplevel",
            "HEAD",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 10)
    except (OSError, TimeoutError):
        return None
    lines = out.decode(errors="replace").split()
    if proc.returncode != 0 or len(lines) != 2 or Path(lines[0]).resolve() != checkout.resolve():
        return None
    return lines[1].lower()


def checkout_path(service: WorkerService) -> Path:
    checkout = Path(service.checkout or "")
    return checkout if checkout.is_absolute() else REPO_ROOT / checkout


# what wrangler and git write into a checkout, not the code deployed
NOT_CODE = frozenset({".git", ".wrangler", "node_modules"})


def checkout_digest(service: WorkerService) -> str:
    """12 hex characters naming the checkout's code (every file's path and bytes): two emergency
    runs for one incident with the same digest would deploy the same thing."""
    root = checkout_path(service)
    digest = hashlib.sha256()
    files = (p for p in root.rglob("*") if p.is_file())
    for path in sorted(p for p in files if not NOT_CODE & set(p.relative_to(root).parts)):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


@task(name="wrangler deploy --env production", retries=0, cache_policy=NO_CACHE)
async def wrangler_deploy(service: WorkerService, message: str) -> WranglerResult:
    """The procedure's own command, in the service's checkout. Not retried: a second run would
    be a second deploy; the flow reads the live deployment first instead."""
    checkout = checkout_path(service)
    if not (checkout / "wrangler.toml").exists() and not (checkout / "wrangler.jsonc").exists():
        raise EmergencyRefused(f"{checkout} has no wrangler configuration")
    binary = wrangler_binary()
    if not Path(binary).exists():
        raise EmergencyRefused(f"wrangler is not installed at {binary} (run `make install`)")
    commit = await checkout_commit(checkout)
    tag = ["--tag", commit] if commit else []
    with tempfile.TemporaryDirectory() as tmp:
        output_file = Path(tmp) / "wrangler-output.ndjson"
        proc = await asyncio.create_subprocess_exec(
            binary,
            "deploy",
            "--env",
            "production",
            "--message",
            message,
            *tag,
            cwd=checkout,
            env=wrangler_env(service.account_id, output_file),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), WRANGLER_TIMEOUT_S)
        except TimeoutError:
            proc.kill()
            raise RuntimeError(
                f"wrangler deploy did not finish in {WRANGLER_TIMEOUT_S} s"
            ) from None
        text = redact(out.decode(errors="replace"))
        tail = "\n".join(text.strip().splitlines()[-15:])
        get_run_logger().info("wrangler deploy exited %s:\n%s", proc.returncode, tail)
        found = deployed_version(output_file)
    if proc.returncode != 0 or found is None:
        failed = WranglerApiError if _API_FAILURE in text else RuntimeError
        raise failed(f"wrangler deploy failed (exit {proc.returncode}):\n{tail}")
    version_id, worker_name = found
    return WranglerResult(version_id, worker_name, tail)

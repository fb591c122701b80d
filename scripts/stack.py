"""`make run`: a Prefect server on SQLite, the sandbox providers, and a worker serving every
deployment in prefect.yaml. Prints the UI address; Ctrl-C (or SIGTERM) stops all of it.
`make run-pg` (`--backend pg`): the team's shape instead — the server on PostgreSQL with leases
and messaging in Redis (scripts/team_shape.py), and two workers."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from procedure.policy import IosApp, Policy
from sandbox.control import SandboxControl
from sandbox.server import RunningSandbox, start_sandbox
from scripts.localstack import prepare_release, seed_document
from scripts.team_shape import TeamBackend

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".state"
POOL = "release-local"


@dataclass
class Stack:
    api_url: str
    ui_url: str
    sandbox: RunningSandbox
    control: SandboxControl
    env: dict[str, str]


SANDBOX_SENTRY_TOKEN = "sandbox-sentry-token"


def stack_env(api_url: str, sandbox_url: str, prefect_home: Path) -> dict[str, str]:
    return {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": os.environ.get("PREFECT_LOGGING_LEVEL", "INFO"),
        # a continuation is picked up within a second of being due, not ten (Prefect's default)
        "PREFECT_WORKER_QUERY_SECONDS": os.environ.get("PREFECT_WORKER_QUERY_SECONDS", "1"),
        # …and its process started this far ahead, so the process start (seconds on a busy
        # machine) is over when it is due: the server holds the run Pending until its time
        "PREFECT_WORKER_PREFETCH_SECONDS": os.environ.get("PREFECT_WORKER_PREFETCH_SECONDS", "20"),
        "RELORCH_HOME": str(ROOT),
        "RELORCH_PROFILE": "sandbox",
        "RELORCH_SANDBOX_URL": sandbox_url,
        "RELORCH_GITHUB_API_URL": f"{sandbox_url}/github",
        "RELORCH_CLOUDFLARE_API_URL": f"{sandbox_url}/cloudflare/client/v4",
        "GITHUB_TOKEN": os.environ.get("GITHUB_TOKEN", "ghs_sandbox-github-token"),
        "CLOUDFLARE_API_TOKEN": os.environ.get("CLOUDFLARE_API_TOKEN", "sandbox-cloudflare-token"),
        "PAGERDUTY_API_TOKEN": os.environ.get("PAGERDUTY_API_TOKEN", "sandbox-pagerduty-token"),
        "RELORCH_PLAY_API_URL": f"{sandbox_url}/google/androidpublisher/v3",
        "RELORCH_PLAY_UPLOAD_URL": f"{sandbox_url}/google/upload/androidpublisher/v3",
        "RELORCH_PLAY_REPORTING_URL": f"{sandbox_url}/google/playdeveloperreporting/v1beta1",
        "RELORCH_APP_STORE_API_URL": f"{sandbox_url}/appstore",
        "SENTRY_AUTH_TOKEN": os.environ.get("SENTRY_AUTH_TOKEN", SANDBOX_SENTRY_TOKEN),
        # notifications go to the sandbox's Slack (GET /_sandbox/slack/messages lists them)
        "RELORCH_SLACK_WEBHOOK_URL": os.environ.get(
            "RELORCH_SLACK_WEBHOOK_URL", f"{sandbox_url}/slack/services/T0SANDBOX/B0RELORCH/hook"
        ),
    }


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Prefect server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError("Prefect server did not become healthy")


def _refuse_unknown_parameters(api_url: str) -> None:
    from relctl.trigger import PrefectApi

    api = PrefectApi(api_url)
    try:
        api.refuse_unknown_parameters()  # prefect deploy leaves the schemas open
    finally:
        api.close()


def _prefect(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _relctl(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "relctl.cli", *args],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def seed_releases(control: SandboxControl, policy: Policy, cloudflare_token: str) -> list[str]:
    """What CI would have done, so a newcomer can start a valid release at once: per Workers
    service a merged, green PR with its versions uploaded; an Android build on the internal track
    with healthy vitals; an iOS build on TestFlight with healthy sessions. Returns the commands
    (the same values go in the UI's form)."""
    lines = []
    for name, service in policy.services.items():
        if not service.repo:
            continue
        ready = prepare_release(control, policy, name, cloudflare_token=cloudflare_token)
        p = ready.parameters
        versions = " ".join(f"--version {env}={v}" for env, v in p["version_ids"].items())
        lines.append(
            f"relctl release workers --service {name} --sha {p['git_sha']} "
            f"--pr {p['pr_number']} {versions} --watch"
        )
    for name, android in policy.android_apps.items():
        control.play_upload_internal(android.package_name, 101, token=control.play_issue_token())
        control.play_set_vitals(android.package_name, 101, distinct_users=40000)
        lines.append(
            f"relctl release android --app {name} --version-code 101 --no-significant --watch"
        )
    for name, ios in policy.ios_apps.items():
        control.asc_upload_build(ios.app_id, "1.1.0", "110")
        _healthy_sessions(control, ios, "1.1.0+110", 0.999)
        lines.append(
            f"relctl release ios --app {name} --version 1.1.0 --build-number 110 "
            "--no-significant --watch"
        )
    return lines


def seed_ios(control: SandboxControl, policy: Policy, sentry_token: str) -> None:
    """Each iOS app on the App Store sandbox, paced as the policy's profile (a phase day of
    `phased_day`), with 1.0.0 (100) live and healthy in Sentry: the previous release."""
    control.seed({"tokens": {"sentry": sentry_token}})
    for app in policy.ios_apps.values():
        control.asc_app(
            app.app_id,
            app.bundle_id,
            name=app.name,
            beta_groups=[{"name": group, "internal": True} for group in app.beta_groups],
            processing_seconds=5,
            review_seconds=20,
            day_seconds=app.phased_day.total_seconds(),
        )
        control.asc_live_version(app.app_id, "1.0.0", "100")
        _healthy_sessions(control, app, "1.0.0+100", 0.998)


def _healthy_sessions(control: SandboxControl, app: IosApp, release: str, rate: float) -> None:
    """Sentry sees the release (`version+build`) crash-free at `rate`, 1,000 sessions a second."""
    control.sentry_health(
        app.sessions.project,
        f"{app.bundle_id}@{release}",
        crash_free_sessions=rate,
        crash_free_users=rate,
        sessions_per_hour=3_600_000,
        users_per_hour=900_000,
    )


@contextmanager
def running_stack(
    port: int = 4200,
    sandbox_port: int = 8790,
    quiet: bool = False,
    backend: TeamBackend | None = None,
    workers: int = 1,
    home: Path | None = None,
) -> Iterator[Stack]:
    """`backend` None: SQLite in `home`; a TeamBackend: its PostgreSQL database and Redis."""
    home = home or STATE / ("prefect" if backend is None else "prefect-pg")
    home.mkdir(parents=True, exist_ok=True)
    if backend is not None:
        if reason := backend.unreachable():
            raise RuntimeError(f"run-pg needs the local PostgreSQL and Redis: {reason}")
        backend.ensure_database()
    procs: list[subprocess.Popen[bytes]] = []
    sandbox = start_sandbox(port=sandbox_port)
    api_url = f"http://127.0.0.1:{port}/api"
    control = SandboxControl(sandbox.url)
    # a Google service account whose key the sandbox's token endpoint trusts
    account = control.play_service_account()
    # an App Store Connect API key whose public half the sandbox verifies JWTs with
    asc_key = control.asc_api_key()
    env = {
        **os.environ,
        **stack_env(api_url, sandbox.url, home),
        "GOOGLE_SERVICE_ACCOUNT_JSON": json.dumps(account),
        "APP_STORE_CONNECT_KEY_ID": asc_key["key_id"],
        "APP_STORE_CONNECT_ISSUER_ID": asc_key["issuer_id"],
        "APP_STORE_CONNECT_PRIVATE_KEY": asc_key["private_key"],
    }
    server_env = {**env, **(backend.server_settings() if backend else {})}
    out = subprocess.DEVNULL if quiet else None
    try:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=server_env,
            cwd=ROOT,
            stdout=out,
            stderr=out,
        )
        procs.append(server)
        wait_healthy(api_url, server)
        os.environ.update(
            {
                k: v
                for k, v in env.items()
                if k.startswith(("RELORCH_", "PREFECT_", "GOOGLE_", "APP_STORE_", "SENTRY_"))
            }
        )
        from tasks.limits import ensure_limits
        from tasks.settings import current_policy

        policy = current_policy()
        control.seed(seed_document(policy))
        for app in policy.android_apps.values():  # live on production already, as real apps are
            control.play_app(app.package_name, production_version_code=100, review_seconds=5.0)
        seed_ios(control, policy, env["SENTRY_AUTH_TOKEN"])
        asyncio.run(ensure_limits(policy))
        _prefect(env, "work-pool", "create", POOL, "--type", "process", "--overwrite")
        _prefect(env, "--no-prompt", "deploy", "--all")
        _refuse_unknown_parameters(api_url)
        _relctl(env, "automations", "apply")  # crash detection: a silent run is marked Crashed
        for n in range(1, workers + 1):
            name = ["--name", f"release-worker-{n}"] if workers > 1 else []
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "prefect",
                        "worker",
                        "start",
                        "--pool",
                        POOL,
                        "--limit",
                        "8",
                        *name,
                    ],
                    env=env,
                    cwd=ROOT,
                    stdout=out,
                    stderr=out,
                    start_new_session=True,
                )
            )
        yield Stack(api_url, f"http://127.0.0.1:{port}", sandbox, control, env)
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                # SIGTERM, not SIGINT: a process started in the background ignores SIGINT, and
                # the server and the worker both shut down cleanly on SIGTERM
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        sandbox.stop()


def _stop_on_sigterm(signum: int, frame: object) -> None:
    # the same clean stop as Ctrl-C (the workers run in their own sessions: only we can stop
    # them); a second SIGTERM must not cut that stop short
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.stack")
    parser.add_argument(
        "--backend",
        choices=["sqlite", "pg"],
        default="sqlite",
        help="pg: PostgreSQL + Redis (RELORCH_PG_* / RELORCH_REDIS_* select them), two workers",
    )
    parser.add_argument("--port", type=int, help="Prefect server port (4200; pg: 4201)")
    parser.add_argument("--sandbox-port", type=int, help="sandbox port (8790; pg: 8791)")
    parser.add_argument(
        "--home", type=Path, help="PREFECT_HOME (.state/prefect or .state/prefect-pg)"
    )
    args = parser.parse_args(argv)
    pg = args.backend == "pg"
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with running_stack(
            port=args.port or (4201 if pg else 4200),
            sandbox_port=args.sandbox_port or (8791 if pg else 8790),
            backend=TeamBackend.from_env() if pg else None,
            workers=2 if pg else 1,
            home=args.home,
        ) as stack:
            _serve(stack, pg)  # until Ctrl-C / SIGTERM; the with-block then stops every process
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return 0


def _serve(stack: Stack, pg: bool) -> None:
    shape = (
        "PostgreSQL + Redis (leases survive a restart), two workers"
        if pg
        else "SQLite (leases in the server's memory: see README), one worker"
    )
    from tasks.settings import current_policy

    ready = seed_releases(stack.control, current_policy(), stack.env["CLOUDFLARE_API_TOKEN"])
    print(
        f"\nRelease orchestrator is up: {shape}.\n  Prefect UI:   {stack.ui_url}\n"
        f"  Prefect API:  {stack.api_url}\n  Sandbox:      {stack.sandbox.url}"
        f"  (admin: {stack.sandbox.url}/_sandbox/)\n"
        "\nReady to release (CI's part is done in the sandbox; the same values go in the UI's "
        "form on each deployment):\n"
        + "".join(f"  {line}\n" for line in ready)
        + "\nCtrl-C (or SIGTERM) stops everything.\n",
        flush=True,
    )
    while True:
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())

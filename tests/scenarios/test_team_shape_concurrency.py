"""Issue 8 on the team shape (`make run-pg`: PostgreSQL + prefect-redis, two workers): ten releases
started at once — four of each Workers service, and the same Android version triggered twice —
never make two production changes of one service or app at once, and every one ends right.

Read from the providers' side (the sandbox's request log), not from our own runs: a service's
production change lasts from its Cloudflare deployment to the final status of its GitHub
deployment record; those intervals never overlap. Releases of one service are merged one after
another, so the newest is always ahead of the rest: an older one that finds it live ends
Superseded with nothing deployed, and the newest is what production runs at the end."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.scenarios import test_team_shape_restart
from tests.scenarios.conftest import PACKAGE, Android, Stack, play_store
from tests.scenarios.real_server import RealServer
from tests.scenarios.test_android_release import fractions_set
from tests.scenarios.worker import served_deployments

team = test_team_shape_restart.team  # the team-shape fixture: PostgreSQL + Redis of this test's own

pytestmark = [pytest.mark.scenario]

PER_SERVICE = 4
FINAL_STATUSES = {"success", "failure", "error", "inactive"}


@pytest.fixture(scope="module")
def policy_file(policy_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario policy, with room for four releases of one service to queue for its slot
    on a loaded 2-core machine (the sandbox profile's 60 s is for one waiter)."""
    doc = yaml.safe_load(policy_file.read_text())
    doc["profiles"]["sandbox"]["slots"]["wait"] = "240s"
    path = tmp_path_factory.mktemp("concurrency-policy") / "release-policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.fixture
def android_env(
    team: tuple[Stack, RealServer], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Android]:
    android = play_store(team[0], monkeypatch)
    android.ci_upload(101)
    team[0].control.play_set_vitals(
        PACKAGE, 101, user_perceived_crash_rate=0.003, distinct_users=4000
    )
    yield android


def _production_changes(stack: Stack, service: str) -> list[tuple[str, str, str]]:
    """(deployed at, record finished at, version id) of each production change of `service`,
    in deploy order, from what Cloudflare and GitHub were told."""
    svc = stack.policy.service(service)
    script = svc.environments["production"].script
    deploys = [
        (r["time"], v["version_id"])
        for r in stack.control.requests("cloudflare")
        if r["method"] == "POST"
        and r["path"].endswith(f"/scripts/{script}/deployments")
        and r["status"] < 300
        for v in r["body"]["versions"]
        if v.get("percentage") == 100
    ]
    records = {
        d["id"]: d
        for d in stack.control.github_deployments(svc.repo)
        if d["environment"] == "production"
    }
    finished: dict[str, str] = {}  # sha → when its production record got its final status
    for r in stack.control.requests("github"):
        parts = r["path"].rstrip("/").split("/")
        if (
            r["method"] == "POST"
            and parts[-1] == "statuses"
            and r["status"] < 300
            and r["body"]["state"] in FINAL_STATUSES
            and int(parts[-2]) in records
        ):
            finished.setdefault(records[int(parts[-2])]["sha"], r["time"])
    sha_of = {
        v["id"]: (v.get("annotations") or {}).get("workers/tag")
        for v in stack.control.cf_versions(svc.account_id, script)
    }
    return [(at, finished.get(sha_of[version], "never"), version) for at, version in deploys]


def test_ten_concurrent_releases_on_two_workers_never_change_one_service_or_app_twice_at_once(
    team: tuple[Stack, RealServer], android_env: Android
) -> None:
    stack, _ = team
    releases = {
        service: [stack.prepare(service, pr_number=300 + 10 * k + n) for n in range(PER_SERVICE)]
        for k, service in enumerate(("edge-router", "verifier"))
    }
    keys = [k for k in os.environ if k.startswith(("RELORCH_", "GOOGLE_")) or k.endswith("_TOKEN")]
    with served_deployments({k: os.environ[k] for k in keys}, workers=2) as api:
        workers = api.deployment_id("workers-deploy", "standard")
        android = api.deployment_id("android-release", "standard")
        starts: list[tuple[str, dict[str, Any]]] = [
            *((workers, r.parameters) for rs in releases.values() for r in rs),
            *((android, {"app": "wallet", "version_code": 101, "significant": False}),) * 2,
        ]
        with ThreadPoolExecutor(len(starts)) as pool:  # all ten at once, as CI and the UI would
            runs = list(pool.map(lambda s: api.create_flow_run(*s)[0], starts))
        finals = [api.wait_chain(run["id"], timeout_s=300) for run in runs]

    by_version = {
        r.parameters["version_ids"]["production"]: r for rs in releases.values() for r in rs
    }
    for service, prepared in releases.items():
        changes = _production_changes(stack, service)
        deployed = [version for _, _, version in changes]
        assert len(deployed) == len(set(deployed)), (
            f"{service}: a version deployed twice: {changes}"
        )
        # one production change at a time: each one's record is final before the next deploy
        for (_, done, version), (next_at, _, next_version) in itertools.pairwise(changes):
            assert done != "never" and done <= next_at, (
                f"{service}: {next_version} deployed at {next_at} while {version}'s change was "
                f"still open (record final at {done})"
            )
        assert changes and changes[-1][1] != "never", f"{service}: the last change never finished"
        # the newest release (merged last, ahead of every other) is what production runs
        assert stack.live_version(service) == prepared[-1].parameters["version_ids"]["production"]
        assert prepared[-1].parameters["version_ids"]["production"] in deployed
        for version in deployed:
            assert by_version[version] in prepared  # only this service's own releases
    # every Workers release ended right: deployed and verified, or superseded with nothing deployed
    all_deployed = {v for service in releases for _, _, v in _production_changes(stack, service)}
    for run, final, (_, params) in zip(runs, finals, starts, strict=True):
        state = final["state"]
        assert state["type"] == "COMPLETED", (run["name"], state)
        if "version_ids" in params:
            version = params["version_ids"]["production"]
            expected = "Completed" if version in all_deployed else "Superseded"
            assert state["name"] == expected, (params["git_sha"], state)
        else:
            assert state["name"] != "Deferred", state
    # the app: both chains ended, and each stage was set once, in order (never twice, none skipped)
    assert fractions_set(android_env) == [
        "inProgress:0.05",
        "inProgress:0.2",
        "inProgress:0.5",
        "completed:",
    ]
    release = android_env.release_of(101)
    assert release is not None and release["status"] == "completed", release

"""CI's trigger (`relctl release workers`) against a real Prefect server: the idempotency key
holds everything that makes a release different, so a corrected re-run is a new run."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest

pytestmark = [pytest.mark.scenario]


@pytest.fixture
def deployment(prefect_server: None, monkeypatch: pytest.MonkeyPatch) -> str:
    """workers-deploy registered under its own name; runs are created, never executed here."""
    from prefect.settings import PREFECT_API_URL

    from flows.workers_deploy import workers_deploy

    monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
    for key in ("GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT"):
        monkeypatch.delenv(key, raising=False)
    name = f"idempotency-{uuid.uuid4().hex[:8]}"

    async def register() -> None:
        await (await workers_deploy.ato_deployment(name=name)).apply()  # type: ignore[attr-defined]

    asyncio.run(register())
    return name


def trigger(
    deployment: str,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
    versions: tuple[str, ...] = ("production=" + "1" * 8 + "-1111-4111-8111-" + "1" * 12,),
    pr: int = 42,
) -> dict[str, Any]:
    from relctl.cli import main

    args = [
        "release",
        "workers",
        "--service",
        "edge-router",
        "--sha",
        "a" * 40,
        "--pr",
        str(pr),
        "--deployment",
        deployment,
        *extra,
    ]
    for version in versions:
        args += ["--version", version]
    assert main(args) == 0
    return dict(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))


def test_a_rerun_with_another_version_id_is_a_new_run(
    deployment: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = trigger(deployment, capsys)
    retried = trigger(deployment, capsys)
    assert retried["flow_run_id"] == first["flow_run_id"] and not retried["created"]
    fixed = trigger(
        deployment, capsys, versions=("production=" + "2" * 8 + "-2222-4222-8222-" + "2" * 12,)
    )
    assert fixed["created"] and fixed["flow_run_id"] != first["flow_run_id"]
    other_pr = trigger(deployment, capsys, pr=43)
    assert other_pr["created"]
    significant = trigger(deployment, capsys, "--significant")
    assert significant["created"]
    downgraded = trigger(
        deployment, capsys, "--no-significant", "--significant-reason", "docs only"
    )
    assert downgraded["created"] and downgraded["flow_run_id"] != significant["flow_run_id"]
    # GitHub's "Re-run failed jobs": same run id, next attempt — a new run, not the failed one
    monkeypatch.setenv("GITHUB_RUN_ID", "987654")
    monkeypatch.setenv("GITHUB_RUN_ATTEMPT", "1")
    attempt1 = trigger(deployment, capsys)
    assert trigger(deployment, capsys)["flow_run_id"] == attempt1["flow_run_id"]
    monkeypatch.setenv("GITHUB_RUN_ATTEMPT", "2")
    assert trigger(deployment, capsys)["flow_run_id"] != attempt1["flow_run_id"]


def _force_state(run_id: str, state_type: str) -> None:
    import httpx
    from prefect.settings import PREFECT_API_URL

    answer = httpx.post(
        f"{PREFECT_API_URL.value()}/flow_runs/{run_id}/set_state",
        json={"state": {"type": state_type, "message": "process killed"}, "force": True},
        timeout=30,
    )
    answer.raise_for_status()
    assert answer.json()["status"] == "ACCEPT", answer.text


@pytest.mark.parametrize("death", ["CRASHED", "CANCELLED"])
def test_a_dead_run_under_the_key_is_never_handed_back_as_the_release(
    deployment: str, capsys: pytest.CaptureFixture[str], death: str
) -> None:
    from prefect.settings import PREFECT_API_URL

    from relctl.cli import main
    from relctl.trigger import PrefectApi

    pr = 50 + ["CRASHED", "CANCELLED"].index(death)  # the key is per flow, across deployments
    first = trigger(deployment, capsys, pr=pr)
    _force_state(first["flow_run_id"], death)
    args = [
        "release",
        "workers",
        "--service",
        "edge-router",
        "--sha",
        "a" * 40,
        "--pr",
        str(pr),
        "--deployment",
        deployment,
        "--version",
        "production=" + "1" * 8 + "-1111-4111-8111-" + "1" * 12,
    ]
    # the same trigger again: refused, naming the dead run and the way out — not `created: false`
    assert main(args) == 4
    out = capsys.readouterr()
    assert first["flow_run_id"] in out.err and "--resume" in out.err and death in out.err
    assert "flow_run_id" not in out.out
    # --resume: a new run, same parameters, tagged with the run it replaces
    assert main([*args, "--resume"]) == 0
    resumed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert resumed["created"] and resumed["replaces"] == first["flow_run_id"]
    assert resumed["flow_run_id"] != first["flow_run_id"]
    api = PrefectApi(str(PREFECT_API_URL.value()))
    try:
        new, old = api.flow_run(resumed["flow_run_id"]), api.flow_run(first["flow_run_id"])
        assert new["parameters"] == old["parameters"]
        assert f"replaces:{first['flow_run_id']}" in new["tags"]
        # a retried --resume finds the same replacement, not a third run
        assert main([*args, "--resume"]) == 0
        again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert again["flow_run_id"] == resumed["flow_run_id"] and not again["created"]
        # ...and once the replacement dies too, it is replaced in turn
        _force_state(resumed["flow_run_id"], death)
        assert main([*args, "--resume"]) == 0
        third = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert third["created"] and third["replaces"] == resumed["flow_run_id"]
    finally:
        api.close()

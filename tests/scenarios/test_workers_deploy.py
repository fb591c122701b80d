"""The Workers standard release, driven on a real Prefect server against the sandbox."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
)
from prefect.states import State

from sandbox.control import CHECKS
from tests.scenarios.conftest import Stack

pytestmark = [pytest.mark.scenario]


def run_release(params: dict[str, Any]) -> State:
    from flows.workers_deploy import workers_deploy

    return asyncio.run(workers_deploy(**params, return_state=True))  # type: ignore[call-overload]


def artifacts_of(state: State) -> dict[str, str]:
    """Artifacts of the run and of its subflow runs, by key."""

    async def read() -> dict[str, str]:
        run_id = state.state_details.flow_run_id
        async with get_client() as client:
            children = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run_id])
                )
            )
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    flow_run_id=ArtifactFilterFlowRunId(any_=[run_id, *(c.id for c in children)])
                )
            )
        return {a.key or a.id.hex: str(a.data) for a in found}

    return asyncio.run(read())


def created_deployments(
    stack: Stack, service: str, env: str = "production"
) -> list[dict[str, Any]]:
    """Deployments the orchestrator created (the seed's initial one excluded)."""
    return [
        r
        for r in stack.control.requests("cloudflare")
        if r["method"] == "POST"
        and r["path"].endswith(f"/scripts/{stack.script(service, env)}/deployments")
        and r["status"] in (200, 201, 502)
    ]


def test_happy_path_releases_sandbox_then_production(stack: Stack) -> None:
    release = stack.prepare("verifier")
    state = run_release(release.parameters)
    assert state.is_completed(), state.message
    versions = release.parameters["version_ids"]
    assert stack.live_version("verifier", "sandbox") == versions["sandbox"]
    assert stack.live_version("verifier", "production") == versions["production"]
    assert len(stack.deployments("verifier")) == 2  # the seed's and ours, nothing doubled
    # sandbox was deployed before production
    posts = [
        r["path"]
        for r in stack.control.requests("cloudflare")
        if r["method"] == "POST" and r["path"].endswith("/deployments")
    ]
    assert posts == [p for p in posts if "sandbox" in p] + [p for p in posts if "production" in p]
    # recorded as GitHub deployments with statuses, without GitHub's risky defaults
    gh_posts = [
        r
        for r in stack.control.requests("github")
        if r["method"] == "POST" and r["path"].endswith("/deployments")
    ]
    assert {r["body"]["environment"] for r in gh_posts} == {"sandbox", "production"}
    assert all(
        r["body"]["auto_merge"] is False and r["body"]["required_contexts"] == [] for r in gh_posts
    )
    statuses = [
        r["body"]["state"]
        for r in stack.control.requests("github")
        if r["path"].endswith("/statuses") and r["method"] == "POST"
    ]
    assert statuses.count("success") == 2
    artifacts = artifacts_of(state)
    for key in (
        "workers-verifier-checklist",
        "workers-verifier-sandbox-verification",
        "workers-verifier-post-deploy-verification",
        "workers-verifier-summary",
        "freeze-verifier-production-deploy",
    ):
        assert key in artifacts, sorted(artifacts)
    assert "released" in artifacts["workers-verifier-summary"]


def test_service_without_sandbox_goes_straight_to_production(stack: Stack) -> None:
    release = stack.prepare("edge-router")
    state = run_release(release.parameters)
    assert state.is_completed(), state.message
    assert stack.live_version("edge-router") == release.parameters["version_ids"]["production"]


def test_rerun_of_a_finished_release_deploys_nothing_again(stack: Stack) -> None:
    release = stack.prepare("edge-router")
    assert run_release(release.parameters).is_completed()
    again = run_release(release.parameters)
    assert again.is_completed(), again.message
    assert len(created_deployments(stack, "edge-router")) == 1
    assert len(stack.deployments("edge-router")) == 2


def _break_pr(stack: Stack, release_params: dict[str, Any], how: str) -> None:
    svc = stack.policy.service("verifier")
    sha, pr = release_params["git_sha"], release_params["pr_number"]
    c = stack.control
    if how == "missing approval":
        c.github_pull(svc.repo, pr, head_sha=sha, merge_commit_sha=sha, reviews=[])
    elif how == "unresolved thread":
        c.github_pull(
            svc.repo,
            pr,
            head_sha=sha,
            merge_commit_sha=sha,
            reviews=[{"user": "reviewer-1", "state": "APPROVED", "commit_id": sha}],
            threads=[
                {"is_resolved": False, "path": "src/index.ts", "author": "ana", "body": "nit"}
            ],
        )
    elif how == "failing check":
        c.github_checks(
            svc.repo,
            sha,
            check_runs=[
                {"name": "lint", "status": "completed", "conclusion": "success"},
                {"name": "test", "status": "completed", "conclusion": "failure"},
            ],
        )
    elif how == "api change without compatibility note":
        c.github_pull(
            svc.repo,
            pr,
            head_sha=sha,
            merge_commit_sha=sha,
            labels=["api-change"],
            reviews=[{"user": "reviewer-1", "state": "APPROVED", "commit_id": sha}],
        )
    elif how == "merged into another branch":
        c.github_pull(
            svc.repo,
            pr,
            head_sha=sha,
            merge_commit_sha=sha,
            base_ref="feature/next",
            reviews=[{"user": "reviewer-1", "state": "APPROVED", "commit_id": sha}],
        )
    elif how == "approval without write access":
        c.github_pull(
            svc.repo,
            pr,
            head_sha=sha,
            merge_commit_sha=sha,
            reviews=[
                {"user": "outsider", "state": "APPROVED", "commit_id": sha, "permission": "read"}
            ],
        )
    elif how == "stale approval":
        c.github_repo(svc.repo, required_checks=CHECKS, dismiss_stale_reviews=True)
        c.github_pull(
            svc.repo,
            pr,
            head_sha=sha,
            merge_commit_sha=sha,
            reviews=[{"user": "reviewer-1", "state": "APPROVED", "commit_id": "e" * 40}],
        )
    elif how == "no code owner approval":
        c.github_repo(
            svc.repo,
            required_checks=CHECKS,
            require_code_owner_reviews=True,
            codeowners="* @reviewer-1\n/src/crypto/ @sec-lead\n",
        )
        c.github_pull(
            svc.repo,
            pr,
            head_sha=sha,
            merge_commit_sha=sha,
            files=["src/crypto/sign.ts", "src/index.ts"],
            reviews=[{"user": "reviewer-1", "state": "APPROVED", "commit_id": sha}],
        )
    elif how == "secret not yet in Cloudflare":
        c.github_pull(
            svc.repo,
            pr,
            head_sha=sha,
            merge_commit_sha=sha,
            labels=["secret-change"],
            body="Rotates the signer.\nSecrets: SIGNING_KEY",
            reviews=[{"user": "reviewer-1", "state": "APPROVED", "commit_id": sha}],
        )


@pytest.mark.parametrize(
    ("how", "item"),
    [
        ("missing approval", "approved"),
        ("unresolved thread", "no-unresolved-comments"),
        ("failing check", "ci-green"),
        ("api change without compatibility note", "api-compatibility"),
        ("secret not yet in Cloudflare", "secrets-in-place"),
        ("merged into another branch", "merged into feature/next, not the release branch main"),
        ("approval without write access", "outsider has read permission, not write"),
        ("stale approval", "(stale)"),
        ("no code owner approval", "no approval from a code owner of src/crypto/sign.ts"),
    ],
)
def test_each_checklist_failure_stops_before_any_deploy(stack: Stack, how: str, item: str) -> None:
    release = stack.prepare("verifier")
    _break_pr(stack, release.parameters, how)
    state = run_release(release.parameters)
    assert state.is_failed()
    assert "pre-deploy checklist failed" in (state.message or "") and item in (state.message or "")
    assert created_deployments(stack, "verifier", "sandbox") == []
    assert created_deployments(stack, "verifier", "production") == []
    assert stack.live_version("verifier") == release.previous_versions["production"]


def test_release_triggered_by_its_own_ci_job_in_progress_is_released(stack: Stack) -> None:
    # CI's deploy job runs `relctl release workers --watch`: its check run on the merge commit is
    # in progress for the whole release — even where the branch requires it.
    svc = stack.policy.service("edge-router")
    stack.control.github_repo(svc.repo, required_checks=[*CHECKS, "deploy"])
    release = stack.prepare("edge-router")
    sha = release.parameters["git_sha"]
    state = run_release(release.parameters)
    assert state.is_completed(), state.message
    assert stack.live_version("edge-router") == release.parameters["version_ids"]["production"]
    runs = stack.control.requests("github")
    assert any(r["path"].endswith(f"/actions/runs/{release.parameters['ci_run_id']}") for r in runs)
    checklist = artifacts_of(state)["workers-edge-router-checklist"]
    assert "triggering run in progress: deploy" in checklist
    live = httpx_get_check_runs(stack, svc.repo, sha)
    assert ("deploy", "in_progress") in live  # it was never finished for us


def httpx_get_check_runs(stack: Stack, repo: str, sha: str) -> set[tuple[str, str]]:
    import httpx

    from tests.scenarios.conftest import GITHUB_TOKEN

    answer = httpx.get(
        f"{stack.url}/github/repos/{repo}/commits/{sha}/check-runs",
        headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
    )
    return {(r["name"], r["status"]) for r in answer.json()["check_runs"]}


def test_required_check_in_progress_waits_then_passes_when_it_completes(stack: Stack) -> None:
    import threading
    import time

    release = stack.prepare("edge-router")
    repo, sha = stack.policy.service("edge-router").repo, release.parameters["git_sha"]
    stack.control.github_check_run(repo, sha, "build", status="in_progress")

    def ci_reads() -> list[dict[str, Any]]:
        return [
            r
            for r in stack.control.requests("github")
            if r["method"] == "GET" and r["path"].endswith(f"/commits/{sha}/check-runs")
        ]

    def finish_build() -> None:  # once the checklist has seen it running
        deadline = time.monotonic() + 60
        while not ci_reads() and time.monotonic() < deadline:
            time.sleep(0.1)
        stack.control.github_check_run(repo, sha, "build", conclusion="success")

    helper = threading.Thread(target=finish_build)
    helper.start()
    state = run_release(release.parameters)
    helper.join()
    assert state.is_completed(), state.message
    assert len(created_deployments(stack, "edge-router")) == 1
    assert len(ci_reads()) >= 2  # it looked again instead of failing on the running build
    checklist = artifacts_of(state)["workers-edge-router-checklist"]
    assert "3 check(s) green (required by protection)" in checklist
    assert stack.live_version("edge-router") == release.parameters["version_ids"]["production"]


def test_required_check_that_never_finishes_fails_naming_it(stack: Stack) -> None:
    release = stack.prepare("edge-router")
    repo, sha = stack.policy.service("edge-router").repo, release.parameters["git_sha"]
    stack.control.github_check_run(repo, sha, "test", status="in_progress")
    state = run_release(release.parameters)
    assert state.is_failed()
    message = state.message or ""
    assert "ci-green: required check(s) not finished: test (in_progress)" in message, message
    assert "after waiting 3s" in message
    assert created_deployments(stack, "edge-router") == []


def test_an_hour_of_ci_wait_passes_on_the_injected_clock_in_no_real_time(
    stack: Stack, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checklist waits the policy's `ci_wait` (here an hour, a look every 5 minutes) on the
    clock flows and tasks read (tasks/clock.py): a manual clock makes the hour pass at once."""
    import os
    import time
    from datetime import UTC, datetime, timedelta
    from pathlib import Path

    import yaml

    from tasks.clock import ManualClock, use_clock

    doc = yaml.safe_load(Path(os.environ["RELORCH_POLICY"]).read_text())
    doc["profiles"]["sandbox"]["checklist"] = {"ci_wait": "1h", "ci_recheck_interval": "5m"}
    patient = tmp_path / "policy.yaml"
    patient.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(patient))
    release = stack.prepare("edge-router")
    repo, sha = stack.policy.service("edge-router").repo, release.parameters["git_sha"]
    stack.control.github_check_run(repo, sha, "test", status="in_progress")
    before = len(stack.control.requests("github"))
    started = time.monotonic()
    manual = ManualClock(datetime.now(UTC))
    with use_clock(manual):
        state = run_release(release.parameters)
    assert state.is_failed()
    assert "after waiting 1h" in (state.message or ""), state.message
    assert time.monotonic() - started < 60  # not an hour
    assert manual.monotonic() >= timedelta(hours=1).total_seconds()
    reads = [
        r
        for r in stack.control.requests("github")[before:]
        if r["method"] == "GET" and r["path"].endswith(f"/commits/{sha}/check-runs")
    ]
    assert len(reads) == 13  # the first look and one every 5 minutes for the hour
    assert created_deployments(stack, "edge-router") == []


def test_unknown_ci_run_id_is_refused_naming_the_parameter(stack: Stack) -> None:
    release = stack.prepare("edge-router")
    state = run_release({**release.parameters, "ci_run_id": 424242})
    assert state.is_failed()
    assert "ci_run_id: no workflow run 424242 in" in (state.message or ""), state.message
    asked = [
        r for r in stack.control.requests("github") if r["path"].endswith("/actions/runs/424242")
    ]
    assert len(asked) == 1  # not retried: it is bad input, not a provider hiccup
    assert created_deployments(stack, "edge-router") == []


def test_failing_health_rolls_back_to_the_previous_version(stack: Stack) -> None:
    release = stack.prepare("verifier")
    new = release.parameters["version_ids"]["production"]
    stack.control.worker_behaviour(stack.script("verifier"), new, health="fail")
    state = run_release(release.parameters)
    assert state.is_failed()
    assert "health" in (state.message or "") and "rolled back" in (state.message or "")
    assert stack.live_version("verifier") == release.previous_versions["production"]
    latest = stack.deployments("verifier")[0]
    assert latest["annotations"]["workers/message"].startswith("rollback:")
    # re-running the same release does not ship the refused version again
    again = run_release(release.parameters)
    assert again.is_failed() and "was rolled back" in (again.message or ""), again.message
    assert stack.live_version("verifier") == release.previous_versions["production"]
    assert len(created_deployments(stack, "verifier")) == 2  # the deploy and the rollback only


def test_error_rate_spike_rolls_back(stack: Stack) -> None:
    # edge-router has no key flow, so the spike is seen by the analytics alone
    release = stack.prepare("edge-router")
    new = release.parameters["version_ids"]["production"]
    stack.control.worker_behaviour(stack.script("edge-router"), new, error_rate=0.3)
    state = run_release(release.parameters)
    assert state.is_failed()
    assert "error-rate" in (state.message or "") and "rolled back" in (state.message or "")
    assert stack.live_version("edge-router") == release.previous_versions["production"]


def test_key_flow_failure_rolls_back(stack: Stack) -> None:
    release = stack.prepare("verifier")
    new = release.parameters["version_ids"]["production"]
    stack.control.worker_behaviour(stack.script("verifier"), new, key_flow="fail")
    state = run_release(release.parameters)
    assert state.is_failed() and "key-flow" in (state.message or "")
    assert stack.live_version("verifier") == release.previous_versions["production"]


def test_no_traffic_is_not_a_pass(stack: Stack) -> None:
    release = stack.prepare("edge-router")
    stack.control.worker_traffic(stack.script("edge-router"), 0.0)
    state = run_release(release.parameters)
    assert state.is_failed()
    assert "no data" in (state.message or "")
    assert stack.live_version("edge-router") == release.previous_versions["production"]


def test_bad_parameters_fail_at_once_without_a_provider_call(stack: Stack) -> None:
    release = stack.prepare("verifier")
    before = len(stack.control.requests())
    for bad in (
        {"service": "nope"},
        {"git_sha": "123"},
        {"pr_number": 0},
        {"version_ids": {"production": release.parameters["version_ids"]["production"]}},
    ):
        state = run_release({**release.parameters, **bad})
        assert state.is_failed()
        assert next(iter(bad)) in (state.message or ""), state.message
    assert len(stack.control.requests()) == before


def test_injected_faults_reach_the_same_final_state_with_one_production_deployment(
    stack: Stack,
) -> None:
    release = stack.prepare("verifier")
    for target in ("github", "cloudflare"):
        stack.control.add_fault(target, "status", status=503, probability=0.1, seed=7)
        stack.control.add_fault(target, "rate_limit", retry_after=0, probability=0.1, seed=11)
    stack.control.add_fault(
        "cloudflare", "drop_after_commit", method="POST", path_contains="/deployments", count=1
    )
    state = run_release(release.parameters)
    fired = sum(f["fired"] for f in stack.control.faults())
    stack.control.clear_faults()
    assert state.is_completed(), state.message
    assert fired >= 3  # the faults really happened
    assert stack.live_version("verifier") == release.parameters["version_ids"]["production"]
    assert len(stack.deployments("verifier")) == 2
    assert len(stack.deployments("verifier", "sandbox")) == 2


def test_missing_concurrency_limit_refuses_instead_of_running_unguarded(stack: Stack) -> None:
    from tasks.limits import release_limit

    async def drop() -> None:
        async with get_client() as client:
            await client.delete_global_concurrency_limit_by_name(release_limit("edge-router"))

    asyncio.run(drop())
    release = stack.prepare("edge-router")
    state = run_release(release.parameters)
    assert state.is_failed()
    assert release_limit("edge-router") in (state.message or "")
    assert created_deployments(stack, "edge-router") == []


def test_two_releases_of_one_service_run_one_at_a_time(stack: Stack) -> None:
    first = stack.prepare("edge-router", pr_number=1)
    second = stack.prepare("edge-router", pr_number=2)

    async def both() -> list[State]:
        from flows.workers_deploy import workers_deploy

        async def later() -> State:
            # PR 2 is newer: started once PR 1 holds the slot (it is deploying), so it queues
            # behind PR 1's watch (had it gone first, PR 1 would end superseded — production
            # only moves forward)
            mine = first.parameters["version_ids"]["production"]
            for _ in range(600):
                if await asyncio.to_thread(stack.live_version, "edge-router") == mine:
                    break
                await asyncio.sleep(0.05)
            return await workers_deploy(**second.parameters, return_state=True)  # type: ignore[call-overload,no-any-return]

        return list(
            await asyncio.gather(
                workers_deploy(**first.parameters, return_state=True),  # type: ignore[call-overload]
                later(),
            )
        )

    states = asyncio.run(both())
    assert all(s.is_completed() and s.name == "Completed" for s in states), [
        s.message for s in states
    ]
    # the second release started only after the first one's watch ended: no overlap
    posts = created_deployments(stack, "edge-router")
    assert len(posts) == 2
    history = stack.deployments("edge-router")
    gap = (history[0]["created_on"], history[1]["created_on"])
    assert gap[0] > gap[1]
    from datetime import datetime

    seconds = (datetime.fromisoformat(gap[0]) - datetime.fromisoformat(gap[1])).total_seconds()
    assert seconds >= 2.0  # at least one monitor window (TEST_MONITOR standard = 2 s) apart


def _upload(stack: Stack, service: str, env: str, tag: str | None) -> str:
    from tests.scenarios.conftest import CLOUDFLARE_TOKEN

    svc = stack.policy.service(service)
    return stack.control.cf_upload_version(
        svc.account_id, stack.script(service, env), message="ci", token=CLOUDFLARE_TOKEN, tag=tag
    )


def test_version_tagged_with_another_commit_is_refused_and_nothing_deployed(stack: Stack) -> None:
    release = stack.prepare("verifier")
    other_sha = "f" * 40
    wrong = _upload(stack, "verifier", "production", tag=other_sha)
    params = {
        **release.parameters,
        "version_ids": {**release.parameters["version_ids"], "production": wrong},
    }
    state = run_release(params)
    assert state.is_failed()
    message = state.message or ""
    assert (
        "provenance" in message
        and other_sha in message
        and release.parameters["git_sha"] in message
    )
    assert created_deployments(stack, "verifier", "sandbox") == []
    assert created_deployments(stack, "verifier", "production") == []


def test_untagged_version_is_refused_unless_the_policy_allows_it(stack: Stack) -> None:
    release = stack.prepare("edge-router")
    untagged = _upload(stack, "edge-router", "production", tag=None)
    params = {**release.parameters, "version_ids": {"production": untagged}}
    state = run_release(params)
    assert state.is_failed() and "has no workers/tag" in (state.message or ""), state.message
    assert created_deployments(stack, "edge-router") == []


def test_labelled_significant_change_is_not_downgraded_without_a_reason(stack: Stack) -> None:
    release = stack.prepare("edge-router", labels=("significant-change",), significant=False)
    state = run_release(release.parameters)
    assert state.is_failed() and "significant_reason" in (state.message or ""), state.message
    assert created_deployments(stack, "edge-router") == []
    # with a recorded reason it goes out on the standard watch, and the reason is evidence
    reason = "copy change behind a flag that is off"
    state = run_release({**release.parameters, "significant_reason": reason})
    assert state.is_completed(), state.message
    assert reason in artifacts_of(state)["workers-edge-router-summary"]


def _deploy_directly(stack: Stack, service: str, version_id: str, message: str) -> None:
    """Someone else's production deploy (a newer release, an emergency fix)."""
    import httpx

    from tests.scenarios.conftest import CLOUDFLARE_TOKEN

    svc = stack.policy.service(service)
    answer = httpx.post(
        f"{stack.url}/cloudflare/client/v4/accounts/{svc.account_id}/workers/scripts/"
        f"{stack.script(service)}/deployments",
        headers={"Authorization": f"Bearer {CLOUDFLARE_TOKEN}"},
        json={
            "strategy": "percentage",
            "versions": [{"version_id": version_id, "percentage": 100}],
            "annotations": {"workers/message": message},
        },
    )
    assert answer.status_code == 200, answer.text


def test_an_older_release_never_overwrites_a_newer_one_live(stack: Stack) -> None:
    older = stack.prepare("edge-router", pr_number=7)
    newer = stack.prepare("edge-router", pr_number=8)  # merged after PR 7
    assert run_release(newer.parameters).is_completed()
    state = run_release(older.parameters)  # e.g. a continuation that waited out a freeze
    assert state.is_completed() and state.name == "Superseded", (state.name, state.message)
    message = state.message or ""
    assert older.parameters["git_sha"] in message and newer.parameters["git_sha"] in message
    assert "behind" in message
    assert stack.live_version("edge-router") == newer.parameters["version_ids"]["production"]
    assert len(created_deployments(stack, "edge-router")) == 1  # the newer release's only
    assert "superseded" in artifacts_of(state)["workers-edge-router-summary"]


def test_a_release_that_diverged_from_a_live_emergency_fix_is_superseded(stack: Stack) -> None:
    first = stack.prepare("edge-router", pr_number=11)
    assert run_release(first.parameters).is_completed()
    svc = stack.policy.service("edge-router")
    fix = "e" * 40  # an emergency fix on its own branch, deployed by hand
    stack.control.github_commit(
        svc.repo, fix, parents=[first.parameters["git_sha"]], branch="hotfix"
    )
    _deploy_directly(
        stack,
        "edge-router",
        _upload(stack, "edge-router", "production", tag=fix),
        "emergency INC-9",
    )
    release = stack.prepare("edge-router", pr_number=12)  # merged on main after the first
    state = run_release(release.parameters)
    assert state.name == "Superseded", (state.name, state.message)
    assert fix in (state.message or "") and release.parameters["git_sha"] in (state.message or "")
    assert "diverged" in (state.message or "")
    assert len(created_deployments(stack, "edge-router")) == 2  # the first release and the fix


def test_an_error_spike_late_in_the_watch_is_caught_at_the_next_check(
    stack: Stack, policy_file: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time
    from datetime import UTC, datetime

    import yaml

    # an 8 s watch, checked every 0.5 s, error rate also over the last 1 s
    doc = yaml.safe_load(policy_file.read_text())
    doc["profiles"]["sandbox"]["monitor"]["significant"] = "8s"
    longer = tmp_path / "release-policy.yaml"
    longer.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(longer))
    release = stack.prepare("edge-router", significant=True)
    new = release.parameters["version_ids"]["production"]
    spiked: list[datetime] = []

    def spike_halfway_through_the_watch() -> None:
        deadline = time.monotonic() + 60
        while stack.live_version("edge-router") != new and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(4.0)
        # 2.4 %, well clear of the threshold in any 1 s window; since the deploy it is still under
        # 1 % for the first 1.5 s after the spike, diluted by the clean start
        stack.control.worker_behaviour(stack.script("edge-router"), new, error_rate=0.024)
        spiked.append(datetime.now(UTC))

    # the baseline is the old version's traffic before the deploy: with fewer requests than the
    # service's min_requests (100) there is none, and only the 5 % ceiling would apply
    time.sleep(0.75)
    spiker = threading.Thread(target=spike_halfway_through_the_watch)
    spiker.start()
    state = run_release(release.parameters)
    spiker.join()
    newest = stack.deployments("edge-router")[0]["created_on"]  # the deploy, unless rolled back
    assert state.is_failed(), f"not caught: newest deployment {newest}, spiked at {spiked}"
    message = state.message or ""
    assert "error-rate" in message and "in the last 1 s" in message and "rolled back" in message
    assert stack.live_version("edge-router") == release.previous_versions["production"]
    history = stack.deployments("edge-router")
    rollback, deployed = (datetime.fromisoformat(d["created_on"]) for d in history[:2])
    assert (rollback - spiked[0]).total_seconds() < 3.0  # within a few checks
    assert (rollback - deployed).total_seconds() < 7.5  # before the watch would have ended


def test_the_same_commit_uploaded_again_is_already_live_and_not_deployed(stack: Stack) -> None:
    release = stack.prepare("edge-router")
    assert run_release(release.parameters).is_completed()
    again = _upload(stack, "edge-router", "production", tag=release.parameters["git_sha"])
    state = run_release({**release.parameters, "version_ids": {"production": again}})
    assert state.is_completed() and "already runs" in (state.message or ""), state.message
    assert len(created_deployments(stack, "edge-router")) == 1
    assert stack.live_version("edge-router") == release.parameters["version_ids"]["production"]

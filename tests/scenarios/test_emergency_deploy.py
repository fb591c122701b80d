"""The manual emergency path: refusals deploy nothing; a confirmed P1 with CI down deploys with
the real `wrangler deploy --env production` (against the sandbox), even during a freeze, verifies,
and leaves an audit record."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from prefect.states import State

from tasks.settings import REPO_ROOT
from tests.scenarios.conftest import Stack
from tests.scenarios.test_workers_deploy import artifacts_of

pytestmark = [pytest.mark.scenario]
WRANGLER = REPO_ROOT / "node_modules" / ".bin" / "wrangler"
needs_wrangler = pytest.mark.skipif(
    not Path(WRANGLER).exists(), reason="run `make install`: wrangler missing"
)

REASON = "Signing key rotation broke verification for every user"


def run_emergency(**params: Any) -> State:
    from flows.emergency_deploy import workers_emergency_deploy

    return asyncio.run(workers_emergency_deploy(**params, return_state=True))  # type: ignore[call-overload]


def production_writes(stack: Stack) -> list[dict[str, Any]]:
    script = stack.script("verifier")
    return [
        r
        for r in stack.control.requests("cloudflare")
        if r["method"] in ("POST", "PUT") and f"/scripts/{script}" in r["path"]
    ]


def ci_down(stack: Stack) -> None:
    stack.control.status_set_component("github", "Actions", "major_outage")


@pytest.mark.parametrize(
    ("setup", "params", "refusal"),
    [
        (lambda s: None, {"incident_id": "PNOSUCH"}, "not known to the incident source"),
        (
            lambda s: s.control.pd_set_incident_status("PINC1", "resolved"),
            {},
            "is resolved, not active",
        ),
        (
            lambda s: s.control.pd_open_incident("minor", priority="P3", incident_id="PINC3"),
            {"incident_id": "PINC3"},
            "P3, not P1 or P2",
        ),
        (
            lambda s: s.control.status_set_component("github", "Actions", "operational"),
            {},
            "CI is available",
        ),
        (
            lambda s: s.control.add_fault(
                "statuspage", "status", status=503, path_contains="/github/"
            ),
            {},
            "no attestation was given",
        ),
        (lambda s: None, {"reason": "  "}, "reason"),
        (lambda s: None, {"acting_person": ""}, "acting_person"),
        (lambda s: None, {"service": "edge-router"}, "no `checkout`"),
    ],
)
def test_every_refusal_is_clear_and_deploys_nothing(
    stack: Stack, setup: Any, params: dict[str, Any], refusal: str
) -> None:
    stack.control.pd_open_incident("Verification down", priority="P1", incident_id="PINC1")
    ci_down(stack)
    setup(stack)
    state = run_emergency(
        **{
            "service": "verifier",
            "incident_id": "PINC1",
            "reason": REASON,
            "acting_person": "ana.oncall",
            **params,
        }
    )
    assert state.is_failed()
    assert refusal in (state.message or ""), state.message
    assert production_writes(stack) == []


@needs_wrangler
def test_emergency_deploy_during_a_freeze_succeeds_with_its_audit_record(stack: Stack) -> None:
    stack.control.pd_open_incident(
        "Verification down", priority="P1", incident_id="PINC1"
    )  # also a freeze
    ci_down(stack)
    before = stack.live_version("verifier")
    state = run_emergency(
        service="verifier", incident_id="PINC1", reason=REASON, acting_person="ana.oncall"
    )
    assert state.is_completed(), state.message
    after = stack.live_version("verifier")
    assert after != before
    wrangler_calls = [
        r
        for r in stack.control.requests("cloudflare")
        if "wrangler" in str(r["headers"].get("user-agent", ""))
    ]
    assert wrangler_calls, "the deploy went through wrangler"
    audit = artifacts_of(state)["emergency-verifier-audit"]
    for expected in (
        "ana.oncall",
        REASON,
        "PINC1",
        after,
        before,
        "freeze gate, pre-deploy checklist",
        "GitHub Actions is major_outage",
        "deployed and verified",
    ):
        assert expected in audit, expected


@needs_wrangler
def test_incident_without_priority_but_high_urgency_allows_the_emergency_path(stack: Stack) -> None:
    # the same rule as the freeze: what freezes the standard release allows the emergency fix
    stack.control.pd_open_incident(
        "Pager storm", priority=None, urgency="high", incident_id="PINC9"
    )
    ci_down(stack)
    before = stack.live_version("verifier")
    state = run_emergency(
        service="verifier", incident_id="PINC9", reason=REASON, acting_person="ana.oncall"
    )
    assert state.is_completed(), state.message
    assert stack.live_version("verifier") != before
    audit = artifacts_of(state)["emergency-verifier-audit"]
    assert "no priority, urgency high" in audit and "counts as P1/P2" in audit


def test_incident_without_priority_and_low_urgency_is_refused(stack: Stack) -> None:
    stack.control.pd_open_incident("Noise", priority=None, urgency="low", incident_id="PINC8")
    ci_down(stack)
    state = run_emergency(
        service="verifier", incident_id="PINC8", reason=REASON, acting_person="ana.oncall"
    )
    assert state.is_failed() and "no priority, urgency low, not P1 or P2" in (state.message or "")
    assert production_writes(stack) == []


@needs_wrangler
def test_unreadable_ci_status_with_attestation_is_recorded_as_such(stack: Stack) -> None:
    stack.control.pd_open_incident("Verification down", priority="P2", incident_id="PINC2")
    stack.control.add_fault("statuspage", "status", status=503, path_contains="/github/")
    state = run_emergency(
        service="verifier",
        incident_id="PINC2",
        reason=REASON,
        acting_person="bo.oncall",
        ci_unavailable_attestation="Actions runners stuck for 40 min, see #inc-42",
    )
    assert state.is_completed(), state.message
    audit = artifacts_of(state)["emergency-verifier-audit"]
    assert "ATTESTED by bo.oncall" in audit and "runners stuck" in audit


@needs_wrangler
def test_a_release_without_the_emergency_fix_does_not_overwrite_it(
    stack: Stack, policy_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess

    import yaml

    from sandbox.control import SAMPLE_WORKER_DIR
    from tests.scenarios.test_workers_deploy import run_release

    first = stack.prepare("verifier", pr_number=21)
    assert run_release(first.parameters).is_completed()
    # the on-call checkout is its own repository: the fix is a commit on top of the first release
    checkout = tmp_path / "verifier"
    shutil.copytree(
        SAMPLE_WORKER_DIR, checkout, ignore=shutil.ignore_patterns(".wrangler", "node_modules")
    )
    git = [
        "git",
        "-C",
        str(checkout),
        "-c",
        "user.email=oncall@example.com",
        "-c",
        "user.name=oncall",
    ]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "hotfix"], check=True)
    fix = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    doc = yaml.safe_load(policy_file.read_text())
    doc["profiles"]["sandbox"]["services"]["verifier"]["checkout"] = str(checkout)
    moved = tmp_path / "release-policy.yaml"
    moved.write_text(yaml.safe_dump(doc))
    monkeypatch.setenv("RELORCH_POLICY", str(moved))
    svc = stack.policy.service("verifier")
    stack.control.github_commit(
        svc.repo, fix, parents=[first.parameters["git_sha"]], branch="hotfix"
    )

    stack.control.pd_open_incident("Verification down", priority="P1", incident_id="PINC1")
    ci_down(stack)
    assert run_emergency(
        service="verifier", incident_id="PINC1", reason=REASON, acting_person="ana.oncall"
    ).is_completed()
    tagged = stack.control.cf_versions(svc.account_id, stack.script("verifier"))[0]
    assert tagged["annotations"].get("workers/tag") == fix  # wrangler deploy --tag <checkout HEAD>
    stack.control.pd_set_incident_status("PINC1", "resolved")

    late = stack.prepare("verifier", pr_number=22)  # merged on main, without the fix
    sandbox_before = stack.live_version("verifier", "sandbox")
    state = run_release(late.parameters)
    assert state.name == "Superseded", (state.name, state.message)
    assert fix in (state.message or "") and late.parameters["git_sha"] in (state.message or "")
    assert stack.live_version("verifier") == tagged["id"]
    assert stack.live_version("verifier", "sandbox") == sandbox_before  # nothing deployed at all

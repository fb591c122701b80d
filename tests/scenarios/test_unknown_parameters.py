"""An unknown extra parameter never starts a release (issue 7, item 21): the API refuses it with
a 409 naming it (every deployment's parameter schema allows no other property), and a run that a
caller forces past the schema (`enforce_parameter_schema: false` on the run) fails naming it
(a pull step, tasks/parameters.py) before any provider call. Tested through the REST API on a real server, as CI calls it."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.scenarios.conftest import Stack
from tests.scenarios.worker import served_deployments

pytestmark = [pytest.mark.scenario]


def _calls_for(stack: Stack, release: dict[str, Any]) -> int:
    """GitHub and Cloudflare calls about this release: its PR, its commit, its scripts. The
    deployments' own schedules (advance-rollouts every 5 minutes) may read the records meanwhile."""
    service = stack.policy.service(release["service"])
    marks = (
        str(release["git_sha"]),
        f"/pulls/{release['pr_number']}",
        *(env.script for env in service.environments.values()),
    )
    return len(
        [
            r
            for target in ("github", "cloudflare")
            for r in stack.control.requests(target)
            if any(mark in r["path"] for mark in marks)
        ]
    )


KEYS = (
    "RELORCH_POLICY",
    "RELORCH_PROFILE",
    "RELORCH_SANDBOX_URL",
    "RELORCH_GITHUB_API_URL",
    "RELORCH_CLOUDFLARE_API_URL",
    "GITHUB_TOKEN",
    "CLOUDFLARE_API_TOKEN",
    "PAGERDUTY_API_TOKEN",
)
EMERGENCY = {
    "service": "verifier",
    "incident_id": "PINC1",
    "reason": "a reason long enough",
    "acting_person": "ana.oncall",
}


def test_unknown_parameters_are_refused_by_the_api_and_named_by_the_run(stack: Stack) -> None:
    release = stack.prepare("edge-router")
    with served_deployments({k: os.environ[k] for k in KEYS}) as api:
        # every deployment's schema allows only the flow's own parameters
        for flow_name, name, valid in [
            ("workers-deploy", "standard", release.parameters),
            ("workers-emergency-deploy", "on-call", EMERGENCY),
            ("freeze-status", "daily", {"days": 3}),
            ("android-release", "standard", {"app": "wallet", "version_code": 101}),
            ("advance-rollouts", "every-5-minutes", {}),
        ]:
            deployment = api.deployment_id(flow_name, name)
            with pytest.raises(ValueError, match="'colour' was unexpected"):
                api.create_flow_run(deployment, {**valid, "colour": "blue"})

        standard = api.deployment_id("workers-deploy", "standard")
        with pytest.raises(
            ValueError, match="'sigificant' was unexpected"
        ):  # a typo, as CI might send
            api.create_flow_run(standard, {**release.parameters, "sigificant": True})

        # forced past the schema, the run fails naming it and never reaches a provider
        before = _calls_for(stack, release.parameters)
        body: dict[str, Any] = {
            "parameters": {**release.parameters, "sigificant": True},
            "enforce_parameter_schema": False,
        }
        answer = api._http.post(f"deployments/{standard}/create_flow_run", json=body)
        assert answer.status_code == 201, answer.text
        final = api.wait(answer.json()["id"], timeout_s=90)
        assert final["state"]["type"] == "FAILED", final["state"]
        message = final["state"]["message"]
        assert "unknown parameter 'sigificant': workers-deploy/standard takes " in message
        assert "git_sha" in message and "significant," in message
        assert _calls_for(stack, release.parameters) == before

        # `service` and `app` are the policy's names: a choice in the form, refused by the API
        def properties(flow_name: str, name: str) -> dict[str, Any]:
            found = api._http.get(f"deployments/{api.deployment_id(flow_name, name)}").json()
            return dict(found["parameter_openapi_schema"]["properties"])

        services = sorted(stack.policy.services)
        for flow_name, name in [
            ("workers-deploy", "standard"),
            ("workers-emergency-deploy", "on-call"),
            ("workers-recover", "on-crash"),
        ]:
            assert properties(flow_name, name)["service"]["enum"] == services, flow_name
        assert properties("android-release", "standard")["app"]["enum"] == sorted(
            stack.policy.android_apps
        )
        with pytest.raises(ValueError, match="'verfier' is not one of"):
            api.create_flow_run(standard, {**release.parameters, "service": "verfier"})

"""Secrets: names only, and a secret change deploys the live code at once (or is refused)."""

from __future__ import annotations

import httpx

from sandbox.control import SandboxControl
from tests.sandbox.helpers import ACCOUNT, CF_TOKEN, SCRIPT, deploy, live_versions, script_path


def put_secret(cf: httpx.Client, name: str, value: str) -> httpx.Response:
    return cf.put(
        script_path("/secrets"), json={"name": name, "text": value, "type": "secret_text"}
    )


def test_secret_list_has_names_never_values(control: SandboxControl, cf: httpx.Client) -> None:
    control.cf_script(ACCOUNT, SCRIPT, secrets={"SIGNING_KEY": "very-secret"})
    listed = cf.get(script_path("/secrets"))
    assert listed.json()["result"] == [{"name": "SIGNING_KEY", "type": "secret_text"}]
    assert "very-secret" not in listed.text


def test_secret_put_deploys_a_new_version_of_the_live_code(
    control: SandboxControl, cf: httpx.Client
) -> None:
    live = control.cf_script(ACCOUNT, SCRIPT, secrets=["SIGNING_KEY"])
    answer = put_secret(cf, "API_KEY", "s3cr3t")
    assert answer.status_code == 200
    assert answer.json()["result"] == {"name": "API_KEY", "type": "secret_text"}
    history = control.cf_deployments(ACCOUNT, SCRIPT)
    assert history[0]["annotations"]["workers/triggered_by"] == "secret"
    (new_version,) = live_versions(cf)
    assert new_version != live
    versions = {v["id"]: v for v in control.cf_versions(ACCOUNT, SCRIPT)}
    assert versions[new_version]["secrets"] == ["API_KEY", "SIGNING_KEY"]
    names = [s["name"] for s in cf.get(script_path("/secrets")).json()["result"]]
    assert names == ["API_KEY", "SIGNING_KEY"]
    # Deleting is a change too: one more deployment, the secret gone.
    assert cf.delete(script_path("/secrets/API_KEY")).status_code == 200
    assert len(control.cf_deployments(ACCOUNT, SCRIPT)) == 3
    assert [s["name"] for s in cf.get(script_path("/secrets")).json()["result"]] == ["SIGNING_KEY"]


def test_secret_put_is_refused_during_a_gradual_deployment(
    control: SandboxControl, cf: httpx.Client
) -> None:
    old = control.cf_script(ACCOUNT, SCRIPT)
    new = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    deploy(cf, {new: 50, old: 50})
    refused = put_secret(cf, "SIGNING_KEY", "x")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == 10215
    assert live_versions(cf) == {new: 50, old: 50}  # nothing was deployed


def test_secret_put_is_refused_while_the_latest_version_is_undeployed(
    control: SandboxControl, cf: httpx.Client
) -> None:
    """Cloudflare's actual rule: the LATEST version must be the fully deployed one."""
    control.cf_script(ACCOUNT, SCRIPT)
    new = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    assert put_secret(cf, "SIGNING_KEY", "x").json()["errors"][0]["code"] == 10215
    deploy(cf, {new: 100})
    assert put_secret(cf, "SIGNING_KEY", "x").status_code == 200


def test_rolling_back_past_a_secret_change_needs_force(
    control: SandboxControl, cf: httpx.Client
) -> None:
    before = control.cf_script(ACCOUNT, SCRIPT, secrets={"SIGNING_KEY": "old"})
    put_secret(cf, "SIGNING_KEY", "new")
    refused = deploy(cf, {before: 100}, message="rollback")
    assert refused.status_code == 400
    assert refused.json()["errors"][0] == {
        "code": 10220,
        "message": "The following secrets have changed: SIGNING_KEY",
    }
    forced = cf.post(
        script_path("/deployments"),
        params={"force": "true"},
        json={"strategy": "percentage", "versions": [{"version_id": before, "percentage": 100}]},
    )
    assert forced.status_code == 200
    assert live_versions(cf) == {before: 100}


def test_secret_of_an_unknown_script_is_10007(control: SandboxControl, cf: httpx.Client) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    answer = cf.put(
        f"/accounts/{ACCOUNT}/workers/scripts/ghost/secrets",
        json={"name": "A", "text": "b", "type": "secret_text"},
    )
    assert answer.status_code == 404 and answer.json()["errors"][0]["code"] == 10007

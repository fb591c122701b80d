"""The endpoints wrangler uses around a deploy, over plain HTTP (test_wrangler.py runs wrangler)."""

from __future__ import annotations

import httpx

from sandbox.control import SandboxControl
from tests.sandbox.helpers import ACCOUNT, CF_TOKEN, SCRIPT, script_path

WRANGLER_UA = {"User-Agent": "wrangler/4.86.0"}


def errors(response: httpx.Response) -> list[int]:
    body = response.json()
    assert body["success"] is False
    return [e["code"] for e in body["errors"]]


def test_services_answers_10090_for_an_unknown_worker(
    cf: httpx.Client, control: SandboxControl
) -> None:
    control.seed({"cloudflare": {"accounts": [{"id": ACCOUNT}]}})
    response = cf.get(f"/accounts/{ACCOUNT}/workers/services/nope")
    assert response.status_code == 404
    assert errors(response) == [10090]
    assert response.json()["errors"][0]["message"] == "workers.api.error.service_not_found"


def test_services_shows_the_script_and_who_deployed_it_last(
    cf: httpx.Client, control: SandboxControl
) -> None:
    first = control.cf_script(ACCOUNT, SCRIPT)
    service = cf.get(f"/accounts/{ACCOUNT}/workers/services/{SCRIPT}").json()["result"]
    assert service["id"] == SCRIPT
    script = service["default_environment"]["script"]
    assert service["default_environment"]["environment"] == "production"
    assert script["last_deployed_from"] == "api"
    assert script["tags"] == []

    uploaded = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    deployed = cf.post(
        script_path("/deployments"),
        headers=WRANGLER_UA,
        json={"strategy": "percentage", "versions": [{"version_id": uploaded, "percentage": 100}]},
    )
    assert deployed.json()["result"]["source"] == "wrangler"
    service = cf.get(f"/accounts/{ACCOUNT}/workers/services/{SCRIPT}").json()["result"]
    assert service["default_environment"]["script"]["last_deployed_from"] == "wrangler"
    assert first != uploaded


def test_version_uploads_record_wrangler_as_their_source(
    cf: httpx.Client, control: SandboxControl
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    response = cf.post(
        script_path("/versions"),
        headers=WRANGLER_UA,
        files={
            "metadata": (None, '{"main_module": "index.js"}', "application/json"),
            "index.js": ("index.js", "export default {};", "application/javascript+module"),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["result"]["metadata"]["source"] == "wrangler"


def test_script_settings_patch_merges(cf: httpx.Client, control: SandboxControl) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    patched = cf.patch(
        script_path("/script-settings"),
        json={"observability": {"enabled": False}, "tags": ["cf:service=auth-api"]},
    )
    assert patched.json()["result"] == {
        "logpush": False,
        "tail_consumers": None,
        "observability": {"enabled": False},
        "tags": ["cf:service=auth-api"],
    }
    cf.patch(script_path("/script-settings"), json={"logpush": True})
    settings = cf.get(script_path("/script-settings")).json()["result"]
    assert settings["logpush"] is True
    assert settings["tags"] == ["cf:service=auth-api"]

    bad = cf.patch(script_path("/script-settings"), json={"tags": "not-a-list"})
    assert bad.status_code == 400
    assert errors(bad) == [10021]


def test_versioned_settings_show_the_live_bindings(
    cf: httpx.Client, control: SandboxControl
) -> None:
    control.cf_script(ACCOUNT, SCRIPT, secrets=["SIGNING_KEY"])
    settings = cf.get(script_path("/settings")).json()["result"]
    assert settings["bindings"] == [{"name": "SIGNING_KEY", "type": "secret_text"}]
    assert settings["compatibility_date"] == "2025-01-01"


def test_workers_dev_subdomains(cf: httpx.Client, control: SandboxControl) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    account = f"/accounts/{ACCOUNT}/workers/subdomain"
    assert cf.get(account).json()["result"] == {"subdomain": "sandbox"}
    assert cf.put(account, json={"subdomain": "acme"}).json()["result"] == {"subdomain": "acme"}
    assert errors(cf.put(account, json={"subdomain": "Not Valid"})) == [10021]

    assert cf.get(script_path("/subdomain")).json()["result"] == {
        "enabled": False,
        "previews_enabled": False,
    }
    # Left out, previews_enabled follows enabled (what wrangler relies on).
    on = cf.post(script_path("/subdomain"), json={"enabled": True})
    assert on.json()["result"] == {"enabled": True, "previews_enabled": True}
    only_route = cf.post(
        script_path("/subdomain"), json={"enabled": True, "previews_enabled": False}
    )
    assert only_route.json()["result"] == {"enabled": True, "previews_enabled": False}
    assert cf.delete(script_path("/subdomain")).status_code == 200
    assert cf.get(script_path("/subdomain")).json()["result"]["enabled"] is False


def test_schedules_are_replaced_as_a_whole(cf: httpx.Client, control: SandboxControl) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    put = cf.put(script_path("/schedules"), json=[{"cron": "*/5 * * * *"}, {"cron": "0 0 * * *"}])
    assert [s["cron"] for s in put.json()["result"]["schedules"]] == ["*/5 * * * *", "0 0 * * *"]
    cf.put(script_path("/schedules"), json=[])
    assert cf.get(script_path("/schedules")).json()["result"] == {"schedules": []}
    assert errors(cf.put(script_path("/schedules"), json={"cron": "x"})) == [10021]


def test_who_am_i(cf: httpx.Client, control: SandboxControl) -> None:
    control.seed({"cloudflare": {"accounts": [{"id": "b-acct"}, {"id": ACCOUNT}]}})
    assert cf.get("/user/tokens/verify").json()["result"]["status"] == "active"
    assert cf.get(f"/accounts/{ACCOUNT}/tokens/verify").json()["result"]["status"] == "active"
    assert cf.get("/user").json()["result"]["email"] == "sandbox@example.com"
    memberships = cf.get("/memberships", params={"per_page": 1, "page": 2}).json()
    assert [m["account"]["id"] for m in memberships["result"]] == ["b-acct"]
    assert memberships["result_info"]["total_count"] == 2
    accounts = cf.get("/accounts").json()["result"]
    assert [a["id"] for a in accounts] == [ACCOUNT, "b-acct"]
    # The token is never echoed, not even hashed.
    assert CF_TOKEN not in cf.get("/user/tokens/verify").text

"""Cloudflare versions and deployments, and the sample Worker following the live deployment."""

from __future__ import annotations

from collections import Counter

import httpx

from sandbox.control import SandboxControl
from tests.sandbox.helpers import ACCOUNT, CF_TOKEN, SCRIPT, deploy, live_versions, script_path

MODULE = b"export default { fetch() { return new Response('v'); } };"


def served_by(worker: httpx.Client, n: int = 1, **headers: str) -> Counter[str]:
    return Counter(worker.get("/health", headers=headers).json()["version_id"] for _ in range(n))


def test_version_upload_does_not_deploy(
    control: SandboxControl, cf: httpx.Client, worker: httpx.Client
) -> None:
    initial = control.cf_script(ACCOUNT, SCRIPT)
    uploaded = control.cf_upload_version(ACCOUNT, SCRIPT, message="ci build 42", token=CF_TOKEN)
    assert uploaded != initial
    assert live_versions(cf) == {initial: 100}
    assert served_by(worker, 5) == Counter({initial: 5})
    listed = cf.get(script_path("/versions")).json()
    assert [v["id"] for v in listed["result"]["items"]] == [uploaded, initial]  # latest first
    assert listed["result_info"]["total_count"] == 2
    detail = cf.get(script_path(f"/versions/{uploaded}")).json()["result"]
    assert detail["annotations"]["workers/message"] == "ci build 42"


def test_deployment_switches_live_version_and_worker_follows(
    control: SandboxControl, cf: httpx.Client, worker: httpx.Client
) -> None:
    initial = control.cf_script(ACCOUNT, SCRIPT)
    new = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    answer = deploy(cf, {new: 100}, message="release 42")
    assert answer.status_code == 200
    result = answer.json()["result"]
    assert result["annotations"] == {
        "workers/message": "release 42",
        "workers/triggered_by": "deployment",
    }
    assert live_versions(cf) == {new: 100}
    assert served_by(worker, 3) == Counter({new: 3})
    # Rollback is just another deployment of the previous version.
    assert deploy(cf, {initial: 100}, message="rollback").status_code == 200
    assert served_by(worker) == Counter({initial: 1})
    history = control.cf_deployments(ACCOUNT, SCRIPT)
    assert [d["annotations"].get("workers/message") for d in history] == [
        "rollback",
        "release 42",
        "initial version",
    ]


def test_gradual_split_and_version_override(
    control: SandboxControl, cf: httpx.Client, worker: httpx.Client
) -> None:
    old = control.cf_script(ACCOUNT, SCRIPT)
    new = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    assert deploy(cf, {new: 10, old: 90}).status_code == 200
    counts = served_by(worker, 400)
    assert set(counts) == {new, old}
    assert 15 <= counts[new] <= 70  # ~40 expected; the generator is seeded, so this is stable
    override = {"Cloudflare-Workers-Version-Overrides": f'{SCRIPT}="{new}"'}
    assert served_by(worker, 5, **override) == Counter({new: 5})
    # An override for a version outside the deployment is ignored, as Cloudflare does.
    stranger = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    ignored = served_by(
        worker, 20, **{"Cloudflare-Workers-Version-Overrides": f'{SCRIPT}="{stranger}"'}
    )
    assert stranger not in ignored
    # A version at 0% is still reachable by override.
    assert deploy(cf, {new: 0, old: 100}).status_code == 200
    assert served_by(worker, 3, **override) == Counter({new: 3})
    assert new not in served_by(worker, 30)


def test_put_script_deploys_at_once_and_creates_missing_scripts(
    control: SandboxControl, cf: httpx.Client, worker: httpx.Client
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    metadata = '{"main_module": "index.js", "annotations": {"workers/message": "hotfix"}}'
    answer = cf.put(
        script_path(),
        files={
            "metadata": (None, metadata, "application/json"),
            "index.js": ("index.js", MODULE, "application/javascript+module"),
        },
    )
    assert answer.status_code == 200
    version_id = answer.json()["result"]["deployment_id"]
    assert live_versions(cf) == {version_id: 100}
    assert served_by(worker) == Counter({version_id: 1})
    created = cf.put(
        f"/accounts/{ACCOUNT}/workers/scripts/brand-new",
        files={
            "metadata": (None, '{"main_module": "index.js"}', "application/json"),
            "index.js": ("index.js", MODULE, "application/javascript+module"),
        },
    )
    assert created.status_code == 200
    names = [s["id"] for s in cf.get(f"/accounts/{ACCOUNT}/workers/scripts").json()["result"]]
    assert names == [SCRIPT, "brand-new"]


def test_version_upload_needs_main_module_and_an_existing_script(
    control: SandboxControl, cf: httpx.Client
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    no_main = cf.post(
        script_path("/versions"),
        files={
            "metadata": (None, '{"body_part": "index.js"}', "application/json"),
            "index.js": ("index.js", MODULE, "application/javascript"),
        },
    )
    assert no_main.status_code == 400
    assert no_main.json()["success"] is False and no_main.json()["errors"][0]["code"] == 10021
    missing = cf.post(
        f"/accounts/{ACCOUNT}/workers/scripts/ghost/versions",
        files={
            "metadata": (None, '{"main_module": "index.js"}', "application/json"),
            "index.js": ("index.js", MODULE, "application/javascript+module"),
        },
    )
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == 10007


def test_deployment_validation(control: SandboxControl, cf: httpx.Client) -> None:
    v1 = control.cf_script(ACCOUNT, SCRIPT)
    v2 = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    v3 = control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    bad = [
        {"strategy": "immediate", "versions": [{"version_id": v1, "percentage": 100}]},
        {"strategy": "percentage", "versions": []},
        {"strategy": "percentage", "versions": [{"version_id": v1, "percentage": 60}]},
        {
            "strategy": "percentage",
            "versions": [{"version_id": v, "percentage": 100 / 3} for v in (v1, v2, v3)],
        },
        {"strategy": "percentage", "versions": [{"version_id": "nope", "percentage": 100}]},
    ]
    for body in bad:
        answer = cf.post(script_path("/deployments"), json=body)
        assert answer.status_code == 400, body
        assert answer.json()["success"] is False and answer.json()["result"] is None
    assert live_versions(cf) == {v1: 100}


def test_versions_pagination_and_deployable(control: SandboxControl, cf: httpx.Client) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    for _ in range(4):
        control.cf_upload_version(ACCOUNT, SCRIPT, token=CF_TOKEN)
    page2 = cf.get(script_path("/versions"), params={"page": 2, "per_page": 2}).json()
    assert [v["number"] for v in page2["result"]["items"]] == [3, 2]
    assert page2["result_info"] == {"page": 2, "per_page": 2, "count": 2, "total_count": 5}
    deployable = cf.get(script_path("/versions"), params={"deployable": "true", "per_page": 1})
    assert len(deployable.json()["result"]["items"]) == 5  # deployable ignores pagination


def test_unknown_things_are_404_envelopes(control: SandboxControl, cf: httpx.Client) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    for path, code in (
        (f"/accounts/{ACCOUNT}/workers/scripts/ghost/deployments", 10007),
        (script_path("/versions/00000000-0000-0000-0000-000000000000"), 10007),
        ("/accounts/other/workers/scripts", 7003),
        ("/no/such/route", 7003),
    ):
        answer = cf.get(path)
        assert answer.status_code == 404, path
        assert answer.json()["success"] is False
        assert answer.json()["errors"][0]["code"] == code


def test_messages_are_cut_to_100_bytes_as_cloudflare_does(
    control: SandboxControl, cf: httpx.Client
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    long = "é" * 60 + " and the rest"  # 120 bytes of 2-byte characters, then more
    uploaded = control.cf_upload_version(ACCOUNT, SCRIPT, message=long, token=CF_TOKEN)
    kept = cf.get(script_path(f"/versions/{uploaded}")).json()["result"]["annotations"]
    assert kept["workers/message"] == "é" * 50  # 100 bytes, no half character
    answer = deploy(cf, {uploaded: 100}, message="x" * 99 + "yz")
    assert answer.status_code == 200  # cut, not refused
    assert answer.json()["result"]["annotations"]["workers/message"] == "x" * 99 + "y"
    listed = cf.get(script_path("/deployments")).json()["result"]["deployments"][0]
    assert listed["annotations"]["workers/message"] == "x" * 99 + "y"


def test_version_tag_is_kept_and_returned_as_an_annotation(
    control: SandboxControl, cf: httpx.Client
) -> None:
    control.cf_script(ACCOUNT, SCRIPT)
    sha = "0123456789abcdef0123456789abcdef01234567"
    uploaded = control.cf_upload_version(ACCOUNT, SCRIPT, message="ci", tag=sha, token=CF_TOKEN)
    detail = cf.get(script_path(f"/versions/{uploaded}")).json()["result"]
    assert detail["annotations"]["workers/tag"] == sha
    listed = cf.get(script_path("/versions")).json()["result"]["items"][0]
    assert listed["annotations"] == {
        "workers/tag": sha,
        "workers/message": "ci",
        "workers/triggered_by": "version_upload",
    }

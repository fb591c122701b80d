from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from procedure.policy import PolicyError, parse_policy
from tasks.policy_file import load_policy

POLICY = Path(__file__).resolve().parents[2] / "policy" / "release-policy.yaml"


def document() -> dict:
    return yaml.safe_load(POLICY.read_text())


def test_shipped_policy_reads_as_the_procedure_says() -> None:
    policy = load_policy(POLICY)
    assert policy.monitor.standard == timedelta(minutes=30)
    assert policy.monitor.significant == timedelta(hours=2)
    assert policy.metadata.owner == "Security Lead"
    assert policy.metadata.next_review == date(2026, 11, 21)
    verifier = policy.service("verifier")
    assert verifier.has_sandbox and verifier.deploy_order == ["sandbox", "production"]
    assert policy.service("edge-router").deploy_order == ["production"]


def test_sandbox_profile_shrinks_durations_and_points_at_the_sandbox(monkeypatch) -> None:
    monkeypatch.setenv("RELORCH_SANDBOX_URL", "http://127.0.0.1:9999")
    policy = load_policy(POLICY, "sandbox")
    assert policy.monitor.standard == timedelta(seconds=6)
    assert policy.slots.wait == timedelta(seconds=60) and load_policy(
        POLICY
    ).slots.wait == timedelta(minutes=30)
    assert policy.service("verifier").environments["production"].url == (
        "http://127.0.0.1:9999/workers/verifier-production"
    )
    # everything the profile does not mention is the base policy's
    assert policy.checklist.ci_recheck_interval == timedelta(seconds=1)
    shrunk = {"ci_wait", "ci_recheck_interval"}
    assert policy.checklist.model_dump(exclude=shrunk) == load_policy(POLICY).checklist.model_dump(
        exclude=shrunk
    )


def test_profile_needing_an_unset_variable_names_it(monkeypatch) -> None:
    monkeypatch.delenv("RELORCH_SANDBOX_URL", raising=False)
    with pytest.raises(PolicyError, match="RELORCH_SANDBOX_URL is not set"):
        load_policy(POLICY, "sandbox")
    # parse_policy without an env: every reference is unset, whatever the process has
    monkeypatch.setenv("RELORCH_SANDBOX_URL", "http://127.0.0.1:9999")
    with pytest.raises(PolicyError, match="RELORCH_SANDBOX_URL is not set"):
        parse_policy(document(), profile="sandbox")
    assert (
        load_policy(POLICY, "sandbox", env={"RELORCH_SANDBOX_URL": "http://x:1"})
        .service("verifier")
        .environments["production"]
        .url.startswith("http://x:1/")
    )


def test_unknown_profile_is_named() -> None:
    with pytest.raises(PolicyError, match="profiles.staging: no such profile"):
        load_policy(POLICY, "staging")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["monitor"].update(standard="thirty"), "monitor.standard"),
        (
            lambda d: d["services"]["verifier"].update(repo="no-slash"),
            "services.verifier.repo: Value error, must look like owner/name",
        ),
        (
            lambda d: d["services"]["verifier"]["error_rate"].update(max_error_rate=2),
            "services.verifier.error_rate.max_error_rate",
        ),
        (
            lambda d: d["services"]["verifier"].update(colour="blue"),
            "services.verifier.colour: Extra inputs are not permitted",
        ),
        (lambda d: d["metadata"].pop("owner"), "metadata.owner: Field required"),
        (
            lambda d: d["services"]["verifier"]["environments"].pop("production"),
            "environments must include production",
        ),
        (
            lambda d: d["services"].update({"Bad Name": copy.deepcopy(d["services"]["verifier"])}),
            "'Bad Name' must be lowercase",
        ),
        (
            lambda d: d["slots"].update(poll="1m", stale="1m"),
            "slots.stale must be more than twice slots.poll",
        ),
        (lambda d: d["slots"].update(wait="forever"), "slots.wait"),
    ],
)
def test_bad_policy_names_file_key_and_expectation(tmp_path: Path, mutate, expected: str) -> None:
    doc = document()
    mutate(doc)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("services: [unclosed")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(broken)


def test_review_overdue_warning() -> None:
    meta = parse_policy(document()).metadata
    assert meta.review_warning(date(2026, 11, 21)) is None
    warning = meta.review_warning(date(2026, 11, 26))
    assert warning and "2026-11-21" in warning and "5 days ago" in warning


def test_unknown_service_lists_known_ones() -> None:
    with pytest.raises(
        PolicyError, match="unknown service 'nope'; the policy knows: edge-router, verifier"
    ):
        parse_policy(document()).service("nope")


def test_production_from_ci_is_gone_and_refused_by_name(tmp_path: Path) -> None:
    """It was never honoured (every production deploy comes from the standard flow or the
    emergency path), so a policy that still sets it is told so instead of being trusted."""
    doc = document()
    doc["services"]["verifier"]["production_from_ci"] = False
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(PolicyError, match="production_from_ci"):
        load_policy(path)


# -- dangerous values (issue 7, item 20): every duration has a range, every error names file + key


def _load_mutated(tmp_path: Path, mutate) -> str:
    doc = document()
    mutate(doc)
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert str(path) in str(raised.value)
    return str(raised.value)


@pytest.mark.parametrize(
    ("mutate", "key", "says"),
    [
        (
            lambda d: d["android_apps"]["wallet"].update(stage_soak=-5),
            "android_apps.wallet.stage_soak",
            "must not be negative",
        ),
        (lambda d: d["monitor"].update(standard=-30), "monitor.standard", "must not be negative"),
        (
            lambda d: d["monitor"].update(baseline_window="0s"),
            "monitor.baseline_window",
            "longer than zero",
        ),
        (
            lambda d: d["monitor"].update(check_interval=0),
            "monitor.check_interval",
            "longer than zero",
        ),
        (
            lambda d: d["monitor"].update(check_interval=-1),
            "monitor.check_interval",
            "must not be negative",
        ),
        (
            lambda d: d["monitor"].update(check_interval="-PT5S"),
            "monitor.check_interval",
            "must not be negative",
        ),
        (
            lambda d: d["monitor"].update(check_interval="10ms"),
            "monitor.check_interval",
            "at least 0.1s",
        ),
        (
            lambda d: d["monitor"].update(check_interval="2d"),
            "monitor.check_interval",
            "at most 1d",
        ),
        (
            lambda d: d["monitor"].update(check_interval=True),
            "monitor.check_interval",
            "not true/false",
        ),
        (
            lambda d: d["monitor"].update(standard="99999999999d"),
            "monitor.standard",
            "far too long",
        ),
        (lambda d: d["monitor"].update(standard=float("inf")), "monitor.standard", "far too long"),
        (lambda d: d["monitor"].update(standard=float("nan")), "monitor.standard", "not NaN"),
        (lambda d: d["monitor"].update(significant="31d"), "monitor.significant", "at most 30d"),
        (
            lambda d: d["freeze"].update(recheck_interval="0s"),
            "freeze.recheck_interval",
            "longer than zero",
        ),
        (
            lambda d: d["freeze"]["maintenance"].update(margin_after=-60),
            "freeze.maintenance.margin_after",
            "must not be negative",
        ),
        (
            lambda d: d["emergency"].update(monitor_window=-1),
            "emergency.monitor_window",
            "must not be negative",
        ),
        (
            lambda d: d["android_apps"]["wallet"].update(review_check_interval=0),
            "android_apps.wallet.review_check_interval",
            "longer than zero",
        ),
        (
            lambda d: d["android_apps"]["wallet"]["vitals"].update(recheck_after="0s"),
            "android_apps.wallet.vitals.recheck_after",
            "longer than zero",
        ),
        (lambda d: d.update(profiles=["sandbox"]), "profiles", "expected a mapping"),
    ],
)
def test_dangerous_durations_and_intervals_are_refused_naming_file_and_key(
    tmp_path: Path, mutate, key: str, says: str
) -> None:
    message = _load_mutated(tmp_path, mutate)
    assert key in message and says in message, message


def test_sandbox_profile_and_test_values_stay_valid() -> None:
    doc = document()
    doc["profiles"]["sandbox"]["monitor"].update(check_interval="0.5s", analytics_lag="0s")
    # the core reads no environment: the caller passes the values `${NAME}` refers to
    policy = parse_policy(
        doc, profile="sandbox", env={"RELORCH_SANDBOX_URL": "http://127.0.0.1:9999"}
    )
    assert policy.monitor.check_interval == timedelta(seconds=0.5)
    assert policy.freeze.recheck_interval == timedelta(seconds=3)
    assert policy.android_apps["wallet"].internal_soak_standard == timedelta(seconds=1)


def _bomb(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        refs = ", ".join([f"*l{n - 1}"] * 9)
        lines.append(f"l{n}: &l{n} [{refs}]")
    return "\n".join(lines) + "\n"


def test_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    import time

    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(7))  # 9**7 strings once expanded: today the loader walks them all
    started = time.monotonic()
    with pytest.raises(
        PolicyError, match=r"bomb.yaml: not valid YAML: anchors \(&l0\) are not allowed"
    ):
        load_policy(path)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "metadata: &meta\n  owner: x\nother: *meta\n",
            "anchors (&meta) are not allowed in the policy (under key 'metadata')",
        ),
        ("}}}{{{ :::: - - [", "not valid YAML"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
        ("just words", "expected a mapping at the top level"),
    ],
)
def test_garbage_is_refused_naming_the_file(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "garbage.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as raised:
        load_policy(path)
    assert str(raised.value).startswith(f"{path}: ") and says in str(raised.value), raised.value


def test_binary_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(PolicyError, match=f"{path}: not UTF-8 text"):
        load_policy(path)


def test_relctl_policy_check_names_the_key_without_a_traceback(tmp_path: Path, capsys) -> None:
    from relctl.cli import main

    doc = document()
    doc["monitor"]["check_interval"] = 0
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert main(["policy", "check", "--policy", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: " in err and "monitor.check_interval" in err and "Traceback" not in err


def test_a_device_or_huge_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="/dev/zero: larger than"):
        load_policy("/dev/zero")
    huge = tmp_path / "policy.yaml"
    huge.write_text("# padding\n" * 200_000)
    with pytest.raises(PolicyError, match=f"{huge}: larger than"):
        load_policy(huge)

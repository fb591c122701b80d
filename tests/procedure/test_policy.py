from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from procedure.policy import PolicyError, load_policy, parse_policy

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


def test_unknown_profile_is_named() -> None:
    with pytest.raises(PolicyError, match="profiles.staging: no such profile"):
        load_policy(POLICY, "staging")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["monitor"].update(standard="thirty"), "monitor.standard"),
        (lambda d: d["services"]["verifier"].update(repo="no-slash"), "services.verifier.repo: Value error, must look like owner/name"),
        (lambda d: d["services"]["verifier"]["error_rate"].update(max_error_rate=2), "services.verifier.error_rate.max_error_rate"),
        (lambda d: d["services"]["verifier"].update(colour="blue"), "services.verifier.colour: Extra inputs are not permitted"),
        (lambda d: d["metadata"].pop("owner"), "metadata.owner: Field required"),
        (lambda d: d["services"]["verifier"]["environments"].pop("production"), "environments must include production"),
        (lambda d: d["services"].update({"Bad Name": d["services"]["verifier"]}), "'Bad Name' must be lowercase"),
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
    with pytest.raises(PolicyError, match="unknown service 'nope'; the policy knows: edge-router, verifier"):
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

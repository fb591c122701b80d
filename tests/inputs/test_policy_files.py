"""Generated bad policy files (issue 12, bad input): the shipped policy with one thing wrong is
either accepted or refused with a PolicyError that names the key path (`android_apps.wallet.
stages`), or for text that is not YAML, the file and the line — never another exception from
deep inside. A flow given a bad policy file fails before any provider call."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings

from procedure.policy import Policy, PolicyError
from tasks.policy_file import load_policy

from .policy_mutations import DOCUMENT, PolicyMutation, policy_mutations

MANY = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ENV = {"RELORCH_SANDBOX_URL": "http://127.0.0.1:9"}
# "  - android_apps.wallet.stages: Value error, ..." under "<file>: the policy does not match its
# model:", or "<file>[ profile]: profiles.sandbox: expected a mapping" on the first line
PROBLEM = re.compile(r"^  - (?P<loc>.+?): (?P<msg>.*)$", re.MULTILINE)
HEADER = re.compile(r"^\S+?(?: \[profile \w+\])?: (?P<loc>[\w.-]+): (?P<msg>.*)$")


def dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def load(
    mutation: PolicyMutation, profile: str | None, env: dict[str, str] = ENV
) -> Policy | PolicyError:
    with tempfile.TemporaryDirectory() as folder:
        path = mutation.write(Path(folder))
        try:
            return load_policy(path, profile, env=env)
        except PolicyError as error:  # anything else fails the test: a crash, not a refusal
            text = str(error)
            assert text.startswith(str(path)), text  # the file is named
            return error


def names_the_path(text: str, path: tuple[str | int, ...]) -> bool:
    """A problem at the path itself, at its parent (a rule over its items), or further up
    saying which key below it is wrong."""
    header = HEADER.match(text.splitlines()[0])
    for found in [*PROBLEM.finditer(text), *([header] if header else [])]:
        loc = tuple(found["loc"].split("."))
        wanted = tuple(str(p) for p in path)
        if loc[: len(wanted)] == wanted or loc == wanted[:-1]:  # there, below, or its parent
            return True
        if wanted[: len(loc)] == loc and re.search(
            rf"\b{re.escape(wanted[len(loc)])}\b", found["msg"]
        ):
            return True
    return False


@MANY
@given(policy_mutations())
def test_a_bad_policy_is_refused_naming_the_key(mutation: PolicyMutation) -> None:
    for profile in (None, "sandbox"):
        path = mutation.path
        if profile and path[:2] == ("profiles", profile):
            path = path[2:]  # the profile's keys are the policy's own once merged
        elif path[:1] == ("profiles",) and profile is None and len(path) > 2:
            continue  # a profile not loaded is not read (beyond being a mapping)
        result = load(mutation, profile)
        event(f"{mutation.kind}: {'accepted' if isinstance(result, Policy) else 'refused'}")
        if isinstance(result, Policy):
            # YAML keeps the last of a key written twice: a policy must not be read that way
            assert mutation.kind != "duplicate", f"{mutation} accepted"
            continue
        text = str(result)
        if mutation.kind == "yaml":  # not YAML (its line), or YAML the model refuses
            assert re.search(r"line \d+", text) or PROBLEM.search(text), text
        elif mutation.kind == "duplicate":
            assert "written twice" in text and re.search(r"line \d+", text), text
        elif mutation.kind == "unknown":
            named = (*path, mutation.value)
            assert names_the_path(text, named) or names_the_path(text, path), text
        elif not mutation.path:
            assert "top level" in text, text
        else:
            assert names_the_path(text, path) or names_the_path(text, mutation.path), text


def test_the_shipped_policy_loads() -> None:
    """The mutations start from a policy that is right, in both its profiles."""
    unchanged = PolicyMutation("set", (), DOCUMENT)
    assert isinstance(load(unchanged, None), Policy)
    assert isinstance(load(unchanged, "sandbox"), Policy)


@pytest.mark.parametrize(
    ("mutation", "named"),
    [
        (
            PolicyMutation("set", ("android_apps", "wallet", "stages"), [0.5, 0.2, 1.0]),
            "android_apps.wallet.stages",
        ),
        (PolicyMutation("set", ("freeze", "timezone"), "Mars/Olympus"), "freeze.timezone"),
        (PolicyMutation("set", ("slots", "poll"), "-5m"), "slots.poll"),
        (PolicyMutation("drop", ("services", "verifier", "repo")), "services.verifier.repo"),
        (PolicyMutation("unknown", ("monitor",), "colour"), "monitor.colour"),
        (
            PolicyMutation("set", ("ios_apps", "wallet", "app_id"), "１６００"),
            "ios_apps.wallet.app_id",
        ),
    ],
)
def test_known_mistakes_name_their_key(mutation: PolicyMutation, named: str) -> None:
    result = load(mutation, None)
    assert isinstance(result, PolicyError)
    assert f"  - {named}: " in str(result)

"""FreezePolicy validation: defaults, durations as the policy file writes them, clear errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from procedure.freeze import DeclaredIncident, FreezePolicy


def error_for(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        FreezePolicy.model_validate(data)
    return str(caught.value)


def test_defaults() -> None:
    policy = FreezePolicy()
    assert policy.timezone == "Australia/Sydney"
    assert policy.holidays.states == ["NSW"]
    assert policy.holidays.include_kings_birthday is True
    assert policy.maintenance.components == [] and policy.maintenance.component_groups == []
    assert policy.maintenance.margin_before == timedelta(0)
    assert policy.on_source_error.incidents == "freeze"
    assert policy.on_source_error.maintenance == "freeze"
    assert policy.on_freeze == "wait"
    assert policy.recheck_interval == timedelta(minutes=5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("10s", timedelta(seconds=10)),
        ("1h30m", timedelta(minutes=90)),
        ("PT15M", timedelta(minutes=15)),
        (90, timedelta(seconds=90)),
    ],
)
def test_durations(text: object, expected: timedelta) -> None:
    policy = FreezePolicy.model_validate(
        {"recheck_interval": text, "maintenance": {"margin_before": text, "margin_after": text}}
    )
    assert policy.recheck_interval == expected
    assert policy.maintenance.margin_before == expected == policy.maintenance.margin_after


def test_states_normalised_and_deduplicated() -> None:
    policy = FreezePolicy.model_validate(
        {"holidays": {"states": ["qld", "New South Wales", "NSW"]}}
    )
    assert policy.holidays.states == ["NSW", "QLD"]


def test_naive_declared_freeze_is_rejected_with_a_clear_message() -> None:
    message = error_for(
        {
            "declared_freezes": [
                {"start": "2026-12-20T00:00", "end": "2027-01-05T00:00Z", "reason": "x"}
            ]
        }
    )
    assert "declared_freezes.0.start" in message
    assert "no UTC offset" in message


def test_declared_freeze_end_must_follow_start() -> None:
    message = error_for(
        {
            "declared_freezes": [
                {"start": "2026-12-20T00:00Z", "end": "2026-12-20T00:00Z", "reason": "x"}
            ]
        }
    )
    assert "must be after start" in message


@pytest.mark.parametrize(
    ("data", "where", "says"),
    [
        ({"timezone": "Australia/Gotham"}, "timezone", "unknown IANA time zone"),
        ({"holidays": {"states": ["XYZ"]}}, "holidays.states", "unknown Australian state"),
        ({"holidays": {"states": []}}, "holidays.states", "at least 1"),
        ({"recheck_interval": "0s"}, "recheck_interval", "longer than zero"),
        ({"maintenance": {"margin_after": -60}}, "maintenance.margin_after", "negative"),
        ({"on_freeze": "skip"}, "on_freeze", "'wait' or 'fail'"),
        ({"on_source_error": {"incidents": "maybe"}}, "on_source_error.incidents", "freeze"),
        ({"holidays": {"states": ["NSW"], "kings": True}}, "holidays.kings", "Extra inputs"),
        ({"freeze_on_weekends": True}, "freeze_on_weekends", "Extra inputs"),
    ],
)
def test_field_level_errors(data: dict[str, Any], where: str, says: str) -> None:
    message = error_for(data)
    assert where in message and says in message


def test_declared_incident_must_be_p1_or_p2() -> None:
    ok = DeclaredIncident.model_validate(
        {"id": "INC-7", "title": "db down", "priority": "p1", "start": "2026-06-01T00:00Z"}
    )
    assert ok.priority == "P1" and ok.end is None
    with pytest.raises(ValidationError, match="does not freeze"):
        DeclaredIncident.model_validate(
            {"id": "INC-8", "title": "typo", "priority": "P3", "start": "2026-06-01T00:00Z"}
        )


def test_policy_is_immutable() -> None:
    policy = FreezePolicy()
    with pytest.raises(ValidationError):
        policy.timezone = "Australia/Perth"  # type: ignore[misc]

"""One definition of "an active P1/P2 incident" for the freeze and the emergency path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from procedure.emergency import EmergencyRefused, check_incident
from procedure.freeze import (
    DeclaredIncident,
    FreezeObservations,
    FreezePolicy,
    Incident,
    evaluate_freeze,
)
from procedure.incidents import IncidentFact, IncidentRules, Standing, assess

AT = datetime(2026, 6, 10, 0, 0, tzinfo=UTC)


def fact(
    priority: str | None, urgency: str | None = "high", status: str = "triggered"
) -> IncidentFact:
    return IncidentFact("PD1", status, priority, "checkout down", "PagerDuty", urgency=urgency)


def test_emergency_allowed_for_an_incident_without_priority_but_high_urgency() -> None:
    confirmed = check_incident(fact(None, "high"), "PD1")
    assert "no priority, urgency high" in confirmed and "counts as P1/P2" in confirmed


def test_emergency_refused_for_an_incident_without_priority_and_low_urgency() -> None:
    with pytest.raises(EmergencyRefused, match="no priority, urgency low, not P1 or P2"):
        check_incident(fact(None, "low"), "PD1")


def test_callers_without_rules_keep_the_old_signature() -> None:
    # positional IncidentFact (no urgency) and check_incident(fact, id) still work
    legacy = IncidentFact("PD1", "acknowledged", "P2", "db", "PagerDuty")
    assert "P2" in check_incident(legacy, "PD1")
    with pytest.raises(EmergencyRefused, match="P3, not P1 or P2"):
        check_incident(IncidentFact("PD1", "triggered", "P3", "db", "PagerDuty"), "PD1")


def test_account_priority_names_from_the_policy() -> None:
    rules = IncidentRules(priorities=["SEV1", "SEV2"])
    assert "SEV1 - Critical" in check_incident(fact("SEV1 - Critical"), "PD1", rules)
    with pytest.raises(EmergencyRefused, match="the policy counts: SEV1, SEV2"):
        check_incident(fact("P1"), "PD1", rules)


def test_declared_incident_counts_whatever_the_account_calls_its_priorities() -> None:
    declared = DeclaredIncident(id="INC-1", title="ledger", priority="P1", start=AT)
    assert check_incident(declared.fact(AT), "INC-1", IncidentRules(priorities=["SEV1"]))


def test_declared_incident_outside_its_window_is_refused() -> None:
    declared = DeclaredIncident(
        id="INC-1", title="ledger", priority="P1", start=AT, end=AT + timedelta(hours=1)
    )
    with pytest.raises(EmergencyRefused, match="outside its declared window, not active"):
        check_incident(declared.fact(AT + timedelta(hours=1)), "INC-1")
    with pytest.raises(EmergencyRefused, match="not active"):
        check_incident(declared.fact(AT - timedelta(seconds=1)), "INC-1")


def test_resolved_is_never_active() -> None:
    with pytest.raises(EmergencyRefused, match="is resolved, not active"):
        check_incident(fact("P1", status="resolved"), "PD1")
    found = assess(IncidentFact("PD1", "resolved", None, "t", "PagerDuty", "high"), IncidentRules())
    assert found.standing is Standing.NOT_ACTIVE and not found.counts


@pytest.mark.parametrize("name", ["P10", "P1x", "SEV-1", ""])
def test_priority_names_do_not_match_loosely(name: str) -> None:
    assert not IncidentRules().priority_counts(name)


def test_blank_priority_name_in_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be blank"):
        IncidentRules(priorities=[" "])


@settings(max_examples=300, deadline=None, database=None)
@given(
    priority=st.sampled_from(
        [None, "P1", "p2", "P3", "SEV1", "SEV2 - Major", "P1 - Critical", " "]
    ),
    urgency=st.sampled_from([None, "high", "low", "HIGH"]),
    status=st.sampled_from(["triggered", "acknowledged", "resolved", "snoozed", "investigating"]),
    rules=st.builds(
        IncidentRules,
        priorities=st.sampled_from([["P1", "P2"], ["SEV1", "SEV2"], ["P1"]]),
        without_priority=st.sampled_from(["urgency", "freeze", "ignore"]),
    ),
)
def test_freeze_and_emergency_agree_on_every_incident(
    priority: str | None, urgency: str | None, status: str, rules: IncidentRules
) -> None:
    """Whatever freezes the standard release allows the emergency fix, and nothing else does."""
    policy = FreezePolicy(incidents=rules)
    observed = FreezeObservations(
        incidents=(
            Incident(id="PD1", title="t", priority=priority, status=status, urgency=urgency),
        )
    )
    frozen = any(r.source == "incident" for r in evaluate_freeze(AT, policy, observed).reasons)
    try:
        check_incident(fact(priority, urgency, status), "PD1", rules)
        allowed = True
    except EmergencyRefused:
        allowed = False
    assert frozen == allowed


MINUTES = st.integers(min_value=-600, max_value=600)


@settings(max_examples=300, deadline=None, database=None)
@given(
    start=MINUTES, length=st.one_of(st.none(), st.integers(min_value=1, max_value=600)), at=MINUTES
)
def test_freeze_and_emergency_agree_on_a_declared_incident(
    start: int, length: int | None, at: int
) -> None:
    """A declared incident holds over [start, end) — the same instants for the freeze and for
    the emergency path (the task only finds it by id; the core places it in its window)."""
    minute = timedelta(minutes=1)
    begins = AT + start * minute
    ends = None if length is None else begins + length * minute
    declared = DeclaredIncident(id="INC-1", title="ledger", priority="P2", start=begins, end=ends)
    instant = AT + at * minute
    oracle = start <= at and (length is None or at < start + length)
    policy = FreezePolicy(declared_incidents=[declared])
    frozen = any(r.source == "incident" for r in evaluate_freeze(instant, policy).reasons)
    try:
        check_incident(declared.fact(instant), "INC-1", policy.incidents)
        allowed = True
    except EmergencyRefused:
        allowed = False
    assert frozen == allowed == oracle

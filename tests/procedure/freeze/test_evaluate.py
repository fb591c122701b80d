"""evaluate_freeze on worked examples: each rule, its edges, and how windows chain."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from procedure.freeze import (
    DeclaredFreeze,
    DeclaredIncident,
    FreezeObservations,
    FreezePolicy,
    FreezeReason,
    Incident,
    Maintenance,
    MaintenanceRules,
    SourceErrorRules,
    SourceFailure,
    evaluate_freeze,
)

from .helpers import PERTH, syd, utc

POLICY = FreezePolicy()
NOTHING = FreezeObservations()


def incident(
    priority: str | None, status: str = "triggered", urgency: str | None = "high"
) -> Incident:
    return Incident(
        id="PD1",
        title="checkout down",
        priority=priority,
        status=status,
        urgency=urgency,
        url="https://pd.example/incidents/PD1",
    )


def observe(*items: Incident | Maintenance | SourceFailure) -> FreezeObservations:
    return FreezeObservations(
        incidents=tuple(i for i in items if isinstance(i, Incident)),
        maintenances=tuple(m for m in items if isinstance(m, Maintenance)),
        failures=tuple(f for f in items if isinstance(f, SourceFailure)),
    )


def only_reason(
    at: datetime, policy: FreezePolicy = POLICY, observations: FreezeObservations = NOTHING
) -> FreezeReason:
    verdict = evaluate_freeze(at, policy, observations)
    assert verdict.frozen and len(verdict.reasons) == 1, verdict
    return verdict.reasons[0]


# -- holidays: Sydney days, not UTC days --------------------------------------------------------


def test_christmas_starts_at_sydney_midnight() -> None:
    # December in Sydney is AEDT, UTC+11: Christmas starts 2026-12-24T13:00Z.
    assert syd("2026-12-25T00:00").utcoffset() == timedelta(hours=11)
    before = evaluate_freeze(utc("2026-12-24T12:59:59"), POLICY)
    assert not before.frozen and before.next_allowed == before.at and before.recheck_at is None
    verdict = evaluate_freeze(utc("2026-12-24T13:00:00"), POLICY)
    assert verdict.frozen
    (reason,) = verdict.reasons
    assert (reason.source, reason.name) == ("holiday", "Christmas Day")
    # Christmas + Boxing Day (Sat) merge; Sunday 27th is no holiday; Mon 28th is its own window.
    assert (reason.start, reason.end) == (syd("2026-12-25T00:00"), syd("2026-12-27T00:00"))
    assert verdict.next_allowed == syd("2026-12-27T00:00")
    assert verdict.recheck_at is None


def test_boxing_day_2026_substitute_monday() -> None:
    assert not evaluate_freeze(syd("2026-12-27T12:00"), POLICY).frozen
    reason = only_reason(syd("2026-12-28T09:00"))
    assert reason.name == "Boxing Day (observed)"
    assert (reason.start, reason.end) == (syd("2026-12-28T00:00"), syd("2026-12-29T00:00"))


def test_christmas_2027_runs_four_days() -> None:
    reason = only_reason(syd("2027-12-27T10:00"))
    assert reason.name == "Christmas Day (observed)"
    assert (reason.start, reason.end) == (syd("2027-12-25T00:00"), syd("2027-12-29T00:00"))


def test_perth_policy_uses_perth_days() -> None:
    perth = FreezePolicy(timezone="Australia/Perth")
    at = utc("2026-12-24T14:00:00")  # 01:00 25 Dec in Sydney, 22:00 24 Dec in Perth
    assert evaluate_freeze(at, POLICY).frozen
    verdict = evaluate_freeze(at, perth)
    assert not verdict.frozen
    assert evaluate_freeze(utc("2026-12-24T16:00:00"), perth).frozen  # Perth midnight, UTC+8
    reason = only_reason(utc("2026-12-24T16:00:00"), perth)
    assert reason.start == datetime(2026, 12, 25, tzinfo=PERTH)


def test_anzac_day_2026_saturday_and_nsw_monday() -> None:
    # §5.2: NSW adds the Monday when ANZAC Day falls on a weekend; QLD adds nothing in 2026.
    assert only_reason(syd("2026-04-25T10:00")).name == "ANZAC Day"
    assert only_reason(syd("2026-04-27T10:00")).name == "ANZAC Day (observed)"
    qld = FreezePolicy.model_validate({"holidays": {"states": ["QLD"]}})
    assert not evaluate_freeze(syd("2026-04-27T10:00"), qld).frozen


def test_easter_2027_friday_and_monday_only() -> None:
    assert only_reason(syd("2027-03-26T08:00")).name == "Good Friday"
    assert not evaluate_freeze(syd("2027-03-27T08:00"), POLICY).frozen  # Easter Saturday: NSW only
    assert not evaluate_freeze(syd("2027-03-28T08:00"), POLICY).frozen
    assert only_reason(syd("2027-03-29T08:00")).name == "Easter Monday"


def test_qld_moved_anzac_2027_counts() -> None:
    qld = FreezePolicy.model_validate({"holidays": {"states": ["QLD"]}})
    assert not evaluate_freeze(syd("2027-04-25T10:00"), qld).frozen
    assert only_reason(syd("2027-04-26T10:00"), qld).name == "ANZAC Day"


def test_days_either_side_of_dst_end() -> None:
    # Sydney leaves DST on Sun 5 Apr 2026 (03:00 AEDT -> 02:00 AEST): a 25-hour Sunday between
    # Good Friday (+11:00) and Easter Monday (+10:00).
    friday = only_reason(syd("2026-04-03T12:00"))
    assert friday.start is not None and friday.start.utcoffset() == timedelta(hours=11)
    monday = only_reason(utc("2026-04-05T14:00:00"))  # Mon 00:00 AEST
    assert monday.name == "Easter Monday"
    assert monday.start == utc("2026-04-05T14:00:00")
    assert monday.end == utc("2026-04-06T14:00:00")
    assert not evaluate_freeze(utc("2026-04-05T13:59:59"), POLICY).frozen


def test_declared_freeze_across_dst_start_chains_into_nothing() -> None:
    # DST starts Sun 4 Oct 2026 02:00 -> 03:00: a 23-hour day; the freeze ends where declared.
    policy = FreezePolicy(
        declared_freezes=[
            DeclaredFreeze(start=syd("2026-10-03T00:00"), end=syd("2026-10-05T00:00"), reason="QA")
        ]
    )
    verdict = evaluate_freeze(syd("2026-10-04T01:30"), policy)
    assert verdict.frozen and verdict.next_allowed == syd("2026-10-05T00:00")
    # Two local days, one of them 23 h long.
    # (Subtracting two Sydney datetimes would be wall-clock arithmetic: compare in UTC.)
    assert verdict.next_allowed - utc("2026-10-02T14:00:00") == timedelta(hours=24 + 23)
    assert syd("2026-10-03T00:00") == utc("2026-10-02T14:00:00")  # AEST, +10
    assert verdict.next_allowed == utc("2026-10-04T13:00:00")  # AEDT, +11


def test_recheck_at_is_exact_across_dst_start() -> None:
    # 01:58 AEST + 5 min is 03:03 AEDT (02:00-03:00 does not exist on 4 Oct 2026).
    at = syd("2026-10-04T01:58")
    verdict = evaluate_freeze(at, POLICY, observe(incident("P1")))
    assert verdict.recheck_at == utc("2026-10-03T16:03:00")
    assert verdict.recheck_at is not None
    assert verdict.recheck_at.isoformat() == "2026-10-04T03:03:00+11:00"


def test_lord_howe_half_hour_dst() -> None:
    lhi = ZoneInfo("Australia/Lord_Howe")
    policy = FreezePolicy(timezone="Australia/Lord_Howe")
    reason = only_reason(datetime(2026, 4, 6, 0, 0, tzinfo=lhi), policy)
    assert reason.start is not None and reason.start.utcoffset() == timedelta(hours=10, minutes=30)
    assert reason.start == datetime(2026, 4, 6, tzinfo=lhi)


def test_kings_birthday_freezes_by_default_on_the_home_states_date() -> None:
    at = syd("2026-06-08T10:00")
    assert only_reason(at, POLICY).name == "King's Birthday (NSW)"
    # WA keeps it on 28 September; a WA team is not frozen on the NSW date
    wa = FreezePolicy.model_validate({"holidays": {"states": ["WA"]}})
    assert not evaluate_freeze(at, wa).frozen
    assert only_reason(syd("2026-09-28T10:00"), wa).name == "King's Birthday (WA)"


def test_policy_may_exclude_kings_birthday() -> None:
    excluded = FreezePolicy.model_validate({"holidays": {"include_kings_birthday": False}})
    assert not evaluate_freeze(syd("2026-06-08T10:00"), excluded).frozen


# -- incidents --------------------------------------------------------------------------------

AT = syd("2026-06-10T10:00")


def test_p1_triggered_freezes_with_no_known_end() -> None:
    verdict = evaluate_freeze(AT, POLICY, observe(incident("P1")))
    assert verdict.frozen
    (reason,) = verdict.reasons
    assert reason.source == "incident" and reason.name == "P1 PD1: checkout down"
    assert reason.start == AT and reason.end is None
    assert reason.link == "https://pd.example/incidents/PD1"
    assert verdict.next_allowed is None
    assert verdict.recheck_at == AT + timedelta(minutes=5)


@pytest.mark.parametrize("priority", ["P2", "p2", " P1 "])
@pytest.mark.parametrize("status", ["triggered", "acknowledged", "Acknowledged"])
def test_p1_p2_open_statuses_freeze(priority: str, status: str) -> None:
    assert evaluate_freeze(AT, POLICY, observe(incident(priority, status))).frozen


@pytest.mark.parametrize("priority", ["P3", "P4", "P12", "SEV1"])
def test_other_priorities_do_not_freeze(priority: str) -> None:
    verdict = evaluate_freeze(AT, POLICY, observe(incident(priority)))
    assert not verdict.frozen and verdict.next_allowed == AT and verdict.notes == ()


def test_no_priority_high_urgency_freezes_and_is_noted() -> None:
    verdict = evaluate_freeze(AT, POLICY, observe(incident(None, urgency="high")))
    assert verdict.frozen
    (reason,) = verdict.reasons
    assert reason.name == "no priority, urgency high PD1: checkout down"
    assert verdict.notes == (
        "incident PD1 (checkout down): no priority, urgency high: counts as P1/P2 (by its urgency)",
    )


def test_no_priority_low_urgency_does_not_freeze_but_is_noted() -> None:
    verdict = evaluate_freeze(AT, POLICY, observe(incident(None, urgency="low")))
    assert not verdict.frozen and "does not count" in verdict.notes[0]


def test_no_priority_and_no_urgency_fails_closed() -> None:
    assert evaluate_freeze(AT, POLICY, observe(incident(None, urgency=None))).frozen


@pytest.mark.parametrize(("rule", "frozen"), [("freeze", True), ("ignore", False)])
def test_policy_says_what_an_incident_without_priority_counts_as(rule: str, frozen: bool) -> None:
    policy = FreezePolicy.model_validate({"incidents": {"without_priority": rule}})
    assert evaluate_freeze(AT, policy, observe(incident(None, urgency="low"))).frozen is frozen


@pytest.mark.parametrize("priority", ["SEV1", "sev2", "SEV1 - Critical", "Sev2: major"])
def test_account_priority_names_mapped_by_the_policy_freeze(priority: str) -> None:
    policy = FreezePolicy.model_validate({"incidents": {"priorities": ["SEV1", "SEV2"]}})
    assert evaluate_freeze(AT, policy, observe(incident(priority))).frozen
    assert not evaluate_freeze(AT, policy, observe(incident("P1"))).frozen
    assert not evaluate_freeze(AT, policy, observe(incident("SEV3"))).frozen


@pytest.mark.parametrize("priority", ["P1 - Critical", "P2 (High)", "p1: outage"])
def test_default_priorities_match_as_the_leading_token(priority: str) -> None:
    assert evaluate_freeze(AT, POLICY, observe(incident(priority))).frozen


def test_resolved_does_not_freeze() -> None:
    assert not evaluate_freeze(AT, POLICY, observe(incident("P1", "resolved"))).frozen


def test_unknown_status_fails_closed_with_note() -> None:
    verdict = evaluate_freeze(AT, POLICY, observe(incident("P1", "snoozed")))
    assert verdict.frozen and "unknown status" in verdict.notes[0]


def test_declared_incident_window_and_open_end() -> None:
    closed = FreezePolicy(
        declared_incidents=[
            DeclaredIncident(
                id="INC-1", title="ledger", priority="P2", start=AT, end=AT + timedelta(hours=3)
            )
        ]
    )
    assert not evaluate_freeze(AT - timedelta(seconds=1), closed).frozen
    verdict = evaluate_freeze(AT, closed)
    assert verdict.reasons[0].name == "P2 INC-1: ledger (declared)"
    assert verdict.next_allowed == AT + timedelta(hours=3)
    assert not evaluate_freeze(AT + timedelta(hours=3), closed).frozen

    open_ = FreezePolicy(
        declared_incidents=[DeclaredIncident(id="INC-2", title="x", priority="P1", start=AT)]
    )
    verdict = evaluate_freeze(AT + timedelta(days=30), open_)
    assert verdict.frozen and verdict.next_allowed is None
    assert verdict.recheck_at == AT + timedelta(days=30, minutes=5)


# -- Cloudflare maintenance -------------------------------------------------------------------

WORKERS_POLICY = FreezePolicy(
    maintenance=MaintenanceRules(
        components=["workers"],
        component_groups=["Oceania"],
        margin_before=timedelta(minutes=30),
        margin_after=timedelta(hours=1),
    )
)


def maintenance(
    status: str = "scheduled",
    components: tuple[str, ...] = ("Workers",),
    groups: tuple[str, ...] = (),
) -> Maintenance:
    return Maintenance(
        id="m1",
        name="Workers platform upgrade",
        status=status,
        scheduled_for=utc("2026-06-10T02:00:00"),
        scheduled_until=utc("2026-06-10T04:00:00"),
        components=components,
        component_groups=groups,
        url="https://www.cloudflarestatus.com/incidents/m1",
    )


def test_unrelated_data_centre_maintenance_does_not_freeze() -> None:
    london = maintenance(components=("LHR - London",), groups=("Europe",))
    assert not evaluate_freeze(utc("2026-06-10T03:00:00"), WORKERS_POLICY, observe(london)).frozen


def test_nothing_configured_matches_nothing() -> None:
    assert not evaluate_freeze(utc("2026-06-10T03:00:00"), POLICY, observe(maintenance())).frozen


@pytest.mark.parametrize(
    ("at", "frozen"),
    [
        ("2026-06-10T01:29:59", False),
        ("2026-06-10T01:30:00", True),  # 30 min margin before
        ("2026-06-10T04:59:59", True),
        ("2026-06-10T05:00:00", False),  # 1 h margin after, end exclusive
    ],
)
def test_workers_maintenance_with_margins(at: str, frozen: bool) -> None:
    verdict = evaluate_freeze(utc(at), WORKERS_POLICY, observe(maintenance()))
    assert verdict.frozen is frozen
    if frozen:
        (reason,) = verdict.reasons
        assert reason.source == "maintenance" and reason.name == "Workers platform upgrade"
        assert reason.link == "https://www.cloudflarestatus.com/incidents/m1"
        assert verdict.next_allowed == utc("2026-06-10T05:00:00")
        # Reported with the team's UTC offset (fixed-offset, so arithmetic is exact).
        assert verdict.next_allowed.utcoffset() == timedelta(hours=10)


def test_group_match_is_case_insensitive_and_exact() -> None:
    oceania = maintenance(components=("SYD - Sydney",), groups=("oceania",))
    assert evaluate_freeze(utc("2026-06-10T03:00:00"), WORKERS_POLICY, observe(oceania)).frozen
    partial = maintenance(components=("Workers KV",), groups=("Oceania East",))
    assert not evaluate_freeze(utc("2026-06-10T03:00:00"), WORKERS_POLICY, observe(partial)).frozen


@pytest.mark.parametrize("status", ["in_progress", "verifying"])
def test_overrunning_maintenance_freezes_until_completed(status: str) -> None:
    at = utc("2026-06-10T09:00:00")  # long past scheduled_until + margin
    verdict = evaluate_freeze(at, WORKERS_POLICY, observe(maintenance(status)))
    assert verdict.frozen and verdict.reasons[0].end is None
    assert verdict.next_allowed is None and verdict.recheck_at == at + timedelta(minutes=5)
    assert any("in progress" in n for n in verdict.notes)
    # Before its (margin-adjusted) start it does not freeze.
    assert not evaluate_freeze(
        utc("2026-06-10T01:00:00"), WORKERS_POLICY, observe(maintenance(status))
    ).frozen


def test_completed_maintenance_does_not_freeze_even_inside_its_window() -> None:
    done = observe(maintenance("completed"))
    assert not evaluate_freeze(utc("2026-06-10T03:00:00"), WORKERS_POLICY, done).frozen


# -- declared freezes and chaining --------------------------------------------------------------


def test_declared_freeze_start_inclusive_end_exclusive() -> None:
    policy = FreezePolicy(
        declared_freezes=[
            DeclaredFreeze(
                start=syd("2026-07-01T09:00"), end=syd("2026-07-01T17:00"), reason="audit"
            )
        ]
    )
    assert not evaluate_freeze(syd("2026-07-01T08:59:59.999999"), policy).frozen
    reason = only_reason(syd("2026-07-01T09:00"), policy)
    assert (reason.source, reason.name) == ("declared", "audit")
    assert not evaluate_freeze(syd("2026-07-01T17:00"), policy).frozen


def test_holiday_then_declared_freeze_chain() -> None:
    policy = FreezePolicy(
        declared_freezes=[
            DeclaredFreeze(
                start=syd("2026-12-27T00:00"), end=syd("2026-12-27T12:00"), reason="change freeze"
            )
        ]
    )
    verdict = evaluate_freeze(syd("2026-12-25T10:00"), policy)
    assert [r.source for r in verdict.reasons] == ["holiday"]
    assert verdict.next_allowed == syd("2026-12-27T12:00")


def test_chain_runs_through_a_freeze_into_the_substitute_day() -> None:
    policy = FreezePolicy(
        declared_freezes=[
            DeclaredFreeze(
                start=syd("2026-12-26T18:00"), end=syd("2026-12-28T00:00"), reason="holiday cover"
            )
        ]
    )
    verdict = evaluate_freeze(syd("2026-12-25T10:00"), policy)
    assert verdict.next_allowed == syd("2026-12-29T00:00")


def test_chain_into_an_open_window_asks_to_recheck_at_its_start() -> None:
    policy = FreezePolicy(
        declared_incidents=[
            DeclaredIncident(id="I", title="t", priority="P1", start=syd("2026-12-27T00:00"))
        ]
    )
    verdict = evaluate_freeze(syd("2026-12-25T10:00"), policy)
    assert verdict.frozen and [r.source for r in verdict.reasons] == ["holiday"]
    assert verdict.next_allowed is None
    assert verdict.recheck_at == syd("2026-12-27T00:00")


def test_every_reason_is_listed_open_ended_first() -> None:
    verdict = evaluate_freeze(
        syd("2026-12-25T10:00"),
        POLICY,
        observe(incident("P2"), SourceFailure(source="maintenance")),
    )
    assert [r.source for r in verdict.reasons] == ["incident", "source-unavailable", "holiday"]
    assert verdict.next_allowed is None


# -- source health ------------------------------------------------------------------------------


def test_unreadable_incident_source_fails_closed() -> None:
    failure = SourceFailure(source="incidents", detail="PagerDuty 503")
    verdict = evaluate_freeze(AT, POLICY, observe(failure))
    assert verdict.frozen
    (reason,) = verdict.reasons
    assert (reason.source, reason.name) == ("source-unavailable", "incident status unknown")
    assert verdict.next_allowed is None and verdict.recheck_at == AT + timedelta(minutes=5)
    assert verdict.notes == ("incidents source unavailable: PagerDuty 503",)


def test_unreadable_maintenance_source_fails_closed() -> None:
    reason = only_reason(AT, observations=observe(SourceFailure(source="maintenance")))
    assert reason.name == "maintenance status unknown"


def test_relaxed_policy_ignores_unreadable_source_but_notes_it() -> None:
    relaxed = FreezePolicy(on_source_error=SourceErrorRules(incidents="ignore"))
    failure = SourceFailure(source="incidents", detail="timeout")
    verdict = evaluate_freeze(AT, relaxed, observe(failure))
    assert not verdict.frozen and verdict.next_allowed == AT
    assert verdict.notes == ("incidents source unavailable (ignored by policy): timeout",)
    assert evaluate_freeze(AT, relaxed, observe(SourceFailure(source="maintenance"))).frozen


# -- API contract --------------------------------------------------------------------------------


def test_naive_instant_is_rejected() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        evaluate_freeze(datetime(2026, 12, 25, 10, 0), POLICY)


def test_json_shape() -> None:
    frozen = evaluate_freeze(utc("2026-12-24T13:00:00"), POLICY).to_json_dict()
    assert frozen == {
        "at": "2026-12-24T13:00:00+00:00",
        "frozen": True,
        "reasons": [
            {
                "source": "holiday",
                "name": "Christmas Day",
                "start": "2026-12-25T00:00:00+11:00",
                "end": "2026-12-27T00:00:00+11:00",
                "link": None,
            }
        ],
        "next_allowed": "2026-12-27T00:00:00+11:00",
    }
    open_ = evaluate_freeze(AT, POLICY, observe(incident("P1"))).to_json_dict()
    assert open_["next_allowed"] is None and open_["reasons"][0]["end"] is None


def test_fast_enough_for_thousands_per_second() -> None:
    import time

    observations = observe(maintenance(), incident("P3"), incident(None))
    start = time.perf_counter()
    for hour in range(3000):
        evaluate_freeze(
            syd("2026-12-20T00:00") + timedelta(hours=hour), WORKERS_POLICY, observations
        )
    assert time.perf_counter() - start < 1.5  # ~10 µs each here; generous for slow CI

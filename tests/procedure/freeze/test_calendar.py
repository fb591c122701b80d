"""freeze_windows: the calendar behind `relctl freeze --calendar --from DATE --days N`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from procedure.freeze import (
    DeclaredFreeze,
    DeclaredIncident,
    FreezeObservations,
    FreezePolicy,
    FreezeWindow,
    Maintenance,
    MaintenanceRules,
    freeze_windows,
)

from .helpers import syd, utc

POLICY = FreezePolicy(
    maintenance=MaintenanceRules(components=["Workers"]),
    declared_freezes=[
        DeclaredFreeze(start=syd("2026-12-20T00:00"), end=syd("2026-12-24T00:00"), reason="EOY")
    ],
    declared_incidents=[
        DeclaredIncident(
            id="INC-9",
            title="ledger",
            priority="P1",
            start=syd("2026-12-22T08:00"),
            end=syd("2026-12-22T11:00"),
        )
    ],
)
OBSERVED = FreezeObservations(
    maintenances=(
        Maintenance(
            id="m1",
            name="Workers upgrade",
            status="scheduled",
            scheduled_for=utc("2026-12-29T01:00:00"),
            scheduled_until=utc("2026-12-29T03:00:00"),
            components=("Workers",),
        ),
        Maintenance(
            id="m2",
            name="LHR (London)",
            status="scheduled",
            scheduled_for=utc("2026-12-29T01:00:00"),
            scheduled_until=utc("2026-12-29T03:00:00"),
            components=("LHR - London",),
        ),
    )
)


def table(windows: list[FreezeWindow]) -> list[tuple[str, str, str, str | None]]:
    return [
        (w.source, w.name, w.start.isoformat(), w.end.isoformat() if w.end else None)
        for w in windows
    ]


def test_december_2026_all_sources() -> None:
    got = freeze_windows(syd("2026-12-15T00:00"), syd("2027-01-05T00:00"), POLICY, OBSERVED)
    assert table(got) == [
        ("declared", "EOY", "2026-12-20T00:00:00+11:00", "2026-12-24T00:00:00+11:00"),
        (
            "incident",
            "P1 INC-9: ledger (declared)",
            "2026-12-22T08:00:00+11:00",
            "2026-12-22T11:00:00+11:00",
        ),
        (
            "holiday",
            "Christmas Day / Boxing Day",
            "2026-12-25T00:00:00+11:00",
            "2026-12-27T00:00:00+11:00",
        ),
        (
            "holiday",
            "Boxing Day (observed)",
            "2026-12-28T00:00:00+11:00",
            "2026-12-29T00:00:00+11:00",
        ),
        (
            "maintenance",
            "Workers upgrade",
            "2026-12-29T12:00:00+11:00",
            "2026-12-29T14:00:00+11:00",
        ),
        ("holiday", "New Year's Day", "2027-01-01T00:00:00+11:00", "2027-01-02T00:00:00+11:00"),
    ]


def test_calendar_sources_are_holidays_and_declared_freezes() -> None:
    got = freeze_windows(
        syd("2026-12-15T00:00"), syd("2027-01-05T00:00"), POLICY, OBSERVED, frozenset({"calendar"})
    )
    assert [w.source for w in got] == ["declared", "holiday", "holiday", "holiday"]
    only = freeze_windows(
        syd("2026-12-15T00:00"),
        syd("2027-01-05T00:00"),
        POLICY,
        OBSERVED,
        frozenset({"maintenance"}),
    )
    assert [w.name for w in only] == ["Workers upgrade"]


def test_windows_are_whole_and_half_open_at_range_edges() -> None:
    # Starting mid-run returns the whole run; a run starting exactly at the range end is out.
    got = freeze_windows(syd("2026-12-26T12:00"), syd("2026-12-28T00:00"), FreezePolicy())
    assert table(got) == [
        (
            "holiday",
            "Christmas Day / Boxing Day",
            "2026-12-25T00:00:00+11:00",
            "2026-12-27T00:00:00+11:00",
        )
    ]
    assert freeze_windows(syd("2026-12-27T00:00"), syd("2026-12-28T00:00"), FreezePolicy()) == []


def test_full_year_count() -> None:
    year = freeze_windows(syd("2027-01-01T00:00"), syd("2028-01-01T00:00"), FreezePolicy())
    assert len(year) == 7  # ANZAC 25-26 Apr and Christmas 25-28 Dec merge; King's Birthday 14 Jun
    assert sum((w.end - w.start for w in year if w.end), timedelta()) == timedelta(days=11)
    assert year[-1].name == (
        "Christmas Day / Boxing Day / Christmas Day (observed) / Boxing Day (observed)"
    )


def test_in_progress_maintenance_is_open_ended() -> None:
    overrun = FreezeObservations(
        maintenances=(OBSERVED.maintenances[0].model_copy(update={"status": "verifying"}),)
    )
    (window,) = freeze_windows(
        syd("2026-12-30T00:00"),
        syd("2026-12-31T00:00"),
        POLICY,
        overrun,
        frozenset({"maintenance"}),
    )
    assert window.end is None


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown freeze source"):
        freeze_windows(
            utc("2026-01-01T00:00:00"),
            utc("2026-02-01T00:00:00"),
            POLICY,
            sources=frozenset({"weekends"}),
        )
    with pytest.raises(ValueError, match="before start"):
        freeze_windows(utc("2026-02-01T00:00:00"), utc("2026-01-01T00:00:00"), POLICY)
    with pytest.raises(ValueError, match="no UTC offset"):
        freeze_windows(
            utc("2026-01-01T00:00:00").replace(tzinfo=None), utc("2026-02-01T00:00:00"), POLICY
        )

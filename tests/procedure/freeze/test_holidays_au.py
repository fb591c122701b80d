"""The national-holiday set per state, as the `holidays` package (0.108+) gives it.

Reference: platform-apis.md §5 — `holidays.AU()` without a state has no substitute days, states
add "(observed)" days or move the holiday; these tests re-assert the dates on the pinned release.
"""

from __future__ import annotations

from datetime import date

import pytest

from procedure.freeze import freeze_holidays
from procedure.freeze.holidays_au import holiday_names, is_freeze_holiday, normalise_state


def days(states: tuple[str, ...], year: int, kings: bool = False) -> list[str]:
    return [d.isoformat() for d in freeze_holidays(states, year, kings)]


def test_nsw_2026_includes_boxing_day_substitute() -> None:
    assert days(("NSW",), 2026) == [
        "2026-01-01",
        "2026-01-26",
        "2026-04-03",  # Good Friday
        "2026-04-06",  # Easter Monday
        "2026-04-25",  # ANZAC Day, a Saturday
        "2026-04-27",  # NSW adds Monday for a weekend ANZAC Day (§5.2) -> "(observed)"
        "2026-12-25",
        "2026-12-26",  # Saturday
        "2026-12-28",  # Mon substitute: absent from holidays.AU() (§5.2)
    ]
    assert holiday_names(date(2026, 12, 28), ("NSW",), False) == ("Boxing Day (observed)",)
    assert holiday_names(date(2026, 4, 27), ("NSW",), False) == ("ANZAC Day (observed)",)


def test_nsw_2027_christmas_substitutes_and_easter() -> None:
    assert days(("NSW",), 2027) == [
        "2027-01-01",
        "2027-01-26",
        "2027-03-26",  # Good Friday
        "2027-03-29",  # Easter Monday (Easter Saturday/Sunday are state-only, not national)
        "2027-04-25",
        "2027-04-26",
        "2027-12-25",
        "2027-12-26",
        "2027-12-27",  # Christmas Day (observed)
        "2027-12-28",  # Boxing Day (observed)
    ]


def test_qld_moves_anzac_day_2027_and_it_counts() -> None:
    # QLD lists ANZAC Day only on Mon 26 Apr 2027 (moved, not "observed"): s115(2) makes it the day.
    qld = freeze_holidays(("QLD",), 2027, False)
    assert date(2027, 4, 25) not in qld
    assert qld[date(2027, 4, 26)] == ("ANZAC Day",)
    # ANZAC Day 2026 is a Saturday: QLD adds nothing.
    assert days(("QLD",), 2026)[4:6] == ["2026-04-25", "2026-12-25"]


def test_tas_moves_boxing_day_2026() -> None:
    assert days(("TAS",), 2026)[-2:] == ["2026-12-25", "2026-12-28"]


def test_sa_proclamation_day_is_its_boxing_day() -> None:
    sa = freeze_holidays(("SA",), 2026, False)
    assert sa[date(2026, 12, 26)] == ("Proclamation Day",)
    assert sa[date(2026, 12, 28)] == ("Proclamation Day (observed)",)


def test_several_states_are_a_union() -> None:
    union = freeze_holidays(("NSW", "QLD"), 2027, False)
    assert union[date(2027, 4, 26)] == ("ANZAC Day", "ANZAC Day (observed)")
    assert date(2027, 4, 25) in union  # NSW keeps the Sunday


def test_state_only_holidays_never_freeze() -> None:
    nsw = freeze_holidays(("NSW",), 2026, False)
    for day in ("2026-04-04", "2026-04-05", "2026-10-05", "2026-06-08"):  # Easter Sat/Sun, Labour
        assert date.fromisoformat(day) not in nsw
    assert not is_freeze_holiday("Melbourne Cup Day", True)
    assert not is_freeze_holiday("Easter Sunday (observed)", True)


def test_kings_birthday_is_per_state_and_can_be_left_out() -> None:
    assert date(2026, 6, 8) in freeze_holidays(("NSW",), 2026, True)
    assert date(2026, 9, 28) in freeze_holidays(("WA",), 2026, True)
    assert date(2026, 10, 5) in freeze_holidays(("QLD",), 2026, True)
    assert date(2026, 9, 28) not in freeze_holidays(("WA",), 2026, False)


def test_kings_birthday_named_with_the_states_observing_it() -> None:
    assert holiday_names(date(2026, 6, 8), ("NSW",), True) == ("King's Birthday (NSW)",)
    assert holiday_names(date(2026, 6, 8), ("NSW", "VIC", "WA"), True) == (
        "King's Birthday (NSW, VIC)",
    )
    assert holiday_names(date(2026, 9, 28), ("NSW", "WA"), True) == ("King's Birthday (WA)",)


def test_queens_birthday_before_2023_counts_too() -> None:
    # the package names it "Queen's Birthday" until 2022
    assert holiday_names(date(2022, 6, 13), ("NSW",), True) == ("Queen's Birthday (NSW)",)


@pytest.mark.parametrize(
    "name",
    [
        "King's Birthday",
        "King\u2019s Birthday",
        "kings birthday",
        "KING'S  BIRTHDAY (observed)",
        "Queen's Birthday",
        "Sovereign's Birthday",
    ],
)
def test_sovereign_birthday_names_match_robustly(name: str) -> None:
    assert is_freeze_holiday(name, True)
    assert not is_freeze_holiday(name, False)


@pytest.mark.parametrize("name", ["Anzac Day", "christmas day (Observed)", "Boxing  Day"])
def test_national_names_match_whatever_the_case_and_spacing(name: str) -> None:
    assert is_freeze_holiday(name, False)


def test_new_years_day_2028_substitute() -> None:
    assert days(("NSW",), 2028)[:2] == ["2028-01-01", "2028-01-03"]
    assert days(("TAS",), 2028)[0] == "2028-01-03"  # moved, listed under the plain name


@pytest.mark.parametrize(
    ("given", "code"),
    [("nsw", "NSW"), ("New South Wales", "NSW"), (" qld ", "QLD"), ("western australia", "WA")],
)
def test_state_names_normalise(given: str, code: str) -> None:
    assert normalise_state(given) == code


def test_unknown_state_names_the_valid_codes() -> None:
    with pytest.raises(ValueError, match="NSW"):
        normalise_state("Sydney")

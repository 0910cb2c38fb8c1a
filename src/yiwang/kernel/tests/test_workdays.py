"""Working days on the 2025 State Council schedule (国办发明电〔2024〕12号), built here by hand."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.errors import ServiceUnavailable
from yiwang.kernel.workdays import WorkdayCalendar


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


HOLIDAYS_2025 = [
    date(2025, 1, 1),  # 元旦
    *days(date(2025, 1, 28), date(2025, 2, 4)),  # 春节
    *days(date(2025, 4, 4), date(2025, 4, 6)),  # 清明
    *days(date(2025, 5, 1), date(2025, 5, 5)),  # 劳动节
    *days(date(2025, 5, 31), date(2025, 6, 2)),  # 端午
    *days(date(2025, 10, 1), date(2025, 10, 8)),  # 国庆、中秋
]
MAKEUP_2025 = [
    date(2025, 1, 26),  # Sunday, for 春节
    date(2025, 2, 8),  # Saturday, for 春节
    date(2025, 4, 27),  # Sunday, for 劳动节
    date(2025, 9, 28),  # Sunday, for 国庆
    date(2025, 10, 11),  # Saturday, for 国庆
]
CAL_2025 = WorkdayCalendar(HOLIDAYS_2025, MAKEUP_2025, [2025])

dates_2025 = st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 11, 30))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 1), False),  # 元旦, a Wednesday
        (date(2025, 1, 2), True),
        (date(2025, 1, 25), False),  # an ordinary Saturday
        (date(2025, 1, 26), True),  # Sunday, make-up working day
        (date(2025, 1, 28), False),  # 除夕, Tuesday
        (date(2025, 2, 4), False),
        (date(2025, 2, 5), True),
        (date(2025, 2, 8), True),  # Saturday, make-up working day
        (date(2025, 2, 9), False),
        (date(2025, 4, 4), False),  # 清明, Friday
        (date(2025, 4, 27), True),  # Sunday, make-up working day
        (date(2025, 5, 5), False),  # Monday inside 劳动节
        (date(2025, 5, 6), True),
        (date(2025, 6, 2), False),  # Monday, 端午
        (date(2025, 9, 28), True),  # Sunday, make-up working day
        (date(2025, 9, 30), True),
        (date(2025, 10, 8), False),  # Wednesday, last day of 国庆
        (date(2025, 10, 9), True),
        (date(2025, 10, 11), True),  # Saturday, make-up working day
        (date(2025, 10, 12), False),
    ],
)
def test_is_workday(day: date, working: bool) -> None:
    assert CAL_2025.is_workday(day) is working


def test_add_workdays() -> None:
    assert CAL_2025.add_workdays(date(2025, 1, 24), 1) == date(2025, 1, 26)  # Fri → make-up Sunday
    assert CAL_2025.add_workdays(date(2025, 1, 24), 2) == date(2025, 1, 27)
    assert CAL_2025.add_workdays(date(2025, 1, 24), 3) == date(2025, 2, 5)  # over the Spring Festival
    # 5 working days from Tue 09-30: 10-09, 10-10, 10-11 (make-up Saturday), 10-13, 10-14.
    assert CAL_2025.add_workdays(date(2025, 9, 30), 5) == date(2025, 10, 14)
    assert CAL_2025.add_workdays(date(2025, 10, 1), 0) == date(2025, 10, 1)
    assert CAL_2025.add_workdays(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert CAL_2025.add_workdays(date(2025, 2, 5), -3) == date(2025, 1, 24)
    assert CAL_2025.add_workdays(date(2025, 10, 12), -1) == date(2025, 10, 11)


def test_next_workday() -> None:
    assert CAL_2025.next_workday(date(2025, 9, 30)) == date(2025, 10, 9)
    assert CAL_2025.next_workday(date(2025, 10, 3), include_self=True) == date(2025, 10, 9)
    assert CAL_2025.next_workday(date(2025, 10, 9), include_self=True) == date(2025, 10, 9)
    assert CAL_2025.next_workday(date(2025, 10, 9)) == date(2025, 10, 10)
    assert CAL_2025.next_workday(date(2025, 2, 7)) == date(2025, 2, 8)  # Friday → make-up Saturday


def test_workdays_between() -> None:
    assert CAL_2025.workdays_between(date(2025, 9, 30), date(2025, 10, 14)) == 5
    assert CAL_2025.workdays_between(date(2025, 10, 14), date(2025, 9, 30)) == -5
    assert CAL_2025.workdays_between(date(2025, 3, 3), date(2025, 3, 3)) == 0
    assert CAL_2025.workdays_between(date(2025, 3, 7), date(2025, 3, 9)) == 0  # Fri → Sun
    # 261 weekdays in 2025, 18 of them holidays, 5 make-up weekend days: 248 working days.
    assert CAL_2025.workdays_between(date(2024, 12, 31), date(2025, 12, 31)) == 248


def test_year_not_loaded() -> None:
    for call in (
        lambda: CAL_2025.is_workday(date(2030, 1, 2)),
        lambda: CAL_2025.next_workday(date(2030, 1, 2)),
        lambda: CAL_2025.add_workdays(date(2030, 1, 2), 0),
        lambda: CAL_2025.workdays_between(date(2025, 12, 1), date(2030, 1, 2)),
    ):
        with pytest.raises(ServiceUnavailable) as excinfo:
            call()
        assert excinfo.value.code == "calendar.year_not_loaded"
        assert excinfo.value.details["year"] in (2026, 2030)
        assert excinfo.value.status == 503
    with pytest.raises(ServiceUnavailable) as excinfo:
        CAL_2025.add_workdays(date(2025, 12, 31), 1)  # runs into 2026
    assert excinfo.value.details == {"year": 2026}
    assert CAL_2025.is_loaded(2025)
    assert not CAL_2025.is_loaded(2026)


def test_calendar_construction() -> None:
    with pytest.raises(ValueError, match="outside the loaded years"):
        WorkdayCalendar([date(2026, 1, 1)], [], [2025])
    with pytest.raises(ValueError, match="both"):
        WorkdayCalendar([date(2025, 1, 26)], [date(2025, 1, 26)], [2025])
    with pytest.raises(TypeError):
        WorkdayCalendar([datetime(2025, 1, 1)], [], [2025])
    with pytest.raises(TypeError):
        CAL_2025.is_workday(datetime(2025, 1, 2, 9))  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        CAL_2025.years = frozenset({2030})  # type: ignore[misc]
    assert WorkdayCalendar(reversed(HOLIDAYS_2025), MAKEUP_2025, (2025,)) == CAL_2025
    assert hash(CAL_2025) == hash(WorkdayCalendar(HOLIDAYS_2025, MAKEUP_2025, [2025]))


@given(dates_2025, st.integers(min_value=1, max_value=20))
def test_add_workdays_lands_on_a_workday(day: date, n: int) -> None:
    result = CAL_2025.add_workdays(day, n)
    assert CAL_2025.is_workday(result)
    assert CAL_2025.workdays_between(day, result) == n
    if CAL_2025.is_workday(day):
        assert CAL_2025.add_workdays(result, -n) == day


@given(dates_2025, dates_2025)
def test_workdays_between_matches_counting(a: date, b: date) -> None:
    low, high = sorted((a, b))
    counted = sum(1 for d in days(low + timedelta(days=1), high) if CAL_2025.is_workday(d)) if high > low else 0
    assert CAL_2025.workdays_between(low, high) == counted
    assert CAL_2025.workdays_between(high, low) == -counted

"""Legal periods under the Civil Code, on the hand-built 2025 calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.errors import ServiceUnavailable
from yiwang.kernel.periods import SHANGHAI, Unit, deadline_end, earliest_allowed, local_date
from yiwang.kernel.tests.test_workdays import CAL_2025
from yiwang.kernel.workdays import WorkdayCalendar

CAL_2024 = WorkdayCalendar([], [], [2024])  # enough for calendar-day rules that never roll


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_units_are_catalogue_strings() -> None:
    assert [unit.value for unit in Unit] == ["day", "workday", "hour", "minute"]
    assert Unit("workday") is Unit.WORKDAY


def test_local_date() -> None:
    assert local_date(sh(2024, 3, 1, 23, 59)) == date(2024, 3, 1)
    assert local_date(datetime(2024, 3, 1, 16, 0, tzinfo=UTC)) == date(2024, 3, 2)  # 00:00 in Shanghai
    assert local_date(datetime(2024, 3, 1, 15, 59, tzinfo=UTC)) == date(2024, 3, 1)


def test_twenty_day_minimum_example() -> None:
    # Documents issued 2024-03-01 10:00, at least 20 days: 03-02 … 03-21 are the 20 days.
    assert earliest_allowed(sh(2024, 3, 1, 10), 20, Unit.DAY, CAL_2024) == sh(2024, 3, 21)
    # The same instant given in UTC; and 01:00 Shanghai on 03-01 is still 03-01.
    assert earliest_allowed(datetime(2024, 3, 1, 2, tzinfo=UTC), 20, "day", CAL_2024) == sh(2024, 3, 21)
    assert earliest_allowed(datetime(2024, 2, 29, 17, tzinfo=UTC), 20, Unit.DAY, CAL_2024) == sh(2024, 3, 21)


def test_earliest_allowed_does_not_roll() -> None:
    # 5 days after 2025-09-28 is 10-03, inside the National Day holiday: a minimum gap is not extended.
    assert earliest_allowed(sh(2025, 9, 28, 10), 5, Unit.DAY, CAL_2025) == sh(2025, 10, 3)
    # At least 5 working days after Tue 09-30: the 5th working day is 10-14.
    assert earliest_allowed(sh(2025, 9, 30, 10), 5, Unit.WORKDAY, CAL_2025) == sh(2025, 10, 14)
    assert earliest_allowed(sh(2025, 9, 30, 10), 36, Unit.HOUR, CAL_2025) == sh(2025, 10, 1, 22)
    assert earliest_allowed(sh(2025, 9, 30, 23, 50), 15, Unit.MINUTE, CAL_2025) == sh(2025, 10, 1, 0, 5)


def test_deadline_in_national_day_rolls_to_next_workday() -> None:
    # Within 5 days of 2025-09-28: nominal last day 10-03 is a holiday; the holiday ends 10-08, so the last
    # day is Thursday 10-09 and the period ends at its 24:00.
    assert deadline_end(sh(2025, 9, 28, 10), 5, Unit.DAY, CAL_2025) == sh(2025, 10, 10)
    assert deadline_end(sh(2025, 9, 28, 10), 5, Unit.DAY, CAL_2025, roll_to_workday=False) == sh(2025, 10, 4)


def test_deadline_examples() -> None:
    # 5 working days from Tue 2025-09-30: 10-09, 10-10, 10-11 (make-up Sat), 10-13, 10-14 → 24:00 of 10-14.
    assert deadline_end(sh(2025, 9, 30, 15), 5, Unit.WORKDAY, CAL_2025) == sh(2025, 10, 15)
    # Last day on a make-up Saturday is a working day: no roll.
    assert deadline_end(sh(2025, 10, 6, 9), 5, Unit.DAY, CAL_2025) == sh(2025, 10, 12)
    # Last day an ordinary Saturday: rolls to Monday.
    assert deadline_end(sh(2025, 3, 3, 9), 5, Unit.DAY, CAL_2025) == sh(2025, 3, 11)
    # Start late on 01-24 Shanghai time given in UTC; 3 working days skip the Spring Festival.
    assert deadline_end(datetime(2025, 1, 24, 15, 30, tzinfo=UTC), 3, "workday", CAL_2025) == sh(2025, 2, 6)
    # Zero days: the start day itself is the last day.
    assert deadline_end(sh(2025, 3, 4, 9), 0, Unit.DAY, CAL_2025) == sh(2025, 3, 5)


def test_hours_and_minutes_do_not_roll() -> None:
    start = sh(2025, 9, 30, 20)
    assert deadline_end(start, 48, Unit.HOUR, CAL_2025) == sh(2025, 10, 2, 20)  # a holiday: no roll
    assert deadline_end(start, 90, Unit.MINUTE, CAL_2025) == sh(2025, 9, 30, 21, 30)
    # Hours need no calendar at all.
    assert deadline_end(sh(2030, 1, 1, 8), 24, Unit.HOUR, CAL_2025) == sh(2030, 1, 2, 8)


def test_hours_are_elapsed_time_across_historical_dst() -> None:
    # Shanghai kept summer time in 1986 (from 05-04 02:00): 24 hours later is 13:00 on the wall clock.
    start = sh(1986, 5, 3, 12)
    end = deadline_end(start, 24, Unit.HOUR, CAL_2025)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    assert end.replace(tzinfo=None) == datetime(1986, 5, 4, 13)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2025, 3, 3, 9)
    with pytest.raises(ValueError, match="naive"):
        deadline_end(naive, 5, Unit.DAY, CAL_2025)
    with pytest.raises(ValueError, match="naive"):
        earliest_allowed(naive, 5, Unit.HOUR, CAL_2025)
    with pytest.raises(ValueError, match="naive"):
        local_date(naive)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="negative"):
        deadline_end(sh(2025, 3, 3), -1, Unit.DAY, CAL_2025)
    with pytest.raises(TypeError):
        deadline_end(sh(2025, 3, 3), 1.5, Unit.DAY, CAL_2025)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fortnight"):
        deadline_end(sh(2025, 3, 3), 1, "fortnight", CAL_2025)
    with pytest.raises(TypeError):
        local_date(date(2025, 3, 3))  # type: ignore[arg-type]


def test_unloaded_year_is_refused() -> None:
    with pytest.raises(ServiceUnavailable) as excinfo:
        deadline_end(sh(2025, 12, 25, 9), 10, Unit.DAY, CAL_2025)  # last day in 2026
    assert excinfo.value.code == "calendar.year_not_loaded"
    with pytest.raises(ServiceUnavailable):
        earliest_allowed(sh(2025, 12, 25, 9), 10, Unit.WORKDAY, CAL_2025)


starts_2025 = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2025, 11, 30),
    timezones=st.sampled_from([UTC, SHANGHAI]),
)


@given(starts_2025, st.integers(min_value=0, max_value=20), st.sampled_from([Unit.DAY, Unit.WORKDAY]))
def test_deadline_end_is_midnight_after_a_working_day(start: datetime, amount: int, unit: Unit) -> None:
    end = deadline_end(start, amount, unit, CAL_2025)
    assert end.tzinfo is SHANGHAI
    assert end.time() == time(0)
    last_day = end.date() - timedelta(days=1)
    assert CAL_2025.is_workday(last_day)
    assert end > start
    if unit is Unit.DAY:
        nominal = local_date(start) + timedelta(days=amount)
        # The roll is minimal: every day from the nominal last day up to the actual one is a day off.
        assert last_day >= nominal
        assert not any(CAL_2025.is_workday(nominal + timedelta(days=k)) for k in range((last_day - nominal).days))
        unrolled = deadline_end(start, amount, unit, CAL_2025, roll_to_workday=False)
        assert unrolled == sh(nominal.year, nominal.month, nominal.day) + timedelta(days=1)


@given(starts_2025, st.integers(min_value=0, max_value=20))
def test_earliest_allowed_counts_whole_days(start: datetime, amount: int) -> None:
    earliest = earliest_allowed(start, amount, Unit.DAY, CAL_2025)
    assert earliest.time() == time(0)
    assert (earliest.date() - local_date(start)).days == amount
    by_workdays = earliest_allowed(start, amount, Unit.WORKDAY, CAL_2025)
    assert CAL_2025.workdays_between(local_date(start), by_workdays.date()) == amount

"""Working days under the State Council's yearly holiday schedule (国务院办公厅关于节假日安排的通知).

A day is a working day when it is a make-up working day (调休上班, usually a Saturday or Sunday), or when it
is Monday to Friday and not a holiday. Each year's schedule is published late in the previous year, so a
calendar knows which years it holds; asking about any other year raises ``calendar.year_not_loaded`` rather
than guessing, because a legal deadline computed on a guessed calendar is wrong in exactly the weeks that
matter (Spring Festival, National Day).

The schedule itself is reference data kept by the catalogue; this module only computes with it.
Pure Python: standard library and :mod:`yiwang.kernel.errors` only.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from yiwang.kernel.errors import ServiceUnavailable

_ONE_DAY = timedelta(days=1)


def _require_date(value: object, name: str) -> date:
    # datetime is a subclass of date but never equal to one, so it would silently miss every holiday.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date (not a datetime), got {type(value).__name__}")
    return value


@dataclass(frozen=True, init=False)
class WorkdayCalendar:
    """The working-day calendar for the ``years`` whose schedule is loaded.

    ``holidays`` are the days off of the schedule (weekend days inside a holiday block may be listed or not);
    ``makeup_workdays`` are the weekend days worked instead. Immutable and hashable; lookups are
    frozenset membership tests and :meth:`workdays_between` is O(log n).

    >>> cal = WorkdayCalendar([date(2025, 1, 1)], [date(2025, 1, 26)], [2025])
    >>> cal.is_workday(date(2025, 1, 26)), cal.is_workday(date(2025, 1, 1))
    (True, False)
    """

    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    years: frozenset[int]
    # Only the exceptions that change the Monday–Friday rule, sorted for bisection.
    _weekday_holidays: tuple[date, ...] = field(repr=False, compare=False)
    _weekend_makeups: tuple[date, ...] = field(repr=False, compare=False)

    def __init__(self, holidays: Iterable[date], makeup_workdays: Iterable[date], years: Iterable[int]):
        holiday_set = frozenset(_require_date(day, "holiday") for day in holidays)
        makeup_set = frozenset(_require_date(day, "make-up working day") for day in makeup_workdays)
        year_set = frozenset(years)
        if any(isinstance(year, bool) or not isinstance(year, int) for year in year_set):
            raise TypeError("years must be integers")
        outside = sorted(day for day in holiday_set | makeup_set if day.year not in year_set)
        if outside:
            raise ValueError(f"{outside[0].isoformat()} lies outside the loaded years {sorted(year_set)}")
        both = sorted(holiday_set & makeup_set)
        if both:
            raise ValueError(f"{both[0].isoformat()} is listed both as a holiday and as a make-up working day")
        object.__setattr__(self, "holidays", holiday_set)
        object.__setattr__(self, "makeup_workdays", makeup_set)
        object.__setattr__(self, "years", year_set)
        object.__setattr__(self, "_weekday_holidays", tuple(sorted(d for d in holiday_set if d.weekday() < 5)))
        object.__setattr__(self, "_weekend_makeups", tuple(sorted(d for d in makeup_set if d.weekday() >= 5)))

    def is_loaded(self, year: int) -> bool:
        """Is the schedule for ``year`` loaded?"""
        return year in self.years

    def _require_loaded(self, year: int) -> None:
        if year not in self.years:
            raise ServiceUnavailable(
                "calendar.year_not_loaded",
                f"{year} 年的节假日安排尚未载入，无法计算工作日和法定期限",
                f"the holiday schedule for {year} is not loaded, so deadlines cannot be computed",
                {"year": year},
            )

    def is_workday(self, day: date) -> bool:
        """Make-up working days work, holidays do not, otherwise Monday–Friday work."""
        self._require_loaded(_require_date(day, "day").year)
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_workday(self, day: date, *, include_self: bool = False) -> date:
        """The first working day after ``day`` (or ``day`` itself if ``include_self`` and it is one)."""
        candidate = day if include_self else _require_date(day, "day") + _ONE_DAY
        while not self.is_workday(candidate):
            candidate += _ONE_DAY
        return candidate

    def add_workdays(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself not counted); ``n = 0`` gives ``day``;
        negative ``n`` counts backwards (``-1``: the last working day before ``day``).

        2025: ``add_workdays(date(2025, 1, 24), 1)`` is Sunday 2025-01-26, a make-up working day.
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an integer, not {type(n).__name__}")
        self._require_loaded(_require_date(day, "day").year)
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """The number of working days in (``start``, ``end``]: after ``start``, up to and including ``end``.

        Negative when ``end`` is before ``start`` (minus the count in (``end``, ``start``]). Every year
        touched by the interval must be loaded.
        """
        _require_date(start, "start")
        _require_date(end, "end")
        if end < start:
            return -self.workdays_between(end, start)
        if end == start:
            return 0
        for year in range((start + _ONE_DAY).year, end.year + 1):
            self._require_loaded(year)
        days = (end - start).days
        full_weeks, rest = divmod(days, 7)
        count = 5 * full_weeks + sum(1 for k in range(1, rest + 1) if (start.weekday() + k) % 7 < 5)
        count -= bisect_right(self._weekday_holidays, end) - bisect_right(self._weekday_holidays, start)
        count += bisect_right(self._weekend_makeups, end) - bisect_right(self._weekend_makeups, start)
        return count

"""Legal periods counted as the Civil Code says (民法典 Art. 201–203).

- The day of the triggering event is not counted; counting starts the next day (Art. 201).
- A period ends at 24:00 of its last day (Art. 203).
- If the last day is a statutory holiday or rest day, the period ends at 24:00 of the next working day
  (Art. 203: the day after the holiday becomes the last day). Make-up working days (调休上班) are working
  days.
- Hours and minutes run from the instant itself, with no rounding and no rolling (Art. 201 para. 2).

Shanghai time (``Asia/Shanghai``) is the legal clock: "day" always means a Shanghai calendar day, whatever
zone an instant is given in. Inputs must be timezone-aware; results are aware datetimes in Shanghai time. An
end "at 24:00 of day D" is returned as the exclusive instant 00:00 of D + 1, so "in time" means
``moment < end``.

Two kinds of rule use these (see the rules catalogue):

- ``max_delay`` — "within N (working) days of the event" (…之日起 N 日内): :func:`deadline_end`.
- ``min_gap`` — "no fewer than N (working) days between the event and a later one" (不得少于 N 日):
  :func:`earliest_allowed`. Worked example: tender documents issued 2024-03-01 10:00 with at least 20 days
  before the bid deadline. Counting starts on 03-02, so 03-02 … 03-21 are the 20 days, and the bid deadline
  may be on 2024-03-21 at the earliest: ``earliest_allowed`` returns 2024-03-21 00:00 Shanghai. No holiday
  rolling applies to a minimum: the tenderer may always give more time.

Pure Python: standard library and :mod:`yiwang.kernel` only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from yiwang.kernel.workdays import WorkdayCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Unit(StrEnum):
    """The unit of a period; the values are stored in the rules catalogue."""

    DAY = "day"  # 日: calendar days
    WORKDAY = "workday"  # 工作日: working days of the State Council schedule
    HOUR = "hour"
    MINUTE = "minute"


def _require_aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} is a naive datetime; legal periods need an aware one (Shanghai time is legal)")
    return moment


def _require_amount(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"amount must be an integer, not {type(amount).__name__}")
    if amount < 0:
        raise ValueError(f"amount must not be negative, got {amount}")
    return amount


def local_date(moment: datetime) -> date:
    """The Shanghai calendar date of an aware instant (2024-03-01T20:00Z is 2024-03-02 in Shanghai)."""
    return _require_aware(moment, "moment").astimezone(SHANGHAI).date()


def _start_of(day: date) -> datetime:
    """00:00 Shanghai at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def _elapsed(start: datetime, amount: int, unit: Unit) -> datetime:
    """``start`` plus an exact duration, added in UTC so that the result is true elapsed time."""
    delta = timedelta(hours=amount) if unit is Unit.HOUR else timedelta(minutes=amount)
    return (start.astimezone(UTC) + delta).astimezone(SHANGHAI)


def deadline_end(
    start: datetime,
    amount: int,
    unit: Unit | str,
    calendar: WorkdayCalendar,
    *,
    roll_to_workday: bool = True,
) -> datetime:
    """The exclusive end of "within ``amount`` ``unit`` of ``start``" (kind ``max_delay``).

    Days: the last day is the ``amount``-th day after ``start``'s Shanghai date; working days: the
    ``amount``-th working day after it. If that day is not a working day and ``roll_to_workday`` is set, the
    last day becomes the next working day. The result is 00:00 Shanghai of the day after the last day.
    Hours and minutes: ``start`` + the duration exactly, no rolling.

    Example (2025 schedule, National Day holiday 10-01 … 10-08): an act due within 5 days of 2025-09-28 has
    the nominal last day 10-03, a holiday, so it rolls to Thursday 10-09 and the result is 2025-10-10 00:00.
    Raises ``calendar.year_not_loaded`` when the calendar lacks a year it needs.
    """
    _require_aware(start, "start")
    amount = _require_amount(amount)
    unit = Unit(unit)
    if unit in (Unit.HOUR, Unit.MINUTE):
        return _elapsed(start, amount, unit)
    first = local_date(start)
    last = calendar.add_workdays(first, amount) if unit is Unit.WORKDAY else first + timedelta(days=amount)
    if roll_to_workday:
        last = calendar.next_workday(last, include_self=True)
    return _start_of(last + timedelta(days=1))


def earliest_allowed(start: datetime, amount: int, unit: Unit | str, calendar: WorkdayCalendar) -> datetime:
    """The first instant at which a later event may happen under "no fewer than ``amount`` ``unit`` after
    ``start``" (kind ``min_gap``).

    Days: 00:00 Shanghai of ``start``'s Shanghai date + ``amount`` days (issued 2024-03-01 10:00, at least 20
    days → 2024-03-21 00:00). Working days: 00:00 of the ``amount``-th working day after ``start``'s date.
    No holiday rolling. Hours and minutes: ``start`` + the duration exactly.
    """
    _require_aware(start, "start")
    amount = _require_amount(amount)
    unit = Unit(unit)
    if unit in (Unit.HOUR, Unit.MINUTE):
        return _elapsed(start, amount, unit)
    first = local_date(start)
    if unit is Unit.WORKDAY:
        return _start_of(calendar.add_workdays(first, amount))
    return _start_of(first + timedelta(days=amount))

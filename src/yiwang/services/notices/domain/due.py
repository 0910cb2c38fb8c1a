"""When a required notice is due, from the rule the disclosure list names (pure rules).

The disclosure list (公开目录) says, per category and stage, which notices must be published and which rule of
the rules catalogue times them. The caller registers an obligation with the instant the rule counts from
(``anchor_at``); the deadline depends on the rule's kind:

* ``max_delay`` — "within N (working) days of the event" (候选人公示 within 3 days of receiving the report; GP
  award notice within 2 working days; contract published within 2 working days of signing): the Civil-Code
  end of the period, :func:`yiwang.kernel.periods.deadline_end` (a last day on a holiday rolls to the next
  working day). ``anchor_at`` is the event.
* ``min_gap`` — "no fewer than N days between the notice and a later event" (tender notice ≥ 20 days before
  the bid deadline; clarification ≥ 15 days before it): the notice is due by the latest instant from which
  the gap still fits. ``anchor_at`` is the *later* event (the bid deadline, the auction start).
* ``duration`` — the rule gives how long something lasts, not when the notice is due (opening at the bid
  deadline; a notice period): the notice is due by the end of the anchor's day.
* no rule — the obligation has no deadline: it is met by publication and missing while unpublished.

Every deadline is an exclusive instant: "on time" means ``published_at < due_at``.
Pure Python: standard library and :mod:`yiwang.kernel` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from yiwang.kernel.periods import SHANGHAI, Unit, deadline_end, local_date
from yiwang.kernel.workdays import WorkdayCalendar

MAX_DELAY, MIN_GAP, DURATION = "max_delay", "min_gap", "duration"
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class DueRule:
    rule_id: str
    kind: str
    value: int
    unit: str


def latest_before(anchor: datetime, amount: int, unit: Unit | str, calendar: WorkdayCalendar) -> datetime:
    """The exclusive end of the instants ``p`` from which "at least ``amount`` ``unit`` after ``p``" still
    reaches no later than ``anchor`` (the inverse of :func:`yiwang.kernel.periods.earliest_allowed`).

    Days: a notice published on day D allows the later event from 00:00 of D + amount, so D may be at most
    ``anchor``'s date − amount; the result is 00:00 of the day after that. Working days: the latest D whose
    ``amount``-th working day after it is on or before ``anchor``'s date. Hours and minutes: exactly
    ``anchor`` − the duration (inclusive, so one microsecond is added to make the end exclusive)."""
    unit = Unit(unit)
    if unit in (Unit.HOUR, Unit.MINUTE):
        delta = timedelta(hours=amount) if unit is Unit.HOUR else timedelta(minutes=amount)
        return anchor - delta + _MICROSECOND
    last_allowed = local_date(anchor)
    if unit is Unit.DAY:
        day = last_allowed - timedelta(days=amount)
    else:
        day = last_allowed - timedelta(days=amount)
        # add_workdays(d, n) never decreases as d grows: step down until it fits, then up while it still fits
        for _ in range(400):
            if calendar.add_workdays(day, amount) <= last_allowed:
                break
            day -= timedelta(days=1)
        for _ in range(400):
            if calendar.add_workdays(day + timedelta(days=1), amount) > last_allowed:
                break
            day += timedelta(days=1)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def due_at(anchor: datetime, rule: DueRule | None, calendar: WorkdayCalendar) -> datetime | None:
    """The deadline of an obligation anchored at ``anchor`` under ``rule`` (see the module docstring)."""
    if rule is None:
        return None
    if rule.kind == MAX_DELAY:
        return deadline_end(anchor, rule.value, rule.unit, calendar)
    if rule.kind == MIN_GAP:
        return latest_before(anchor, rule.value, rule.unit, calendar)
    return deadline_end(anchor, 0, Unit.DAY, calendar)

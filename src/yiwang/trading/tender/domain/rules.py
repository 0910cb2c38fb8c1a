"""The legal numbers of one project: its snapshot of the rules catalogue, periods counted the Civil-Code way.

A :class:`RuleBook` is built from the rules a project snapshotted at creation (``catalog.rules_snapshot`` values)
and the working-day calendar. It answers the two questions every deadline asks (``kernel.periods``):

- ``earliest(start, rule)`` — a *minimum gap* (不得少于 N 日): the first instant a later event may happen;
- ``deadline(start, rule)`` — a *maximum delay* (N 日内): the exclusive end of the period for an act.

**Acceleration** (test data only): a project marked as test data may carry a factor *a* ≥ 1; every period
computed here is then ``start + (legal end − start) / a``. The legal end is still counted exactly (days,
working days, holidays), only the distance from the start shrinks, so a 20-day bid period becomes 20 s at
a = 86 400·(≈1). Real projects always have a = 1 (the action creating a project refuses anything else).

Every refusal that a rule causes is a :class:`RuleViolation` whose ``details`` name ``rule_id`` and ``source``.

Pure Python: standard library and :mod:`yiwang.kernel` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from yiwang.kernel.errors import RuleViolation
from yiwang.kernel.periods import SHANGHAI, deadline_end, earliest_allowed
from yiwang.kernel.workdays import WorkdayCalendar

PERIOD_UNITS = frozenset({"day", "workday", "hour", "minute"})
MAX_ACCELERATION = 10_000_000


def parse_value(value: Any) -> int | Fraction:
    """A snapshotted rule value: integers stay integers; ``"2/3"``, ``"2.5"`` become fractions."""
    if isinstance(value, bool):
        raise ValueError("a rule value is a number")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if "/" in text:
        return Fraction(text)
    number = Fraction(Decimal(text))
    return int(number) if number.denominator == 1 else number


@dataclass(frozen=True)
class Rule:
    rule_id: str
    value: int | Fraction
    unit: str
    kind: str
    source: str
    title_zh: str

    @property
    def as_int(self) -> int:
        return int(self.value)

    def describe(self) -> str:
        labels = {"day": "日", "workday": "个工作日", "hour": "小时", "minute": "分钟", "count": "个", "yuan": "元"}
        if self.unit == "percent":
            return f"{self.value}%"
        return f"{self.value}{labels.get(self.unit, self.unit)}"

    def details(self) -> dict[str, Any]:
        value = self.value if isinstance(self.value, int) else str(self.value)
        return {"rule_id": self.rule_id, "source": self.source, "value": value, "unit": self.unit}


def violation(code: str, zh: str, en: str, rule: Rule, **details: Any) -> RuleViolation:
    """A refusal caused by ``rule``: the messages get the rule's citation appended, details name it."""
    return RuleViolation(
        code,
        f"{zh}（依据：{rule.title_zh} {rule.describe()}；{rule.source}；规则 {rule.rule_id}）",
        f"{en} (rule {rule.rule_id}: {rule.source})",
        {**rule.details(), **details},
    )


class RuleMissing(RuleViolation):
    """A procedure names a rule its project did not snapshot (the catalogue did not list it at creation)."""

    def __init__(self, rule_id: str):
        super().__init__(
            "tender.rule_not_snapshotted",
            f"本项目创建时规则目录未列入规则“{rule_id}”，不能据此办理",
            f"rule {rule_id!r} was not in the rules catalogue when the project was created",
            {"rule_id": rule_id},
        )


class RuleBook:
    def __init__(self, snapshot: Mapping[str, Mapping[str, Any]], calendar: WorkdayCalendar, acceleration: int = 1):
        if not isinstance(acceleration, int) or not 1 <= acceleration <= MAX_ACCELERATION:
            raise ValueError(f"acceleration must be an integer in 1..{MAX_ACCELERATION}")
        self._snapshot = snapshot
        self.calendar = calendar
        self.acceleration = acceleration

    def has(self, rule_id: str | None) -> bool:
        return bool(rule_id) and rule_id in self._snapshot

    def get(self, rule_id: str) -> Rule:
        entry = self._snapshot.get(rule_id)
        if entry is None:
            raise RuleMissing(rule_id)
        return Rule(
            rule_id=rule_id,
            value=parse_value(entry["value"]),
            unit=str(entry.get("unit", "")),
            kind=str(entry.get("kind", "")),
            source=str(entry.get("source", "")),
            title_zh=str(entry.get("title_zh", "")),
        )

    def count(self, rule_id: str) -> int:
        return self.get(rule_id).as_int

    def _period(self, rule: Rule) -> tuple[int, str]:
        if rule.unit not in PERIOD_UNITS or not isinstance(rule.value, int):
            raise ValueError(f"rule {rule.rule_id} is not a period ({rule.value} {rule.unit})")
        return rule.value, rule.unit

    def _scale(self, start: datetime, end: datetime) -> datetime:
        if self.acceleration == 1:
            return end
        return (start + (end - start) / self.acceleration).astimezone(SHANGHAI)

    def earliest(self, start: datetime, rule_id: str) -> datetime:
        """``min_gap``: the first instant a later event may happen (no holiday rolling)."""
        amount, unit = self._period(self.get(rule_id))
        return self._scale(start, earliest_allowed(start, amount, unit, self.calendar))

    def deadline(self, start: datetime, rule_id: str) -> datetime:
        """``max_delay``: the exclusive end of the period for an act (a last day on a holiday rolls over)."""
        amount, unit = self._period(self.get(rule_id))
        return self._scale(start, deadline_end(start, amount, unit, self.calendar))

    def scaled(self, start: datetime, end: datetime) -> datetime:
        """An operating (not legal) duration from ``start`` to ``end``, accelerated like the legal ones."""
        return self._scale(start, end)

"""How long an archive is kept (保存期限), counted as the Civil Code counts periods in years.

Which rules apply: the platform's ``platform.archive_retention_min`` always, and a category's own rule as well
(``gp.file_retention_min`` for government procurement); the longest wins. The numbers themselves come from the
rules catalogue, never from here.

Counting (民法典 Art. 201–203): the day of creation is not counted; a period of N years ends on the day of the
N-th year that corresponds to the creation date (29 February → 28 February when the year has none), at 24:00;
when that last day is a rest day, the period runs to the end of the next working day. The working days of a
year 15 years ahead are not published yet: for such years only Saturdays and Sundays are treated as rest days.
The result is the exclusive end (00:00 Shanghai of the following day): disposal is possible from then on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.kernel.periods import SHANGHAI, local_date

PLATFORM_RULE = "platform.archive_retention_min"
CATEGORY_RULES: dict[str, tuple[str, ...]] = {"gp": ("gp.file_retention_min",)}
CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_YEARS = 200


@dataclass(frozen=True)
class RetentionRule:
    """One rule's value as the catalogue gave it (``as_json`` is kept on the archive version)."""

    rule_id: str
    value: object
    unit: str
    source: str = ""
    version: int = 0


def rule_ids_for(category: str) -> tuple[str, ...]:
    """The rules that decide the retention of a project of ``category`` (platform rule first)."""
    return (PLATFORM_RULE, *CATEGORY_RULES.get(category, ()))


def check_category(category: object) -> str:
    """A category code (``works``, ``gp``, ``land`` …): lower-case letters, digits and ``_``; or empty."""
    text = str(category or "").strip()
    if text and not CATEGORY.match(text):
        raise _bad_category(text)
    return text


def _bad_category(text: str) -> InvalidInput:
    return InvalidInput(
        "archive.category_invalid",
        "交易类别代码须为小写字母、数字或下划线，如 works、gp",
        "The category is a lower-case code such as works or gp",
        {"field": "category", "value": text[:40]},
    )


def retention_years(rules: Sequence[RetentionRule]) -> int:
    """The longest of the rules (each a whole number of years ≥ 1); ``archive.retention_rule_unusable``
    (409) when a rule is not in years."""
    years = []
    for rule in rules:
        value = rule.value
        whole = int(value) if isinstance(value, int | float) or hasattr(value, "numerator") else None
        if rule.unit != "year" or whole is None or whole != value or not 1 <= whole <= MAX_YEARS:
            raise Conflict(
                "archive.retention_rule_unusable",
                f"规则 {rule.rule_id} 不是以年计的保存期限",
                f"rule {rule.rule_id} is not a retention period in whole years",
                {"rule_id": rule.rule_id, "unit": rule.unit, "value": str(value)},
            )
        years.append(whole)
    if not years:
        raise ValueError("at least one retention rule applies")
    return max(years)


def corresponding_day(day: date, years: int) -> date:
    """The day of the year ``years`` later that corresponds to ``day`` (29 Feb → 28 Feb)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def weekday_rest(day: date) -> bool:
    return day.weekday() >= 5


def retention_until(
    created_at: datetime, years: int, *, is_workday: Callable[[date], bool | None] | None = None
) -> datetime:
    """The exclusive end of the retention period of an archive created at ``created_at`` (aware).

    ``is_workday(day)`` answers from the State Council calendar, or ``None`` when the year is not published
    (then only weekends are rest days)."""
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise ValueError("years is a positive integer")
    last = corresponding_day(local_date(created_at), years)
    for _ in range(60):  # no run of rest days is that long
        known = is_workday(last) if is_workday is not None else None
        workday = (not weekday_rest(last)) if known is None else known
        if workday:
            break
        last += timedelta(days=1)
    return datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI)

"""Statistical periods (统计期间): a day, a month, a quarter or a year, written ``2026-03-02``, ``2026-03``,
``2026-Q1`` or ``2026``. Periods are Shanghai calendar days; a trade belongs to the period its date falls in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from yiwang.kernel.errors import InvalidInput


class Granularity(StrEnum):
    DAY = "day"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


GRANULARITY_LABELS_ZH = {
    Granularity.DAY: "日",
    Granularity.MONTH: "月",
    Granularity.QUARTER: "季度",
    Granularity.YEAR: "年",
}

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True, order=True)
class Period:
    first: date
    last: date  # inclusive
    granularity: Granularity

    @property
    def key(self) -> str:
        return period_key(self.first, self.granularity)

    @property
    def label_zh(self) -> str:
        y = self.first.year
        match self.granularity:
            case Granularity.DAY:
                return f"{y}年{self.first.month}月{self.first.day}日"
            case Granularity.MONTH:
                return f"{y}年{self.first.month}月"
            case Granularity.QUARTER:
                return f"{y}年第{(self.first.month - 1) // 3 + 1}季度"
            case _:
                return f"{y}年"

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    def previous(self) -> Period:
        return period_of(self.first - timedelta(days=1), self.granularity)


def period_invalid(text: object) -> InvalidInput:
    return InvalidInput(
        "stats.period_invalid",
        "统计期间格式应为 2026、2026-Q1、2026-03 或 2026-03-02",
        "A period is written 2026, 2026-Q1, 2026-03 or 2026-03-02",
        {"period": str(text)[:40], "field": "period"},
    )


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def parse_period(text: str) -> Period:
    """``2026-Q1`` → the first quarter of 2026; anything else than the four forms is ``stats.period_invalid``."""
    value = (text or "").strip()
    try:
        if m := _DAY.match(value):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return Period(day, day, Granularity.DAY)
        if m := _MONTH.match(value):
            year, month = int(m[1]), int(m[2])
            return Period(date(year, month, 1), _month_end(year, month), Granularity.MONTH)
        if m := _QUARTER.match(value):
            year, q = int(m[1]), int(m[2])
            return Period(date(year, 3 * q - 2, 1), _month_end(year, 3 * q), Granularity.QUARTER)
        if m := _YEAR.match(value):
            year = int(m[1])
            return Period(date(year, 1, 1), date(year, 12, 31), Granularity.YEAR)
    except ValueError:
        raise period_invalid(text) from None
    raise period_invalid(text)


def period_of(day: date, granularity: Granularity) -> Period:
    """The period of ``granularity`` that contains ``day``."""
    return parse_period(period_key(day, granularity))


def period_key(day: date, granularity: Granularity) -> str:
    match granularity:
        case Granularity.DAY:
            return day.isoformat()
        case Granularity.MONTH:
            return f"{day.year:04d}-{day.month:02d}"
        case Granularity.QUARTER:
            return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
        case _:
            return f"{day.year:04d}"


def finer(granularity: Granularity) -> Granularity:
    """The buckets a trend over a period of ``granularity`` is drawn in (a year by month, a month by day…)."""
    return {
        Granularity.YEAR: Granularity.MONTH,
        Granularity.QUARTER: Granularity.MONTH,
        Granularity.MONTH: Granularity.DAY,
        Granularity.DAY: Granularity.DAY,
    }[granularity]


def buckets(period: Period, granularity: Granularity) -> list[Period]:
    """The consecutive periods of ``granularity`` covering ``period`` (at most 400)."""
    out: list[Period] = []
    day = period.first
    while day <= period.last and len(out) < 400:
        p = period_of(day, granularity)
        out.append(p)
        day = p.last + timedelta(days=1)
    return out

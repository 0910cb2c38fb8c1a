"""The monthly data-quality report of a sub-platform (数据质量月报; pure Python, docs/exchange.md §8).

Measures, each judged against a threshold:

- acceptance 校验合格率 = accepted ÷ (accepted + refused), ``exchange.quality.acceptance_min``;
- completeness 字段完整度 = mean share of the datasets' own fields filled, ``exchange.quality.completeness_min``;
- timeliness 及时上报率 = share of versions received within ``exchange.quality.timely_within`` of the event,
  ``exchange.quality.timeliness_min``;
- consistency 环节顺序一致率 = share of new records without a stage-order finding,
  ``exchange.quality.consistency_min``;
- duplicates 重复数据率 = share of new records duplicating an earlier one, ``exchange.quality.duplicates_max``.

Every threshold is a rule of the rules catalogue (``doc.sh.exchange_quality_settings``): no national figure
exists, so the figures are the centre's own, and a threshold says so (``centre_setting``: its source says
本中心自定). A measure whose rule is not listed on the day is shown without a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

MEASURES: tuple[tuple[str, str, str], ...] = (
    # (measure, Chinese name, threshold rule)
    ("acceptance", "校验合格率", "exchange.quality.acceptance_min"),
    ("completeness", "字段完整度", "exchange.quality.completeness_min"),
    ("timeliness", "及时上报率", "exchange.quality.timeliness_min"),
    ("consistency", "环节顺序一致率", "exchange.quality.consistency_min"),
    ("duplicates", "重复数据率", "exchange.quality.duplicates_max"),
)
TIMELY_WITHIN = "exchange.quality.timely_within"
RULE_IDS = (*(m[2] for m in MEASURES), TIMELY_WITHIN)
LAG_UNITS = {"hour": 3600, "day": 86400, "minute": 60}


@dataclass(frozen=True)
class Threshold:
    rule_id: str
    title_zh: str
    value: Decimal
    unit: str  # percent | hour | …
    kind: str  # minimum | cap | max_delay
    source: str
    centre_setting: bool  # the centre's own figure (no national figure exists)

    def describe(self) -> str:
        sign = {"minimum": "≥ ", "cap": "≤ ", "max_delay": "≤ "}.get(self.kind, "")
        unit = {"percent": "%", "hour": " 小时", "day": " 日", "minute": " 分钟"}.get(self.unit, f" {self.unit}")
        return f"{sign}{self.value.normalize():f}{unit}"

    def as_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title_zh": self.title_zh,
            "value": f"{self.value.normalize():f}",
            "unit": self.unit,
            "kind": self.kind,
            "source": self.source,
            "centre_setting": self.centre_setting,
        }


def parse_month(text: str) -> date:
    """``2026-03`` → the first day of that month (ValueError otherwise)."""
    m = MONTH.match(text.strip())
    if m is None:
        raise ValueError(f"not a month: {text!r}")
    return date(int(m.group(1)), int(m.group(2)), 1)


def month_text(first: date) -> str:
    return f"{first:%Y-%m}"


def shift_month(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(first: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The month as an aware half-open interval in ``zone`` (Beijing time)."""
    start = datetime(first.year, first.month, 1, tzinfo=zone)
    nxt = shift_month(first, 1)
    return start, datetime(nxt.year, nxt.month, 1, tzinfo=zone)


def last_day(first: date) -> date:
    return date.fromordinal(shift_month(first, 1).toordinal() - 1)


@dataclass(frozen=True)
class Measure:
    measure: str
    name_zh: str
    numerator: int
    denominator: int
    value: Decimal | None  # percent, 2 decimals (None: nothing to measure)
    threshold: Threshold | None
    note: str = ""

    @property
    def passed(self) -> bool | None:
        """Pass/fail against the threshold (None when nothing was measured or no threshold applies)."""
        if self.value is None or self.threshold is None:
            return None
        if self.threshold.kind == "cap":
            return self.value <= self.threshold.value
        return self.value >= self.threshold.value

    @property
    def verdict_zh(self) -> str:
        return {True: "达标", False: "未达标", None: "不判定"}[self.passed]

    def as_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "name_zh": self.name_zh,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "value": None if self.value is None else str(self.value),
            "threshold": self.threshold.as_json() if self.threshold else None,
            "passed": self.passed,
            "note": self.note,
        }


def percent(numerator: int, denominator: int) -> Decimal | None:
    if denominator <= 0:
        return None
    return (Decimal(100) * numerator / denominator).quantize(Decimal("0.01"))

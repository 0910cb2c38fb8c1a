"""The vocabulary of the rules catalogue (规则目录): units, kinds and how a legal number is written.

A rule's value is stored as text so that it survives JSON exactly: ``"20"`` (an integer), ``"2.5"`` (a decimal),
``"2/3"`` (a fraction, for shares such as "技术、经济等方面的专家不得少于成员总数的三分之二").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from yiwang.kernel.errors import InvalidInput

RuleNumber = int | Decimal | Fraction


class RuleUnit(StrEnum):
    DAY = "day"  # 日（自然日）
    WORKDAY = "workday"  # 工作日
    HOUR = "hour"
    MINUTE = "minute"
    MONTH = "month"
    YEAR = "year"
    PERCENT = "percent"  # 百分比: value 2 means 2 %
    RATIO = "ratio"  # 比例: a fraction such as 2/3
    YUAN = "yuan"  # 元 (convert to 分 with ×100 where money is handled)
    COUNT = "count"  # 人、家、个


UNIT_LABELS_ZH: dict[str, str] = {
    "day": "日",
    "workday": "个工作日",
    "hour": "小时",
    "minute": "分钟",
    "month": "个月",
    "year": "年",
    "percent": "%",
    "ratio": "",
    "yuan": "元",
    "count": "",
}

# the units a legal period can be counted in by yiwang.kernel.periods
PERIOD_UNITS = frozenset({"day", "workday", "hour", "minute"})


class RuleKind(StrEnum):
    MIN_GAP = "min_gap"  # 不得少于: between the anchor event and a later event
    MAX_DELAY = "max_delay"  # …之日起N日内: an act is due within the period after the anchor
    DURATION = "duration"  # a fixed length (公示期、竞价时段、延时周期)
    CAP = "cap"  # 不得超过: an upper limit of an amount or share
    MINIMUM = "minimum"  # 不得少于 (not a period): committee size, bidders, shares
    THRESHOLD = "threshold"  # 达到…必须: a value that switches a duty on
    RATE = "rate"  # a rate applied to something (e.g. interest surcharge)


KIND_LABELS_ZH: dict[str, str] = {
    "min_gap": "最短间隔",
    "max_delay": "最长时限",
    "duration": "固定期间",
    "cap": "上限",
    "minimum": "下限",
    "threshold": "门槛",
    "rate": "费率/比率",
}

CONFIDENCE_MARKS = {"✔": "已核对原文", "◇": "据公开文本，待核对现行原文"}

_INT = re.compile(r"^-?\d{1,15}$")
_DEC = re.compile(r"^-?\d{1,15}\.\d{1,6}$")
_FRAC = re.compile(r"^(\d{1,6})/(\d{1,6})$")


def parse_rule_value(text: object) -> RuleNumber:
    """``"20"`` → 20, ``"2.5"`` → Decimal("2.5"), ``"2/3"`` → Fraction(2, 3); anything else is refused with
    ``catalog.rule_value_invalid``."""
    if isinstance(text, bool):
        raise _bad_value(text)
    if isinstance(text, int):
        return text
    if not isinstance(text, str):
        raise _bad_value(text)
    value = text.strip()
    if _INT.match(value):
        return int(value)
    if _DEC.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern already guarantees a decimal
            raise _bad_value(text) from None
    match = _FRAC.match(value)
    if match and int(match.group(2)) != 0:
        return Fraction(int(match.group(1)), int(match.group(2)))
    raise _bad_value(text)


def format_rule_value(value: RuleNumber) -> str:
    """The canonical text of a value (the inverse of :func:`parse_rule_value`)."""
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    return str(value)


def describe_value(value: RuleNumber, unit: str) -> str:
    """People's reading of a value: ``20 日``, ``2 %``, ``2/3``, ``800000 元``."""
    label = UNIT_LABELS_ZH.get(unit, unit)
    text = format_rule_value(value)
    if unit == "percent":
        return f"{text}%"
    return f"{text} {label}".strip()


def json_value(value: RuleNumber) -> int | str:
    """A JSON-safe form: integers stay integers, decimals and fractions become their text."""
    return value if isinstance(value, int) else format_rule_value(value)


def _bad_value(text: object) -> InvalidInput:
    return InvalidInput(
        "catalog.rule_value_invalid",
        f"规则数值“{text}”不是数字（可写整数、小数或分数如 2/3）",
        f"rule value {text!r} is not a number (integer, decimal or fraction such as 2/3)",
        {"value": str(text)},
    )


def check_unit(unit: object) -> str:
    if unit not in {u.value for u in RuleUnit}:
        raise InvalidInput(
            "catalog.rule_unit_unknown",
            f"未知的规则单位“{unit}”",
            f"unknown rule unit {unit!r}",
            {"unit": str(unit), "allowed": [u.value for u in RuleUnit]},
        )
    return str(unit)


def check_kind(kind: object) -> str:
    if kind not in {k.value for k in RuleKind}:
        raise InvalidInput(
            "catalog.rule_kind_unknown",
            f"未知的规则类型“{kind}”",
            f"unknown rule kind {kind!r}",
            {"kind": str(kind), "allowed": [k.value for k in RuleKind]},
        )
    return str(kind)

"""The indicator formulas over trade facts (pure).

Every ratio or average needs a population of at least two (``MIN_POPULATION``): over an empty or single-item
population the answer is :class:`NotComputable` with its reason — never 0, which would read as a real value
(a savings rate of 0 % from one trade says nothing about a district). Counts and totals are exact facts and
always computable (no deal in a period is 0 deals).

Money is integer fen; rates are percentages with one decimal and averages have one or two decimals, rounded
half up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

MIN_POPULATION = 2

EMPTY, SINGLE = "empty", "single"
REASONS_ZH = {EMPTY: "样本为空，无法计算", SINGLE: "仅有一个样本，不具统计意义"}
REASONS_EN = {EMPTY: "the population is empty", SINGLE: "a single item is not a population"}


@dataclass(frozen=True)
class Trade:
    """One trade (a tender section, an auction lot…) as the statistics see it."""

    ref: str
    title: str
    system: str  # tender | auction | …
    category: str
    region_code: str
    procedure: str
    procedure_label: str = ""
    status_label: str = ""
    project_id: int | None = None
    published_at: datetime | None = None
    awarded_at: datetime | None = None
    award_due: datetime | None = None
    budget_fen: int | None = None
    deal_fen: int | None = None
    bidders: int | None = None
    electronic: bool | None = None
    rules_listed: bool = False
    failed: bool = False
    deal_day: date | None = None  # the Shanghai day of the deal (set by the collector)
    published_day: date | None = None

    @property
    def is_deal(self) -> bool:
        return self.deal_fen is not None and self.awarded_at is not None


@dataclass(frozen=True)
class Computed:
    value: int | Decimal
    n: int  # the population the value is computed over
    numerator: int | None = None
    denominator: int | None = None
    computable: bool = field(default=True, init=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "computable": True,
            "value": str(self.value) if isinstance(self.value, Decimal) else self.value,
            "n": self.n,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


@dataclass(frozen=True)
class NotComputable:
    reason: str  # empty | single
    n: int
    computable: bool = field(default=False, init=False)

    @property
    def reason_zh(self) -> str:
        return REASONS_ZH[self.reason]

    @property
    def reason_en(self) -> str:
        return REASONS_EN[self.reason]

    def as_json(self) -> dict[str, Any]:
        return {
            "computable": False,
            "value": None,
            "n": self.n,
            "reason": self.reason,
            "reason_zh": self.reason_zh,
            "reason_en": self.reason_en,
        }


Result = Computed | NotComputable


def not_computable(n: int) -> NotComputable:
    return NotComputable(EMPTY if n <= 0 else SINGLE, max(0, n))


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), ROUND_HALF_UP)


def percent(numerator: int, denominator: int, n: int | None = None) -> Result:
    """``numerator / denominator`` in percent (one decimal) over a population of ``n`` (default: the
    denominator); not computable under two items or with a zero denominator."""
    size = denominator if n is None else n
    if size < MIN_POPULATION or denominator <= 0:
        return not_computable(size if denominator > 0 else 0)
    return Computed(_round(Decimal(100 * numerator) / Decimal(denominator), "0.1"), size, numerator, denominator)


def mean(values: Sequence[int | float | Decimal], places: str = "0.01") -> Result:
    if len(values) < MIN_POPULATION:
        return not_computable(len(values))
    total = sum((Decimal(str(v)) for v in values), Decimal(0))
    return Computed(_round(total / Decimal(len(values)), places), len(values))


# -- the indicators ------------------------------------------------------------------------------------------------


def deals(trades: Iterable[Trade]) -> list[Trade]:
    return [t for t in trades if t.is_deal]


def volume(trades: Iterable[Trade]) -> Computed:
    """成交宗数: deals (awarded trades)."""
    n = len(deals(trades))
    return Computed(n, n)


def value(trades: Iterable[Trade]) -> Computed:
    """成交金额 (fen): the sum of the deal prices."""
    rows = deals(trades)
    return Computed(sum(t.deal_fen or 0 for t in rows), len(rows))


def savings_rate(trades: Iterable[Trade]) -> Result:
    """节资率 = (Σ budget − Σ deal) ÷ Σ budget over deals with a budget (percent; negative when deals exceed
    budgets)."""
    rows = [t for t in deals(trades) if t.budget_fen is not None and t.budget_fen > 0]
    if len(rows) < MIN_POPULATION:
        return not_computable(len(rows))
    budget = sum(t.budget_fen or 0 for t in rows)
    deal = sum(t.deal_fen or 0 for t in rows)
    return Computed(_round(Decimal(100 * (budget - deal)) / Decimal(budget), "0.1"), len(rows), budget - deal, budget)


def bidders_per_section(trades: Iterable[Trade]) -> Result:
    """平均投标人数: bids per opened section."""
    return mean([t.bidders for t in trades if t.bidders is not None])


def single_bid_share(trades: Iterable[Trade]) -> Result:
    """单一投标占比: opened sections that received one bid ÷ opened sections (percent)."""
    rows = [t for t in trades if t.bidders is not None]
    return percent(sum(1 for t in rows if t.bidders == 1), len(rows))


def days_to_award(trades: Iterable[Trade]) -> Result:
    """公告至定标平均天数: from the tender notice to the award, in days (one decimal)."""
    spans = [
        (t.awarded_at - t.published_at).total_seconds() / 86400
        for t in deals(trades)
        if t.published_at is not None and t.awarded_at is not None
    ]
    return mean(spans, "0.1")


def on_time_share(trades: Iterable[Trade]) -> Result:
    """按期定标率: deals awarded by their award deadline ÷ deals with a deadline (percent)."""
    rows = [t for t in deals(trades) if t.award_due is not None]
    return percent(sum(1 for t in rows if t.awarded_at <= t.award_due), len(rows))  # type: ignore[operator]


def electronic_rate(trades: Iterable[Trade]) -> Result:
    """全流程电子化率: deals whose bids went into the electronic bid box and whose evaluation ran in the
    platform's evaluation app ÷ deals (percent)."""
    rows = [t for t in deals(trades) if t.electronic is not None]
    return percent(sum(1 for t in rows if t.electronic), len(rows))


def rule_coverage(trades: Iterable[Trade]) -> Result:
    """规则覆盖率: trades whose procedure runs under the rules catalogue (a 规则目录 snapshot) ÷ trades."""
    rows = list(trades)
    return percent(sum(1 for t in rows if t.rules_listed), len(rows))


def disclosure_rate(on_time: int, required: int) -> Result:
    """信息公开率: required notices published on time ÷ required notices due (from the 公开目录)."""
    return percent(on_time, required)


# -- the set of indicators -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Definition:
    code: str
    name_zh: str
    name_en: str
    unit: str  # count | fen | percent | bidders | days
    formula_zh: str
    compute: Callable[[list[Trade]], Result] | None = None


DEFINITIONS: tuple[Definition, ...] = (
    Definition("volume", "成交宗数", "Deals", "count", "定标（发出中标通知书）的标段数", volume),
    Definition("value", "成交金额", "Deal value", "fen", "中标价之和", value),
    Definition("savings_rate", "节资率", "Savings rate", "percent", "（预算合计 − 成交合计）÷ 预算合计", savings_rate),
    Definition(
        "bidders_per_section",
        "平均投标人数",
        "Bidders per section",
        "bidders",
        "开标后投标数之平均",
        bidders_per_section,
    ),
    Definition(
        "single_bid_share",
        "单一投标占比",
        "Single-bid share",
        "percent",
        "只有一家投标的标段 ÷ 已开标标段",
        single_bid_share,
    ),
    Definition(
        "days_to_award", "公告至定标天数", "Days notice→award", "days", "招标公告至中标通知书的平均天数", days_to_award
    ),
    Definition(
        "on_time_share", "按期定标率", "Awarded on time", "percent", "在定标期限内定标 ÷ 有期限的定标", on_time_share
    ),
    Definition(
        "electronic_rate",
        "全流程电子化率",
        "Fully electronic",
        "percent",
        "电子投标箱受理且在平台评标系统评标的成交 ÷ 成交",
        electronic_rate,
    ),
    Definition(
        "disclosure_rate", "信息公开率", "Disclosure rate", "percent", "按时公开的应公开信息 ÷ 应公开信息（公开目录）"
    ),
    Definition(
        "rule_coverage", "规则覆盖率", "Rule coverage", "percent", "按规则目录快照运行的交易 ÷ 交易", rule_coverage
    ),
)
BY_CODE = {d.code: d for d in DEFINITIONS}


@dataclass(frozen=True)
class Indicator:
    definition: Definition
    result: Result

    @property
    def code(self) -> str:
        return self.definition.code

    def as_json(self) -> dict[str, Any]:
        d = self.definition
        return {"code": d.code, "name_zh": d.name_zh, "name_en": d.name_en, "unit": d.unit, **self.result.as_json()}


def compute_all(trades: Sequence[Trade], *, disclosure: tuple[int, int] | None = None) -> list[Indicator]:
    """Every indicator over ``trades``; ``disclosure`` is (on time, required) from the notices' 公开目录 tally."""
    rows = list(trades)
    out = []
    for d in DEFINITIONS:
        if d.compute is not None:
            out.append(Indicator(d, d.compute(rows)))
        else:
            on_time, required = disclosure or (0, 0)
            out.append(Indicator(d, disclosure_rate(on_time, required)))
    return out


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    trades: int
    volume: int
    value_fen: int
    savings: Result
    single_bid: Result


def group_by(trades: Sequence[Trade], key: Callable[[Trade], str], label: Callable[[str], str]) -> list[Group]:
    """Deals and value per group, biggest value first."""
    grouped: dict[str, list[Trade]] = {}
    for t in trades:
        grouped.setdefault(key(t), []).append(t)
    groups = [
        Group(
            k,
            label(k),
            len(members),
            volume(members).value,  # type: ignore[arg-type]
            value(members).value,  # type: ignore[arg-type]
            savings_rate(members),
            single_bid_share(members),
        )
        for k, members in grouped.items()
    ]
    return sorted(groups, key=lambda g: (-g.value_fen, -g.volume, g.key))

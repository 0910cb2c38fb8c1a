"""Scores: the price formulas (computed, never typed by experts), the members' score sheets, aggregation.

**Price score** (``price_scores``), over the valid bids' (evaluated) prices, for the price item's points *P*:

- ``low_price_base`` (低价优先法; 87号令 Art.55 for GP): base = the lowest valid price; score = base ÷ price × P.
  The lowest valid bid gets exactly *P*; scores fall as the price rises and stay in (0, P].
- ``benchmark_deviation`` (基准价偏差法, common for works): benchmark B = basis × K, the basis being the lowest, the
  average, or the average without the highest and lowest (when at least 5 bids); deviation d = (price − B) ÷ B
  in percent; score = P − d × (points per % above) when above B, P − |d| × (points per % below) when below,
  never below 0.

Exact arithmetic (fractions), rounded half-up to the configured decimals at the end.

**Aggregation**: for each bid and item, the mean of the scores of the members who score that item (dropping one
highest and one lowest when ``trimmed_mean`` and at least ``trim_min_members`` scored); the bid's total is the sum
of the item means plus the price score.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from yiwang.trading.tender.evaluation.domain.errors import invalid
from yiwang.trading.tender.evaluation.domain.inputs import (
    Category,
    EvaluationConfig,
    FormulaKind,
    PriceFormula,
    ScoreItem,
)


def to_decimal(value: Fraction, decimals: int) -> Decimal:
    """Round a fraction half-up to ``decimals`` places (exactly, whatever its size)."""
    quantum = Decimal(1).scaleb(-decimals)
    scaled = value * 10**decimals
    floor = scaled.numerator // scaled.denominator
    remainder = scaled - floor
    rounded = floor + (1 if remainder >= Fraction(1, 2) else 0)
    return (Decimal(rounded) * quantum).quantize(quantum, rounding=ROUND_HALF_UP)


def _mean(values: Sequence[Fraction]) -> Fraction:
    return sum(values, Fraction(0)) / len(values)


def benchmark(prices: Sequence[int], formula: PriceFormula) -> Fraction:
    values = sorted(Fraction(p) for p in prices)
    if formula.benchmark == "lowest":
        basis = values[0]
    elif formula.benchmark == "average_trimmed" and len(values) >= 5:
        basis = _mean(values[1:-1])
    else:
        basis = _mean(values)
    return basis * Fraction(formula.coefficient)


def price_score_exact(price: int, prices: Sequence[int], formula: PriceFormula, points: Decimal) -> Fraction:
    p = Fraction(points)
    if formula.kind is FormulaKind.LOW_PRICE_BASE:
        return Fraction(min(prices), price) * p
    bench = benchmark(prices, formula)
    deviation = (Fraction(price) - bench) / bench * 100
    per = Fraction(formula.deduct_above_per_pct) if deviation > 0 else Fraction(formula.deduct_below_per_pct)
    return max(Fraction(0), p - abs(deviation) * per)


def price_scores(
    prices: Mapping[int, int], formula: PriceFormula, points: Decimal, decimals: int = 2
) -> dict[int, Decimal]:
    """Price score of each valid bid (bid id → points), from the valid bids' prices only."""
    if not prices:
        return {}
    values = list(prices.values())
    if min(values) <= 0:
        raise ValueError("prices must be positive")
    return {
        bid: to_decimal(price_score_exact(price, values, formula, points), decimals) for bid, price in prices.items()
    }


# -- score sheets ----------------------------------------------------------------------------------


def parse_score(value: Any, item: ScoreItem, decimals: int, where: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise invalid("score_invalid", "分值须为数字", "a score is a number", where) from None
    if not number.is_finite():
        raise invalid("score_invalid", "分值须为数字", "a score is a number", where)
    if number < 0 or number > item.max_points:
        raise invalid(
            "score_out_of_range",
            f"“{item.name}”的分值须在 0 到 {item.max_points} 之间",
            f"the score of {item.code} must be from 0 to {item.max_points}",
            where,
            max_points=str(item.max_points),
        )
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        raise invalid(
            "score_too_precise",
            f"分值至多保留 {decimals} 位小数",
            f"a score has at most {decimals} decimals",
            where,
        )
    return number


ScoreSheet = dict[int, dict[str, Decimal]]  # bid id → item code → score


def parse_score_sheet(
    raw: Any, bid_ids: Sequence[int], items: Sequence[ScoreItem], decimals: int, *, complete: bool
) -> ScoreSheet:
    """Read a member's scores (``{"<bid id>": {"<item>": "8.5"}}``) for the items this member scores."""
    if not isinstance(raw, Mapping):
        raise invalid("sheet_invalid", "评分表格式不正确", "the score sheet must be an object", "scores")
    by_code = {i.code: i for i in items}
    out: ScoreSheet = {}
    for key, row in raw.items():
        try:
            bid_id = int(key)
        except (TypeError, ValueError):
            bid_id = -1
        if bid_id not in bid_ids:
            raise invalid(
                "sheet_bid_unknown",
                "评分表中有不在评审范围内的投标",
                "the sheet names a bid not being scored",
                f"scores.{key}",
            )
        if not isinstance(row, Mapping):
            raise invalid("sheet_invalid", "评分表格式不正确", "scores of a bid must be an object", f"scores.{key}")
        parsed: dict[str, Decimal] = {}
        for code, value in row.items():
            where = f"scores.{key}.{code}"
            item = by_code.get(code)
            if item is None:
                raise invalid(
                    "item_not_yours", "该评分项不由您评分（价格分由公式计算）", "you do not score this item", where
                )
            if value in (None, ""):
                continue
            parsed[code] = parse_score(value, item, decimals, where)
        out[bid_id] = parsed
    if complete:
        for bid_id in bid_ids:
            missing = [i.code for i in items if i.code not in out.get(bid_id, {})]
            if missing:
                raise invalid(
                    "sheet_incomplete",
                    "评分表尚未填写完整",
                    "the score sheet is not complete",
                    f"scores.{bid_id}",
                    missing=missing,
                )
    return out


def score_sheet_as_json(sheet: Mapping[int, Mapping[str, Decimal]]) -> dict[str, dict[str, str]]:
    return {str(bid): {code: str(v) for code, v in sorted(row.items())} for bid, row in sorted(sheet.items())}


def score_sheet_from_json(data: Mapping[str, Any] | None) -> ScoreSheet:
    return {int(bid): {code: Decimal(v) for code, v in row.items()} for bid, row in (data or {}).items()}


# -- aggregation -----------------------------------------------------------------------------------


def aggregate(values: Sequence[Decimal], *, trimmed: bool, trim_min: int, decimals: int) -> Decimal:
    """The mean of the members' scores for one item of one bid (trimmed: without one highest and one lowest)."""
    if not values:
        return Decimal(0).quantize(Decimal(1).scaleb(-decimals))
    ordered = sorted(Fraction(v) for v in values)
    if trimmed and len(ordered) >= trim_min and len(ordered) >= 3:
        ordered = ordered[1:-1]
    return to_decimal(_mean(ordered), decimals)


@dataclass(frozen=True)
class BidScore:
    bid_id: int
    items: dict[str, Decimal]  # item code → aggregated points
    by_member: dict[str, dict[str, Decimal]]  # item code → member label → score
    price: Decimal
    technical: Decimal
    commercial: Decimal
    total: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            "bid_id": self.bid_id,
            "items": {k: str(v) for k, v in self.items.items()},
            "by_member": {k: {m: str(s) for m, s in v.items()} for k, v in self.by_member.items()},
            "price": str(self.price),
            "technical": str(self.technical),
            "commercial": str(self.commercial),
            "total": str(self.total),
        }


def bid_scores(
    config: EvaluationConfig,
    sheets: Mapping[str, ScoreSheet],
    prices: Mapping[int, int],
) -> dict[int, BidScore]:
    """Aggregate every member's sheet (member label → sheet) and compute the price scores for ``prices`` (the
    valid bids' evaluated prices)."""
    price_item = config.price_item
    price_points = (
        price_scores(prices, config.price_formula, price_item.max_points, config.decimals) if price_item else {}
    )
    trimmed = config.aggregation == "trimmed_mean"
    out: dict[int, BidScore] = {}
    for bid_id in prices:
        items: dict[str, Decimal] = {}
        by_member: dict[str, dict[str, Decimal]] = {}
        for item in config.scored_items:
            given = {
                label: sheet[bid_id][item.code] for label, sheet in sheets.items() if item.code in sheet.get(bid_id, {})
            }
            by_member[item.code] = given
            items[item.code] = aggregate(
                list(given.values()), trimmed=trimmed, trim_min=config.trim_min_members, decimals=config.decimals
            )
        technical = sum((items[i.code] for i in config.scored_items if i.category is Category.TECHNICAL), Decimal(0))
        commercial = sum((items[i.code] for i in config.scored_items if i.category is Category.COMMERCIAL), Decimal(0))
        price = price_points.get(bid_id, Decimal(0))
        out[bid_id] = BidScore(bid_id, items, by_member, price, technical, commercial, technical + commercial + price)
    return out

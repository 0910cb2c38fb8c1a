"""Outlier scores (评分畸高畸低) and expert-behaviour data for supervision (redflags reference §4).

For each bid, item and member: d = (score − median of the *other* members' scores) ÷ the item's points.

- ``median_share``: |d| ≥ the configured share (default 0.30, the deviation rate proposed in the reference);
- ``tukey``: the score lies outside [Q1 − k·IQR, Q3 + k·IQR] of all members' scores for that bid and item
  (only with at least 5 scores and IQR > 0 — with fewer, or all others equal, quartiles say nothing);
- ``objective``: the item is objective (客观分) and the score differs from the median of all the scores at all.

Also per member: the mean signed deviation (their "横向偏差", recorded with the expert's performance) and
whether leaving them out changes the first-ranked bid (pivotality, 一言堂).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from yiwang.trading.tender.evaluation.domain.inputs import OutlierRule, ScoreItem
from yiwang.trading.tender.evaluation.domain.scoring import to_decimal


def median(values: Sequence[Fraction]) -> Fraction:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def quartiles(values: Sequence[Fraction]) -> tuple[Fraction, Fraction]:
    """Tukey's hinges: the medians of the lower and upper halves, the middle value belonging to both when n is
    odd."""
    ordered = sorted(values)
    half = (len(ordered) + 1) // 2
    return median(ordered[:half]), median(ordered[-half:])


@dataclass(frozen=True)
class Outlier:
    member: str
    bid_id: int
    item: str
    score: Decimal
    reference: Decimal  # median of the other members' scores
    deviation: Decimal  # signed share of the item's points
    methods: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "member": self.member,
            "bid_id": self.bid_id,
            "item": self.item,
            "score": str(self.score),
            "reference": str(self.reference),
            "deviation": str(self.deviation),
            "methods": list(self.methods),
        }


Scores = Mapping[int, Mapping[str, Mapping[str, Decimal]]]  # bid id → item code → member label → score


def find_outliers(scores: Scores, items: Sequence[ScoreItem], rule: OutlierRule) -> list[Outlier]:
    found: list[Outlier] = []
    share = Fraction(rule.share)
    k = Fraction(rule.tukey_k)
    by_code = {i.code: i for i in items}
    for bid_id in sorted(scores):
        for code, given in sorted(scores[bid_id].items()):
            item = by_code.get(code)
            if item is None or len(given) < 2:
                continue
            points = Fraction(item.max_points)
            values = {m: Fraction(v) for m, v in given.items()}
            consensus = median(list(values.values()))
            fences = None
            if len(values) >= 5:
                q1, q3 = quartiles(list(values.values()))
                iqr = q3 - q1
                if iqr > 0:
                    fences = (q1 - k * iqr, q3 + k * iqr)
            for member in sorted(values):
                others = [v for m, v in values.items() if m != member]
                reference = median(others)
                d = (values[member] - reference) / points
                methods = []
                if abs(d) >= share:
                    methods.append("median_share")
                if fences is not None and not fences[0] <= values[member] <= fences[1]:
                    methods.append("tukey")
                if item.objective and values[member] != consensus:
                    methods.append("objective")
                if methods:
                    found.append(
                        Outlier(
                            member,
                            bid_id,
                            code,
                            given[member],
                            to_decimal(reference, 2),
                            to_decimal_signed(d, 4),
                            tuple(methods),
                        )
                    )
    return found


def to_decimal_signed(value: Fraction, decimals: int) -> Decimal:
    return -to_decimal(-value, decimals) if value < 0 else to_decimal(value, decimals)


def member_deviation(scores: Scores, items: Sequence[ScoreItem]) -> dict[str, Decimal]:
    """Each member's mean signed deviation from the others' median over every score they gave (−1 … 1)."""
    by_code = {i.code: i for i in items}
    sums: dict[str, list[Fraction]] = {}
    for bid_scores in scores.values():
        for code, given in bid_scores.items():
            item = by_code.get(code)
            if item is None or len(given) < 2:
                continue
            for member, value in given.items():
                others = [Fraction(v) for m, v in given.items() if m != member]
                sums.setdefault(member, []).append((Fraction(value) - median(others)) / Fraction(item.max_points))
    return {m: to_decimal_signed(sum(ds, Fraction(0)) / len(ds), 4) for m, ds in sorted(sums.items()) if ds}

"""The abnormally-low price screen (异常低价): a bid priced below ``share`` × the average (or median) of the valid
bids' prices must explain its price in writing (87号令 Art.60; 条例 Art.51(5) "低于成本"). The committee then
accepts the explanation or rejects the bid, with its reason. ``share`` and the basis are the centre's
configuration (``EvaluationConfig.abnormally_low``), not legal numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from yiwang.trading.tender.evaluation.domain.inputs import AbnormalLowRule
from yiwang.trading.tender.evaluation.domain.outliers import median
from yiwang.trading.tender.evaluation.domain.scoring import to_decimal


@dataclass(frozen=True)
class Screen:
    basis: str
    basis_fen: Decimal  # the average or median of the valid prices
    threshold_fen: Decimal  # share × basis
    flagged: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "basis_fen": str(self.basis_fen),
            "threshold_fen": str(self.threshold_fen),
            "flagged": list(self.flagged),
        }


def screen(prices: Mapping[int, int], rule: AbnormalLowRule) -> Screen:
    """Which of the valid bids (bid id → price in fen) are abnormally low."""
    if not prices:
        return Screen(rule.basis, Decimal(0), Decimal(0), ())
    values = [Fraction(p) for p in prices.values()]
    basis = median(values) if rule.basis == "median" else sum(values, Fraction(0)) / len(values)
    threshold = basis * Fraction(rule.share)
    flagged = tuple(sorted(bid for bid, price in prices.items() if Fraction(price) < threshold))
    return Screen(rule.basis, to_decimal(basis, 2), to_decimal(threshold, 2), flagged)

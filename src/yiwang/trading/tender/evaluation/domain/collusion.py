"""The data of the deemed-collusion indicators (视为串通投标, 条例 Art.40), recorded with the evaluation.

Nothing here decides: the committee may reject a bid on the ground ``fraud_collusion`` (条例 Art.51(7)) by
majority, and supervision screens the recorded data later. For each indicator, the groups of bids that share
a value (the values themselves are not repeated in the record: an account number or a machine code stays in
the bid data), and bids whose prices form a regular pattern (three or more prices, in order, with equal
differences or equal ratios).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from yiwang.trading.tender.evaluation.domain.inputs import COLLUSION_INDICATORS, PRICE_PATTERN_LABEL


@dataclass(frozen=True)
class Shared:
    indicator: str
    label: str
    bid_ids: tuple[int, ...]

    def as_json(self) -> dict[str, Any]:
        return {"indicator": self.indicator, "label": self.label, "bid_ids": list(self.bid_ids)}


def _values(indicator: str, raw: str) -> set[str]:
    if indicator == "key_personnel":  # a list of people: any one in common counts
        return {p.strip().casefold() for p in raw.replace("，", ",").split(",") if p.strip()}
    value = raw.strip().casefold()
    return {value} if value else set()


def shared_indicators(signals: Mapping[int, Mapping[str, str]]) -> list[Shared]:
    found: list[Shared] = []
    for indicator, label in COLLUSION_INDICATORS.items():
        holders: dict[str, set[int]] = {}
        for bid_id, data in signals.items():
            for value in _values(indicator, str(data.get(indicator, ""))):
                holders.setdefault(value, set()).add(bid_id)
        groups = sorted({tuple(sorted(bids)) for bids in holders.values() if len(bids) >= 2})
        found.extend(Shared(indicator, label, group) for group in groups)
    return found


def price_pattern(prices: Mapping[int, int]) -> list[Shared]:
    """Runs of ≥ 3 consecutive prices (sorted) with equal positive differences or equal ratios."""
    ordered = sorted(prices.items(), key=lambda kv: (kv[1], kv[0]))
    found: list[Shared] = []
    n = len(ordered)
    for i in range(n - 2):
        a, b, c = (Fraction(ordered[i + j][1]) for j in range(3))
        if b - a > 0 and (b - a == c - b or b / a == c / b):
            group = tuple(sorted(ordered[i + j][0] for j in range(3)))
            if not found or found[-1].bid_ids != group:
                found.append(Shared("price_pattern", PRICE_PATTERN_LABEL, group))
    return found

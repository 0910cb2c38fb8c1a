"""The market's numbers for one trading day, and the price limits they give.

The numbers come from the rules catalogue (``carbon.*`` rule ids, see :data:`RULE_IDS`); the action layer
reads them and puts them *into* the day-opening command, so a replay of the command log uses the numbers
that were in force that day, not today's.

Units: prices in fen per tonne (1 fen = 0.01 CNY), quantities in whole tonnes, percentages in basis points
(1 % = 100 bp) so that everything stays integer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

# rule id in the catalogue → field of MarketRules (and how the catalogue value converts)
RULE_IDS: dict[str, str] = {
    "carbon.price_tick": "tick_fen",  # 最小变动价位, yuan → fen
    "carbon.quantity_lot": "lot_t",  # 申报数量单位, t
    "carbon.listing_price_limit": "band_bp",  # 挂牌协议涨跌幅 ±10 %
    "carbon.block_price_limit": "block_band_bp",  # 大宗协议涨跌幅 ±30 %
    "carbon.listing_qty_max": "listing_max_t",  # 挂牌协议单笔 < 100,000 t
    "carbon.block_qty_min": "block_min_t",  # 大宗协议单笔 ≥ 100,000 t
    "carbon.listing_levels": "levels",  # 摘牌 within the counterparty's best 5 price levels
    "carbon.repo_qty_min": "repo_min_t",  # 配额回购 ≥ 10,000 t
}


@dataclass(frozen=True, slots=True)
class MarketRules:
    tick_fen: int = 1
    lot_t: int = 1
    band_bp: int = 1000
    block_band_bp: int = 3000
    listing_max_t: int = 100_000  # exclusive: a listing must be smaller
    block_min_t: int = 100_000
    levels: int = 5
    repo_min_t: int = 10_000

    def __post_init__(self) -> None:
        for name in ("tick_fen", "lot_t", "listing_max_t", "block_min_t", "levels", "repo_min_t"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) <= 0:
                raise ValueError(f"market rule {name} must be a positive integer")
        for name in ("band_bp", "block_band_bp"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 < value < 10_000:
                raise ValueError(f"market rule {name} must be between 0 and 100 %")

    def as_json(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MarketRules:
        return cls(**{k: int(v) for k, v in data.items() if k in cls.__dataclass_fields__})


def convert_rule_value(rule_id: str, value: int | Decimal | Fraction, unit: str) -> int:
    """A catalogue value as the integer the engine uses (yuan → fen, percent → basis points, else as is).

    Refuses values that do not convert exactly (a tick of 0.001 yuan is not a whole fen)."""
    scaled = Fraction(value) * 100 if unit == "yuan" or unit == "percent" else Fraction(value)
    if scaled.denominator != 1:
        raise ValueError(f"rule {rule_id} = {value} {unit} is not a whole number of the engine's unit")
    return int(scaled)


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def price_limits(reference_fen: int, band_bp: int, tick_fen: int) -> tuple[int, int]:
    """Lowest and highest valid prices: reference × (1 ∓ band), rounded inwards to the tick.

    The limits are inclusive; rounding inwards keeps every valid price within the band."""
    if reference_fen <= 0:
        raise ValueError("the reference price must be positive")
    lower = _ceil_div(reference_fen * (10_000 - band_bp), 10_000)
    upper = reference_fen * (10_000 + band_bp) // 10_000
    lower = _ceil_div(lower, tick_fen) * tick_fen
    upper = upper // tick_fen * tick_fen
    lower = max(lower, tick_fen)
    return lower, upper


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up (both non-negative integers, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)

"""Rule presets: what staff pick when they create a lot.

A preset names the engine kind, the trading-catalogue category, the finance deposit regime (if deposits are
handled by services.finance for it) and the engine parameters that are *not* law (countdown lengths, Dutch
intervals …: data of this app, overridable per lot). The legal numbers (24 h of bidding, the 5-minute soft close,
the 70 % start price, the deposit band, the 10-day listing …) are read from the rules catalogue when the lot is
created and snapshotted onto it (``Lot.legal``), never written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from yiwang.trading.auction.domain.rules import HOUR, MINUTE


@dataclass(frozen=True)
class Preset:
    key: str
    kind: str  # RuleSet.kind
    category: str  # trading-catalogue category (notices, calendar)
    label_zh: str
    regime: str = ""  # finance deposit regime; "" = no deposit handled by finance
    ref_prefix: str = "AU"
    needs_end: bool = True
    defaults: dict[str, int] = field(default_factory=dict)  # engine parameters (durations in µs)


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset("judicial", "judicial", "judicial", "网络司法拍卖", "judicial", "JA"),
        Preset(
            "judicial_sale", "judicial_sale", "judicial", "司法变卖", "judicial", "JS",
            defaults={"bidding_period": 24 * HOUR},
        ),
        Preset(
            "land_listing", "land_listing", "land", "国有建设用地使用权挂牌出让", "land", "LD",
            defaults={"countdown": 4 * MINUTE, "continue_window": 10 * MINUTE},
        ),
        Preset(
            "equity_multi", "equity_multi", "state_assets", "产权网络竞价（多次报价）", "state_assets", "EQ",
            defaults={"countdown": 5 * MINUTE},
        ),
        Preset(
            "equity_sealed", "equity_sealed", "state_assets", "产权网络竞价（一次报价）", "state_assets", "ES",
        ),
        Preset(
            "equity_weighted", "equity_weighted", "state_assets", "产权网络竞价（权重报价）", "state_assets", "EW",
            defaults={"price_weight_bp": 6_000},
        ),
        Preset("english", "english", "extension", "增价拍卖", "", "EN"),
        Preset("dutch", "dutch", "extension", "减价拍卖", "", "DU", needs_end=False, defaults={"interval": MINUTE}),
        Preset(
            "reverse", "reverse", "gp", "反向竞价（多轮报价）", "", "RA", needs_end=False,
            defaults={"first_pause": 5 * MINUTE, "turn": 2 * MINUTE, "pause": 2 * MINUTE, "rounds": 3},
        ),
    )
}  # fmt: skip

# engine parameters a lot may override (seconds at the edge, µs inside)
PARAMS = (
    "countdown",
    "continue_window",
    "bidding_period",
    "interval",
    "matching_window",
    "first_pause",
    "turn",
    "pause",
)

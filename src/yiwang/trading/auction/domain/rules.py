"""Rule sets as data: what distinguishes a judicial auction from a land listing or a reverse auction.

A :class:`RuleSet` is frozen and serialises to plain JSON; it is snapshotted onto each lot when the lot is
created (the legal numbers in it come from the rules catalogue at that moment), so a lot keeps the rules it was
created under even if the catalogue changes later. Times are integer microseconds since the Unix epoch (UTC)
and durations integer microseconds; money is integer 分 (fen).

Kinds (``RuleSet.kind``):

``judicial``        网络司法拍卖: ascending from the start price, soft close (a bid inside the window moves the end
                    to bid time + extension), pre-emption holders (优先购买权人) win ties at equal price.
``judicial_sale``   变卖: a fixed-price window; the first bid at the price turns it into a judicial auction of
                    ``bidding_period`` starting from that bid.
``land_listing``    国有建设用地使用权挂牌: bids any time during the listing; at its end, when at least
                    ``min_continuing`` bidders want to continue, a countdown auction among them (each bid restarts
                    the countdown); otherwise the highest listing bid at or above the secret floor wins.
``equity_multi``    产权网络竞价·多次报价: a free period, then a timed period whose countdown restarts on each bid;
                    optional 事后行权 (``matching_window``): a pre-emption holder may match the final price.
``equity_sealed``   一次报价: one sealed bid per bidder (kept in the bid box), revealed after the deadline.
``equity_weighted`` 权重报价: sealed like ``equity_sealed``; price points plus other points scored.
``english``         English ascending with a secret reserve (optional soft close).
``dutch``           Dutch descending: the price drops by ``step`` every ``interval`` down to the reserve; the first
                    acceptance wins.
``reverse``         ProZorro-style reverse auction: ``rounds`` rounds of turns, worst price first, each bid at
                    least ``step`` below the bidder's own previous; the lowest wins, ties to the earliest bid.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

KINDS = (
    "judicial",
    "judicial_sale",
    "land_listing",
    "equity_multi",
    "equity_sealed",
    "equity_weighted",
    "english",
    "dutch",
    "reverse",
)
ASCENDING = frozenset({"judicial", "judicial_sale", "land_listing", "equity_multi", "english"})
SEALED = frozenset({"equity_sealed", "equity_weighted"})


@dataclass(frozen=True, slots=True)
class RuleSet:
    kind: str
    start_price: int
    step: int
    start_at: int
    end_at: int = 0  # end of bidding / listing / free period / sealed deadline / 变卖 window (reverse, dutch: derived)
    reserve: int = 0  # secret floor (底价 / 保留价); 0 = none
    cap: int = 0  # 封顶价; 0 = none
    multiples: bool = True  # bids must lie on the grid start + n × step
    soft_close_window: int = 0
    soft_close_extension: int = 0
    preemption: bool = False  # equal-price bids by a stronger pre-emption holder win (judicial)
    countdown: int = 0  # land countdown / equity timed period; restarts on each bid
    continue_window: int = 0  # land: time after the listing end to declare the wish to continue
    min_continuing: int = 2
    matching_window: int = 0  # equity 事后行权 window after the close; 0 = none
    bidding_period: int = 0  # judicial_sale: bidding time after the first bid
    interval: int = 0  # dutch: time between price drops
    rounds: int = 3  # reverse
    first_pause: int = 0  # reverse
    turn: int = 0  # reverse
    pause: int = 0  # reverse
    price_weight_bp: int = 10_000  # weighted: price points out of 10 000
    min_bidders: int = 0  # equity: fewer bidders at the close (registered; sealed: who sealed) → no sale

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        """What is wrong with these parameters (empty when they are consistent)."""
        out: list[str] = []
        if self.kind not in KINDS:
            out.append(f"unknown kind {self.kind!r}")
            return out
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                out.append(f"{f.name} must not be negative")
        if self.start_price <= 0:
            out.append("start_price must be positive")
        if self.step <= 0:
            out.append("step must be positive")
        if self.kind not in ("reverse", "dutch") and self.end_at <= self.start_at:
            out.append("end_at must be after start_at")
        if self.cap and self.cap < self.start_price:
            out.append("cap below start_price")
        if self.kind == "land_listing" and self.countdown <= 0:
            out.append("land listing needs a countdown")
        if self.kind == "judicial_sale" and self.bidding_period <= 0:
            out.append("judicial sale needs a bidding_period")
        if self.kind == "dutch":
            if self.interval <= 0:
                out.append("dutch needs an interval")
            if self.reserve > self.start_price:
                out.append("dutch reserve above start_price")
        if self.kind == "reverse" and (self.rounds <= 0 or self.turn <= 0):
            out.append("reverse needs rounds and a turn length")
        if self.kind == "equity_weighted" and not 0 < self.price_weight_bp <= 10_000:
            out.append("price_weight_bp must be in 1..10000")
        if self.soft_close_window and not self.soft_close_extension:
            out.append("soft close window without an extension")
        return out

    @property
    def ascending(self) -> bool:
        return self.kind in ASCENDING

    def dutch_end(self) -> int:
        """When a Dutch auction ends without a taker: one interval after the price reached the reserve."""
        drops = -(-(self.start_price - self.reserve) // self.step)  # ceil
        return self.start_at + (drops + 1) * self.interval

    def dutch_price(self, t: int) -> int:
        if t < self.start_at:
            return self.start_price
        return max(self.reserve, self.start_price - ((t - self.start_at) // self.interval) * self.step)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleSet:
        names = {f.name for f in fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown rule fields: {sorted(unknown)}")
        return cls(**data)

"""Market data recomputed from the trade log: daily bars (OHLC, closing price) and the carbon price index.

**Closing price** (SEEE rule for the national market): the volume-weighted average price of the day's
on-screen trades (挂牌协议 / the continuous book), rounded half up to the tick; a day without such trades
closes at the previous close. Block trades (大宗协议) and both repo legs (配额回购) never enter it; they count
in volume and value only. Open = the first on-screen trade (none: the previous close); high/low likewise.

**Carbon price index** (碳价指数), methodology ``carbon-index-1``:

1. the reference price of product *i* on day *t* is its closing price if that day's on-screen volume
   reached the minimum (``min_volume_t``, 100 t, after the Guangzhou guard against thin-market closes),
   otherwise the previous reference price is carried;
2. chain-linked Laspeyres: ``I_t = I_{t-1} · Σ w_i P_i,t / Σ w_i P_i,t-1`` over the products priced on
   both days, with the weights in force on day *t* (allowance volumes, frozen between reviews); a product
   enters the day after its first reference price;
3. ``I_0 = 1000`` on the base day (the first day with a reference price). Exact rational arithmetic along
   the chain; published values are rounded half up to 4 decimals (``value_e4`` = index × 10 000).

Everything here is a pure function of the trades, so the index can always be recomputed from the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from yiwang.trading.orderbook.domain.engine import ELIGIBLE_KINDS
from yiwang.trading.orderbook.domain.rules import round_half_up

INDEX_METHOD = "carbon-index-1"
INDEX_BASE = 1000
INDEX_MIN_VOLUME_T = 100


@dataclass(frozen=True)
class DayBar:
    day: int  # yyyymmdd
    previous_close_fen: int
    open_fen: int
    high_fen: int
    low_fen: int
    close_fen: int
    eligible_volume_t: int
    eligible_value_fen: int
    volume_t: int  # every kind
    value_fen: int
    trades: int


def closing_price(trades: Iterable[tuple[int, int, int]], previous_close_fen: int, tick_fen: int = 1) -> int:
    """VWAP of the eligible trades ``(kind, price_fen, quantity_t)``, half up to the tick; none → previous."""
    volume = value = 0
    for kind, price, qty in trades:
        if kind in ELIGIBLE_KINDS:
            volume += qty
            value += price * qty
    if not volume:
        return previous_close_fen
    return round_half_up(value, volume * tick_fen) * tick_fen


def bars(
    trades: Iterable[tuple[int, int, int, int]],
    first_previous_close_fen: int,
    tick_fen: int = 1,
    days: Sequence[int] = (),
) -> list[DayBar]:
    """Daily bars from ``(day, kind, price_fen, quantity_t)`` in trade order. ``days`` lists trading days
    that must get a bar even without trades (they close at the previous close)."""
    by_day: dict[int, list[tuple[int, int, int]]] = {d: [] for d in days}
    for day, kind, price, qty in trades:
        by_day.setdefault(day, []).append((kind, price, qty))
    out: list[DayBar] = []
    previous = first_previous_close_fen
    for day in sorted(by_day):
        rows = by_day[day]
        eligible = [(p, q) for k, p, q in rows if k in ELIGIBLE_KINDS]
        close = closing_price(rows, previous, tick_fen)
        out.append(
            DayBar(
                day=day,
                previous_close_fen=previous,
                open_fen=eligible[0][0] if eligible else previous,
                high_fen=max((p for p, _ in eligible), default=previous),
                low_fen=min((p for p, _ in eligible), default=previous),
                close_fen=close,
                eligible_volume_t=sum(q for _, q in eligible),
                eligible_value_fen=sum(p * q for p, q in eligible),
                volume_t=sum(q for _, _, q in rows),
                value_fen=sum(p * q for _, p, q in rows),
                trades=len(rows),
            )
        )
        previous = close
    return out


@dataclass(frozen=True)
class IndexPoint:
    day: int
    value_e4: int  # index × 10 000, rounded half up
    prices: dict[str, int]  # the reference prices used that day (fen)
    exact: Fraction

    @property
    def value(self) -> str:
        return f"{self.value_e4 // 10_000}.{self.value_e4 % 10_000:04d}"


def chain_index(
    closes: Mapping[str, Sequence[tuple[int, int, int]]],
    weights: Mapping[str, int] | Sequence[tuple[int, Mapping[str, int]]],
    *,
    base: int = INDEX_BASE,
    min_volume_t: int = INDEX_MIN_VOLUME_T,
) -> list[IndexPoint]:
    """The chain-linked index from each product's ``(day, close_fen, eligible_volume_t)`` rows.

    ``weights`` is one mapping for the whole series, or ``[(from_day, mapping), …]`` for reviewed weights (the
    mapping in force on a day is the last one whose ``from_day`` ≤ day)."""
    if isinstance(weights, Mapping):
        schedule: list[tuple[int, Mapping[str, int]]] = [(0, weights)]
    else:
        schedule = sorted(weights, key=lambda w: w[0])
    days = sorted({d for rows in closes.values() for d, _, _ in rows})
    by_product = {p: {d: (c, v) for d, c, v in rows} for p, rows in closes.items()}
    reference: dict[str, int] = {}
    out: list[IndexPoint] = []
    level: Fraction | None = None
    for day in days:
        w = next((m for start, m in reversed(schedule) if start <= day), schedule[0][1])
        today: dict[str, int] = dict(reference)
        for product, rows in by_product.items():
            row = rows.get(day)
            if row is None:
                continue
            close, volume = row
            if volume >= min_volume_t:
                today[product] = close
        if not today:
            continue
        if level is None:
            level = Fraction(base)
        else:
            common = [p for p in today if p in reference and w.get(p, 0) > 0]
            numerator = sum(w[p] * today[p] for p in common)
            denominator = sum(w[p] * reference[p] for p in common)
            if denominator:
                level = level * Fraction(numerator, denominator)
        reference = today
        value_e4 = round_half_up(level.numerator * 10_000, level.denominator)
        out.append(IndexPoint(day, value_e4, dict(sorted(today.items())), level))
    return out

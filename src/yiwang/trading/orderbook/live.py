"""Live push of the carbon market through ``platform.live`` (one mechanism with the auction).

After each command (published when its transaction commits, event id = the command's sequence number):

- ``orderbook.instrument:<code>`` (public, whole state each time, coalesced by the live server): phase,
  price limits, last price, 5 levels of depth from the engine, the last trades;
- ``orderbook.participant:<code>.<entity>`` (private, every event): that participant's changed orders and its
  fills in this command.

When ``platform.live`` is not installed (an embedded set-up without live streams), nothing is published.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps

from yiwang.trading.orderbook.domain.outcome import MarketState, Outcome
from yiwang.trading.orderbook.models import Market, Trade

INSTRUMENT = "orderbook.instrument"
PARTICIPANT = "orderbook.participant"
LAST_TRADES = 10


def enabled() -> bool:
    return apps.is_installed("yiwang.platform.live")


def instrument_channel(code: str) -> str:
    return f"{INSTRUMENT}:{code}"


def participant_channel(code: str, entity_id: int) -> str:
    return f"{PARTICIPANT}:{code}.{entity_id}"


def market_state(market: Market, state: MarketState | None) -> dict[str, Any]:
    """The public picture of a market (what the market page shows and the live channel carries)."""
    e = state.engine if state is not None else None
    depth = e.depth(5) if e is not None and e.phase != "closed" else {"bids": [], "asks": []}
    trades = Trade.objects.filter(market=market).order_by("-tid")[:LAST_TRADES]
    return {
        "market": market.code,
        "phase": market.phase,
        "day": market.current_day.isoformat() if market.current_day else None,
        "lower_fen": market.lower_fen,
        "upper_fen": market.upper_fen,
        "last_price_fen": market.last_price_fen,
        "last_close_fen": market.last_close_fen,
        "bids": [list(level) for level in depth["bids"]],
        "asks": [list(level) for level in depth["asks"]],
        "trades": [[t.tid, t.kind, t.price_fen, t.quantity_t, t.executed_at.isoformat()] for t in trades],
    }


def after_command(market: Market, state: MarketState, outcome: Outcome | None, projected: Any) -> None:
    if outcome is None or not enabled():
        return
    from yiwang.platform.live.publish import publish

    publish(instrument_channel(market.code), outcome.seq, market_state(market, state))
    if projected is None:
        return
    for entity_id in sorted(projected.touched_entities):
        orders = [
            {
                "order_id": o.oid,
                "status": o.status,
                "open_t": o.open_t,
                "filled_t": o.filled_t,
                "price_fen": o.price_fen,
            }
            for o in projected.orders
            if o.entity_id == entity_id
        ]
        fills = [
            {
                "trade_id": t.tid,
                "kind": t.kind,
                "price_fen": t.price_fen,
                "quantity_t": t.quantity_t,
                "side": "buy" if t.buyer_entity_id == entity_id else "sell",
            }
            for t in projected.trades
            if entity_id in (t.buyer_entity_id, t.seller_entity_id)
        ]
        publish(
            participant_channel(market.code, entity_id),
            outcome.seq,
            {"op": outcome.command.get("op"), "orders": orders, "fills": fills},
        )

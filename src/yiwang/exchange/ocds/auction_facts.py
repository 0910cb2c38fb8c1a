"""The public facts of an auction lot, read through the auction context's public queries: the listing as its
notice shows it (the start price, the times, the preset), the outcome after the close and the buyer as the
成交公告 names it. Never the reserve, the bid history or a bidder's 竞买号."""

from __future__ import annotations

from typing import Any

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import NotFound
from yiwang.registry import queries as registry_queries
from yiwang.trading.auction import queries as auction_queries

PUBLIC = Actor.anonymous()


def _iso(value: Any) -> str | None:
    return iso_utc(value) if value else None


def lot_facts(lot_id: Any) -> dict[str, Any] | None:
    try:
        lot = auction_queries.get_lot_for(PUBLIC, int(lot_id))
    except (NotFound, TypeError, ValueError):
        return None
    facts: dict[str, Any] = {
        "ref": lot.ref,
        "title": lot.title,
        "description": lot.description,
        "preset_label": auction_queries.preset_label(lot),
        "category": lot.category,
        "region_code": lot.region_code,
        "start_price_fen": lot.start_price_fen,
        "start_at": _iso(lot.start_at),
        "planned_end_at": _iso(lot.end_at),
        "phase": lot.phase,
        "outcome": lot.outcome or None,
        "bidders": lot.bidder_count,
        "closed_at": _iso(lot.closed_at),
        "deal_price_fen": lot.deal_price_fen,
        "winner": None,
    }
    if lot.phase == "closed" and lot.outcome == "sold" and lot.winner_entity_id:
        ref = registry_queries.get_entity_refs([lot.winner_entity_id]).get(lot.winner_entity_id)
        if ref is not None:
            facts["winner"] = {"name": ref.name, "uscc": ref.uscc}
    return facts

"""Ranking, ties, GP same-brand grouping, candidates, and counting valid bids.

- Scored methods rank by total points, highest first; lowest-price methods by evaluated price, lowest first.
- Ties are broken by the configured rules in order (``price`` lower first, ``technical`` / ``commercial`` points
  higher first); bids still equal on every rule keep their order of arrival and are flagged
  ``tie_unresolved`` so the committee sees it (the report says so). Ranking is deterministic.
- GP (87号令 Art.31): bids offering the same brand of the core product count as one bidder. Only the best
  ranked of them may become a candidate (the others are ``brand_excluded``), and they count once towards the
  minimum number of valid bids.
- Candidates: the first N ranked bids that are not brand-excluded (N ≤ the legal cap, checked at the start).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Entry:
    bid_id: int
    seq: int  # order of arrival (the bids' order as given)
    price_fen: int  # evaluated price
    total: Decimal = Decimal(0)
    technical: Decimal = Decimal(0)
    commercial: Decimal = Decimal(0)
    brand: str = ""


@dataclass(frozen=True)
class Ranked:
    bid_id: int
    rank: int
    tie_unresolved: bool = False
    brand_excluded: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "bid_id": self.bid_id,
            "rank": self.rank,
            "tie_unresolved": self.tie_unresolved,
            "brand_excluded": self.brand_excluded,
        }


def brand_key(brand: str) -> str:
    return " ".join(brand.split()).casefold()


def _key(entry: Entry, *, scored: bool, tie_break: Sequence[str]) -> tuple:
    parts: list[Any] = [-entry.total] if scored else [entry.price_fen]
    for rule in tie_break:
        if rule == "price":
            parts.append(entry.price_fen)
        elif rule == "technical":
            parts.append(-entry.technical)
        elif rule == "commercial":
            parts.append(-entry.commercial)
    return tuple(parts)


def rank(entries: Iterable[Entry], *, scored: bool, tie_break: Sequence[str], gp: bool = False) -> list[Ranked]:
    items = list(entries)
    keyed = sorted(((_key(e, scored=scored, tie_break=tie_break), e.seq, e) for e in items), key=lambda t: (t[0], t[1]))
    out: list[Ranked] = []
    for index, (key, _, entry) in enumerate(keyed):
        tied = (index > 0 and keyed[index - 1][0] == key) or (index + 1 < len(keyed) and keyed[index + 1][0] == key)
        out.append(Ranked(entry.bid_id, index + 1, tie_unresolved=tied))
    if gp:
        brands = {e.bid_id: brand_key(e.brand) for e in items}
        seen: set[str] = set()
        for i, r in enumerate(out):
            key = brands[r.bid_id]
            if not key:
                continue
            if key in seen:
                out[i] = replace(r, brand_excluded=True)
            seen.add(key)
    return out


def candidates(ranked: Sequence[Ranked], limit: int) -> list[Ranked]:
    return [r for r in ranked if not r.brand_excluded][:limit]


def valid_bidder_count(brands: Iterable[str], *, gp: bool) -> int:
    """Valid bids counted as bidders: under GP, bids of one brand count once."""
    values = list(brands)
    if not gp:
        return len(values)
    keyed = {brand_key(b) for b in values if brand_key(b)}
    return len(keyed) + sum(1 for b in values if not brand_key(b))


def pivotal_members(
    members: Sequence[str], first_without: Callable[[Sequence[str]], int | None], first: int | None
) -> list[str]:
    """Members without whom another bid would rank first (leave-one-out)."""
    out = []
    for member in members:
        rest = [m for m in members if m != member]
        if rest and first_without(rest) != first:
            out.append(member)
    return out

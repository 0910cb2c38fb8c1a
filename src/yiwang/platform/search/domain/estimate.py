"""How many documents a query matches, estimated from the index's statistics without touching the documents.

The index keeps, updated by every write in the same transaction, a count per token (document frequency) and
per filter value (documents per kind, category, region, stage and visibility) — ``IndexStats``. From them:

* an **upper bound** of the match set: no more documents can match than hold the rarest clause, or pass the
  most selective filter. When it is at most the counting cap, the pipeline skips counting altogether and
  fetches the (small) match set once;
* an **estimate** that assumes words and filters independent: documents × the share of each clause × the
  share passing each filter. When it is far above the cap, counting up to the cap is wasted work (it only
  ever says "more than the cap"): the total is shown as an estimate ("约 51 万") instead.

Date and amount ranges and private documents of some regions have no statistics: with one of them the
estimate is unknown and the pipeline counts, as before. Pure Python: identical on every engine, given the
same statistics (which are themselves identical, since every engine indexes the same tokens).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from yiwang.platform.search.domain.documents import SearchQuery, region_range
from yiwang.platform.search.domain.matching import CompiledQuery

FILTER_FIELDS = ("kind", "category", "region", "stage", "public")


@dataclass(frozen=True)
class IndexStats:
    """Counts kept with the index: ``documents``; ``df[token]`` = documents holding the token; and
    ``fields[name][value]`` = documents with that value (``public``: ``"1"`` / ``"0"``)."""

    documents: int
    df: Mapping[str, int] = field(default_factory=dict)
    fields: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Estimate:
    upper: int  # no more documents can match
    expected: int | None  # the independence estimate; None when a filter has no statistics
    text_share: float  # expected share of all documents matching the words alone (ignoring filters)
    filter_share: float | None  # expected share passing the filters (None: unknown)
    text_upper: int = 0  # no more documents hold the words (the filters left out)


def query_words(compiled: CompiledQuery) -> list[str]:
    """Every token whose document frequency the estimate (and scoring) needs."""
    return list(dict.fromkeys(w for c in compiled.clauses for w in (c.token, *c.parts)))


def _filter_counts(query: SearchQuery, stats: IndexStats) -> list[int] | None:
    """The number of documents passing each filter on its own (None: a filter without statistics)."""
    if query.published_from is not None or query.published_to is not None:
        return None
    if query.min_amount_fen is not None or query.max_amount_fen is not None:
        return None
    if query.include_private and query.private_regions is not None:
        return None
    counts = []
    if not query.include_private:
        counts.append(stats.fields.get("public", {}).get("1", 0))
    for name, values in (("kind", query.kinds), ("category", query.categories), ("stage", query.stages)):
        if values:
            per_value = stats.fields.get(name, {})
            counts.append(sum(per_value.get(v, 0) for v in set(values)))
    if query.region:
        lo, hi = region_range(query.region)
        counts.append(sum(n for code, n in stats.fields.get("region", {}).items() if lo <= code <= hi))
    return counts


def estimate(compiled: CompiledQuery, query: SearchQuery, stats: IndexStats) -> Estimate:
    n = stats.documents
    if n <= 0:
        return Estimate(0, 0, 0.0, 0.0)
    df = stats.df
    upper = n
    share = 1.0
    for clause in compiled.clauses:
        held = df.get(clause.token, 0)
        if clause.parts:
            parts = [df.get(p, 0) for p in clause.parts]
            clause_upper = held + min(parts)
            by_parts = 1.0
            for count in parts:
                by_parts *= count / n
            clause_share = min(1.0, held / n + by_parts)
        else:
            clause_upper = held
            clause_share = held / n
        upper = min(upper, clause_upper)
        share *= clause_share
    text_upper = upper
    counts = _filter_counts(query, stats)
    if counts is None:
        return Estimate(upper, None, share, None, text_upper)
    filter_share = 1.0
    for count in counts:
        upper = min(upper, count)
        filter_share *= count / n
    return Estimate(upper, round(n * share * filter_share), share, filter_share, text_upper)


def rounded(value: int) -> int:
    """An estimate as shown: two significant figures (512 345 → 510 000)."""
    if value < 100:
        return value
    digits = len(str(value)) - 2
    return round(value, -digits)

"""An in-memory adapter: the executable definition of what the database adapters must return.

It evaluates the query in Python (:func:`~yiwang.platform.search.domain.matching.matches`) over the same
tokens, with the same filters and the same order, and scores nothing (within a relevance tier it keeps the
newest first). The shared test suite compares the database adapters with it. It is not transactional and
is meant for tests and tools, not for production.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from yiwang.platform.search.backends.base import (
    MAX_STAT_VALUE,
    BaseSearchIndex,
    Candidate,
    Match,
    body_tokens_of,
    dedupe,
    distinct,
    title_tokens_of,
)
from yiwang.platform.search.domain.documents import SearchDocument, SearchQuery, region_range
from yiwang.platform.search.domain.estimate import Estimate, IndexStats
from yiwang.platform.search.domain.matching import CompiledQuery, matches
from yiwang.platform.search.ports import CheckReport


@dataclass
class _Record:
    id: int
    kind: str
    key: str
    title: str
    title_tokens: str
    body: str
    url: str
    public: bool
    category: str
    region: str
    stage: str
    published_at: datetime
    amount_fen: int | None
    extra: Mapping[str, Any]
    tiebreak: int
    tokens: frozenset[str] = field(default_factory=frozenset)


def visible(query: SearchQuery, public: bool, region: str) -> bool:
    if public:
        return True
    if not query.include_private:
        return False
    if query.private_regions is None:
        return True
    return any(lo <= region <= hi for lo, hi in map(region_range, query.private_regions))


def passes_filters(query: SearchQuery, r: Any) -> bool:
    """The filters of a query, in Python: the reference for the SQL the database adapters build."""
    if not visible(query, r.public, r.region):
        return False
    if query.kinds and r.kind not in query.kinds:
        return False
    if query.categories and r.category not in query.categories:
        return False
    if query.stages and r.stage not in query.stages:
        return False
    if query.region:
        lo, hi = region_range(query.region)
        if not lo <= r.region <= hi:
            return False
    if query.published_from is not None and r.published_at < query.published_from:
        return False
    if query.published_to is not None and r.published_at >= query.published_to:
        return False
    if query.min_amount_fen is not None and (r.amount_fen is None or r.amount_fen < query.min_amount_fen):
        return False
    return not (query.max_amount_fen is not None and (r.amount_fen is None or r.amount_fen > query.max_amount_fen))


class MemorySearchIndex(BaseSearchIndex):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._records: dict[tuple[str, str], _Record] = {}
        self._ids = itertools.count(1)

    def index_many(self, docs: Iterable[SearchDocument]) -> int:
        return len(self._write_batch(dedupe(docs)))

    def _write_batch(self, docs: list[SearchDocument]) -> list[int]:
        ids = []
        for doc in dedupe(docs):
            old = self._records.get((doc.kind, doc.key))
            title_tokens = title_tokens_of(self.segmenter, doc)
            body_tokens = body_tokens_of(self.segmenter, doc)
            record = _Record(
                id=old.id if old else next(self._ids),
                kind=doc.kind,
                key=doc.key,
                title=doc.title,
                title_tokens=distinct(title_tokens),
                body=doc.body,
                url=doc.url,
                public=doc.public,
                category=doc.category,
                region=doc.region,
                stage=doc.stage,
                published_at=doc.published_at,
                amount_fen=doc.amount_fen,
                extra=dict(doc.extra),
                tiebreak=doc.tiebreak,
                tokens=frozenset(title_tokens) | frozenset(body_tokens),
            )
            self._records[(doc.kind, doc.key)] = record
            ids.append(record.id)
        return ids

    def remove(self, kind: str, key: str) -> bool:
        return self._records.pop((kind, key), None) is not None

    def count(self) -> int:
        return len(self._records)

    def check(self) -> CheckReport:
        return CheckReport(documents=len(self._records), problems=())

    def _remove_untouched(self, kinds: Sequence[str], touched: set[int]) -> int:
        stale = [k for k, r in self._records.items() if r.kind in kinds and r.id not in touched]
        for k in stale:
            del self._records[k]
        return len(stale)

    def _matching(self, compiled: CompiledQuery | None, query: SearchQuery) -> list[_Record]:
        return [
            r
            for r in self._records.values()
            if passes_filters(query, r) and (compiled is None or matches(compiled, r.tokens))
        ]

    def _count(self, compiled: CompiledQuery | None, query: SearchQuery, cap: int) -> int:
        return min(len(self._matching(compiled, query)), cap + 1)

    def _matches(self, compiled: CompiledQuery | None, query: SearchQuery, limit: int) -> list[Match]:
        return [
            Match(r.id, r.published_at, r.tiebreak, r.title_tokens, r.category, r.region, r.stage)
            for r in self._matching(compiled, query)[:limit]
        ]

    def _statistics(self, words: Sequence[str]) -> IndexStats:
        records = list(self._records.values())
        fields: dict[str, dict[str, int]] = {}
        for name in ("kind", "category", "region", "stage"):
            fields[name] = dict(Counter(getattr(r, name) for r in records))
        fields["public"] = dict(Counter("1" if r.public else "0" for r in records))
        fields = {name: counts for name, counts in fields.items() if counts}
        df = {w: n for w in words if len(w) <= MAX_STAT_VALUE and (n := sum(1 for r in records if w in r.tokens))}
        return IndexStats(documents=len(records), df=df, fields=fields)

    def _newest(
        self,
        compiled: CompiledQuery | None,
        query: SearchQuery,
        offset: int,
        limit: int,
        hint: Estimate | None = None,
    ) -> list[Candidate]:
        found = sorted(self._matching(compiled, query), key=lambda r: (r.published_at, r.tiebreak), reverse=True)
        return [Candidate(r.id, r.title_tokens) for r in found[offset : offset + limit]]

    def _scores(self, compiled: CompiledQuery, ids: Sequence[int], stats: IndexStats | None = None) -> dict[int, float]:
        return {}

    def _fetch(self, ids: Sequence[int]) -> dict[int, Any]:
        wanted = set(ids)
        return {r.id: r for r in self._records.values() if r.id in wanted}

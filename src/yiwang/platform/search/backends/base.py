"""The search pipeline every adapter shares; adapters only answer a few narrow questions.

``search`` works the same way on every engine:

1. **count** the matches under the filters in the database, stopping at ``COUNT_CAP`` + 1. Up to the cap
   the total is exact and the match set is small: it is fetched once (narrow rows: id, date, tiebreak,
   title tokens, facet columns) and the order, the page, the ranking window and the facet counts all come
   from it. Past the cap the total is shown as "N+" and the adapter walks its newest-first index for the
   page or the window;
2. **newest first**: matches in ``(published_at, tiebreak)`` descending order;
3. **relevance** (bounded): take the newest ``RANK_WINDOW`` matches, let the engine score only those (FTS5
   ``bm25``, PostgreSQL ``ts_rank_cd``), and order them by *tier* (how many query words the title satisfies
   — computed here from the stored title tokens, so it is identical everywhere), then by the engine's score,
   then newest first. Ranking never touches more than ``RANK_WINDOW`` documents, however common the word
   (docs/search.md has the measurements);
4. fetch the page's rows and cut highlighted titles and snippets from their original text;
5. facet counts (category, region, stage) only when the match set was counted exactly.
"""

from __future__ import annotations

import dataclasses
import math
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

from django.conf import settings

from yiwang.kernel.errors import InvalidInput
from yiwang.platform.search.domain import highlight
from yiwang.platform.search.domain.documents import (
    FacetCount,
    SearchDocument,
    SearchHit,
    SearchPage,
    SearchQuery,
)
from yiwang.platform.search.domain.estimate import Estimate, IndexStats, estimate, query_words, rounded
from yiwang.platform.search.domain.matching import CompiledQuery, compile_query, tier_of_stored
from yiwang.platform.search.domain.segment import Segmenter, default_segmenter
from yiwang.platform.search.ports import CheckReport, RebuildReport
from yiwang.platform.search.sources import registered_sources

FACETS = ("category", "region", "stage")
TITLE_WEIGHT = 10.0  # a title word counts this many body words in the engines' scores
MAX_STAT_VALUE = 64  # longer tokens get no statistics (a missing count reads as 0: the pipeline then counts)


@dataclass(frozen=True)
class Limits:
    count_cap: int = 10_000  # totals are exact up to here, then "10000+"
    rank_window: int = 1_000  # relevance ranks at most the newest this many matches
    facet_cap: int = 10_000  # facet counts only when the exact total is at most this
    batch: int = 200  # documents per statement when indexing many
    # the total is estimated instead of counted when the statistics expect this many times the count cap
    estimate_margin: float = 2.0

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            count_cap=getattr(settings, "YIWANG_SEARCH_COUNT_CAP", cls.count_cap),
            rank_window=getattr(settings, "YIWANG_SEARCH_RANK_WINDOW", cls.rank_window),
            facet_cap=getattr(settings, "YIWANG_SEARCH_FACET_CAP", cls.facet_cap),
            estimate_margin=getattr(settings, "YIWANG_SEARCH_ESTIMATE_MARGIN", cls.estimate_margin),
        )


# The pipeline reads candidates and matches by position, so that adapters hand over the rows exactly as the
# database driver returns them: a named tuple or a dataclass built per row cost 1–2 µs, 20 ms of CPU for a
# match set at the count cap (measured on PostgreSQL, docs/search.md).
class Candidate(NamedTuple):
    """A document in newest-first order, for the page or the ranking window (or a plain ``(id, title_tokens)``)."""

    id: int
    title_tokens: str


class Match(NamedTuple):
    """One matching document as the first pass sees it: enough to order, count, rank and facet it (or a plain
    tuple of the same seven values). ``(published_at, tiebreak)`` sorts like the SQL order; ``published_at`` is
    whatever the engine returns for it that does (microseconds since 1970 on PostgreSQL)."""

    id: int
    published_at: Any
    tiebreak: int
    title_tokens: str
    category: str
    region: str
    stage: str


CandidateRow = tuple[int, str]  # a Candidate
MatchRow = tuple[int, Any, int, str, str, str, str]  # a Match
_ID, _TOKENS = 0, 1  # of a candidate
MATCH_ID, MATCH_TOKENS = 0, 3  # of a match
MATCH_ORDER = itemgetter(1, 2)  # a match's (published_at, tiebreak)


class Row:
    """What a stored document looks like to the pipeline (a model instance or the memory adapter's record)."""

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
    published_at: Any
    amount_fen: int | None
    extra: Mapping[str, Any]


def title_tokens_of(segmenter: Segmenter, doc: SearchDocument) -> list[str]:
    return segmenter.index_tokens(doc.title, unigrams=True)


def body_tokens_of(segmenter: Segmenter, doc: SearchDocument) -> list[str]:
    return segmenter.index_tokens(doc.body)


def distinct(tokens: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(tokens))


def dedupe(docs: Iterable[SearchDocument]) -> list[SearchDocument]:
    """The last document for each ``(kind, key)``, in first-seen order."""
    out: dict[tuple[str, str], SearchDocument] = {}
    for doc in docs:
        if not isinstance(doc, SearchDocument):
            raise TypeError(f"expected a SearchDocument, got {type(doc).__name__}")
        out[(doc.kind, doc.key)] = doc
    return list(out.values())


def page_too_deep(query: SearchQuery, bound: int) -> InvalidInput:
    max_page = max(1, math.ceil(bound / query.size))
    return InvalidInput(
        "search.page_too_deep",
        f"最多可翻到第 {max_page} 页，请增加关键词或筛选条件缩小范围",
        f"results can be paged to page {max_page} at most; narrow the query or add filters",
        {"page": query.page, "max_page": max_page},
    )


class BaseSearchIndex(ABC):
    """The shared pipeline. Subclasses implement the ``_``-methods below."""

    def __init__(self, *, segmenter: Segmenter | None = None, limits: Limits | None = None):
        self.segmenter = segmenter or default_segmenter()
        self.limits = limits or Limits.from_settings()

    # -- writes ---------------------------------------------------------------------------------------
    def index(self, doc: SearchDocument) -> None:
        self.index_many([doc])

    @abstractmethod
    def index_many(self, docs: Iterable[SearchDocument]) -> int: ...

    @abstractmethod
    def remove(self, kind: str, key: str) -> bool: ...

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def check(self) -> CheckReport: ...

    def rebuild(self) -> RebuildReport:
        sources = registered_sources()
        indexed = 0
        per_source: dict[str, int] = {}
        touched: set[int] = set()
        for source in sources:
            batch: list[SearchDocument] = []
            written = 0
            for doc in source.iter_documents():
                batch.append(doc)
                if len(batch) >= self.limits.batch * 5:
                    touched.update(self._write_batch(batch))
                    written += len(batch)
                    batch = []
            if batch:
                touched.update(self._write_batch(batch))
                written += len(batch)
            per_source[source.name] = written
            indexed += written
        kinds = tuple(k for s in sources for k in s.kinds)
        removed = self._remove_untouched(kinds, touched) if kinds else 0
        self._after_rebuild()
        return RebuildReport(indexed=indexed, removed=removed, sources=per_source)

    @abstractmethod
    def _write_batch(self, docs: list[SearchDocument]) -> list[int]:
        """Index one batch in its own transaction; return the ids written."""

    @abstractmethod
    def _remove_untouched(self, kinds: Sequence[str], touched: set[int]) -> int: ...

    def _after_rebuild(self) -> None:  # noqa: B027 (optional hook)
        pass

    def maintain(self, now: datetime) -> list[str]:
        """Periodic upkeep (see :class:`~yiwang.platform.search.ports.SearchIndex`): nothing by default."""
        return []

    # -- the read side ------------------------------------------------------------------------------------
    @abstractmethod
    def _count(self, compiled: CompiledQuery | None, query: SearchQuery, cap: int) -> int:
        """How many documents match, counting no further than ``cap + 1`` (in the database, no rows out)."""

    @abstractmethod
    def _matches(self, compiled: CompiledQuery | None, query: SearchQuery, limit: int) -> list[MatchRow]:
        """Up to ``limit`` matching documents, in no particular order (one pass: the caller counts them,
        sorts them, takes the page or the ranking window and the facet counts from them)."""

    @abstractmethod
    def _newest(
        self,
        compiled: CompiledQuery | None,
        query: SearchQuery,
        offset: int,
        limit: int,
        hint: Estimate | None = None,
    ) -> list[CandidateRow]:
        """Matches in (published_at, tiebreak) descending order, for match sets too large to fetch whole
        (``hint``: the estimate of the match set, for the adapter's choice of plan)."""

    def _newest_matches(
        self, compiled: CompiledQuery | None, query: SearchQuery, cap: int, wanted: int, hint: Estimate | None
    ) -> tuple[int, list[MatchRow]] | None:
        """``(counted, rows)`` when the adapter can count while it reads the matches (PostgreSQL's RUM index and
        period indexes, SQLite's FTS5 keys when every filter is a tag): ``counted`` the number of matches up to
        ``cap + 1``; ``rows`` every match when ``counted <= cap`` (in any order), else at least the newest
        ``wanted``, newest first. None when it cannot (the pipeline then counts)."""
        return None

    @abstractmethod
    def _scores(self, compiled: CompiledQuery, ids: Sequence[int], stats: IndexStats | None = None) -> dict[int, float]:
        """The engine's relevance score (higher is better) for each of ``ids`` (``stats``: the index's
        statistics for the query's words, when the adapter's score needs document frequencies)."""

    @abstractmethod
    def _statistics(self, words: Sequence[str]) -> IndexStats:
        """The index's statistics: documents, per filter value, and the document frequency of ``words``."""

    @abstractmethod
    def _fetch(self, ids: Sequence[int]) -> dict[int, Row]: ...

    def search(self, query: SearchQuery) -> SearchPage:
        started = time.perf_counter()
        compiled = compile_query(query.text, self.segmenter) if query.text else None
        ranked = compiled is not None and query.sort == "relevance"
        bound = self.limits.rank_window if ranked else self.limits.count_cap
        if query.offset >= bound:
            raise page_too_deep(query, bound)
        if compiled is not None and compiled.empty:  # only punctuation or noise: nothing can match
            return self._page(query, compiled, 0, True, [], {}, {}, {f: () for f in FACETS}, started)
        cap = self.limits.count_cap
        stats = hint = None
        if compiled is not None:
            stats = self._statistics(query_words(compiled))
            hint = estimate(compiled, query, stats)
        # far more matches than the cap (by the statistics): counting would only say "more than the cap", so
        # walk for the ranking window or the page at once and show the estimate as the total
        if hint is not None and hint.upper > cap and (hint.expected or 0) >= self.limits.estimate_margin * cap:
            assert compiled is not None
            wanted = min(self.limits.rank_window, cap) if ranked else query.size
            found = self._newest(compiled, query, 0 if ranked else query.offset, wanted, hint)
            if len(found) == wanted:  # else the estimate was wrong and the match set is small: count it
                total = max(rounded(hint.expected or 0), cap + 1)
                if not ranked:
                    rows = self._fetch([c[_ID] for c in found])
                    return self._page(query, compiled, total, False, found, rows, {}, None, started, estimated=True)
                return self._ranked(query, compiled, found, stats, total, None, started, estimated=True)
        matches: list[MatchRow] | None = None
        newest: list[MatchRow] | None = None
        if hint is not None and hint.upper <= cap:  # small for sure: fetch the match set once, no count
            matches = self._matches(compiled, query, cap + 1)
            counted = len(matches)
        else:
            # an adapter that can count while it reads the matches does (PostgreSQL: the RUM index, or the period
            # indexes for a match set far past the cap; SQLite: the keys FTS5 counts when every filter is a tag):
            # the count, and the exact match set or the window and page, without a separate count
            wanted = min(self.limits.rank_window, cap) if ranked else query.offset + query.size
            read = self._newest_matches(compiled, query, cap, wanted, hint)
            if read is not None:
                counted, newest = read
                if counted <= cap:
                    matches = newest
            else:
                counted = self._count(compiled, query, cap)
            if hint is not None and counted > (hint.expected or 0):  # words that co-occur: the count knows better
                hint = dataclasses.replace(hint, expected=counted)
        exact = counted <= cap
        total = min(counted, cap)
        facets = None
        ordered: list[CandidateRow] = []
        if exact:  # fetch the (small) match set once: order it, cut the page or the window, count facets
            if matches is None:
                matches = self._matches(compiled, query, cap + 1)
            matches.sort(key=MATCH_ORDER, reverse=True)
            ordered = [(m[MATCH_ID], m[MATCH_TOKENS]) for m in matches]
            if total <= self.limits.facet_cap:
                facets = self._facets(matches)
        if ranked and total:
            assert compiled is not None
            size = min(total, self.limits.rank_window)
            if exact:
                window = ordered[:size]
            elif newest is not None:
                window = [(m[MATCH_ID], m[MATCH_TOKENS]) for m in newest[:size]]
            else:
                window = self._newest(compiled, query, 0, size, hint)
            return self._ranked(query, compiled, window, stats, total, facets, started, exact=exact)
        if exact:
            page = ordered[query.offset : query.offset + query.size]
        elif newest is not None and query.offset + query.size <= len(newest):
            page = [(m[MATCH_ID], m[MATCH_TOKENS]) for m in newest[query.offset : query.offset + query.size]]
        elif query.offset < total:
            page = self._newest(compiled, query, query.offset, query.size, hint)
        else:
            page = []
        rows = self._fetch([c[_ID] for c in page])
        return self._page(query, compiled, total, exact, page, rows, {}, facets, started)

    def _ranked(
        self,
        query: SearchQuery,
        compiled: CompiledQuery,
        window: list[CandidateRow],
        stats: IndexStats | None,
        total: int,
        facets: Mapping[str, tuple[FacetCount, ...]] | None,
        started: float,
        *,
        exact: bool = False,
        estimated: bool = False,
    ) -> SearchPage:
        """Order the window by tier, then the engine's score, then newest; cut the page. Only the tiers the
        page falls in are scored: the others' order cannot show (a common word's page 1 scores the window's
        title matches, not all of the window)."""
        tier_of = tier_of_stored(compiled)
        tiers = {c[_ID]: tier_of(c[_TOKENS]) for c in window}
        by_tier = sorted(tiers.values(), reverse=True)
        shown = set(by_tier[query.offset : query.offset + query.size])
        scores = self._scores(compiled, [c[_ID] for c in window if tiers[c[_ID]] in shown], stats)
        order = sorted(range(len(window)), key=lambda i: (-tiers[window[i][_ID]], -scores.get(window[i][_ID], 0.0), i))
        page = [window[i] for i in order[query.offset : query.offset + query.size]]
        rows = self._fetch([c[_ID] for c in page])
        return self._page(query, compiled, total, exact, page, rows, scores, facets, started, estimated=estimated)

    @staticmethod
    def _facets(matches: Sequence[MatchRow]) -> dict[str, tuple[FacetCount, ...]]:
        columns = {"category": 4, "region": 5, "stage": 6}
        out = {}
        for facet, position in columns.items():
            counts = Counter(map(itemgetter(position), matches))
            counts.pop("", None)
            out[facet] = tuple(FacetCount(v, n) for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    def _page(
        self,
        query: SearchQuery,
        compiled: CompiledQuery | None,
        total: int,
        exact: bool,
        page: list[CandidateRow],
        rows: Mapping[int, Row],
        scores: Mapping[int, float],
        facets: Mapping[str, tuple[FacetCount, ...]] | None,
        started: float,
        *,
        estimated: bool = False,
    ) -> SearchPage:
        terms = compiled.terms if compiled is not None else ()
        tier_of = tier_of_stored(compiled) if compiled is not None else None
        hits = []
        for candidate in page:
            row = rows.get(candidate[_ID])
            if row is None:  # removed between the two reads (another transaction committed in between)
                continue
            hits.append(
                SearchHit(
                    kind=row.kind,
                    key=row.key,
                    title=row.title,
                    title_html=highlight.highlight(row.title, terms),
                    snippet_html=highlight.snippet(row.body, terms),
                    url=row.url,
                    public=bool(row.public),
                    category=row.category,
                    region=row.region,
                    stage=row.stage,
                    published_at=row.published_at,
                    amount_fen=row.amount_fen,
                    extra=dict(row.extra or {}),
                    score=scores.get(candidate[_ID]) if scores else None,
                    tier=tier_of(row.title_tokens) if tier_of is not None else 0,
                )
            )
        ranked = compiled is not None and query.sort == "relevance"
        reachable = min(total, self.limits.rank_window if ranked else self.limits.count_cap)
        return SearchPage(
            total=total,
            total_exact=exact,
            hits=tuple(hits),
            page=query.page,
            size=query.size,
            sort=query.sort,
            max_page=max(1, math.ceil(reachable / query.size)),
            terms=terms,
            facets=facets,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            total_estimated=estimated,
        )

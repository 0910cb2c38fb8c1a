"""PostgreSQL adapter (the production profile): ``tsvector`` columns on ``search_document`` + GIN.

Two vectors per document: ``tsm`` (distinct lexemes, no positions: small, kept in the row, GIN-indexed)
answers ``@@`` — row by row when the planner walks the date index — and ``tsv`` (with positions and title
weights, about 2 KB, so TOASTed) is read only by ``ts_rank_cd`` for the ranking window.

The lexemes are exactly our pre-segmented tokens (the tsvector is written as a literal with positions;
title words carry weight A), the query is a ``tsquery`` literal over the same tokens: no parser, dictionary
or stemmer of PostgreSQL changes them, which is what ``to_tsvector('simple', …)`` would amount to for such
tokens, minus its dependence on the database's locale. Filters and the newest-first order use btree
indexes; PostgreSQL's planner chooses between the GIN index (rare words) and the date index (common words)
from its tsvector statistics. ``ts_rank_cd`` runs only over the ranking window.

Where the RUM access method is installed (migration 0005; docs/adr/0011-postgresql-search-rum.md), a RUM
index over ``tsm`` carries ``published_at`` in its posting lists: the matches of words found in at most
100 000 documents come out of it in publication order, sorted there without a heap row per match for its
date, so the pipeline counts them by reading the newest ``COUNT_CAP + 1`` — that one read is also the exact
match set, or the window and the page (the GIN plans count, then fetch or sort every match). Without it (or
with ``rum = False``) the GIN plans below are used.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, NamedTuple

from django.db import connection

from yiwang.platform.clock import now
from yiwang.platform.search.backends.base import MATCH_ORDER, TITLE_WEIGHT, CandidateRow, MatchRow
from yiwang.platform.search.backends.sql import SqlSearchIndex
from yiwang.platform.search.domain.documents import SearchQuery
from yiwang.platform.search.domain.estimate import Estimate, IndexStats
from yiwang.platform.search.domain.matching import CompiledQuery, to_match_tsvector, to_tsquery, to_tsvector
from yiwang.platform.search.domain.periods import (
    INDEX_PREFIX,
    index_name,
    next_period,
    period_start,
    periods_newest_first,
    start_of_index,
)
from yiwang.platform.search.ports import CheckReport

_NEWEST = "ORDER BY d.published_at DESC, d.tiebreak DESC"
# Match sets come back with the publication time as whole microseconds since 1970 (the same order as the
# timestamp, which is all the pipeline does with it): Django's timestamptz loader is Python, ~7 µs a value —
# 70 ms of client CPU for a match set at the count cap, against under 1 ms for the integers.
_AT_US = "(extract(epoch FROM d.published_at) * 1000000)::bigint"
# ... and back, exactly over PostgreSQL's whole range (seconds and microseconds apart: each fits a double)
_FROM_US = "(timestamptz 'epoch' + %s * interval '1 second' + %s * interval '1 microsecond')"
# ts_rank_cd weights for {D, C, B, A}: title words (A) count TITLE_WEIGHT times body words (D)
_WEIGHTS = "{%s, 0.2, 0.4, 1.0}" % (1.0 / TITLE_WEIGHT)
_NORMALISE = 1  # divide the rank by 1 + log(document length), as bm25 normalises for length
SLICE_MARGIN = 3.0  # the newest slice is sized to hold this many times the matches asked for
SLICE_MAX_SHARE = 0.25  # a slice wider than this share of the span saves little over walking the date index
# Words in at least this share of the documents are walked newest first (the date index, or the district's or
# category's): the walk finds the page within 1/WALK_SHARE times its rows, where a slice holding SLICE_MARGIN
# times the page reads three times as many (招标 at 1 M: 5 ms walked, 16 ms sliced; 施工 in a district: 6 vs 24)
WALK_SHARE = 0.2
RUM_INDEX = "search_doc_rum"  # migration 0005: tsm with published_at attached to its postings
# The RUM scan reads and sorts every match of the words (RUM 1.3 does not stop at the LIMIT: measured, see
# docs/search.md), from the index alone, ~0.5 µs of server CPU each: it is used, in place of the count, when
# the statistics say that at most RUM_MAX_MATCHES documents can hold the words (the rarest word's count: a
# bound, so co-occurring words cannot make it sort more). Commoner words keep the GIN plans.
RUM_MAX_MATCHES = 100_000
# The RUM index is partial over this condition (migration 0006): only a statement that states it can use the
# index, so the planner cannot pick RUM where the adapter chose GIN or the date index (it did: the newest slice
# of 招标 through RUM read all 880 000 postings, 60–75 ms against 16 ms for the date walk).
RUM_CONDITION = "d.tsm <> ''::tsvector"
# Period indexes (docs/search.md, "PostgreSQL: period indexes"): a partial GIN index over ``tsm`` per calendar
# quarter, made by ``maintain()`` (the clock, hourly; ``yiwang search maintain``; after a rebuild). A sliced read
# of the newest matches takes them quarter by quarter, newest first, from postings a quarter long.
PERIODS_LOOK_EVERY = 300.0  # seconds between two looks at which period indexes exist (a made one is seen then)
# A match set is counted by quarter only while the quarters read project it past this many times the count cap
PERIOD_COUNT_MARGIN = 2.0
# The upkeep makes the period indexes of this many quarters back from the newest (ten years): a stray old date
# does not make hundreds of indexes; reads that reach further back take the slice plans
PERIODS_KEPT = 40


class Slice(NamedTuple):
    """The newest slice of the publication span: ``since`` … ``last``, out of ``first`` … ``last``."""

    first: datetime
    since: datetime
    last: datetime


class PgSearchIndex(SqlSearchIndex):
    vendor = "postgresql"
    extra_columns = (("tsv", "%s::tsvector"), ("tsm", "%s::tsvector"))
    slice_margin = SLICE_MARGIN
    slice_max_share = SLICE_MAX_SHARE
    walk_share = WALK_SHARE
    rum_max_matches = RUM_MAX_MATCHES
    rum: bool | None = None  # the RUM index is there: None until the first search looks (once per process)
    periods: bool = True  # read sliced matches through the period indexes where they exist (False: never)
    period_count_margin = PERIOD_COUNT_MARGIN
    _periods_seen: tuple[float, frozenset[datetime]] | None = None  # (when looked, starts of valid indexes)

    def _engine_values(self, title_tokens: list[str], body_tokens: list[str]) -> list[Any]:
        return [to_tsvector(title_tokens, body_tokens), to_match_tsvector(title_tokens, body_tokens)]

    def _match(self, compiled: CompiledQuery | None, query: SearchQuery) -> tuple[str, list[Any]]:
        where, params = self._where(query)
        if compiled is None:
            return where, params
        return f"d.tsm @@ %s::tsquery AND {where}", [to_tsquery(compiled), *params]

    def _count(self, compiled: CompiledQuery | None, query: SearchQuery, cap: int) -> int:
        where, params = self._match(compiled, query)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM search_document d WHERE {where} LIMIT %s) s"  # noqa: S608
        return self._rows(sql, [*params, cap + 1])[0][0]

    def _matches(self, compiled: CompiledQuery | None, query: SearchQuery, limit: int) -> list[MatchRow]:
        where, params = self._match(compiled, query)
        tokens = "d.title_tokens" if compiled is not None else "''"
        sql = (
            f"SELECT d.id, {_AT_US}, d.tiebreak, {tokens}, d.category, d.region, d.stage "  # noqa: S608
            f"FROM search_document d WHERE {where} LIMIT %s"
        )
        return self._rows(sql, [*params, limit])  # rows are matches

    def _newest(
        self,
        compiled: CompiledQuery | None,
        query: SearchQuery,
        offset: int,
        limit: int,
        hint: Estimate | None = None,
    ) -> list[CandidateRow]:
        where, params = self._match(compiled, query)
        sql = f"SELECT d.id, d.title_tokens FROM search_document d WHERE {where} {_NEWEST} LIMIT %s OFFSET %s"  # noqa: S608
        sliced_span = self._slice(compiled, offset + limit, hint)
        if sliced_span is not None:
            by_period = self._newest_by_period(where, params, offset, limit, sliced_span)
            if by_period is not None:
                return by_period
            # the newest slice of time expected to hold a few times the page: GIN ∧ the date index (a bitmap
            # of both), the date walk over the slice, or — for words in few enough documents — the RUM index
            # (闵行 施工: 21 ms against 53 for GIN ∧ dates), so neither every match nor a long walk is read.
            # Exact: every match left out is older than all those in the slice, and the slice holds at least
            # the page — else the whole range. MATERIALIZED: without it the planner sees the LIMIT and walks
            # the date index again
            rum = f" AND {RUM_CONDITION}" if self._rum_fits(compiled, hint) else ""
            sliced = (
                f"WITH s AS MATERIALIZED (SELECT d.id, d.title_tokens, d.published_at, d.tiebreak "  # noqa: S608
                f"FROM search_document d WHERE {where}{rum} AND d.published_at >= %s) "
                f"SELECT id, title_tokens FROM s ORDER BY published_at DESC, tiebreak DESC LIMIT %s OFFSET %s"
            )
            rows = self._rows(sliced, [*params, sliced_span.since, limit, offset])
            if len(rows) == limit:
                return rows
        return self._rows(sql, [*params, limit, offset])  # rows are candidates: (id, title_tokens)

    def _newest_by_period(
        self, where: str, params: list[Any], offset: int, limit: int, span: Slice
    ) -> list[CandidateRow] | None:
        """The newest slice read quarter by quarter, newest first, each through its period index, until the
        quarters read hold ``offset + limit`` matches: exact, since every match of a newer quarter is read and
        the newest of them are kept. None — the slice plans then — where a quarter on the way has no valid
        index, or when the quarters reach the slice's start (three times the matches the statistics expected
        are behind it) without enough: the estimate was wrong, and the whole range is the better plan."""
        indexed = self._indexed_periods()
        if not indexed:
            return None
        wanted = offset + limit
        rows: list[tuple[int, str, int, int]] = []
        for start, end in periods_newest_first(span.first, span.last):
            if start not in indexed or end <= span.since:
                return None
            rows += self._rows(
                f"SELECT d.id, d.title_tokens, {_AT_US}, d.tiebreak FROM search_document d "  # noqa: S608
                f"WHERE {where} AND {_period(start, end)}",
                params,
            )
            if len(rows) >= wanted:
                break
        rows.sort(key=_BY_TIME, reverse=True)
        return [(row_id, tokens) for row_id, tokens, _, _ in rows[offset:wanted]]

    def _indexed_periods(self) -> frozenset[datetime]:
        """The quarters that have a valid period index (looked up at most every ``PERIODS_LOOK_EVERY``)."""
        if not self.periods:
            return frozenset()
        seen = self._periods_seen
        if seen is None or time.monotonic() - seen[0] > PERIODS_LOOK_EVERY:
            starts = (start_of_index(name) for name, valid in self._period_indexes().items() if valid)
            found = frozenset(start for start in starts if start is not None)
            seen = self._periods_seen = (time.monotonic(), found)
        return seen[1]

    def _period_indexes(self) -> dict[str, bool]:
        """Every period index on ``search_document``: name → valid (a failed concurrent build leaves one invalid)."""
        rows = self._rows(
            "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'search_document'::regclass AND c.relname LIKE %s",
            [INDEX_PREFIX.replace("_", r"\_") + "%"],
        )
        return {name: bool(valid) for name, valid in rows}

    def maintain(self, now: datetime) -> list[str]:
        """Make the period index of every quarter from the oldest publication (at most ``PERIODS_KEPT``
        quarters back) to the quarter after the newest (or after ``now``, if later), so that documents published
        next quarter land in an indexed one. Outside a transaction (the clock, the command) each is built
        ``CONCURRENTLY``: writes go on meanwhile; an invalid index left by a failed build is dropped and made
        again. Returns the names made."""
        first, last = self._span()
        newest = max(last, now) if last is not None else now
        oldest = first if first is not None else now
        existing = self._period_indexes()
        concurrently = "" if connection.in_atomic_block else " CONCURRENTLY"
        made = []
        periods = periods_newest_first(oldest, next_period(period_start(newest)))
        for start, end in itertools.islice(periods, PERIODS_KEPT + 1):
            name = index_name(start)
            if existing.get(name) is True:
                continue
            if name in existing:
                self._execute(f"DROP INDEX{concurrently} IF EXISTS {name}")
            self._execute(
                f"CREATE INDEX{concurrently} IF NOT EXISTS {name} ON search_document USING gin (tsm) "
                f"WHERE {_period(start, end, column='published_at')}"
            )
            made.append(name)
        if made:
            self._periods_seen = None
        return made

    def _span(self) -> tuple[datetime | None, datetime | None]:
        ((first, last),) = self._rows("SELECT min(published_at), max(published_at) FROM search_document", [])
        return first, last

    def _has_rum(self) -> bool:
        if self.rum is None:
            ((found,),) = self._rows(
                "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s AND i.indisvalid AND pg_table_is_visible(c.oid))",
                [RUM_INDEX],
            )
            self.rum = bool(found)
        return self.rum

    def _rum_fits(self, compiled: CompiledQuery | None, hint: Estimate | None) -> bool:
        """The RUM read when the words cannot be in more than ``rum_max_matches`` documents (it sorts all
        their matches, whatever the filters); 招标 (every second document) and 施工 in a district (a third of
        the corpus, then the district) are counted on GIN. The pipeline asks only when it must count: a
        match set the statistics expect far past the cap is walked for its window (``_newest``: the date
        walk or the newest slice, which the estimate sizes — measured as cheap as RUM there)."""
        if compiled is None or hint is None or not self._has_rum():
            return False
        return hint.text_upper <= self.rum_max_matches

    def _newest_matches(
        self, compiled: CompiledQuery | None, query: SearchQuery, cap: int, wanted: int, hint: Estimate | None
    ) -> tuple[int, list[MatchRow]] | None:
        if compiled is None or hint is None:
            return None
        where, params = self._match(compiled, query)
        if hint.text_share < self.walk_share:
            past_cap = self._past_cap_by_period(where, params, cap, wanted)
            if past_cap is not None:
                return past_cap
        if not self._rum_fits(compiled, hint):
            return None
        rows = self._rum_rows(where, params, "d.title_tokens, d.category, d.region, d.stage", cap + 1)
        return len(rows), rows

    def _past_cap_by_period(
        self, where: str, params: list[Any], cap: int, wanted: int
    ) -> tuple[int, list[MatchRow]] | None:
        """A match set far past the count cap, read by quarter, newest first: the matches of the newest quarters
        until they hold ``wanted`` (the window or the page), then only counts of the older ones until the total
        passes ``cap``. Counting 10 001 matches this way reads a few quarters' postings, where the RUM read
        sorts every match of the words (华漕污水处理厂: 47 000). Used only while the quarters read say the set
        is past ``period_count_margin`` times the cap (their matches over their share of the publication span):
        the first quarter answers that for a set of a few thousand, which then takes the RUM or GIN plans
        (and an estimate proved wrong by the older quarters — None — does too)."""
        indexed = self._indexed_periods()
        if not indexed:
            return None
        first, last = self._span()
        if first is None or last is None or last <= first:
            return None
        span = (last - first).total_seconds()
        columns = f"d.id, {_AT_US}, d.tiebreak, d.title_tokens, d.category, d.region, d.stage"
        rows: list[MatchRow] = []
        counted = 0
        for start, end in periods_newest_first(first, last):
            if start not in indexed:
                return None
            bounds = _period(start, end)
            if len(rows) < wanted:
                got = self._rows(  # newest first: the LIMIT (past the cap) must keep the newest of the quarter
                    f"SELECT {columns} FROM search_document d WHERE {where} AND {bounds} {_NEWEST} LIMIT %s",  # noqa: S608
                    [*params, cap + 1 - counted],
                )
                rows += got
                counted += len(got)
                covered = (last - max(start, first)).total_seconds() / span
                if counted <= cap and (covered <= 0 or counted / covered < self.period_count_margin * cap):
                    return None
            else:
                ((n,),) = self._rows(
                    f"SELECT count(*) FROM (SELECT 1 FROM search_document d WHERE {where} AND {bounds} "  # noqa: S608
                    "LIMIT %s) s",
                    [*params, cap + 1 - counted],
                )
                counted += n
            if counted > cap:
                rows.sort(key=MATCH_ORDER, reverse=True)
                return cap + 1, rows
        return None  # the older quarters proved the projection wrong: at most cap matches, some only counted

    def _rum_rows(self, where: str, params: list[Any], columns: str, wanted: int) -> list[tuple[Any, ...]]:
        """The newest ``wanted`` matches through the RUM index, as ``(id, published_at in microseconds since
        1970, tiebreak, *columns)``:
        ``published_at <=| newest`` (the distance back from the newest publication) ascending is newest
        first. RUM orders by the time only, and by a float distance in seconds (exact to the microsecond over
        a few centuries, to ~2 ms at the edge of PostgreSQL's range), so the rows read are completed with
        every match up to a second newer than the last of them (usually none beyond it), and the exact
        ``(published_at, tiebreak)`` order is made here: every match left out is older than the last row."""
        columns = f"d.id, {_AT_US}, d.tiebreak, {columns}"
        where = f"{where} AND {RUM_CONDITION}"
        rows = self._rows(
            f"SELECT {columns} FROM search_document d WHERE {where} "  # noqa: S608
            "ORDER BY d.published_at <=| (SELECT max(published_at) FROM search_document) LIMIT %s",
            [*params, wanted],
        )
        if len(rows) == wanted:
            edge = divmod(rows[-1][1], 1_000_000)
            same = self._rows(
                f"SELECT {columns} FROM search_document d WHERE {where} "  # noqa: S608
                f"AND d.published_at BETWEEN {_FROM_US} AND {_FROM_US} + interval '1 second'",
                [*params, *edge, *edge],
            )
            rows = list({row[0]: row for row in [*rows, *same]}.values())
        rows.sort(key=MATCH_ORDER, reverse=True)
        return rows[:wanted]

    def _slice(self, compiled: CompiledQuery | None, wanted: int, hint: Estimate | None) -> Slice | None:
        """Where the newest slice starts (with the publication span it is cut from), for a sparse match set (a
        few per cent of the documents): the share of the publication span expected to hold ``slice_margin``
        times ``wanted`` matches (the statistics' estimate, spread evenly over the span); None when the words
        are dense (in ``walk_share`` of the documents or more: the walk finds the page at once), when the slice
        would be wide (few matches: GIN's bitmap is the plan) or when the match set's size is unknown."""
        if compiled is None or hint is None or not hint.expected or hint.text_share >= self.walk_share:
            return None
        share = self.slice_margin * wanted / hint.expected
        if share > self.slice_max_share:
            return None
        share = min(share, 1.0)  # (tests force slices: wider than the span is the span)
        first, last = self._span()
        if first is None or last is None:
            return None
        return Slice(first, last - (last - first) * share, last)

    def _scores(self, compiled: CompiledQuery, ids: Sequence[int], stats: IndexStats | None = None) -> dict[int, float]:
        if not ids:
            return {}
        sql = (
            f"SELECT d.id, ts_rank_cd('{_WEIGHTS}', d.tsv, %s::tsquery, {_NORMALISE}) "  # noqa: S608
            "FROM search_document d WHERE d.id = ANY(%s::bigint[])"
        )
        # the ids as one array literal: the driver's list adapter costs ~1 µs an element (a regex each)
        ids_literal = "{" + ",".join(map(str, ids)) + "}"
        return {row_id: float(score) for row_id, score in self._rows(sql, [to_tsquery(compiled), ids_literal])}

    def check(self) -> CheckReport:
        documents = self._rows("SELECT count(*) FROM search_document", [])[0][0]
        empty = self._rows("SELECT count(*) FROM search_document WHERE tsv = ''::tsvector OR tsm = ''::tsvector", [])[
            0
        ][0]
        problems = [f"{empty} documents without a tsvector"] if empty else []
        problems += self._stats_problems(documents)
        return CheckReport(documents=documents, problems=tuple(problems))

    def _stat_tokens_sql(self) -> tuple[str, str]:
        return "", "array_to_string(tsvector_to_array(d.tsm), ' '), ''"

    def _recount_terms_sql(self) -> str:
        return "SELECT word AS value, ndoc AS n FROM ts_stat('SELECT tsm FROM search_document')"

    def _after_rebuild(self) -> None:
        self.recount_stats()
        self._execute("ANALYZE search_document")
        if not connection.in_atomic_block:  # inside a caller's transaction (tests) the clock's upkeep makes them
            self.maintain(now())


def _period(start: datetime, end: datetime, column: str = "d.published_at") -> str:
    """A quarter ``[start, end)`` as a condition on the publication time — one definition for the period index's
    predicate and for the reads that must use it. The bounds are literals, not parameters: the planner proves
    the partial index's predicate from them, so it can choose the period index."""
    return f"{column} >= {_literal(start)} AND {column} < {_literal(end)}"


def _literal(at: datetime) -> str:
    """A UTC instant as a timestamptz literal."""
    return f"'{at.astimezone(UTC).isoformat()}'::timestamptz"


_BY_TIME = itemgetter(2, 3)  # (published_at in microseconds, tiebreak) of a period row

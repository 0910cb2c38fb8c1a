"""SQLite FTS5 adapter (the embedded profile).

``search_fts`` is a regular FTS5 table (``tokenize='ascii'``: every non-ASCII character is part of a token
and only ASCII spaces and punctuation separate tokens, so FTS5 keeps our pre-segmented tokens exactly as
given) with two columns, ``title`` and ``body``, holding the token streams; its rowid is the document id.
It stores its own copy of the token streams, so a row can always be deleted or replaced by rowid (a
contentless table could not delete rows in SQLite 3.40 without being handed the old tokens again). A trigger
made by the migration deletes the FTS row with the document row. Writes run in the caller's transaction.

Plans: when the match set under the filters is small, the query is driven from FTS5 (``search_fts CROSS
JOIN search_document``: each match looked up in the narrow document table, then sorted); when it is dense
enough that a walk is cheaper, SQLite walks the ``(published_at, tiebreak, …filters)`` index newest first,
asks FTS5 about each row (``EXISTS … rowid = d.id``) and stops after the page — so a common word costs no
more than a rare one. ``bm25`` runs only over the ranking window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from yiwang.platform.search.backends.base import TITLE_WEIGHT, Candidate, Match
from yiwang.platform.search.backends.sql import SqlSearchIndex, placeholders
from yiwang.platform.search.domain.documents import SearchQuery, region_range
from yiwang.platform.search.domain.matching import CompiledQuery, to_fts5
from yiwang.platform.search.ports import CheckReport

FTS = "search_fts"
# measured costs (bench/search_bench.py, docs/search.md): one step of the date walk with its FTS5 probe, and
# one match looked up and sorted; only their ratio matters
PROBE_COST = 9.0
LOOKUP_COST = 1.0
_JOIN = f"{FTS} CROSS JOIN search_document d ON d.id = {FTS}.rowid"
_NEWEST = "ORDER BY d.published_at DESC, d.tiebreak DESC"
# published_at as the stored text (it sorts like the time it encodes), without Django's per-row conversion
_AT = "d.published_at || ''"


class Fts5SearchIndex(SqlSearchIndex):
    vendor = "sqlite"
    probe_cost = PROBE_COST
    lookup_cost = LOOKUP_COST

    def unindexed(self, column: str) -> str:
        return f"+{column}"

    def _after_upsert(self, cursor: Any, written: list[tuple[int, list[str], list[str]]]) -> None:
        ids = [w[0] for w in written]
        cursor.execute(f"DELETE FROM {FTS} WHERE rowid IN ({placeholders(len(ids))})", ids)  # noqa: S608
        cursor.executemany(
            f"INSERT INTO {FTS} (rowid, title, body) VALUES (%s, %s, %s)",  # noqa: S608
            [(row_id, " ".join(title), " ".join(body)) for row_id, title, body in written],
        )

    def _source(self, compiled: CompiledQuery, query: SearchQuery) -> tuple[str, list[Any]]:
        """``FROM … WHERE …`` of the match set. With a district or a category filter, walk that (covering)
        index and test membership in the FTS5 match set (built once); otherwise drive from the FTS5 matches
        and look each one up."""
        where, params = self._where(query)
        selective = bool(query.categories) or (bool(query.region) and len(set(region_range(query.region))) == 1)
        if selective:
            return (
                f"FROM search_document d WHERE {where} "  # noqa: S608
                f"AND +d.id IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)",
                [*params, to_fts5(compiled)],
            )
        return f"FROM {_JOIN} WHERE {FTS} MATCH %s AND {where}", [to_fts5(compiled), *params]

    def _count(self, compiled: CompiledQuery | None, query: SearchQuery, cap: int) -> int:
        if compiled is None:
            where, params = self._where(query)
            source = f"FROM search_document d WHERE {where}"
        else:
            source, params = self._source(compiled, query)
        sql = f"SELECT count(*) FROM (SELECT 1 {source} LIMIT %s)"  # noqa: S608
        return self._rows(sql, [*params, cap + 1])[0][0]

    def _matches(self, compiled: CompiledQuery | None, query: SearchQuery, limit: int) -> list[Match]:
        if compiled is None:  # browsing needs no title tokens: the covering indexes answer alone
            where, params = self._where(query)
            columns = f"d.id, {_AT}, d.tiebreak, '', d.category, d.region, d.stage"
            source = f"FROM search_document d WHERE {where}"
        else:
            columns = f"d.id, {_AT}, d.tiebreak, d.title_tokens, d.category, d.region, d.stage"
            source, params = self._source(compiled, query)
        rows = self._rows(f"SELECT {columns} {source} LIMIT %s", [*params, limit])
        return [Match(i, (at, tb), tt, c, r, s) for i, at, tb, tt, c, r, s in rows]

    def _newest(self, compiled: CompiledQuery | None, query: SearchQuery, offset: int, limit: int) -> list[Candidate]:
        where, params = self._where(query)
        if compiled is None:
            sql = f"SELECT d.id, d.title_tokens FROM search_document d WHERE {where} {_NEWEST} LIMIT %s OFFSET %s"  # noqa: S608
            args = [*params, limit, offset]
        elif not self._walk_is_cheaper(compiled, offset + limit):
            # drive from the match set: look each match up, sort, keep the page
            sql = (
                f"SELECT d.id, d.title_tokens FROM {_JOIN} WHERE {FTS} MATCH %s AND {where} "  # noqa: S608
                f"{_NEWEST} LIMIT %s OFFSET %s"
            )
            args = [to_fts5(compiled), *params, limit, offset]
        else:
            # walk the date index newest first, asking FTS5 about each row, and stop after the page
            sql = (
                f"SELECT d.id, d.title_tokens FROM search_document d WHERE {where} "  # noqa: S608
                f"AND EXISTS (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s AND {FTS}.rowid = d.id) "
                f"{_NEWEST} LIMIT %s OFFSET %s"
            )
            args = [*params, to_fts5(compiled), limit, offset]
        return [Candidate(row_id, tokens) for row_id, tokens in self._rows(sql, args)]

    def _walk_is_cheaper(self, compiled: CompiledQuery, wanted: int) -> bool:
        """Is walking the date index (≈ wanted / density probes) cheaper than sorting the match set (≈ matches
        lookups)? Walking wins when matches > sqrt(wanted · documents · PROBE / LOOKUP); the matches are
        counted (in FTS5 only, cheaply) no further than that."""
        documents = self._rows("SELECT coalesce(max(id), 0) FROM search_document", [])[0][0]
        threshold = int(math.sqrt(wanted * documents * self.probe_cost / self.lookup_cost))
        if threshold >= documents:
            return False
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s)"  # noqa: S608
        return self._rows(sql, [to_fts5(compiled), threshold + 1])[0][0] > threshold

    def _scores(self, compiled: CompiledQuery, ids: Sequence[int]) -> dict[int, float]:
        if not ids:
            return {}
        # ``+rowid``: the membership test must not reach FTS5 as a rowid constraint, or FTS5 re-runs the
        # query once per id, reading the doclists from their start each time (~150 µs per id). As a plain
        # filter, FTS5 walks the match set once (tens of ns per row) and bm25() runs for the ids only.
        # (A rowid range FTS5 does use: it seeks to the lowest id and stops after the highest, which saves
        # most of the walk when ids follow publication order, as they do when notices are indexed as published.)
        sql = (
            f"SELECT rowid, bm25({FTS}, {TITLE_WEIGHT}, 1.0) FROM {FTS} "  # noqa: S608
            f"WHERE {FTS} MATCH %s AND rowid BETWEEN %s AND %s AND +rowid IN ({placeholders(len(ids))})"
        )
        # bm25() is lower for better matches
        rows = self._rows(sql, [to_fts5(compiled), min(ids), max(ids), *ids])
        return {row_id: -score for row_id, score in rows}

    def check(self) -> CheckReport:
        problems = []
        documents = self._rows("SELECT count(*) FROM search_document", [])[0][0]
        indexed = self._rows(f"SELECT count(*) FROM {FTS}", [])[0][0]  # noqa: S608
        if documents != indexed:
            problems.append(f"{documents} documents but {indexed} full-text rows")
        orphans = self._rows(
            f"SELECT count(*) FROM {FTS} WHERE rowid NOT IN (SELECT id FROM search_document)",  # noqa: S608
            [],
        )[0][0]
        if orphans:
            problems.append(f"{orphans} full-text rows without a document")
        try:
            self._execute(f"INSERT INTO {FTS} ({FTS}, rank) VALUES ('integrity-check', 1)")  # noqa: S608
        except Exception as exc:  # SQLite reports a corrupt FTS index as an error of this command
            problems.append(f"FTS5 integrity check failed: {exc}")
        return CheckReport(documents=documents, problems=tuple(problems))

    def _after_rebuild(self) -> None:
        # merge the index's segments into one b-tree: fewer pages to read per query
        self._execute(f"INSERT INTO {FTS} ({FTS}) VALUES ('optimize')")  # noqa: S608

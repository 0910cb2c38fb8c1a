"""SQLite FTS5 adapter (the embedded profile).

``search_fts`` is a regular FTS5 table (``tokenize='ascii'``: every non-ASCII character is part of a token
and only ASCII spaces and punctuation separate tokens, so FTS5 keeps our pre-segmented tokens exactly as
given) with two columns, ``title`` and ``body``, holding the token streams. It stores its own copy of the
token streams, so a row can always be deleted or replaced by rowid (a contentless table could not delete
rows in SQLite 3.40 without being handed the old tokens again). A trigger made by the migration deletes the
FTS row with the document row. Writes run in the caller's transaction.

Its rowid follows **publication order**: ``fts_rowid(id, published_at)`` = the publication second (clamped)
in the high bits, the document id in the low ``ID_BITS`` (so the document is ``rowid & ID_MASK``, a primary
key lookup). FTS5 walks every posting list and every intersection in rowid order, so ``ORDER BY rowid DESC
LIMIT n`` reads the newest matches first and stops after n, however large the intersection: two
mid-frequency words together, or an organisation name whose words always co-occur, cost what a common word
costs. Within one second the rowid follows the id, not the tiebreak: the walk takes the whole second at its
boundary and the exact ``(published_at, tiebreak)`` order is made in Python (``_ordered_walk``). The
document row keeps its key (``search_document.fts_rowid``, a column the migration adds); a changed
publication time re-keys the FTS row in the same write.

A third column, ``tags``, holds the document's filters as tokens no text yields (``tags_of``: private, the
region at each of its three levels, the category): a query whose only filters are visibility, a region and
categories is counted by FTS5 alone (no lookup per match), the keys the count reads are its match set when
they are under the cap (``_newest_matches``: one evaluation of the query, then a lookup by id), and its newest
matches — a common word inside one district — are read in rowid order like any other intersection.

Plans: without a selective filter, or with filters that are all tags, the newest matches come from that
ordered walk. With a district or a category filter and another filter (kind, stage, dates, amounts), when
the match set is small the query is driven from FTS5 (``search_fts CROSS JOIN
search_document``: each match looked up, then sorted); when it is dense enough that a walk is cheaper,
SQLite walks the ``(region|category, published_at, tiebreak, …filters)`` index newest first, asks FTS5
about each row (``EXISTS … rowid = <the key computed from published_at and id>``, columns the index
carries: the table row is read only for matches) and stops after the page. BM25 is computed for the
ranking window only (``domain.scoring``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from yiwang.platform.search.backends.base import (
    MATCH_ID,
    MATCH_ORDER,
    MATCH_TOKENS,
    TITLE_WEIGHT,
    CandidateRow,
    MatchRow,
)
from yiwang.platform.search.backends.sql import SqlSearchIndex, placeholders
from yiwang.platform.search.domain.documents import SearchDocument, SearchQuery, region_range
from yiwang.platform.search.domain.estimate import Estimate, IndexStats, query_words
from yiwang.platform.search.domain.matching import CompiledQuery, to_fts5
from yiwang.platform.search.domain.scoring import CorpusStats, bm25_scorer
from yiwang.platform.search.ports import CheckReport

FTS = "search_fts"
# measured costs (bench/search_bench.py, docs/search.md): one step of the date walk with its FTS5 probe, and
# one match looked up and sorted; only their ratio matters
PROBE_COST = 9.0
LOOKUP_COST = 1.0
DF_CAP = 50_000  # document frequencies are counted this far (past it a word is "very common")
# the FTS5 rowid: publication second << ID_BITS | document id (docs/search.md "Postings in publication order")
ID_BITS = 29
ID_MASK = (1 << ID_BITS) - 1
SECOND_MIN, SECOND_MAX = -(1 << 33), (1 << 33) - 1  # ~1697 to ~2242; outside, a document keeps the edge second
_JOIN = f"{FTS} CROSS JOIN search_document d ON d.id = ({FTS}.rowid & {ID_MASK})"
# the same key computed from the columns every index carries (published_at, id), so that a walk of an index
# can probe FTS5 without reading the table row; the wall-clock second without its fraction is the floor
# (%% doubled: Django's SQLite cursor turns %s into a parameter)
_KEY = (
    f"((max(min(CAST(strftime('%%s', substr(d.published_at, 1, 19)) AS INTEGER), {SECOND_MAX}), {SECOND_MIN})"
    f" << {ID_BITS}) | d.id)"
)
_NEWEST = "ORDER BY d.published_at DESC, d.tiebreak DESC"
# published_at as the stored text (it sorts like the time it encodes), without Django's per-row conversion
_AT = "d.published_at || ''"
_MATCH_COLUMNS = f"d.id, {_AT}, d.tiebreak, d.title_tokens, d.category, d.region, d.stage"  # a MatchRow
# Filters as tokens (docs/search.md "Filters as tokens"): FTS5's third column, ``tags``, holds a document's
# visibility (private documents only), its region at every level that covers it and its category, as tokens
# that no text yields (they start with a private-use character; the segmenter's tokens are alphanumeric).
# A query whose filters are all tags is answered by FTS5 alone: counted without a lookup per match, and its
# newest matches read in rowid order however rare the filter makes them.
TAG_PRIVATE = "\ue000"
TAG_REGION = "\ue001"
TAG_CATEGORY = "\ue002"
# the same tags computed in SQL from a document row (alias d): migration 0004 and ``check`` use it
TAGS_SQL = (
    "trim(CASE WHEN d.public THEN '' ELSE char(57344) END"
    " || CASE WHEN length(d.region) = 6 THEN ' ' || char(57345) || substr(d.region, 1, 2) || '0000 '"
    " || char(57345) || substr(d.region, 1, 4) || '00 ' || char(57345) || d.region ELSE '' END"
    " || CASE WHEN d.category <> '' THEN ' ' || char(57346) || lower(hex(d.category)) ELSE '' END)"
)


def tags_of(public: bool, region: str, category: str) -> str:
    """The ``tags`` column of a document: what :data:`TAGS_SQL` computes from its row."""
    tags = [] if public else [TAG_PRIVATE]
    if len(region) == 6:
        tags += [f"{TAG_REGION}{region[:2]}0000", f"{TAG_REGION}{region[:4]}00", f"{TAG_REGION}{region}"]
    if category:
        tags.append(TAG_CATEGORY + category.encode().hex())
    return " ".join(tags)


def _tag(token: str) -> str:
    return f'"{token}"'


def fts_rowid(doc_id: int, published_at: datetime) -> int:
    """The FTS5 rowid of a document: ordered like its publication time (to the second), unique by its id."""
    if not 0 < doc_id <= ID_MASK:
        raise ValueError(f"document id {doc_id} does not fit the full-text key ({ID_BITS} bits)")
    second = min(max(math.floor(published_at.timestamp()), SECOND_MIN), SECOND_MAX)
    return (second << ID_BITS) | doc_id


def second_of(rowid: int) -> int:
    return rowid >> ID_BITS


class Fts5SearchIndex(SqlSearchIndex):
    vendor = "sqlite"
    probe_cost = PROBE_COST
    lookup_cost = LOOKUP_COST
    ordered_walk = True  # newest matches from the FTS5 rowid order (tests turn it off to check the other plans)
    filter_tags = True  # filters matched as FTS5 tags where they can be (tests turn it off likewise)

    def unindexed(self, column: str) -> str:
        return f"+{column}"

    def _after_upsert(self, cursor: Any, written: list[tuple[int, list[str], list[str], SearchDocument]]) -> None:
        # the old FTS rows go by their old keys (a new publication time moves the row), then the new ones
        ids = [w[0] for w in written]
        cursor.execute(
            f"SELECT fts_rowid FROM search_document WHERE id IN ({placeholders(len(ids))}) "  # noqa: S608
            "AND fts_rowid IS NOT NULL",
            ids,
        )
        old = [row[0] for row in cursor.fetchall()]
        if old:
            cursor.execute(f"DELETE FROM {FTS} WHERE rowid IN ({placeholders(len(old))})", old)  # noqa: S608
        keys = [(fts_rowid(row_id, doc.published_at), row_id) for row_id, _, _, doc in written]
        cursor.executemany("UPDATE search_document SET fts_rowid = %s WHERE id = %s", keys)
        # in ascending rowid order: FTS5 flushes its pending postings to a new segment whenever a rowid is
        # lower than the previous one (random publication times would write a segment every other row)
        cursor.executemany(
            f"INSERT INTO {FTS} (rowid, title, body, tags) VALUES (%s, %s, %s, %s)",  # noqa: S608
            sorted(
                (key, " ".join(title), " ".join(body), tags_of(doc.public, doc.region, doc.category))
                for (key, _), (_, title, body, doc) in zip(keys, written, strict=True)
            ),
        )

    def _stat_tokens_sql(self) -> tuple[str, str]:
        return f"LEFT JOIN {FTS} f ON f.rowid = d.fts_rowid", "f.title, f.body"

    def _recount_terms_sql(self) -> str:
        # the words of title and body only (fts5vocab's ``col`` table would count a word once per column)
        return (
            f"SELECT term AS value, doc AS n FROM temp.{FTS}_vocab "  # noqa: S608
            "WHERE unicode(term) NOT BETWEEN 57344 AND 57346"
        )

    def recount_stats(self) -> None:
        # fts5vocab: one row per token with the number of rows holding it (read from the index itself)
        self._execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{FTS}_vocab USING fts5vocab(main, {FTS}, row)")
        try:
            super().recount_stats()
        finally:
            self._execute(f"DROP TABLE IF EXISTS temp.{FTS}_vocab")

    @staticmethod
    def _selective(query: SearchQuery) -> bool:
        """A category or a single district: an index led by that column holds the query's documents."""
        return bool(query.categories) or (bool(query.region) and len(set(region_range(query.region))) == 1)

    def _tag_match(self, compiled: CompiledQuery, query: SearchQuery) -> str | None:
        """The query and its filters as one FTS5 expression over text and tags, or None when a filter is
        not a tag (kinds, stages, dates, amounts, private documents of some regions only)."""
        if not self.filter_tags or query.kinds or query.stages:
            return None
        if query.published_from or query.published_to or query.min_amount_fen is not None:
            return None
        if query.max_amount_fen is not None or (query.include_private and query.private_regions is not None):
            return None
        match = f"({to_fts5(compiled)})"
        if query.region:
            match += f" AND {_tag(TAG_REGION + query.region)}"
        if query.categories:
            match += " AND (" + " OR ".join(_tag(TAG_CATEGORY + c.encode().hex()) for c in query.categories) + ")"
        if not query.include_private:
            match = f"({match}) NOT {_tag(TAG_PRIVATE)}"
        return match

    def _source(self, compiled: CompiledQuery, query: SearchQuery) -> tuple[str, list[Any]]:
        """``FROM … WHERE …`` of the match set. With every filter a tag, FTS5 finds exactly the matches and
        each is looked up once. Else, with a district or a category filter, walk that (covering) index and
        test membership in the FTS5 match set (built once); otherwise drive from the FTS5 matches and look
        each one up."""
        where, params = self._where(query)
        tagged = self._tag_match(compiled, query)
        if tagged is not None:  # the SQL filters stay: they hold for every match (a guard, no extra reads)
            return f"FROM {_JOIN} WHERE {FTS} MATCH %s AND {where}", [tagged, *params]
        if self._selective(query):
            return (
                f"FROM search_document d WHERE {where} "  # noqa: S608
                f"AND +{_KEY} IN (SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s)",
                [*params, to_fts5(compiled)],
            )
        return f"FROM {_JOIN} WHERE {FTS} MATCH %s AND {where}", [to_fts5(compiled), *params]

    def _count(self, compiled: CompiledQuery | None, query: SearchQuery, cap: int) -> int:
        if compiled is None:
            where, params = self._where(query)
            source = f"FROM search_document d WHERE {where}"
        elif (tagged := self._tag_match(compiled, query)) is not None:
            source, params = f"FROM {FTS} WHERE {FTS} MATCH %s", [tagged]  # FTS5 alone: no lookups
        else:
            source, params = self._source(compiled, query)
        sql = f"SELECT count(*) FROM (SELECT 1 {source} LIMIT %s)"  # noqa: S608
        return self._rows(sql, [*params, cap + 1])[0][0]

    def _matches(self, compiled: CompiledQuery | None, query: SearchQuery, limit: int) -> list[MatchRow]:
        if compiled is None:  # browsing needs no title tokens: the covering indexes answer alone
            where, params = self._where(query)
            columns = f"d.id, {_AT}, d.tiebreak, '', d.category, d.region, d.stage"
            source = f"FROM search_document d WHERE {where}"
        else:
            columns = _MATCH_COLUMNS
            source, params = self._source(compiled, query)
        return self._rows(f"SELECT {columns} {source} LIMIT %s", [*params, limit])  # rows are matches

    def _newest(
        self,
        compiled: CompiledQuery | None,
        query: SearchQuery,
        offset: int,
        limit: int,
        hint: Estimate | None = None,
    ) -> list[CandidateRow]:
        where, params = self._where(query)
        if compiled is None:
            sql = f"SELECT d.id, d.title_tokens FROM search_document d WHERE {where} {_NEWEST} LIMIT %s OFFSET %s"  # noqa: S608
            args = [*params, limit, offset]
        elif self.ordered_walk and (not self._selective(query) or self._tag_match(compiled, query) is not None):
            return self._ordered_walk(compiled, query, offset, limit)
        elif not self._walk_is_cheaper(compiled, offset + limit, hint):
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
                f"AND EXISTS (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s AND {FTS}.rowid = {_KEY}) "
                f"{_NEWEST} LIMIT %s OFFSET %s"
            )
            args = [*params, to_fts5(compiled), limit, offset]
        return self._rows(sql, args)  # rows are candidates: (id, title_tokens)

    def _ordered_walk(self, compiled: CompiledQuery, query: SearchQuery, offset: int, limit: int) -> list[CandidateRow]:
        """The newest ``offset + limit`` matches from FTS5 in rowid order, as candidates (``_walk_rows``)."""
        rows = self._walk_rows(compiled, query, offset + limit)
        return [(row[MATCH_ID], row[MATCH_TOKENS]) for row in rows[offset:]]

    def _walk_rows(self, compiled: CompiledQuery, query: SearchQuery, wanted: int) -> list[MatchRow]:
        """The newest ``wanted`` matches from FTS5 in rowid order (newest second first), each looked up for the
        filters, as match rows; then the rest of the last second (its order inside a second is the id's, not
        the tiebreak's), and the exact ``(published_at, tiebreak)`` order made here. Every match left out is in
        an older second than every one kept, so the rows are exactly the newest ``wanted``."""
        where, params = self._where(query)
        match = self._tag_match(compiled, query) or to_fts5(compiled)
        base = (
            f"SELECT {FTS}.rowid, {_MATCH_COLUMNS} "  # noqa: S608
            f"FROM {_JOIN} WHERE {FTS} MATCH %s AND {where}"
        )
        rows = self._rows(f"{base} ORDER BY {FTS}.rowid DESC LIMIT %s", [match, *params, wanted])
        if len(rows) == wanted:
            last = rows[-1][0]
            rows += self._rows(
                f"{base} AND {FTS}.rowid >= %s AND {FTS}.rowid < %s",
                [match, *params, second_of(last) << ID_BITS, last],
            )
        matches = [row[1:] for row in rows]
        matches.sort(key=MATCH_ORDER, reverse=True)
        return matches[:wanted]

    def _newest_matches(
        self, compiled: CompiledQuery | None, query: SearchQuery, cap: int, wanted: int, hint: Estimate | None
    ) -> tuple[int, list[MatchRow]] | None:
        """Where every filter is a tag (FTS5 alone decides what matches), the count keeps what it reads: the
        keys of up to ``cap + 1`` matches in one FTS5 evaluation. At most ``cap`` of them are the whole match
        set, looked up once by id — instead of counting and then evaluating the query again to fetch the
        same matches (华阳镇人民政府, 526 matches: the FTS5 evaluation alone is 17 ms, docs/search.md). Past the
        cap, the newest ``wanted`` come from the ordered walk, as they did after a count. The keys are read in
        ascending order: FTS5 seeks forward faster (the same 华阳镇人民政府: 18 ms forward, 28 ms newest first),
        and an exact set is sorted by the pipeline anyway."""
        if compiled is None or not self.ordered_walk:
            return None
        tagged = self._tag_match(compiled, query)
        if tagged is None:
            return None
        keys = self._rows(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s", [tagged, cap + 1])  # noqa: S608
        if len(keys) > cap:
            return cap + 1, self._walk_rows(compiled, query, wanted)
        if not keys:
            return 0, []
        where, params = self._where(query)  # the SQL filters stay as a guard: they hold for every match
        rows = self._rows(
            f"SELECT {_MATCH_COLUMNS} FROM search_document d "  # noqa: S608
            f"WHERE d.id IN (SELECT value FROM json_each(%s)) AND {where}",
            [json.dumps([key & ID_MASK for (key,) in keys]), *params],
        )
        return len(rows), rows  # (a document removed since the keys were read is not counted)

    def _walk_is_cheaper(self, compiled: CompiledQuery, wanted: int, hint: Estimate | None = None) -> bool:
        """Is walking the date index (≈ wanted / density probes) cheaper than sorting the match set (≈ matches
        lookups)? Walking wins when matches > sqrt(wanted · documents · PROBE / LOOKUP). The matches are
        estimated from the index's statistics (``hint``), or else counted (in FTS5 only) no further than that."""
        if hint is not None:
            documents = self._statistics(()).documents
            threshold = math.sqrt(wanted * documents * self.probe_cost / self.lookup_cost)
            return threshold < documents and documents * hint.text_share > threshold
        documents = self._rows("SELECT coalesce(max(id), 0) FROM search_document", [])[0][0]
        threshold = int(math.sqrt(wanted * documents * self.probe_cost / self.lookup_cost))
        if threshold >= documents:
            return False
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s)"  # noqa: S608
        return self._rows(sql, [to_fts5(compiled), threshold + 1])[0][0] > threshold

    def _scores(self, compiled: CompiledQuery, ids: Sequence[int], stats: IndexStats | None = None) -> dict[int, float]:
        """BM25 for the window only (``domain.scoring``): its token streams read by rowid, document
        frequencies from the index's statistics (or, without them, counted by FTS5 up to ``DF_CAP``),
        averages from FTS5's own statistics. (FTS5's ``bm25()`` would walk the whole match set: ~140 ms for a
        common word at 1 M documents.)"""
        if not ids:
            return {}
        corpus = self._corpus_stats()
        words = query_words(compiled)
        if stats is not None:
            df = {word: stats.df.get(word, 0) for word in words}
        else:
            df = {}
            for word in words:
                sql = f"SELECT count(*) FROM (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s LIMIT %s)"  # noqa: S608
                df[word] = self._rows(sql, [f'"{word}"', DF_CAP])[0][0]
        sql = (
            f"SELECT d.id, f.title, f.body FROM search_document d JOIN {FTS} f ON f.rowid = d.fts_rowid "  # noqa: S608
            f"WHERE d.id IN ({placeholders(len(ids))})"
        )
        score = bm25_scorer(compiled, corpus, df, TITLE_WEIGHT)
        return {row_id: score(title, body) for row_id, title, body in self._rows(sql, list(ids))}

    def _corpus_stats(self) -> CorpusStats:
        """Documents and average tokens per column, from the record FTS5 keeps them in (``%_data`` id 1:
        varints — the row count, then the token total of each column)."""
        rows = self._rows(f"SELECT block FROM {FTS}_data WHERE id = 1", [])  # noqa: S608
        if not rows or rows[0][0] is None:
            return CorpusStats(0, 1.0, 1.0)
        values = _varints(bytes(rows[0][0]))
        documents, title_total, body_total = [*values, 0, 0, 0][:3]
        n = max(documents, 1)
        return CorpusStats(documents, title_total / n, body_total / n)

    def check(self) -> CheckReport:
        problems = []
        documents = self._rows("SELECT count(*) FROM search_document", [])[0][0]
        indexed = self._rows(f"SELECT count(*) FROM {FTS}", [])[0][0]  # noqa: S608
        if documents != indexed:
            problems.append(f"{documents} documents but {indexed} full-text rows")
        orphans = self._rows(
            f"SELECT count(*) FROM {FTS} WHERE rowid NOT IN "  # noqa: S608
            "(SELECT fts_rowid FROM search_document WHERE fts_rowid IS NOT NULL)",
            [],
        )[0][0]
        if orphans:
            problems.append(f"{orphans} full-text rows without a document")
        rows = self._rows(f"SELECT d.id, {_AT}, d.fts_rowid, {_KEY} FROM search_document d", [])  # noqa: S608
        misplaced = sum(1 for row_id, at, key, by_sql in rows if not key == by_sql == fts_rowid(row_id, _parse_utc(at)))
        if misplaced:
            problems.append(f"{misplaced} documents whose full-text key does not follow their publication time")
        mistagged = self._rows(
            f"SELECT count(*) FROM search_document d JOIN {FTS} f ON f.rowid = d.fts_rowid "  # noqa: S608
            f"WHERE f.tags IS NOT {TAGS_SQL}",
            [],
        )[0][0]
        if mistagged:
            problems.append(f"{mistagged} documents whose full-text tags do not match their filters")
        problems += self._stats_problems(documents)
        try:
            self._execute(f"INSERT INTO {FTS} ({FTS}, rank) VALUES ('integrity-check', 1)")  # noqa: S608
        except Exception as exc:  # SQLite reports a corrupt FTS index as an error of this command
            problems.append(f"FTS5 integrity check failed: {exc}")
        return CheckReport(documents=documents, problems=tuple(problems))

    def _after_rebuild(self) -> None:
        # merge the index's segments into one b-tree: fewer pages to read per query
        self._execute(f"INSERT INTO {FTS} ({FTS}) VALUES ('optimize')")  # noqa: S608
        self.recount_stats()


def _parse_utc(stored: str) -> datetime:
    """A ``published_at`` as SQLite stores it (UTC, no offset)."""
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _varints(data: bytes) -> list[int]:
    """Decode SQLite varints (big-endian, 7 bits a byte, the 9th byte carries 8)."""
    out = []
    pos = 0
    while pos < len(data):
        value = 0
        for i in range(9):
            byte = data[pos]
            pos += 1
            if i == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(value)
    return out

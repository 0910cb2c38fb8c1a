"""What the two database adapters share: the document table, upserts, filters as SQL, removal, fetching."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from yiwang.platform.clock import now
from yiwang.platform.search.backends.base import (
    MAX_STAT_VALUE,
    BaseSearchIndex,
    body_tokens_of,
    dedupe,
    distinct,
    title_tokens_of,
)
from yiwang.platform.search.domain.documents import SearchDocument, SearchQuery, region_range
from yiwang.platform.search.domain.estimate import FILTER_FIELDS, IndexStats
from yiwang.platform.search.models import IndexedText

TABLE = "search_document"
TEXT_TABLE = "search_document_text"
STAT_TABLE = "search_stat"
_COLUMNS = (
    "kind",
    "key",
    "public",
    "category",
    "region",
    "stage",
    "published_at",
    "tiebreak",
    "amount_fen",
    "indexed_at",
    "title_tokens",
)
_UPDATED = [c for c in _COLUMNS if c not in ("kind", "key")]
_TEXT_COLUMNS = ("document_id", "title", "body", "url", "extra")


@dataclass(frozen=True)
class StoredRow:
    id: int
    kind: str
    key: str
    public: bool
    category: str
    region: str
    stage: str
    published_at: Any
    amount_fen: int | None
    title_tokens: str
    title: str
    body: str
    url: str
    extra: dict[str, Any]


def add_stats(deltas: Counter, values: tuple[bool, str, str, str, str], tokens: Iterable[str], sign: int) -> None:
    """Count one document (``values``: public, kind, category, region, stage) into ``deltas`` with ``sign``."""
    public, *rest = values
    deltas[("corpus", "documents")] += sign
    deltas[("public", "1" if public else "0")] += sign
    for name, value in zip(FILTER_FIELDS[:4], rest, strict=True):
        deltas[(name, value)] += sign
    for token in tokens:
        if len(token) <= MAX_STAT_VALUE:
            deltas[("term", token)] += sign


def placeholders(n: int) -> str:
    return ", ".join(["%s"] * n)


# -- statistics summed per transaction ---------------------------------------------------------------------
_deferred = threading.local()  # .parts: the open deferral's [(marker, deltas)], or absent


class _Marker:
    """A write's ``on_commit`` marker: does nothing after commit; whether Django still holds it before the
    commit tells whether the write's savepoints lived."""

    def __call__(self) -> None:
        pass


@contextmanager
def deferred_statistics() -> Iterator[None]:
    """Index writes inside this block add their statistics to one sum, applied once when the block ends
    (one upsert per counter, in sorted order) instead of once per write. Many documents indexed one call at
    a time in one transaction (a push of 1 000 records) then update each counter once: PostgreSQL otherwise
    writes a new version of the same counter row per document, and each update walks the growing chain.

    The block is a transaction (``transaction.atomic``: a savepoint when one is open). A write inside a
    savepoint that is rolled back is left out of the sum: each write registers a do-nothing
    ``on_commit`` marker, which Django discards with the savepoint; only writes whose marker is still
    registered are summed. Nested blocks join the outermost. Reads of the statistics inside the block see
    the counts from before it (estimates only: a stale count costs time, never an answer)."""
    if getattr(_deferred, "parts", None) is not None:
        yield
        return
    with transaction.atomic():
        parts: list[tuple[_Marker, Counter]] = []
        _deferred.parts = parts
        try:
            yield
        finally:
            _deferred.parts = None
        alive = {id(func) for _, func, _ in connection.run_on_commit}
        total: Counter[tuple[str, str]] = Counter()
        for marker, deltas in parts:
            if id(marker) in alive:
                total.update(deltas)
        with connection.cursor() as cursor:
            _upsert_stats(cursor, total)


def _upsert_stats(cursor: Any, deltas: Counter) -> None:
    # sorted, so that concurrent writers take the rows' locks in the same order (no deadlock)
    items = sorted((k, n) for k, n in deltas.items() if n)
    for start in range(0, len(items), 500):
        chunk = items[start : start + 500]
        cursor.execute(
            f"INSERT INTO {STAT_TABLE} (field, value, n) VALUES {', '.join(['(%s, %s, %s)'] * len(chunk))} "  # noqa: S608
            f"ON CONFLICT (field, value) DO UPDATE SET n = {STAT_TABLE}.n + excluded.n",
            [v for (name, value), n in chunk for v in (name, value, n)],
        )


class SqlSearchIndex(BaseSearchIndex):
    """Base of the SQLite and PostgreSQL adapters (the full-text part is theirs)."""

    vendor = ""
    extra_columns: tuple[tuple[str, str], ...] = ()  # (column, placeholder) the engine adds to each row

    # -- writes -----------------------------------------------------------------------------------------
    def index_many(self, docs: Iterable[SearchDocument]) -> int:
        return len(self._write_batch(list(docs)))

    def _write_batch(self, docs: list[SearchDocument]) -> list[int]:
        docs = dedupe(docs)
        ids: list[int] = []
        # the statistics of every statement are applied once, at the end, in one sorted pass: two writers
        # then take the counters' row locks in the same order, whatever their batches hold (no deadlock)
        deltas: Counter[tuple[str, str]] = Counter()
        with transaction.atomic():
            for start in range(0, len(docs), self.limits.batch):
                ids.extend(self._upsert(docs[start : start + self.limits.batch], deltas))
            with connection.cursor() as cursor:
                self._apply_stats(cursor, deltas)
        return ids

    def _engine_values(self, title_tokens: list[str], body_tokens: list[str]) -> list[Any]:
        return []

    def _after_upsert(self, cursor: Any, written: list[tuple[int, list[str], list[str], SearchDocument]]) -> None:
        """Engine work for rows just written: ``(id, title tokens, body tokens, document)``."""

    def _upsert(self, docs: list[SearchDocument], deltas: Counter) -> list[int]:
        """Write one statement's worth of documents; their statistics go to ``deltas`` (applied by the caller)."""
        if not docs:
            return []
        ops = connection.ops
        stamp = ops.adapt_datetimefield_value(now())
        columns = [*_COLUMNS, *(c for c, _ in self.extra_columns)]
        row_sql = "(" + ", ".join(["%s"] * len(_COLUMNS) + [p for _, p in self.extra_columns]) + ")"
        params: list[Any] = []
        texts: dict[tuple[str, str], list[Any]] = {}
        tokens: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        for doc in docs:
            title_tokens = title_tokens_of(self.segmenter, doc)
            body_tokens = body_tokens_of(self.segmenter, doc)
            tokens[(doc.kind, doc.key)] = (title_tokens, body_tokens)
            texts[(doc.kind, doc.key)] = [
                doc.title,
                doc.body,
                doc.url,
                json.dumps(dict(doc.extra), ensure_ascii=False, sort_keys=True),
            ]
            params += [
                doc.kind,
                doc.key,
                doc.public,
                doc.category,
                doc.region,
                doc.stage,
                ops.adapt_datetimefield_value(doc.published_at),
                doc.tiebreak,
                doc.amount_fen,
                stamp,
                distinct(title_tokens),
                *self._engine_values(title_tokens, body_tokens),
            ]
        updates = ", ".join(f"{c} = excluded.{c}" for c in [*_UPDATED, *(c for c, _ in self.extra_columns)])
        values = ", ".join([row_sql] * len(docs))
        # identifiers are constants; every value is a parameter
        sql = (
            f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES {values} "  # noqa: S608
            f"ON CONFLICT (kind, key) DO UPDATE SET {updates} RETURNING id, kind, key"
        )
        text_row = "(" + ", ".join(["%s"] * len(_TEXT_COLUMNS)) + ")"
        text_updates = ", ".join(f"{c} = excluded.{c}" for c in _TEXT_COLUMNS[1:])
        for doc in docs:
            title_tokens, body_tokens = tokens[(doc.kind, doc.key)]
            values = (doc.public, doc.kind, doc.category, doc.region, doc.stage)
            add_stats(deltas, values, {*title_tokens, *body_tokens}, +1)
        with connection.cursor() as cursor:
            pairs = [v for doc in docs for v in (doc.kind, doc.key)]
            pairs_sql = ", ".join(["(%s, %s)"] * len(docs))
            self._subtract_stats(cursor, f"(d.kind, d.key) IN (VALUES {pairs_sql})", pairs, deltas)
            cursor.execute(sql, params)
            returned = cursor.fetchall()
            text_params = [v for row_id, kind, key in returned for v in (row_id, *texts[(kind, key)])]
            cursor.execute(
                f"INSERT INTO {TEXT_TABLE} ({', '.join(_TEXT_COLUMNS)}) "  # noqa: S608
                f"VALUES {', '.join([text_row] * len(returned))} "
                f"ON CONFLICT (document_id) DO UPDATE SET {text_updates}",
                text_params,
            )
            by_key = {(doc.kind, doc.key): doc for doc in docs}
            written = [(row_id, *tokens[(kind, key)], by_key[(kind, key)]) for row_id, kind, key in returned]
            self._after_upsert(cursor, written)
        return [w[0] for w in written]

    # -- statistics (domain/estimate.py): kept with the index, in the writer's transaction ---------------
    def _stat_tokens_sql(self) -> tuple[str, str]:
        """(join, columns): how to read a stored document's tokens as two space-separated strings."""
        raise NotImplementedError

    def _subtract_stats(self, cursor: Any, condition: str, params: list[Any], deltas: Counter) -> None:
        """Subtract the stored documents matching ``condition`` (on alias ``d``) from the statistics."""
        join, columns = self._stat_tokens_sql()
        cursor.execute(
            f"SELECT d.public, d.kind, d.category, d.region, d.stage, {columns} "  # noqa: S608
            f"FROM {TABLE} d {join} WHERE {condition}",
            params,
        )
        for public, kind, category, region, stage, first, second in cursor.fetchall():
            tokens = {*(first or "").split(), *(second or "").split()}
            add_stats(deltas, (bool(public), kind, category, region, stage), tokens, -1)

    def _apply_stats(self, cursor: Any, deltas: Counter) -> None:
        """Apply a write's statistics now, or add them to the open ``deferred_statistics`` block's sum."""
        parts = getattr(_deferred, "parts", None)
        if parts is None:
            _upsert_stats(cursor, deltas)
            return
        marker = _Marker()
        connection.on_commit(marker)
        parts.append((marker, deltas))

    def _recount_terms_sql(self) -> str:
        """``SELECT value, n`` of every token's document frequency, computed from the full-text structure."""
        raise NotImplementedError

    def recount_stats(self) -> None:
        """Recompute the statistics from the stored documents (after a rebuild, or to repair them)."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {STAT_TABLE}")  # noqa: S608
            cursor.execute(
                f"INSERT INTO {STAT_TABLE} (field, value, n) SELECT 'term', value, n "  # noqa: S608
                f"FROM ({self._recount_terms_sql()}) t WHERE length(value) <= {MAX_STAT_VALUE}"
            )
            for name in ("kind", "category", "region", "stage"):
                cursor.execute(
                    f"INSERT INTO {STAT_TABLE} (field, value, n) SELECT %s, {name}, count(*) "  # noqa: S608
                    f"FROM {TABLE} GROUP BY {name}",
                    [name],
                )
            cursor.execute(
                f"INSERT INTO {STAT_TABLE} (field, value, n) SELECT 'public', "  # noqa: S608
                f"CASE WHEN public THEN '1' ELSE '0' END, count(*) FROM {TABLE} GROUP BY public"
            )
            cursor.execute(
                f"INSERT INTO {STAT_TABLE} (field, value, n) SELECT 'corpus', 'documents', count(*) FROM {TABLE}"  # noqa: S608
            )

    def _stats_problems(self, documents: int) -> list[str]:
        counted = self._statistics(()).documents
        if counted != documents:
            return [f"{documents} documents but the statistics count {counted} (run: yiwang search rebuild)"]
        return []

    def _statistics(self, words: Sequence[str]) -> IndexStats:
        fields: dict[str, dict[str, int]] = {}
        names = ("corpus", *FILTER_FIELDS)  # each a range of the (field, value) index, never the terms
        sql = f"SELECT field, value, n FROM {STAT_TABLE} WHERE field IN ({placeholders(len(names))}) AND n <> 0"  # noqa: S608
        for name, value, n in self._rows(sql, list(names)):
            fields.setdefault(name, {})[value] = int(n)
        df: dict[str, int] = {}
        if words:
            sql = (
                f"SELECT value, n FROM {STAT_TABLE} "  # noqa: S608
                f"WHERE field = 'term' AND n <> 0 AND value IN ({placeholders(len(words))})"
            )
            df = {value: int(n) for value, n in self._rows(sql, list(words))}
        documents = fields.pop("corpus", {}).get("documents", 0)
        return IndexStats(documents=documents, df=df, fields=fields)

    def _delete_ids(self, cursor: Any, ids: Sequence[int]) -> None:
        marks = placeholders(len(ids))
        deltas: Counter[tuple[str, str]] = Counter()
        self._subtract_stats(cursor, f"d.id IN ({marks})", list(ids), deltas)
        cursor.execute(f"DELETE FROM {TEXT_TABLE} WHERE document_id IN ({marks})", list(ids))  # noqa: S608
        cursor.execute(f"DELETE FROM {TABLE} WHERE id IN ({marks})", list(ids))  # noqa: S608
        self._apply_stats(cursor, deltas)

    def remove(self, kind: str, key: str) -> bool:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {TABLE} WHERE kind = %s AND key = %s", [kind, key])  # noqa: S608
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                self._delete_ids(cursor, ids)
            return bool(ids)

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
            return int(cursor.fetchone()[0])

    def _remove_untouched(self, kinds: Sequence[str], touched: set[int]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id FROM {TABLE} WHERE kind IN ({placeholders(len(kinds))})",  # noqa: S608
                list(kinds),
            )
            stale = [row[0] for row in cursor.fetchall() if row[0] not in touched]
        for start in range(0, len(stale), 500):
            chunk = stale[start : start + 500]
            with transaction.atomic(), connection.cursor() as cursor:
                self._delete_ids(cursor, chunk)
        return len(stale)

    # -- reads ------------------------------------------------------------------------------------------
    def unindexed(self, column: str) -> str:
        """``column`` written so that the planner does not pick an index on it (SQLite: ``+column``)."""
        return column

    def _where(self, query: SearchQuery) -> tuple[str, list[Any]]:
        """The filters as a SQL condition on alias ``d`` (the Python reference is ``memory.passes_filters``)."""
        conds: list[str] = []
        params: list[Any] = []
        if not query.include_private:
            conds.append("d.public")
        elif query.private_regions is not None:
            ranges = [region_range(r) for r in query.private_regions]
            conds.append("(" + " OR ".join(["d.public", *["d.region BETWEEN %s AND %s"] * len(ranges)]) + ")")
            params += [code for pair in ranges for code in pair]
        for column, values in (("kind", query.kinds), ("category", query.categories), ("stage", query.stages)):
            if values:
                conds.append(f"d.{column} IN ({placeholders(len(values))})")
                params += list(values)
        if query.region:
            lo, hi = region_range(query.region)
            if lo == hi:  # a district: equality lets the (region, published_at) index give the order
                conds.append("d.region = %s")
                params.append(lo)
            else:
                # a range (all of Shanghai, one prefecture) covers most rows: SQLite's unary + keeps it from
                # choosing the region index and sorting the whole range; it walks the newest index instead
                conds.append(f"{self.unindexed('d.region')} BETWEEN %s AND %s")
                params += [lo, hi]
        ops = connection.ops
        if query.published_from is not None:
            conds.append("d.published_at >= %s")
            params.append(ops.adapt_datetimefield_value(query.published_from))
        if query.published_to is not None:
            conds.append("d.published_at < %s")
            params.append(ops.adapt_datetimefield_value(query.published_to))
        if query.min_amount_fen is not None:
            conds.append("d.amount_fen >= %s")
            params.append(query.min_amount_fen)
        if query.max_amount_fen is not None:
            conds.append("d.amount_fen <= %s")
            params.append(query.max_amount_fen)
        return (" AND ".join(conds) or "1 = 1"), params

    def _fetch(self, ids: Sequence[int]) -> dict[int, Any]:
        if not ids:
            return {}
        out = {}
        for text in IndexedText.objects.filter(document_id__in=list(ids)).select_related("document"):
            d = text.document
            out[d.id] = StoredRow(
                id=d.id,
                kind=d.kind,
                key=d.key,
                public=d.public,
                category=d.category,
                region=d.region,
                stage=d.stage,
                published_at=d.published_at,
                amount_fen=d.amount_fen,
                title_tokens=d.title_tokens,
                title=text.title,
                body=text.body,
                url=text.url,
                extra=text.extra,
            )
        return out

    @staticmethod
    def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    @staticmethod
    def _execute(sql: str, params: list[Any] | None = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])

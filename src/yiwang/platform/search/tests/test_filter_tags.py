"""Filters as tokens (SQLite: FTS5's ``tags`` column; docs/search.md "Filters as tokens"): visibility, region
levels and category are matched by FTS5 itself when they are a query's only filters. The tags must follow
every write, the SQL and the Python computation of them must agree, and the answers must be those of the
reference — whether the tags are used or not."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from yiwang.platform.search.backends import sqlite
from yiwang.platform.search.backends.base import Limits
from yiwang.platform.search.backends.memory import MemorySearchIndex
from yiwang.platform.search.domain.documents import SearchDocument, SearchQuery
from yiwang.platform.search.domain.matching import compile_query
from yiwang.platform.search.tests.conftest import T
from yiwang.platform.search.tests.test_index import assert_same

pytestmark = pytest.mark.django_db
SMALL = Limits(count_cap=3, rank_window=3, facet_cap=3)
sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="FTS5 tags exist on SQLite only")


def docs() -> list[SearchDocument]:
    rows = [
        ("A", "闵行区道路施工招标公告", "310112", "gc", True),
        ("B", "闵行区绿化施工招标公告", "310112", "GC", True),  # a category differing by case only
        ("C", "浦东新区道路施工招标公告", "310115", "zfcg-2.x", True),  # - and . split ASCII tokens
        ("D", "闵行区道路施工中标公告", "310112", "gc", False),
        ("E", "上海市道路施工招标公告", "310000", "gc", True),  # a province-level document
        ("F", "上海市本级道路施工招标公告", "310100", "", True),
        ("G", "无地区道路施工招标公告", "", "gc", False),
        ("H", "江苏道路施工招标公告", "320102", "gc", True),
    ]
    return [
        SearchDocument(
            kind="notice",
            key=key,
            title=title,
            body="施工 道路",
            region=region,
            category=category,
            public=public,
            published_at=T.replace(hour=i + 1),
        )
        for i, (key, title, region, category, public) in enumerate(rows)
    ]


QUERIES = [
    SearchQuery(text="施工"),
    SearchQuery(text="道路", region="310112"),
    SearchQuery(text="道路", region="310000"),
    SearchQuery(text="道路", region="310100"),
    SearchQuery(text="道路", region="320000"),
    SearchQuery(text="施工", categories=("gc",)),
    SearchQuery(text="施工", categories=("GC", "zfcg-2.x")),
    SearchQuery(text="施工", region="310112", categories=("gc",)),
    SearchQuery(text="施工", include_private=True),
    SearchQuery(text="施工", include_private=True, region="310112"),
    SearchQuery(text="施工", include_private=True, private_regions=("310112",)),  # not a tag: SQL
    SearchQuery(text="施工", region="310112", stages=("x",)),  # a stage: SQL
]


def test_the_migration_computes_the_tags_as_the_adapter_does():
    migration = importlib.import_module("yiwang.platform.search.migrations.0004_fts_filter_tags")
    assert migration.TAGS_SQL == sqlite.TAGS_SQL
    assert migration.MASK == sqlite.ID_MASK


@sqlite_only
def test_tags_follow_every_write_in_sql_and_python(index):
    corpus = docs()
    index.index_many(corpus)
    assert index.check().ok, index.check().problems
    moved = [dataclasses.replace(corpus[0], public=False, region="310115", category="zfcg-2.x")]
    index.index_many(moved)
    assert index.check().ok, index.check().problems
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT d.key, f.tags, {sqlite.TAGS_SQL} FROM search_document d "  # noqa: S608
            "JOIN search_fts f ON f.rowid = d.fts_rowid"
        )
        rows = {key: (stored, computed) for key, stored, computed in cur.fetchall()}
    for doc in [*moved, *corpus[1:]]:
        assert rows[doc.key] == (sqlite.tags_of(doc.public, doc.region, doc.category),) * 2
    assert rows["A"][0] == "\ue000 \ue001310000 \ue001310100 \ue001310115 \ue002" + b"zfcg-2.x".hex()
    assert rows["F"][0] == "\ue001310000 \ue001310100 \ue001310100"
    assert rows["G"][0] == "\ue000 \ue002" + b"gc".hex()
    # a mistagged row is reported
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE search_fts SET tags = '' WHERE rowid = (SELECT fts_rowid FROM search_document WHERE key = 'B')"
        )
    assert any("tags" in p for p in index.check().problems)


@pytest.mark.parametrize("tags", [True, False], ids=["tags", "sql-filters"])
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.text}-{q.region}-{q.categories}-{q.include_private}")
def test_same_results_with_and_without_tags(index, query, tags):
    corpus = docs()
    index.index_many(corpus)
    ref = MemorySearchIndex(limits=SMALL)
    ref.index_many(corpus)
    adapter = type(index)(limits=SMALL)
    adapter.filter_tags = tags  # SQLite (PostgreSQL: unused)
    for bounded in (
        dataclasses.replace(query, sort="relevance", size=3),
        dataclasses.replace(query, sort="newest", size=1, page=1),
        dataclasses.replace(query, sort="newest", size=2, page=2),
        dataclasses.replace(query, sort="newest", size=100),
    ):
        if bounded.offset >= SMALL.count_cap:
            continue
        assert_same(adapter.search(bounded), ref.search(bounded), bounded)
    # with the default limits: exact totals and facets
    adapter, ref = type(index)(), MemorySearchIndex()
    adapter.filter_tags = tags
    ref.index_many(corpus)
    assert_same(adapter.search(query), ref.search(query), query)


@contextmanager
def recorded() -> Iterator[list[str]]:
    """The SQL of every statement run inside the block, as the adapter wrote it (placeholders, not values)."""
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield statements


@sqlite_only
def test_a_tag_only_query_is_counted_by_fts5_alone(index):
    index.index_many(docs())
    adapter = type(index)(limits=SMALL)
    query = SearchQuery(text="施工", region="310112")
    with recorded() as statements:
        assert adapter._count(compile_query("施工", adapter.segmenter), query, 3) == 2  # A and B (D is private)
    (count_sql,) = statements
    assert "search_document" not in count_sql
    adapter.filter_tags = False
    assert adapter._count(compile_query("施工", adapter.segmenter), query, 3) == 2


@sqlite_only
def test_a_tag_only_match_set_is_counted_and_fetched_in_one_evaluation(index):
    """Past the statistics' certain bound but under the cap, the keys the count reads are the match set: FTS5
    evaluates the query once, and the matches are looked up by id (the count, then the fetch, evaluated it
    twice). Past the cap the newest come from the ordered walk, with the same answers as the reference."""
    corpus = docs()
    index.index_many(corpus)
    adapter = type(index)(limits=SMALL)
    ref = MemorySearchIndex(limits=SMALL)
    ref.index_many(corpus)
    # the statistics bound the set by the category's 5 documents (> the cap of 3); the public ones match: 3
    query = SearchQuery(text="施工", categories=("gc",))
    with recorded() as statements:
        page = adapter.search(query)
    assert [s for s in statements if "MATCH" in s] == [
        "SELECT rowid FROM search_fts WHERE search_fts MATCH %s LIMIT %s"
    ]
    assert (page.total, page.total_exact, {h.key for h in page.hits}) == (3, True, {"A", "E", "H"})
    assert_same(page, ref.search(query), query)
    for past_cap in (SearchQuery(text="施工"), SearchQuery(text="施工", sort="newest", size=2, page=2)):
        assert_same(adapter.search(past_cap), ref.search(past_cap), past_cap)

"""Newest matches in publication order (SQLite: the FTS5 rowid follows the publication second; docs/search.md
"Postings in publication order"): documents re-dated after indexing, several in one second and at the edge
of a walk's window must come out exactly as the reference orders them, on every engine."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from yiwang.platform.search.backends.base import Limits
from yiwang.platform.search.backends.memory import MemorySearchIndex
from yiwang.platform.search.backends.sqlite import ID_BITS, ID_MASK, fts_rowid
from yiwang.platform.search.domain.documents import SearchDocument, SearchQuery
from yiwang.platform.search.tests.conftest import T, has_rum
from yiwang.platform.search.tests.test_index import assert_same

pytestmark = pytest.mark.django_db

SMALL = Limits(count_cap=4, rank_window=3, facet_cap=4)


def crowd() -> list[SearchDocument]:
    """Eleven notices: six in one second (two at the same instant), the rest a few seconds apart."""
    docs = []
    for i in range(6):
        at = T + timedelta(microseconds=[0, 0, 5, 999_999, 250_000, 1][i])
        docs.append(SearchDocument(kind="notice", key=f"S{i}", title=f"闵行区道路施工招标公告{i}", published_at=at))
    for i in range(5):
        at = T + timedelta(seconds=[-3, -1, 1, 2, 3600][i])
        docs.append(SearchDocument(kind="notice", key=f"R{i}", title=f"闵行区绿化施工公告{i}", published_at=at))
    return docs


def adapters(index: object) -> list[object]:
    out = []
    plans = [(True, True, 1.0, False), (True, False, 1.0, False), (False, False, 1e-3, False)]
    if has_rum(index):
        plans.append((False, False, 1e-3, True))
    for ordered, tags, margin, rum in plans:
        adapter = type(index)(limits=SMALL)
        adapter.ordered_walk = ordered  # SQLite: the FTS5 rowid walk or the older plans
        adapter.filter_tags = tags  # SQLite: filters as FTS5 tags
        adapter.slice_margin, adapter.slice_max_share = margin, float("inf")  # PostgreSQL: newest slices of time
        adapter.walk_share = float("inf")  # PostgreSQL: slices even for dense words
        adapter.rum, adapter.rum_max_matches = rum, float("inf")  # PostgreSQL: the RUM scan always, or GIN only
        out.append(adapter)
    return out


def pages(query: SearchQuery, count: int) -> list[SearchQuery]:
    return [
        *(
            dataclasses.replace(query, sort="newest", size=size, page=page)
            for size in (1, 2, 3)
            for page in (1, 2, 3, 4)
            if (page - 1) * size < SMALL.count_cap
        ),
        dataclasses.replace(query, sort="relevance", size=3),
        dataclasses.replace(query, sort="newest", size=count),
    ]


def test_a_second_crowded_with_documents_is_ordered_exactly(index):
    docs = crowd()
    index.index_many(docs)
    ref = MemorySearchIndex(limits=SMALL)
    ref.index_many(docs)
    for adapter in adapters(index):
        for text in ("施工", "闵行 施工", "道路 招标", "公告"):
            for query in pages(SearchQuery(text=text), len(docs)):
                assert_same(adapter.search(query), ref.search(query), query)


def test_a_new_publication_time_moves_the_document(index):
    docs = crowd()
    index.index_many(docs)
    ref = MemorySearchIndex(limits=SMALL)
    ref.index_many(docs)
    for shift in (timedelta(days=-400), timedelta(days=30), timedelta(microseconds=3)):
        moved = dataclasses.replace(docs[0], published_at=T + shift)  # back-dated, then forward, then to its second
        index.index(moved)
        ref.index(moved)
        for adapter in adapters(index):
            for query in pages(SearchQuery(text="施工"), len(docs)):
                assert_same(adapter.search(query), ref.search(query), query)
        assert index.check().ok, index.check().problems
    if connection.vendor == "sqlite":  # one FTS row per document, at the key of its current time
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_fts")
            assert cursor.fetchone()[0] == len(docs)


def test_removing_a_document_removes_its_full_text_row(index):
    docs = crowd()
    index.index_many(docs)
    assert index.remove("notice", "S3") is True
    assert "S3" not in [h.key for h in index.search(SearchQuery(text="施工", sort="newest", size=20)).hits]
    assert index.check().ok, index.check().problems


moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC))


@given(a=moments, b=moments, i=st.integers(1, ID_MASK), j=st.integers(1, ID_MASK))
def test_the_full_text_key_follows_publication_order(a, b, i, j):
    key_a, key_b = fts_rowid(i, a), fts_rowid(j, b)
    assert key_a & ID_MASK == i  # the document is the key's low bits
    assert key_b & ID_MASK == j
    assert -(1 << 63) <= key_a < 1 << 63
    if a < b:  # an earlier second never sorts after a later one (same second: the walk sorts it out)
        assert key_a >> ID_BITS <= key_b >> ID_BITS
    if (key_a >> ID_BITS) < (key_b >> ID_BITS):
        assert a < b


def test_ids_beyond_the_key_are_refused():
    with pytest.raises(ValueError, match="full-text key"):
        fts_rowid(ID_MASK + 1, T)


def test_extreme_and_pre_1970_times_are_keyed_alike_in_sql_and_python(index):
    """The walk of a district's index computes the key in SQL; ``check`` compares it with Python's."""
    times = [
        datetime(1, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
    ]
    docs = [
        SearchDocument(kind="notice", key=f"E{i}", title="闵行区施工公告", region="310112", published_at=at)
        for i, at in enumerate(times)
    ]
    index.index_many(docs)
    assert index.check().ok, index.check().problems
    ref = MemorySearchIndex(limits=SMALL)
    ref.index_many(docs)
    for adapter in adapters(index):
        adapter.probe_cost = 1e-6  # SQLite: walk the district's index, probing FTS5 with the SQL key
        for query in pages(SearchQuery(text="施工", region="310112"), len(docs)):
            assert_same(adapter.search(query), ref.search(query), query)

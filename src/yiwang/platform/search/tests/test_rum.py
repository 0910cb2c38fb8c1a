"""PostgreSQL's RUM index (migrations 0005 and 0006, docs/adr/0011-postgresql-search-rum.md): made only where
the extension is available, partial so that only the adapter's RUM statements can use it, detected by the
adapter, and the same answers with it and without it. The plans themselves are compared with the reference in
test_index.py and test_ordered_walk.py ("rum" variants)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from yiwang.platform.search.backends.base import Limits
from yiwang.platform.search.backends.memory import MemorySearchIndex
from yiwang.platform.search.backends.postgres import RUM_CONDITION
from yiwang.platform.search.domain.documents import SearchQuery
from yiwang.platform.search.tests.test_index import assert_same

pytestmark = pytest.mark.django_db

migration = importlib.import_module("yiwang.platform.search.migrations.0005_rum_publication_order")
partial = importlib.import_module("yiwang.platform.search.migrations.0006_rum_partial")
SMALL = Limits(count_cap=2, rank_window=3, facet_cap=2)


def rum_available() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        return cursor.fetchone() is not None


def test_the_migration_does_nothing_on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    migration.create_rum_index(None, SimpleNamespace(connection=connection))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = %s", [migration.INDEX])
        assert cursor.fetchone()[0] == 0


def test_the_index_exists_exactly_where_the_extension_is_available(index):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    assert type(index)()._has_rum() is rum_available()  # the test cluster's role is a superuser


def test_without_the_index_the_gin_plans_answer_the_same(index, corpus):
    """Drop the index inside the test's transaction (rolled back after it): a fresh adapter finds no RUM index
    and answers as the reference does; creating it again is what the migration does."""
    if connection.vendor != "postgresql" or not rum_available():
        pytest.skip("PostgreSQL with the rum extension only")
    index.index_many(corpus)
    ref = MemorySearchIndex(limits=SMALL)
    ref.index_many(corpus)
    queries = [SearchQuery(text="施工", sort="newest", size=2), SearchQuery(text="闵行 施工", size=3)]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX {migration.INDEX}")
    without = type(index)(limits=SMALL)
    without.rum_max_matches = float("inf")
    assert without._has_rum() is False
    for query in queries:
        assert_same(without.search(query), ref.search(query), query)
    editor = SimpleNamespace(connection=connection)
    migration.create_rum_index(None, editor)
    partial.partial(None, editor)
    again = type(index)(limits=SMALL)
    again.rum_max_matches = float("inf")
    assert again._has_rum() is True
    for query in queries:
        assert_same(again.search(query), ref.search(query), query)


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: make the planner consider every index
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def test_only_statements_that_state_the_condition_can_use_the_index(index, corpus):
    """The planner once read the newest slice of a common word through RUM (all its postings, 4× slower than
    the date walk the adapter meant): the index is partial over the adapter's RUM condition, and a statement
    without that condition cannot use it, whatever the costs say."""
    if connection.vendor != "postgresql" or not rum_available():
        pytest.skip("PostgreSQL with the rum extension only")
    index.index_many(corpus)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s",
            [migration.INDEX],
        )
        assert cursor.fetchone()[0] == "(tsm <> ''::tsvector)"
    match = "search_document d WHERE d.tsm @@ '施工'::tsquery AND d.public"
    order = "ORDER BY d.published_at <=| now() LIMIT 5"
    assert migration.INDEX in _plan(f"SELECT d.id FROM {match} AND {RUM_CONDITION} {order}")  # noqa: S608
    for sql in (
        f"SELECT d.id FROM {match} {order}",  # noqa: S608
        f"SELECT d.id FROM {match} AND d.published_at >= now() - interval '1 year'",  # noqa: S608
        f"SELECT count(*) FROM {match}",  # noqa: S608
    ):
        assert migration.INDEX not in _plan(sql), sql

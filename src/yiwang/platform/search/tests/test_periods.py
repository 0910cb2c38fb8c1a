"""Publication periods (quarters) and PostgreSQL's period indexes: the boundaries, the upkeep that makes the
indexes, the planner using them, and the same answers through them as the reference — across quarter
boundaries, with an index missing, and when the statistics were wrong (docs/search.md, "PostgreSQL: period
indexes")."""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import given
from hypothesis import strategies as st

from yiwang.platform.clock import due_jobs
from yiwang.platform.search.backends.base import Limits
from yiwang.platform.search.backends.memory import MemorySearchIndex
from yiwang.platform.search.domain.documents import SearchDocument, SearchQuery
from yiwang.platform.search.domain.periods import (
    index_name,
    next_period,
    period_start,
    periods_newest_first,
    start_of_index,
)
from yiwang.platform.search.jobs import maintain_index
from yiwang.platform.search.tests.test_index import assert_same

instants = st.datetimes(
    min_value=datetime(1, 4, 1), max_value=datetime(9999, 9, 30), timezones=st.just(UTC)
)  # fmt: skip


@given(instants)
def test_an_instant_lies_in_its_quarter(at):
    start = period_start(at)
    assert start <= at < next_period(start)
    assert (start.month, start.day, start.time()) in {(m, 1, datetime.min.time()) for m in (1, 4, 7, 10)}
    assert start_of_index(index_name(start)) == start


@given(instants, instants)
def test_the_quarters_between_two_instants_cover_them_newest_first_without_gaps(a, b):
    first, last = min(a, b), max(a, b)
    if (last - first).days > 3660:  # keep the walk short: ten years at most
        first = last - timedelta(days=3660)
    periods = list(periods_newest_first(first, last))
    assert periods[0][0] <= last < periods[0][1]
    assert periods[-1][0] <= first < periods[-1][1]
    for (start, _), (_, end) in itertools.pairwise(periods):
        assert end == start  # each quarter ends where the newer one starts


def test_names_that_are_not_period_indexes():
    for name in ("search_doc_tsm", "search_doc_rum", "search_doc_tsm_2025q5", "search_doc_tsm_0000q1", "x_2025q1"):
        assert start_of_index(name) is None
    assert index_name(datetime(2025, 10, 1, tzinfo=UTC)) == "search_doc_tsm_2025q4"


def test_the_clock_runs_the_upkeep_hourly():
    job = next(j for j in due_jobs() if j.name == "search.maintain")
    assert job.every_seconds == 3600


@pytest.mark.django_db
def test_the_upkeep_job_on_an_empty_index():
    """SQLite needs no upkeep; PostgreSQL makes the quarter of "now" and the next one, then nothing."""
    at = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)
    if connection.vendor == "postgresql":
        assert maintain_index(at) == 2  # 2026q4 and 2027q1
    assert maintain_index(at) == 0


# -- PostgreSQL ------------------------------------------------------------------------------------------------
NEWEST = datetime(2026, 2, 20, 3, 0, tzinfo=UTC)
BOUNDARY = datetime(2026, 1, 1, tzinfo=UTC)  # 2025q4 | 2026q1
WORDS = ("闵行区道路施工招标公告", "浦东新区绿化施工公告", "闵行区学校改造施工中标公示", "松江区道路养护采购公告")


def spread() -> list[SearchDocument]:
    """Forty notices over four quarters, two at the boundary instant of 2026 and one a microsecond before it."""
    docs = []
    for i in range(40):
        at = NEWEST - timedelta(days=7 * i, hours=i)
        docs.append(
            SearchDocument(
                kind="notice", key=f"P{i:02d}", title=f"{WORDS[i % 4]}{i}", published_at=at, public=i % 7 != 3
            )
        )
    for key, at in (("B1", BOUNDARY), ("B2", BOUNDARY), ("B0", BOUNDARY - timedelta(microseconds=1))):
        docs.append(SearchDocument(kind="notice", key=key, title="闵行区道路施工公告", published_at=at))
    random.Random(4).shuffle(docs)  # stored out of publication order, as imports and corrections leave them
    return docs


# a match set past 12 is never counted (its total estimated), so every text query here reads a newest slice
SMALL = Limits(count_cap=12, rank_window=3, facet_cap=4, estimate_margin=0.0)
QUERIES = [
    SearchQuery(text="施工"),
    SearchQuery(text="闵行 施工"),
    SearchQuery(text="道路"),
    SearchQuery(text="公告", region=None),
    SearchQuery(text="施工", sort="newest"),
]


def pg_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("period indexes exist on PostgreSQL only")


def adapter(index, *, margin: float, periods: bool = True):
    made = type(index)(limits=SMALL)
    made.rum = False  # the GIN plans underneath (the RUM slice is another test's)
    made.walk_share = made.slice_max_share = float("inf")  # slice every text query
    made.slice_margin = margin  # huge: the quarters are walked to the end; tiny: they give up at once
    made.periods = periods
    return made


def taken(made, plan: str = "_newest_by_period") -> list[bool]:
    """Record whether each call of the period plan ``plan`` answered (False: it gave way to another plan)."""
    calls: list[bool] = []
    original = getattr(made, plan)

    def spy(*args, **kwargs):
        read = original(*args, **kwargs)
        calls.append(read is not None)
        return read

    setattr(made, plan, spy)
    return calls


def pages(query: SearchQuery) -> list[SearchQuery]:
    if query.sort == "relevance":
        return [dataclasses.replace(query, size=3)]
    return [dataclasses.replace(query, size=2, page=p) for p in range(1, 7)]


def loaded_with_periods(index, limits: Limits) -> MemorySearchIndex:
    """The spread notices indexed with their period indexes made; returns the reference holding the same."""
    pg_only()
    docs = spread()
    index.index_many(docs)
    index.maintain(NEWEST)
    ref = MemorySearchIndex(limits=limits)
    ref.index_many(docs)
    return ref


def test_upkeep_makes_an_index_per_quarter_and_the_next_one(index):
    pg_only()
    index.index_many(spread())
    made = index.maintain(NEWEST)
    assert made == [f"search_doc_tsm_{q}" for q in ("2026q2", "2026q1", "2025q4", "2025q3", "2025q2")]
    assert index.maintain(NEWEST) == []  # nothing twice
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_expr(i.indpred, i.indrelid), i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'search_doc_tsm_2025q4'"
        )
        predicate, valid = cursor.fetchone()
    assert valid
    assert "'2025-10-01 00:00:00+00'" in predicate
    assert "'2026-01-01 00:00:00+00'" in predicate
    # a later "now" adds the quarters up to the one after it; an invalid index is made again
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'search_doc_tsm_2025q3'::regclass")
    assert index.maintain(datetime(2026, 8, 1, tzinfo=UTC)) == [
        "search_doc_tsm_2026q4",
        "search_doc_tsm_2026q3",
        "search_doc_tsm_2025q3",
    ]
    # a stray date decades back makes no index beyond the quarters kept (ten years back from the newest)
    stray = SearchDocument(kind="notice", key="OLD", title="旧公告", published_at=datetime(1990, 5, 1, tzinfo=UTC))
    index.index_many([stray])
    made = index.maintain(datetime(2026, 8, 1, tzinfo=UTC))
    assert made[0] == "search_doc_tsm_2025q1"
    assert made[-1] == "search_doc_tsm_2016q4"  # 2026q4 and 40 quarters back
    assert len(made) == 41 - 7  # less the seven made before (2026q4 … 2025q2)


def test_the_planner_reads_a_quarter_through_its_index(index):
    """The period statements write the quarter's bounds as literals, from which the planner proves the partial
    index's predicate (a range reaching outside the quarter cannot use it). The other indexes are dropped
    inside the test's transaction so that a tiny table's costs do not decide."""
    pg_only()
    index.index_many(spread())
    index.maintain(NEWEST)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'search_document'::regclass AND NOT i.indisprimary AND NOT i.indisunique "
            "AND c.relname NOT LIKE 'search\\_doc\\_tsm\\_2%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {name}")
        cursor.execute("SET LOCAL enable_seqscan = off")

        def plan(since: str) -> str:
            cursor.execute(
                "EXPLAIN SELECT d.id FROM search_document d WHERE d.tsm @@ '施工'::tsquery AND d.public "  # noqa: S608
                f"AND d.published_at >= '{since}'::timestamptz "
                "AND d.published_at < '2026-01-01T00:00:00+00:00'::timestamptz"
            )
            return "\n".join(row[0] for row in cursor.fetchall())

        assert "search_doc_tsm_2025q4" in plan("2025-10-01T00:00:00+00:00")
        assert "search_doc_tsm_2025q4" not in plan("2025-09-30T23:59:59+00:00")


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.text}-{q.sort}")
def test_reading_by_quarter_gives_the_reference_answers(index, query):
    ref = loaded_with_periods(index, SMALL)
    walked, gave_up, without = adapter(index, margin=1e6), adapter(index, margin=1e-6), adapter(index, margin=1e6)
    walked_calls = taken(walked)
    without.periods = False
    for made in (walked, gave_up, without):
        for page in pages(query):
            assert_same(made.search(page), ref.search(page), page)
    assert walked_calls
    assert all(walked_calls)  # every sliced read went quarter by quarter


def test_a_quarter_without_its_index_falls_back_to_the_slice(index):
    ref = loaded_with_periods(index, SMALL)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX search_doc_tsm_2025q4")
    made = adapter(index, margin=1e6)
    calls = taken(made)
    deep = SearchQuery(text="施工", sort="newest", size=2, page=6)  # past 2026q1's eight matches: needs 2025q4
    assert_same(made.search(deep), ref.search(deep), deep)
    assert calls == [False]
    shallow = SearchQuery(text="施工", sort="newest", size=2, page=1)  # 2026q1 alone holds it
    assert_same(made.search(shallow), ref.search(shallow), shallow)
    assert calls == [False, True]
    # the statistics expected the page within days of the newest notice: past that, the quarters give up
    hasty = adapter(index, margin=1e-6)
    hasty_calls = taken(hasty)
    assert_same(hasty.search(deep), ref.search(deep), deep)
    assert hasty_calls == [False]


COUNTING = Limits(count_cap=4, rank_window=3, facet_cap=4, estimate_margin=1e9)  # always counted, never estimated


@pytest.mark.parametrize(
    "query",
    [*QUERIES, SearchQuery(text="松江 施工"), SearchQuery(text="学校", sort="newest")],
    ids=lambda q: f"{q.text}-{q.sort}",
)
def test_counting_past_the_cap_by_quarter_gives_the_reference_answers(index, query):
    """Past the cap the newest quarters give the window or the page and the older ones only a count; a set
    the quarters do not project past the cap (松江 施工: none) goes to the other plans."""
    ref = loaded_with_periods(index, COUNTING)
    made = type(index)(limits=COUNTING)
    made.rum, made.walk_share, made.period_count_margin = False, float("inf"), 0.0
    calls = taken(made, "_past_cap_by_period")
    for page in [dataclasses.replace(query, size=3)] if query.sort == "relevance" else pages(query)[:2]:
        assert_same(made.search(page), ref.search(page), page)
    assert calls == [not ref.search(query).total_exact] * len(calls)  # past the cap: by quarter
    assert calls

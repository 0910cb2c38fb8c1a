"""The index's statistics (documents per token and per filter value) and what the pipeline does with them:
kept exact by every write, identical on every engine, estimates instead of counts for huge match sets, and
never a wrong answer when the statistics are off (docs/search.md, "Statistics and estimated totals")."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.platform.search.backends.base import Limits
from yiwang.platform.search.backends.memory import MemorySearchIndex
from yiwang.platform.search.domain.documents import SearchDocument, SearchQuery, estimated_display, region_range
from yiwang.platform.search.domain.estimate import IndexStats, estimate, rounded
from yiwang.platform.search.domain.matching import CompiledQuery, matches
from yiwang.platform.search.domain.segment import Clause
from yiwang.platform.search.index import deferred_statistics, index_document, remove_document
from yiwang.platform.search.tests.conftest import T, make_doc
from yiwang.platform.search.tests.test_index import QUERIES, assert_same

WORDS = ["闵行", "施工", "公告", "招标", "保证金", "桥", "sh2026", "不存在"]
SMALL = Limits(count_cap=2, rank_window=3, facet_cap=2)


def stats_of(index, words=WORDS) -> IndexStats:
    return index._statistics(words)


def all_stats(index) -> dict[tuple[str, str], int]:
    with connection.cursor() as cur:
        cur.execute("SELECT field, value, n FROM search_stat WHERE n <> 0")
        return {(f, v): n for f, v, n in cur.fetchall()}


# -- kept exact by writes, the same as the reference --------------------------------------------------------
@pytest.mark.django_db
def test_statistics_match_the_reference_after_every_kind_of_write(index, corpus):
    ref = MemorySearchIndex()
    index.index_many(corpus)
    ref.index_many(corpus)
    assert stats_of(index) == stats_of(ref)
    assert stats_of(index).documents == len(corpus)
    # replace some documents (other words, other region, now private), remove others
    changed = [
        dataclasses.replace(d, title="浦东新区保洁服务项目成交公告", body="施工", region="310115", public=False)
        for d in corpus[:4]
    ]
    index.index_many(changed)
    ref.index_many(changed)
    for doc in corpus[4:7]:
        assert remove_document(doc.kind, doc.key)
        ref.remove(doc.kind, doc.key)
    assert stats_of(index) == stats_of(ref)
    assert stats_of(index).documents == len(corpus) - 3


@pytest.mark.django_db
def test_incremental_statistics_equal_a_recount(index, corpus):
    index.index_many(corpus)
    index.index_many([dataclasses.replace(d, body=d.body + " 流标") for d in corpus[::2]])
    index.remove(corpus[1].kind, corpus[1].key)
    kept = all_stats(index)
    index.recount_stats()
    assert all_stats(index) == kept
    assert index.check().problems == ()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_the_statistics_alone(index, corpus):
    index.index_many(corpus[:5])
    before = all_stats(index)

    def failing_action() -> None:
        with transaction.atomic():
            index.index_many(corpus[5:])
            index.remove(corpus[0].kind, corpus[0].key)
            raise RuntimeError("the action fails")

    with pytest.raises(RuntimeError):
        failing_action()
    assert all_stats(index) == before


@pytest.mark.django_db
def test_check_reports_statistics_that_drifted(index, corpus):
    index.index_many(corpus)
    with connection.cursor() as cur:
        cur.execute("UPDATE search_stat SET n = n + 1 WHERE field = 'corpus'")
    assert any("statistics" in p for p in index.check().problems)
    index.recount_stats()
    assert index.check().problems == ()


# -- estimated totals --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_huge_match_set_gets_an_estimated_total_and_the_same_hits(index, corpus):
    row = ("", "", "施工招标", "310112", "gc", "tender", 0, 100, True, "notice")
    many = [make_doc((f"E{i:03d}", f"闵行区道路养护工程招标公告{i}", *row[2:6], i % 30, *row[7:])) for i in range(60)]
    index.index_many([*corpus, *many])
    ref = MemorySearchIndex(limits=Limits(count_cap=10, rank_window=8, facet_cap=10))
    ref.index_many([*corpus, *many])
    small = type(index)(limits=Limits(count_cap=10, rank_window=8, facet_cap=10))
    for sort in ("relevance", "newest"):
        query = SearchQuery(text="招标", sort=sort, size=8)  # the whole window: tiers compare as sets
        got, want = small.search(query), ref.search(query)
        assert got.total_estimated
        assert not got.total_exact
        assert got.total > 10
        assert got.total_display.startswith("约 ")
        assert got.facets is None
        assert_same(got, want, query)
        assert got.total == want.total
    # counted, not estimated, when the margin is never reached
    counted = type(index)(limits=Limits(count_cap=10, rank_window=8, facet_cap=10, estimate_margin=1e9))
    page = counted.search(SearchQuery(text="招标"))
    assert (page.total, page.total_exact, page.total_estimated, page.total_display) == (10, False, False, "10+")


@pytest.mark.django_db
@pytest.mark.parametrize("factor", [0, 1000], ids=["say-nothing-matches", "say-everything-matches"])
def test_wrong_statistics_never_change_the_answer(index, corpus, factor):
    """Statistics that are off (a bug, a write behind the index's back) cost time, never correctness: an
    upper bound too low is caught by the fetch (more than the cap came back), an estimate too high by the
    walk (fewer than wanted came back)."""
    index.index_many(corpus)
    ref = MemorySearchIndex(limits=SMALL)
    ref.index_many(corpus)
    with connection.cursor() as cur:
        cur.execute("UPDATE search_stat SET n = n * %s", [factor])
    adapter = type(index)(limits=SMALL)
    for query in QUERIES[:24]:
        for bounded in (
            dataclasses.replace(query, sort="relevance", size=3),
            dataclasses.replace(query, sort="newest", size=1, page=2),
        ):
            got, want = adapter.search(bounded), ref.search(bounded)
            assert sorted(h.key for h in got.hits) == sorted(h.key for h in want.hits), bounded


@pytest.mark.django_db
def test_the_total_is_exact_when_the_estimate_was_far_too_high(index):
    """The independence assumption fails for words that never occur together: the walk then finds fewer
    matches than wanted, and the pipeline counts after all."""
    docs = [
        SearchDocument(kind="notice", key=f"A{i}", title=f"道路工程公告{i}", published_at=T, region="310112")
        for i in range(30)
    ] + [
        SearchDocument(kind="notice", key=f"B{i}", title=f"绿化项目公告{i}", published_at=T, region="310115")
        for i in range(30)
    ]
    index.index_many(docs)
    adapter = type(index)(limits=Limits(count_cap=2, rank_window=3, facet_cap=2, estimate_margin=1.0))
    page = adapter.search(SearchQuery(text="道路 绿化", sort="newest"))
    assert (page.total, page.total_exact, page.hits) == (0, True, ())
    page = adapter.search(SearchQuery(text="道路", region="310115"))
    assert (page.total, page.total_exact) == (0, True)


# -- the pure estimate ----------------------------------------------------------------------------------
TOKENS = ["a", "b", "c", "d", "e"]
docs_strategy = st.lists(
    st.tuples(st.frozensets(st.sampled_from(TOKENS)), st.booleans(), st.sampled_from(["310112", "310115"])),
    max_size=40,
)
clauses_strategy = st.lists(
    st.builds(Clause, st.sampled_from(TOKENS), st.lists(st.sampled_from(TOKENS), max_size=2).map(tuple)),
    min_size=1,
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(docs_strategy, clauses_strategy, st.sampled_from(["", "310000", "310112"]), st.booleans())
def test_the_upper_bound_is_never_below_the_true_count(docs, clauses, region, include_private):
    stats = IndexStats(
        documents=len(docs),
        df={t: sum(1 for tokens, _, _ in docs if t in tokens) for t in TOKENS},
        fields={
            "public": {"1": sum(p for _, p, _ in docs), "0": sum(not p for _, p, _ in docs)},
            "region": {r: sum(1 for _, _, x in docs if x == r) for r in ("310112", "310115")},
        },
    )
    compiled = CompiledQuery(tuple(clauses))
    query = SearchQuery(text="x", region=region, include_private=include_private)
    lo, hi = region_range(region) if region else ("", "999999")
    true = sum(
        1 for tokens, public, r in docs if matches(compiled, tokens) and (public or include_private) and lo <= r <= hi
    )
    got = estimate(compiled, query, stats)
    assert got.upper >= true
    # the words alone (PostgreSQL's RUM plan sorts all their matches, whatever the filters)
    assert got.text_upper >= sum(1 for tokens, _, _ in docs if matches(compiled, tokens))
    assert got.text_upper >= got.upper
    assert got.expected is not None
    assert 0 <= got.expected <= len(docs)


def test_ranges_without_statistics_give_no_estimate():
    stats = IndexStats(documents=10, df={"a": 5}, fields={"public": {"1": 10}})
    compiled = CompiledQuery((Clause("a"),))
    assert estimate(compiled, SearchQuery(text="a", min_amount_fen=1), stats).expected is None
    assert estimate(compiled, SearchQuery(text="a", published_from=T), stats).expected is None
    assert estimate(compiled, SearchQuery(text="a"), stats).expected == 5
    assert estimate(compiled, SearchQuery(text="a"), IndexStats(documents=0)).upper == 0


def test_estimates_read_as_rounded_chinese_numbers():
    assert [rounded(v) for v in (7, 99, 123, 512_345, 1_049_999)] == [7, 99, 120, 510_000, 1_000_000]
    assert estimated_display(510_000) == "约 51 万"
    assert estimated_display(12_000) == "约 1.2 万"
    assert estimated_display(10_000) == "约 1 万"
    assert estimated_display(3_200) == "约 3200"


# -- statistics summed per transaction (deferred_statistics) ------------------------------------------------
def stat_upserts(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith("INSERT INTO search_stat"))


@pytest.mark.django_db(transaction=True)
def test_deferred_statistics_sum_many_writes_into_one_upsert_pass(index, corpus):
    ref = MemorySearchIndex()
    ref.index_many(corpus)
    with CaptureQueriesContext(connection) as captured, deferred_statistics():
        for doc in corpus:  # one call per document, as a push of records does
            index_document(doc)
        replaced = dataclasses.replace(corpus[0], title="浦东新区保洁服务项目成交公告", region="310115")
        index_document(replaced)
        assert remove_document(corpus[1].kind, corpus[1].key)
        assert all_stats(index) == {}  # nothing applied yet: one pass at the end
    ref.index_many([replaced])
    ref.remove(corpus[1].kind, corpus[1].key)
    # one sorted pass (a statement per 500 counters) instead of one per write
    assert len(corpus) > 10
    assert stat_upserts(captured.captured_queries) <= 2
    assert stats_of(index) == stats_of(ref)
    # the same as applying every write on its own
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        for doc in corpus[:3]:
            index_document(dataclasses.replace(doc, body=doc.body + " 保证金"))
    assert stat_upserts(captured.captured_queries) == 3
    ref.index_many([dataclasses.replace(doc, body=doc.body + " 保证金") for doc in corpus[:3]])
    assert stats_of(index) == stats_of(ref)


@pytest.mark.django_db(transaction=True)
def test_deferred_statistics_leave_out_writes_of_a_rolled_back_savepoint(index, corpus):
    ref = MemorySearchIndex()
    kept = [doc for i, doc in enumerate(corpus) if i % 3]
    ref.index_many(kept)
    with deferred_statistics():
        for i, doc in enumerate(corpus):
            try:
                with transaction.atomic():  # one record's own savepoint; every third one fails after indexing
                    index_document(doc)
                    with deferred_statistics():  # nested: joins the outer block
                        index_document(doc)
                    if i % 3 == 0:
                        raise RuntimeError("this record is refused")
            except RuntimeError:
                pass
    assert index.count() == len(kept)
    assert stats_of(index) == stats_of(ref)
    assert all_stats(index) == all_stats_of_recount(index)


@pytest.mark.django_db(transaction=True)
def test_a_failing_deferred_block_leaves_nothing(index, corpus):
    index.index_many(corpus[:5])
    before = all_stats(index)

    def failing_push() -> None:
        with deferred_statistics():
            index.index_many(corpus[5:])
            remove_document(corpus[0].kind, corpus[0].key)
            raise RuntimeError("the push fails")

    with pytest.raises(RuntimeError):
        failing_push()
    assert index.count() == 5
    assert all_stats(index) == before
    # and the next block starts clean
    with deferred_statistics():
        index.index_many(corpus[5:])
    assert all_stats(index) == all_stats_of_recount(index)


def all_stats_of_recount(index) -> dict[tuple[str, str], int]:
    with transaction.atomic():
        saved = all_stats(index)
        index.recount_stats()
        recounted = all_stats(index)
        transaction.set_rollback(True)
    assert all_stats(index) == saved
    return recounted

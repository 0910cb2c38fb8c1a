"""The shared suite: the adapter of the database in use (SQLite FTS5 or PostgreSQL) against the reference.

"Same results" (docs/search.md): for every query, both engines — and the in-memory reference — return the
same total (and whether it is exact), the same facet counts, and

* ``newest`` / browse: the same hits in the same order;
* ``relevance``: the same hits with the same tier (title matches) sequence; within one tier the order
  follows the engine's own score (bm25 / ts_rank_cd), so only the set per tier is compared.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from itertools import groupby

import pytest
from django.db import connection, transaction

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.actions import action
from yiwang.platform.search.backends.base import Limits
from yiwang.platform.search.backends.memory import MemorySearchIndex
from yiwang.platform.search.domain.documents import SearchDocument, SearchPage, SearchQuery
from yiwang.platform.search.index import index_document, rebuild_index, remove_document
from yiwang.platform.search.queries import search_for
from yiwang.platform.search.sources import Source, use_sources
from yiwang.platform.search.tests.conftest import ROWS, TEST_ACTORS, T, has_rum, make_doc

pytestmark = pytest.mark.django_db

QUERIES = [
    SearchQuery(text="闵行"),
    SearchQuery(text="闵行区"),
    SearchQuery(text="闵行 施工"),
    SearchQuery(text="招标公告"),
    SearchQuery(text="招标"),
    SearchQuery(text="中标候选人"),
    SearchQuery(text="浦东新区 挂牌"),
    SearchQuery(text="浦东"),
    SearchQuery(text="SH2026-0012"),
    SearchQuery(text="sh2026"),
    SearchQuery(text="12310000MB2F32186D-20260226-000031-K"),
    SearchQuery(text="bridge"),
    SearchQuery(text="桥"),
    SearchQuery(text="电子保函"),
    SearchQuery(text="碳排放配额"),
    SearchQuery(text="司法拍卖"),
    SearchQuery(text="流标"),
    SearchQuery(text="不存在的词语组合"),
    SearchQuery(text="！！！"),
    SearchQuery(text="工程", region="310112"),
    SearchQuery(text="公告", region="310000", categories=("gc",)),
    SearchQuery(text="公告", published_from=T - timedelta(days=10), published_to=T - timedelta(days=3)),
    SearchQuery(text="工程", min_amount_fen=400_000_000, max_amount_fen=3_000_000_000),
    SearchQuery(text="施工", include_private=True),
    SearchQuery(text="施工", include_private=True, private_regions=("310112",)),
    SearchQuery(),
    SearchQuery(region="310112"),
    SearchQuery(stages=("result",), kinds=("notice",)),
    SearchQuery(categories=("zfcg", "tdky")),
    SearchQuery(include_private=True),
]


def assert_same(got: SearchPage, want: SearchPage, query: SearchQuery) -> None:
    assert (got.total, got.total_exact) == (want.total, want.total_exact), query
    assert got.facets == want.facets, query
    assert got.terms == want.terms
    if query.sort == "newest" or query.is_browse:
        assert [h.key for h in got.hits] == [h.key for h in want.hits], query
    else:
        assert [h.tier for h in got.hits] == [h.tier for h in want.hits], query

        def groups(page: SearchPage) -> list[set[str]]:
            return [{h.key for h in hits} for _, hits in groupby(page.hits, key=lambda h: h.tier)]

        assert groups(got) == groups(want), query


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.text or 'browse'}")
@pytest.mark.parametrize("sort", ["relevance", "newest"])
def test_same_results_as_the_reference(loaded, reference, query, sort):
    query = dataclasses.replace(query, sort=sort, size=100)
    assert_same(loaded.search(query), reference.search(query), query)


@pytest.mark.parametrize(
    ("ordered", "tags", "probe_cost", "slice_margin", "rum"),
    [
        (True, True, 1.0, 1.0, False),
        (True, False, 1.0, 1.0, False),
        (False, False, 1e-6, 1e-3, False),
        (False, False, 1e6, 0.0, False),
        (False, False, 1.0, 1.0, True),
    ],
    ids=["ordered", "ordered-sql-filters", "walk", "sort", "rum"],
)
@pytest.mark.parametrize("query", QUERIES[:24], ids=lambda q: f"{q.text or 'browse'}")
def test_every_plan_gives_the_same_results(loaded, corpus, query, ordered, tags, probe_cost, slice_margin, rum):
    """With a tiny count cap every match set counts as large; SQLite then walks FTS5 in rowid (publication)
    order, or walks the date index (EXISTS per row), or sorts the match set; PostgreSQL takes a newest slice
    of time that holds the page, or one too small (then the whole range), or none — on GIN — or reads the
    RUM index in publication order. The answers must not change."""
    if rum and not has_rum(loaded):
        pytest.skip("the RUM plan exists on PostgreSQL with the rum extension only")
    limits = Limits(count_cap=2, rank_window=3, facet_cap=2)
    adapter = type(loaded)(limits=limits)
    adapter.ordered_walk = ordered  # SQLite: the FTS5 rowid walk, or the older plans (PostgreSQL: unused)
    adapter.filter_tags = tags  # SQLite: filters as FTS5 tags where they can be (PostgreSQL: unused)
    adapter.probe_cost = probe_cost  # SQLite: always walk, or always sort the match set (PostgreSQL: unused)
    adapter.slice_margin, adapter.slice_max_share = slice_margin, float("inf")  # PostgreSQL (SQLite: unused)
    adapter.walk_share = float("inf")  # PostgreSQL: slices even for dense words
    adapter.rum, adapter.rum_max_matches = rum, float("inf")  # PostgreSQL: the RUM scan always, or GIN only
    ref = MemorySearchIndex(limits=limits)
    ref.index_many(corpus)
    # relevance: the whole window on one page (the order inside a tier is the engine's); newest: page by page
    for bounded in (
        dataclasses.replace(query, sort="relevance", size=3),
        dataclasses.replace(query, sort="newest", size=1, page=1),
        dataclasses.replace(query, sort="newest", size=1, page=2),
    ):
        assert_same(adapter.search(bounded), ref.search(bounded), bounded)


def test_paging_is_the_same_as_the_reference(loaded, reference):
    for sort in ("relevance", "newest"):
        for page in (1, 2, 3, 4):
            query = SearchQuery(text="公告", sort=sort, size=5, page=page)
            got, want = loaded.search(query), reference.search(query)
            if sort == "newest":
                assert [h.key for h in got.hits] == [h.key for h in want.hits]
            assert [h.tier for h in got.hits] == [h.tier for h in want.hits]
            assert got.max_page == want.max_page


# -- expectations written out (so the reference itself is checked) -----------------------------------
def keys(page: SearchPage) -> list[str]:
    return [h.key for h in page.hits]


def test_district_short_name_finds_full_name(loaded):
    page = loaded.search(SearchQuery(text="闵行", sort="newest"))
    assert keys(page) == ["N01", "N02", "N07", "N09", "N18"]  # public ones only; N20 is in English
    assert all("<mark>闵行</mark>" in h.title_html for h in page.hits)
    assert keys(loaded.search(SearchQuery(text="闵行区", sort="newest"))) == keys(page)


def test_relevance_puts_title_matches_first(loaded):
    page = loaded.search(SearchQuery(text="保证金"))
    # N04 and N06 say 保证金 in the body only; N01 body only too; none in a title: then newest first by score
    assert set(keys(page)) == {"N01", "N04", "N06"}
    page = loaded.search(SearchQuery(text="中标候选人"))
    assert keys(page)[0] == "N02"  # in the title (and the body)
    assert page.hits[0].tier == 1
    assert page.hits[0].score is not None


def test_codes_and_latin_words_are_findable(loaded):
    assert keys(loaded.search(SearchQuery(text="SH2026-0012"))) == ["N01"]
    assert keys(loaded.search(SearchQuery(text="ＳＨ２０２６－００１２"))) == ["N01"]  # full-width
    assert set(keys(loaded.search(SearchQuery(text="sh2026")))) == {"N01", "N20"}
    assert keys(loaded.search(SearchQuery(text="12310000MB2F32186D-20260226-000031-K"))) == ["N05"]
    assert keys(loaded.search(SearchQuery(text="000031"))) == ["N05"]
    assert keys(loaded.search(SearchQuery(text="Bridge repair"))) == ["N20"]
    page = loaded.search(SearchQuery(text="SH2026-0012"))
    assert "<mark>SH2026-0012</mark>" in page.hits[0].snippet_html


def test_single_character_finds_titles(loaded):
    # every character of a title is indexed: 桥 finds 大桥, 南桥, 城桥, 颛桥 (words of their own otherwise)
    expected = [r[0] for r in sorted(ROWS, key=lambda r: r[6]) if r[8] and "桥" in r[1]]
    assert keys(loaded.search(SearchQuery(text="桥", sort="newest"))) == expected == ["N09", "N13", "N17", "N18"]
    # bodies are indexed by words only: 梁 (inside 桥梁 in N09's body) is not found (docs/search.md)
    assert loaded.search(SearchQuery(text="梁")).total == 0
    assert keys(loaded.search(SearchQuery(text="桥梁"))) == ["N09"]


def test_region_prefix_covers_districts(loaded):
    assert loaded.search(SearchQuery(region="310000")).total == 19  # public with a Shanghai region (N05 has none)
    assert keys(loaded.search(SearchQuery(region="310115", sort="newest"))) == ["N03", "N04"]
    with pytest.raises(InvalidInput) as exc:
        loaded.search(SearchQuery(region="31011"))
    assert exc.value.code == "search.bad_region"


def test_date_and_amount_ranges(loaded):
    page = loaded.search(
        SearchQuery(published_from=T - timedelta(days=3), published_to=T - timedelta(days=1), sort="newest")
    )
    assert keys(page) == ["N02", "N03"]  # from inclusive, to exclusive
    page = loaded.search(SearchQuery(min_amount_fen=2_380_000_000, max_amount_fen=5_600_000_000, sort="newest"))
    assert keys(page) == ["N21", "N17", "N18"]  # inclusive bounds; documents without an amount never match


def test_private_documents_need_a_privileged_caller(loaded):
    anonymous = search_for(Actor.anonymous(), SearchQuery(text="施工", include_private=True, size=100))
    assert not {"N11", "N12"} & set(keys(anonymous))
    assert all(h.public for h in anonymous.hits)
    entity = search_for(TEST_ACTORS["entity-user"], SearchQuery(text="施工", include_private=True))
    assert not {"N11", "N12"} & set(keys(entity))
    staff = search_for(TEST_ACTORS["staff-minhang"], SearchQuery(text="施工", include_private=True, size=100))
    assert "N11" in keys(staff)
    assert "N12" not in keys(staff)
    regulator = search_for(TEST_ACTORS["regulator-all"], SearchQuery(text="施工", include_private=True, size=100))
    assert {"N11", "N12"} <= set(keys(regulator))
    # without asking, privileged callers see public documents only
    assert "N11" not in keys(search_for(TEST_ACTORS["regulator-all"], SearchQuery(text="施工", size=100)))


def test_highlights_escape_what_documents_say(index):
    evil = SearchDocument(
        kind="notice",
        key="X1",
        title='<script>alert("闵行")</script>闵行区招标公告',
        body='<img src=x onerror="alert(1)"> 闵行区 & 浦东',
        published_at=T,
    )
    index.index(evil)
    hit = index.search(SearchQuery(text="闵行")).hits[0]
    assert "<script>" not in hit.title_html
    assert "&lt;script&gt;" in hit.title_html
    assert "<img" not in hit.snippet_html
    assert "&lt;img" in hit.snippet_html
    assert hit.title_html.endswith("<mark>闵行</mark>区招标公告")
    assert "&amp;" in hit.snippet_html


# -- writes -----------------------------------------------------------------------------------------------
def test_upsert_replaces_and_remove_deletes(index, corpus):
    index.index_many(corpus)
    before = index.count()
    changed = dataclasses.replace(corpus[0], title="上海市闵行区莘庄中学改扩建工程施工中标结果公告")
    index.index(changed)
    assert index.count() == before
    page = index.search(SearchQuery(text="莘庄", sort="newest"))
    assert [h.title for h in page.hits] == [changed.title]
    assert index.search(SearchQuery(text="中标结果 莘庄")).total == 1
    assert index.remove("notice", "N01") is True
    assert index.remove("notice", "N01") is False
    assert index.search(SearchQuery(text="莘庄")).total == 0
    assert index.count() == before - 1
    assert index.check().ok, index.check().problems


def test_a_batch_with_the_same_key_twice_keeps_the_last(index, corpus):
    index.index_many([corpus[0], dataclasses.replace(corpus[0], title="第二版标题 临港")])
    assert index.count() == 1
    assert index.search(SearchQuery(text="临港")).total == 1


def test_rolled_back_writes_leave_nothing(index, corpus, system):
    def failing_transaction() -> None:
        with transaction.atomic():
            index_document(corpus[0])
            assert index.search(SearchQuery(text="莘庄")).total == 1  # visible inside the transaction
            raise RuntimeError("the action failed")

    def failing_action() -> None:
        with action(system, "search.index_test_document") as act:
            index_document(corpus[1])
            act.witness(("search.document", corpus[1].key), {"title": corpus[1].title})
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError):
        failing_transaction()
    assert index.count() == 0
    assert index.search(SearchQuery(text="莘庄")).total == 0
    assert index.check().ok
    with pytest.raises(RuntimeError):
        failing_action()
    assert index.count() == 0
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM search_fts")
            assert cur.fetchone()[0] == 0


def test_index_inside_an_action_commits_with_it(index, corpus, system):
    with action(system, "search.index_test_document") as act:
        index_document(corpus[0])
        act.witness(("search.document", corpus[0].key), {"title": corpus[0].title})
    assert index.search(SearchQuery(text="莘庄")).total == 1
    remove_document("notice", "N01")
    assert index.count() == 0


def test_rebuild_refeeds_sources_and_drops_stale_documents(index, corpus):
    index.index_many(corpus)
    index.index(SearchDocument(kind="entity", key="E1", title="上海某建设集团有限公司", published_at=T))
    notices = [d for d in corpus if d.kind == "notice"][:5]
    changed = dataclasses.replace(notices[0], title="已更新的标题 奉贤")
    source = Source("test-notices", ("notice",), lambda: [changed, *notices[1:]])
    with use_sources(source):
        report = rebuild_index()
    assert report.indexed == 5
    assert report.sources == {"test-notices": 5}
    assert report.removed == len([d for d in corpus if d.kind == "notice"]) - 5
    kinds = sorted((h.kind, h.key) for h in index.search(SearchQuery(size=100, include_private=True)).hits)
    assert ("entity", "E1") in kinds  # not owned by the source: left alone
    assert ("project", "N11") in kinds
    assert len([k for k in kinds if k[0] == "notice"]) == 5
    assert index.search(SearchQuery(text="奉贤")).hits[0].key == notices[0].key
    assert index.check().ok


def test_a_source_may_only_yield_its_kinds(index, corpus):
    bad = Source("bad", ("project",), lambda: corpus[:1])
    with use_sources(bad), pytest.raises(ValueError, match="yielded kind"):
        rebuild_index()


# -- bounds ---------------------------------------------------------------------------------------------
def test_totals_are_exact_up_to_the_cap(loaded):
    # (an infinite margin: always count, never estimate — tests/test_stats.py covers estimated totals)
    small = type(loaded)(limits=Limits(count_cap=5, rank_window=4, facet_cap=5, estimate_margin=float("inf")))
    page = small.search(SearchQuery(text="公告", size=2))
    assert page.total == 5
    assert not page.total_exact
    assert page.total_display == "5+"
    assert page.facets is None
    assert page.max_page == 2  # ranking is bounded to the newest 4 matches
    ranked = [h.key for p in (1, 2) for h in small.search(SearchQuery(text="公告", size=2, page=p)).hits]
    newest = [h.key for h in small.search(SearchQuery(text="公告", size=4, sort="newest")).hits]
    assert sorted(ranked) == sorted(newest)  # the ranked window is the newest matches
    with pytest.raises(InvalidInput) as exc:
        small.search(SearchQuery(text="公告", size=2, page=3))
    assert exc.value.code == "search.page_too_deep"
    assert exc.value.details["max_page"] == 2
    assert small.search(SearchQuery(text="流标")).total_exact


def test_paging_bounds(loaded):
    bad = [({"size": 0}, "search.bad_size"), ({"size": 101}, "search.bad_size"), ({"page": 0}, "search.bad_page")]
    for kwargs, code in bad:
        with pytest.raises(InvalidInput) as exc:
            SearchQuery(text="公告", **kwargs)
        assert exc.value.code == code
    last = loaded.search(SearchQuery(sort="newest", size=7, page=3))
    assert len(last.hits) == 6
    assert last.max_page == 3
    assert not last.has_next
    assert loaded.search(SearchQuery(sort="newest", size=7, page=4)).hits == ()


def test_same_instant_is_ordered_by_the_stable_tiebreak(index):
    docs = [SearchDocument(kind="notice", key=f"S{i}", title=f"同时发布的公告{i}", published_at=T) for i in range(6)]
    index.index_many(docs)
    page = index.search(SearchQuery(text="公告", sort="newest"))
    assert keys(page) == [d.key for d in sorted(docs, key=lambda d: d.tiebreak, reverse=True)]


def test_facets_count_the_match_set(loaded):
    page = loaded.search(SearchQuery(text="公告"))
    regions = {f.value: f.count for f in page.facets["region"]}
    assert regions["310112"] == sum(1 for r in ROWS if r[3] == "310112" and r[8] and "公告" in r[1] + r[2])
    assert sum(f.count for f in page.facets["category"]) == page.total


def test_documents_are_validated():
    cases = [
        ({"kind": "Notice"}, "search.bad_kind"),
        ({"key": ""}, "search.bad_key"),
        ({"title": "  "}, "search.bad_title"),
        ({"url": "javascript:alert(1)"}, "search.bad_url"),
        ({"region": "999999"}, "search.bad_region"),
        ({"amount_fen": -1}, "search.bad_amount"),
        ({"category": "工程"}, "search.bad_category"),
    ]
    for change, code in cases:
        fields = {"kind": "notice", "key": "K", "title": "标题", "published_at": T, **change}
        with pytest.raises(InvalidInput) as exc:
            SearchDocument(**fields)
        assert exc.value.code == code, change
    with pytest.raises(InvalidInput) as exc:
        SearchDocument(kind="notice", key="K", title="t", published_at=T.replace(tzinfo=None))
    assert exc.value.code == "search.bad_published_at"


def test_make_doc_shift_helper_keeps_keys():
    assert make_doc(ROWS[0], shift=timedelta(hours=1)).key == "N01"


def test_a_search_leaves_the_callers_transaction_settings_alone(loaded):
    with transaction.atomic(), connection.cursor() as cur:
        loaded.search(SearchQuery(text="公告"))
        if connection.vendor == "postgresql":
            cur.execute("SHOW enable_seqscan")
            assert cur.fetchone()[0] == "on"
        assert loaded.search(SearchQuery(text="公告")).total > 0


def test_the_management_command(index, corpus):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    with use_sources(Source("test-notices", ("notice", "project"), lambda: corpus)):
        call_command("search", "rebuild", stdout=out)
    assert f"indexed {len(corpus)}, removed 0, total {len(corpus)}" in out.getvalue()
    call_command("search", "check", stdout=out)
    assert f"ok: {len(corpus)} documents" in out.getvalue()
    call_command("search", "query", "闵行", "--sort", "newest", stdout=out)
    assert "[notice:N01]" in out.getvalue()
    if connection.vendor == "sqlite":  # break the index on purpose: check must say so
        with connection.cursor() as cur:
            cur.execute("DELETE FROM search_fts WHERE rowid = (SELECT min(fts_rowid) FROM search_document)")
        with pytest.raises(CommandError, match="full-text rows"):
            call_command("search", "check", stdout=out)

"""``GET /api/v1/search`` and the page ``/search/``: results, error codes, visibility, highlights."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.platform.search.domain.documents import SearchDocument
from yiwang.platform.search.tests.conftest import TEST_ACTORS, T

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yiwang.platform.search.tests.urls")]


def test_search_returns_highlighted_hits(api, loaded, test_resolver):
    response = api.get("/search", {"q": "闵行 施工", "sort": "relevance"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total_exact"] is True
    assert body["total_estimated"] is False
    assert set(body["terms"]) == {"闵行", "施工"}
    first = body["hits"][0]
    assert {"kind", "key", "title", "title_html", "snippet_html", "url", "published_at", "score", "tier"} <= set(first)
    assert "<mark>闵行</mark>" in first["title_html"]
    assert {h["key"] for h in body["hits"][:2]} == {"N01", "N09"}  # both words in the title: tier 2
    assert [h["tier"] for h in body["hits"][:2]] == [2, 2]
    assert body["facets"]["region"] == [{"value": "310112", "count": len(body["hits"])}]


def test_filters_in_the_query_string(api, loaded, test_resolver):
    body = api.get(
        "/search",
        {
            "q": "公告",
            "region": "310000",
            "category": ["gc"],
            "stage": "tender",
            "from": "2026-02-20",
            "to": "2026-03-01",
            "sort": "newest",
        },
    ).json()
    found = [h["key"] for h in body["hits"]]
    assert set(found[:2]) == {"N21", "N01"}
    assert found[2:] == ["N08", "N09"]
    body = api.get("/search", {"min_amount": 2_380_000_000, "max_amount": 5_600_000_000, "sort": "newest"}).json()
    assert [h["key"] for h in body["hits"]] == ["N21", "N17", "N18"]
    body = api.get("/search", {"kind": "project", "private": "false"}).json()
    assert body["total"] == 0


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "闵" * 101}, "search.query_too_long"),
        ({"from": "2026-03-02", "to": "2026-03-01"}, "search.bad_range"),
        ({"min_amount": 10, "max_amount": 5}, "search.bad_range"),
        ({"min_amount": -1}, "search.bad_amount"),
        ({"region": "31011"}, "search.bad_region"),
        ({"sort": "popular"}, "search.bad_sort"),
        ({"size": 101}, "search.bad_size"),
        ({"page": 0}, "search.bad_page"),
        ({"q": "公告", "page": 51}, "search.page_too_deep"),
        ({"page": 501}, "search.page_too_deep"),
        ({"kind": "Notice"}, "search.bad_kind"),
        ({"from": "2026-13-01"}, "request.invalid"),
    ],
)
def test_bad_requests_have_specific_codes(api, db, test_resolver, params, code):
    response = api.get("/search", params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == code
    assert body["message_zh"]
    assert body["message_en"]


def test_private_documents_are_never_shown_to_anonymous_callers(api, loaded, test_resolver):
    body = api.get("/search", {"q": "施工", "size": 100}).json()
    assert not {"N11", "N12"} & {h["key"] for h in body["hits"]}
    response = api.get("/search", {"q": "施工", "private": "true"})
    assert response.status_code == 403
    assert response.json()["code"] == "search.private_forbidden"
    response = api.with_token("entity-user").get("/search", {"q": "施工", "private": "true"})
    assert response.status_code == 403
    assert api.with_token("nonsense").get("/search", {"q": "施工"}).status_code == 401


def test_privileged_callers_see_private_documents_of_their_regions(api, loaded, test_resolver):
    staff = api.with_token("staff-minhang").get("/search", {"q": "施工", "private": "true", "size": 100}).json()
    assert "N11" in {h["key"] for h in staff["hits"]}
    assert "N12" not in {h["key"] for h in staff["hits"]}
    hidden = next(h for h in staff["hits"] if h["key"] == "N11")
    assert hidden["public"] is False
    regulator = api.with_token("regulator-all").get("/search", {"q": "施工", "private": "true", "size": 100}).json()
    assert {"N11", "N12"} <= {h["key"] for h in regulator["hits"]}


def test_openapi_documents_the_operation(db):
    from yiwang.platform.search.tests.urls import api

    spec = api.get_openapi_schema()
    operation = spec["paths"]["/api/v1/search"]["get"]
    assert {"200", "401", "403", "404", "422"} <= {str(code) for code in operation["responses"]}
    assert {"q", "region", "from", "to", "min_amount", "max_amount", "sort", "page"} <= {
        p["name"] for p in operation["parameters"]
    }


# -- the page ------------------------------------------------------------------------------------------------
def test_page_renders_results_with_marks(client, loaded, test_resolver):
    response = client.get("/search/", {"q": "闵行"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>闵行</mark>" in html
    assert "一网尽览" in html
    assert 'name="viewport"' in html
    assert 'hx-get="/search/"' in html
    assert 'hx-target="#yw-search-results"' in html
    assert "莘庄中学" in html
    assert "未公开的" not in html


def test_htmx_gets_only_the_results(client, loaded, test_resolver):
    response = client.get("/search/", {"q": "浦东", "sort": "newest"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "<mark>浦东</mark>" in html
    assert html.index("N03") < html.index("N04")


def test_page_shows_errors_and_escapes_input(client, loaded, test_resolver):
    response = client.get("/search/", {"q": "<script>x</script>", "from": "2026-03-05", "to": "2026-03-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "起始日期不能晚于截止日期" in html
    assert "<script>x</script>" not in html
    response = client.get("/search/", {"min": "abc"})
    assert "金额须为非负数" in response.content.decode()


def test_page_paginates_and_filters(client, loaded, index, test_resolver):
    html = client.get("/search/", {"region": "310112", "sort": "newest", "page": "2"}).content.decode()
    assert "共 6 条结果" in html  # N01 N02 N07 N09 N18 N20
    html = client.get("/search/", {"q": "公告"}).content.decode()
    assert 'aria-label="分页"' not in html  # one page only
    index.index_many(
        SearchDocument(kind="notice", key=f"M{i}", title=f"批量公告{i}", published_at=T - timedelta(days=30 + i))
        for i in range(10)
    )
    many = client.get("/search/", {}).content.decode()
    assert "下一页" in many
    assert "page=2" in many


def test_page_offers_private_documents_to_privileged_sessions(client, loaded, test_resolver):
    test_resolver.session_actor = TEST_ACTORS["staff-minhang"]
    html = client.get("/search/", {"q": "施工", "private": "1"}).content.decode()
    assert "含未公开文档" in html
    assert "闵行区内部审核中的项目" in html
    assert "浦东新区尚未公开" not in html
    test_resolver.session_actor = TEST_ACTORS["entity-user"]
    html = client.get("/search/", {"q": "施工", "private": "1"}).content.decode()
    assert "含未公开文档" not in html
    assert "内部审核中" not in html

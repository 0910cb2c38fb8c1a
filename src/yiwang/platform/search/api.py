"""``GET /api/v1/search``: 一网尽览, one search over every notice and project (public; private documents only
for staff, regulators and auditors who ask for them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from yiwang.kernel.errors import PermissionDenied
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.schemas import ERRORS
from yiwang.platform.search import queries
from yiwang.platform.search.domain.documents import MAX_PAGE_SIZE, MAX_QUERY_CHARS, SearchPage
from yiwang.platform.search.params import build_query


class HitOut(Schema):
    kind: str
    key: str
    title: str = Field(description="the title as plain text")
    title_html: str = Field(description="the title, HTML-escaped, with <mark> around the matched words")
    snippet_html: str = Field(description="≤ ~120 characters of the text around the first match (escaped HTML)")
    url: str
    category: str
    region: str
    stage: str
    published_at: datetime
    amount_fen: int | None
    public: bool
    extra: dict[str, Any]
    score: float | None = Field(description="the engine's relevance score (relevance sort only; engine-specific)")
    tier: int = Field(description="how many query words the title contains (first relevance key)")


class FacetOut(Schema):
    value: str
    count: int


class FacetsOut(Schema):
    category: list[FacetOut]
    region: list[FacetOut]
    stage: list[FacetOut]


class SearchPageOut(Schema):
    total: int = Field(
        description="number of matches; when total_exact is false, an estimate (total_estimated) or a lower bound"
    )
    total_exact: bool
    total_estimated: bool = Field(description="total is estimated from the index's statistics (far above the cap)")
    total_display: str = Field(description='"123", "10000+" past the counting cap, or "约 88 万" when estimated')
    page: int
    size: int
    max_page: int = Field(description="the deepest page this query can be paged to")
    sort: str
    terms: list[str] = Field(description="the words looked for, as normalised")
    took_ms: float
    facets: FacetsOut | None = Field(description="counts per category/region/stage when the match set is small")
    hits: list[HitOut]


class SearchParams(Schema):
    q: str = Field("", description=f"words to look for (≤ {MAX_QUERY_CHARS} characters); empty: browse")
    kind: list[str] = Field([], description="notice, project, … (repeatable)")
    category: list[str] = Field([], description="category codes (repeatable)")
    region: str = Field("", description="region code; a prefix: 310000 covers all of Shanghai")
    stage: list[str] = Field([], description="stage codes (repeatable)")
    from_: date | None = Field(None, alias="from", description="published on or after this day (Shanghai)")
    to: date | None = Field(None, description="published on or before this day (Shanghai)")
    min_amount: int | None = Field(None, description="minimum amount in fen (分)")
    max_amount: int | None = Field(None, description="maximum amount in fen (分)")
    sort: str = Field("relevance", description="relevance | newest")
    page: int = Field(1, description="1-based")
    size: int = Field(20, description=f"hits per page, 1–{MAX_PAGE_SIZE}")
    private: bool = Field(False, description="include documents not public (staff, regulators, auditors)")


def page_out(page: SearchPage) -> dict[str, Any]:
    return {
        "total": page.total,
        "total_exact": page.total_exact,
        "total_estimated": page.total_estimated,
        "total_display": page.total_display,
        "page": page.page,
        "size": page.size,
        "max_page": page.max_page,
        "sort": page.sort,
        "terms": list(page.terms),
        "took_ms": page.took_ms,
        "facets": (
            {name: [{"value": f.value, "count": f.count} for f in counts] for name, counts in page.facets.items()}
            if page.facets is not None
            else None
        ),
        "hits": [
            {
                "kind": h.kind,
                "key": h.key,
                "title": h.title,
                "title_html": h.title_html,
                "snippet_html": h.snippet_html,
                "url": h.url,
                "category": h.category,
                "region": h.region,
                "stage": h.stage,
                "published_at": h.published_at,
                "amount_fen": h.amount_fen,
                "public": h.public,
                "extra": dict(h.extra),
                "score": h.score,
                "tier": h.tier,
            }
            for h in page.hits
        ],
    }


def build_router() -> Router:
    """A fresh router (a Ninja router can be mounted on one API only; tests mount their own)."""
    router = Router(tags=["search 一网尽览"])

    @router.get("", auth=ActorAuth(required=False), response={200: SearchPageOut, **ERRORS})
    def search(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
        """Full-text search over every notice and project, with filters, relevance or newest-first order,
        highlighted titles and snippets. Errors: ``search.query_too_long``, ``search.bad_range``,
        ``search.bad_region``, ``search.bad_sort``, ``search.bad_size``, ``search.bad_page``,
        ``search.page_too_deep``, ``search.private_forbidden`` (403)."""
        actor = actor_of(request)
        if params.private and not queries.private_scope(actor)[0]:
            raise PermissionDenied(
                "search.private_forbidden",
                "仅交易中心工作人员、监管和审计人员可检索未公开的文档",
                "only staff, regulators and auditors may search documents that are not public",
            )
        query = build_query(
            q=params.q,
            kinds=params.kind,
            categories=params.category,
            region=params.region,
            stages=params.stage,
            date_from=params.from_,
            date_to=params.to,
            min_amount_fen=params.min_amount,
            max_amount_fen=params.max_amount,
            sort=params.sort,
            page=params.page,
            size=params.size,
            include_private=params.private,
        )
        return page_out(queries.search_for(actor, query))

    return router


router = build_router()

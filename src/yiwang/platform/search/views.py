"""The public search page ``/search/`` (一网尽览): live results with htmx, filters, pagination."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yiwang.kernel.errors import InvalidInput
from yiwang.kernel.money import Money
from yiwang.platform.search import labels, queries
from yiwang.platform.search.domain.documents import SearchPage
from yiwang.platform.search.params import build_query, parse_date, parse_int, parse_wan

SORT_LABELS = {"relevance": "按相关度", "newest": "按时间（最新）"}
PAGE_SIZE = 20


def _pages(page: SearchPage) -> list[int]:
    """Page numbers to offer around the current one."""
    first = max(1, page.page - 2)
    last = min(page.max_page, first + 4)
    return list(range(max(1, last - 4), last + 1))


def _hit_view(hit: Any) -> dict[str, Any]:
    return {
        "hit": hit,
        "kind_label": labels.label("kind", hit.kind),
        "category_label": labels.label("category", hit.category) if hit.category else "",
        "region_label": labels.label("region", hit.region) if hit.region else "",
        "stage_label": labels.label("stage", hit.stage) if hit.stage else "",
        "amount": Money(hit.amount_fen).format_wan(2, with_unit=True) if hit.amount_fen is not None else "",
    }


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    get = request.GET
    actor = request.actor  # type: ignore[attr-defined]
    privileged = queries.private_scope(actor)[0]
    form = {
        "q": get.get("q", "")[:200],
        "kind": get.get("kind", ""),
        "category": get.get("category", ""),
        "region": get.get("region", ""),
        "stage": get.get("stage", ""),
        "from": get.get("from", ""),
        "to": get.get("to", ""),
        "min": get.get("min", ""),
        "max": get.get("max", ""),
        "sort": get.get("sort", "relevance"),
        "private": privileged and get.get("private") == "1",
    }
    error = None
    page = None
    try:
        query = build_query(
            q=form["q"],
            kinds=[form["kind"]] if form["kind"] else [],
            categories=[form["category"]] if form["category"] else [],
            region=form["region"],
            stages=[form["stage"]] if form["stage"] else [],
            date_from=parse_date(form["from"], "from"),
            date_to=parse_date(form["to"], "to"),
            min_amount_fen=parse_wan(form["min"], "min"),
            max_amount_fen=parse_wan(form["max"], "max"),
            sort=form["sort"],
            page=parse_int(get.get("page", ""), "page", 1),
            size=PAGE_SIZE,
            include_private=form["private"],
        )
        page = queries.search_for(actor, query)
    except InvalidInput as exc:
        error = exc.message_zh
    params = get.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "error": error,
        "page": page,
        "hits": [_hit_view(h) for h in page.hits] if page else [],
        "pages": _pages(page) if page else [],
        "base_query": params.urlencode(),
        "sorts": SORT_LABELS,
        "kinds": labels.labels("kind"),
        "regions": labels.labels("region"),
        "categories": labels.labels("category"),
        "stages": labels.labels("stage"),
        "facets": (
            {
                name: [(f.value, labels.label(name, f.value), f.count) for f in counts[:12]]
                for name, counts in page.facets.items()
            }
            if page and page.facets
            else None
        ),
        "privileged": privileged,
    }
    template = "search/search.html#results" if getattr(request, "htmx", False) else "search/search.html"
    return render(request, template, context)

"""The portal: the public home page and each person's workbench."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.catalog import queries as catalog
from yiwang.platform.audit import queries as witness
from yiwang.portal.workbench import panels_for, personal_links
from yiwang.registry import queries as registry


def home(request: HttpRequest) -> HttpResponse:
    """一网交易总门户: what is traded here, on which platforms, and where to start."""
    categories = catalog.list_trading_categories()
    platforms = catalog.list_platforms()
    stats = {
        "categories": len(categories),
        "items": sum(len(c.items) for c in categories),
        "platforms": len(platforms),
        "entities": registry.search_entities_for(request.actor, "", limit=1).total,
        "rules": len(catalog.list_rules_in_effect()),
        "witness": witness.head_seq(),
    }
    return render(
        request,
        "portal/home.html",
        {"categories": categories, "platforms": platforms, "stats": stats},
    )


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/workbench.html",
        {"panels": panels_for(request.actor), "personal_links": personal_links(request.actor)},
    )

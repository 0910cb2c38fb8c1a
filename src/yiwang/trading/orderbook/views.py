"""Pages of the carbon market (placeholder while the backend settles)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def index(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")


def market(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse("")


def market_panel(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse("")


def account(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse("")

"""Tender pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def project_list(request: HttpRequest) -> HttpResponse:
    return HttpResponse("")

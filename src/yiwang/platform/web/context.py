"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "site_name": settings.YIWANG_PLATFORM_NAME,
        "actor": getattr(request, "actor", None),
    }

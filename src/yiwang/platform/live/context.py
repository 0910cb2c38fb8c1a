"""Template context: ``live_base`` (the live server's base URL) and ``live_js`` (the client's static path)."""

from __future__ import annotations

from django.http import HttpRequest

from yiwang.platform.live import config


def live(request: HttpRequest) -> dict:
    return {"live_base": config.get().url, "live_js": "live/live.js"}

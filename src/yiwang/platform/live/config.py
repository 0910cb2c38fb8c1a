"""The live settings, read from Django's settings without loading any app (the live server stays light).

``settings.YIWANG_LIVE`` (optional dict):

``BROADCASTER``  ``database`` (embedded default) · ``postgres`` (production default) · ``redis`` (scaleout
                 default) · ``memory`` (one process: tests) · or a dotted path to a class
                 (or ``YIWANG_LIVE_BROADCASTER``)
``BIND``         where the live server listens (default: ``YIWANG_LIVE_BIND``, else the web bind's port + 1)
``URL``          the live server's base URL as browsers reach it (default ``YIWANG_LIVE_URL``, else
                 ``http://<BIND>``); behind a reverse proxy e.g. ``https://live.example.org``
``TOKEN_TTL``    seconds a private-channel token is good for (default 3600)
``KINDS``        overrides of :data:`yiwang.platform.live.channels.DEFAULT_KINDS`
``POLL_MS``      the database broadcaster's polling interval (default 50)
``MAX_WATCHERS`` connections one live process accepts (default 20000; more get 503)
``KEEP_HOURS``   how long published events are kept for catching up (default 24; a state channel keeps its
                 newest event regardless)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from yiwang.platform.live.channels import Kind, kinds_from


@dataclass(frozen=True)
class LiveSettings:
    broadcaster: str
    bind: str
    url: str
    token_ttl: int
    kinds: dict[str, Kind]
    poll_ms: int
    max_watchers: int
    keep_hours: int
    redis_url: str | None
    secret_key: str


def default_bind(web_bind: str) -> str:
    """``127.0.0.1:8001`` for a web server on ``127.0.0.1:8000`` (a unix-socket web server: 127.0.0.1:8001)."""
    if web_bind.startswith("unix:") or ":" not in web_bind:
        return "127.0.0.1:8001"
    host, port = web_bind.rsplit(":", 1)
    try:
        return f"{host}:{int(port) + 1}"
    except ValueError:
        return "127.0.0.1:8001"


def _profile_value(settings, name: str):
    # prefer the profile's field (YiwangProfile), fall back to the environment variable of the same name
    value = getattr(getattr(settings, "PROFILE", None), name, None)
    return value if value is not None else os.environ.get(f"YIWANG_{name.upper()}") or None


@lru_cache(maxsize=1)
def get() -> LiveSettings:
    from django.conf import settings

    options = dict(getattr(settings, "YIWANG_LIVE", {}) or {})
    profile = getattr(settings, "PROFILE", None)
    profile_name = getattr(profile, "profile", "embedded")
    default_broadcaster = {"production": "postgres", "scaleout": "redis"}.get(profile_name, "database")
    web_bind = getattr(profile, "bind", "127.0.0.1:8000")
    bind = options.get("BIND") or _profile_value(settings, "live_bind") or default_bind(web_bind)
    url = options.get("URL") or _profile_value(settings, "live_url") or f"http://{bind}"
    return LiveSettings(
        broadcaster=options.get("BROADCASTER") or _profile_value(settings, "live_broadcaster") or default_broadcaster,
        bind=bind,
        url=url.rstrip("/"),
        token_ttl=int(options.get("TOKEN_TTL", 3600)),
        kinds=kinds_from(options.get("KINDS")),
        poll_ms=int(options.get("POLL_MS", 50)),
        max_watchers=int(options.get("MAX_WATCHERS", 20_000)),
        keep_hours=int(options.get("KEEP_HOURS", 24)),
        redis_url=options.get("REDIS_URL") or getattr(profile, "redis_url", None),
        secret_key=settings.SECRET_KEY,
    )


def reset() -> None:
    """Forget the cached settings (tests that change ``YIWANG_LIVE``)."""
    get.cache_clear()

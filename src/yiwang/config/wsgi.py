"""WSGI entry point: pages and API are served by gunicorn (docs/architecture.md §8, Serving).

Each gunicorn worker imports this module once. After the application is made, :func:`settle` loads the URL
configuration (every view and API schema) and freezes what start-up made: those objects live as long as the
worker, and without the freeze every full pass of Python's cyclic garbage collector walks all of them.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yiwang.config.settings")
application = get_wsgi_application()


def settle() -> int:
    """Load what every request needs, collect start-up's garbage, then move every object left out of the
    cyclic collector's reach (``gc.freeze``); returns how many. A worker holds ~360 000 objects after start-up,
    and a full collection walked them all: ~200 ms, a pause that fell on whichever request happened to allocate
    the object that triggered it — a search for an organisation name went from ~45 to ~170 ms when it did
    (docs/search.md, session 8). Objects made later are collected as before."""
    get_resolver().url_patterns  # noqa: B018 (imports every view and API module now, not on the first request)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


settle()

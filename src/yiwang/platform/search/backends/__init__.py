"""The adapters of the search port, and the choice among them (by settings, else by database engine).

``settings.YIWANG_SEARCH_INDEX`` may name a class (dotted path) implementing
:class:`~yiwang.platform.search.ports.SearchIndex`; when it is unset, the database decides: SQLite →
:class:`~yiwang.platform.search.backends.sqlite.Fts5SearchIndex`, PostgreSQL →
:class:`~yiwang.platform.search.backends.postgres.PgSearchIndex`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from yiwang.platform.search.ports import SearchIndex

_BY_VENDOR = {
    "sqlite": "yiwang.platform.search.backends.sqlite.Fts5SearchIndex",
    "postgresql": "yiwang.platform.search.backends.postgres.PgSearchIndex",
}


def index_class_path() -> str:
    configured = getattr(settings, "YIWANG_SEARCH_INDEX", "") or ""
    if configured:
        return configured
    try:
        return _BY_VENDOR[connection.vendor]
    except KeyError:
        raise RuntimeError(f"no search adapter for database engine {connection.vendor!r}") from None


_instances: dict[str, SearchIndex] = {}


def get_index() -> SearchIndex:
    """The configured search index (one instance per adapter class and process)."""
    path = index_class_path()
    if path not in _instances:
        _instances[path] = import_string(path)()
    return _instances[path]

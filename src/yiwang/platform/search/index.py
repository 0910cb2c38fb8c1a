"""The write side other contexts call (inside their actions, so the index follows their transaction).

    from yiwang.platform.search.index import SearchDocument, index_document

    with action(actor, "notices.publish_notice") as act:
        ...
        index_document(SearchDocument(kind="notice", key=str(notice.pk), title=..., published_at=...))

A rolled-back action leaves no index row behind: the writes run in the caller's transaction.

Many documents in one transaction (an import, a push of 1 000 records): wrap the loop in
``deferred_statistics()`` so that the index's statistics are summed and applied once at its end instead of
once per document (on PostgreSQL the per-document upserts of the same counters dominate such a batch):

    with deferred_statistics():
        for record in records:
            ...
            index_document(document_of(record))
"""

from __future__ import annotations

from collections.abc import Iterable

from yiwang.platform.search.backends import get_index
from yiwang.platform.search.backends.sql import deferred_statistics
from yiwang.platform.search.domain.documents import SearchDocument
from yiwang.platform.search.ports import CheckReport, RebuildReport
from yiwang.platform.search.sources import register_source

__all__ = [
    "SearchDocument",
    "check_index",
    "deferred_statistics",
    "index_document",
    "index_documents",
    "rebuild_index",
    "register_source",
    "remove_document",
]


def index_document(doc: SearchDocument) -> None:
    """Add or replace ``doc`` (keyed by ``(kind, key)``) in the caller's transaction."""
    get_index().index(doc)


def index_documents(docs: Iterable[SearchDocument]) -> int:
    return get_index().index_many(docs)


def remove_document(kind: str, key: str) -> bool:
    return get_index().remove(kind, key)


def rebuild_index() -> RebuildReport:
    return get_index().rebuild()


def check_index() -> CheckReport:
    return get_index().check()

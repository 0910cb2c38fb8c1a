"""The search port: what every adapter (SQLite FTS5, PostgreSQL tsvector, in-memory) provides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from yiwang.platform.search.domain.documents import SearchDocument, SearchPage, SearchQuery


@dataclass(frozen=True)
class RebuildReport:
    indexed: int
    removed: int
    sources: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckReport:
    documents: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@runtime_checkable
class SearchIndex(Protocol):
    """One index of every searchable document, keyed by ``(kind, key)``.

    Writes join the caller's transaction (call them inside an action: if the action rolls back, so does the
    index row). ``search`` never writes.
    """

    def index(self, doc: SearchDocument) -> None:
        """Add the document, or replace the one with the same ``(kind, key)``."""
        ...

    def index_many(self, docs: Iterable[SearchDocument]) -> int:
        """:meth:`index` for many documents (batched); returns how many were written."""
        ...

    def remove(self, kind: str, key: str) -> bool:
        """Remove a document; ``False`` if there was none."""
        ...

    def search(self, query: SearchQuery) -> SearchPage: ...

    def rebuild(self) -> RebuildReport:
        """Re-feed every registered source (:mod:`yiwang.platform.search.sources`) and drop the documents of
        their kinds that no source yields any more."""
        ...

    def count(self) -> int:
        """How many documents the index holds (public and private)."""
        ...

    def check(self) -> CheckReport:
        """Compare the document table with the full-text structure."""
        ...

    def maintain(self, now: datetime) -> list[str]:
        """Periodic upkeep the engine needs (the clock runs it hourly: PostgreSQL makes the period indexes
        of every quarter that holds documents, and of the next one); returns what it made."""
        ...

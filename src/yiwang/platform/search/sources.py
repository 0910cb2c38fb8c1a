"""Sources: how contexts feed the index on a rebuild.

A context that makes documents searchable does two things:

* in its actions, after changing the thing, it calls ``yiwang.platform.search.index.index_document(doc)``
  (or ``remove_document(kind, key)``) — inside the action, so the index follows the transaction;
* in its ``AppConfig.ready()`` it registers a source that yields every document of its kinds, so that
  ``yiwang search rebuild`` can re-create the index from the context's own tables::

      from yiwang.platform.search.sources import register_source

      register_source("notices", kinds=("notice",), documents=all_notice_documents)

A source owns its kinds: on a rebuild, documents of those kinds that the source no longer yields are removed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from yiwang.platform.search.domain.documents import SearchDocument, check_kind

DocumentFeed = Callable[[], Iterable[SearchDocument]]


@dataclass(frozen=True)
class Source:
    name: str
    kinds: tuple[str, ...]
    documents: DocumentFeed

    def iter_documents(self) -> Iterator[SearchDocument]:
        for doc in self.documents():
            if doc.kind not in self.kinds:
                raise ValueError(f"search source {self.name!r} yielded kind {doc.kind!r}, not one of {self.kinds}")
            yield doc


_lock = threading.Lock()
_sources: dict[str, Source] = {}


def register_source(name: str, *, kinds: Iterable[str], documents: DocumentFeed) -> Source:
    """Register (or replace) the source ``name`` yielding the documents of ``kinds``."""
    kinds = tuple(check_kind(k) for k in kinds)
    if not kinds:
        raise ValueError("a search source must declare the kinds it yields")
    source = Source(name, kinds, documents)
    with _lock:
        for other in _sources.values():
            shared = set(other.kinds) & set(kinds)
            if other.name != name and shared:
                raise ValueError(f"kinds {sorted(shared)} already belong to search source {other.name!r}")
        _sources[name] = source
    return source


def unregister_source(name: str) -> None:
    with _lock:
        _sources.pop(name, None)


def registered_sources() -> tuple[Source, ...]:
    with _lock:
        return tuple(_sources.values())


@contextmanager
def use_sources(*sources: Source) -> Iterator[None]:
    """Replace the registry for the duration of a block (tests)."""
    with _lock:
        saved = dict(_sources)
        _sources.clear()
        _sources.update({s.name: s for s in sources})
    try:
        yield
    finally:
        with _lock:
            _sources.clear()
            _sources.update(saved)

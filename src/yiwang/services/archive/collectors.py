"""The collector port (归档收集器): how every context puts what it holds about a project into the project's archive.

The archive knows nothing of notices, bids, experts or venues. A context that holds records about a project
registers a collector in its ``AppConfig.ready``::

    from yiwang.services.archive.collectors import ArchiveItem, register_collector

    def notices_of(project_ref: str) -> Iterable[ArchiveItem]:
        for notice in Notice.objects.filter(project_ref=project_ref):
            yield ArchiveItem.of_json(
                key=f"notice:{notice.pk}", kind="notice", title=notice.title,
                value=notice.as_published(), witness_refs=[("notices.notice", str(notice.pk))],
            )

    register_collector("notices", notices_of)

A collector receives the project reference (``tender.project:12``, see :mod:`.domain.refs`) and yields
:class:`ArchiveItem` values. It runs outside any transaction and must only read. Content is given either as
``data`` (small, in memory) or as ``opener`` (a function returning a binary stream, called once, while the package
is written — so large files are never held in memory). When the collector knows the size and digests it gives
them (``size``, ``sha256``, ``sm3``: the writer checks the bytes against them and refuses a damaged file);
otherwise the archive hashes the stream first.

``witness_refs`` are the witness-log objects the item relates to, as ``(type, id)`` pairs (``object_ref(obj)``
from ``yiwang.platform.actions`` gives the pair of a model instance): the package includes every witness entry
about them (and about the project itself) with an inclusion proof. ``witnessed_digest=True`` claims that one of
those entries records the item's SHA-256 or SM3 in its payload (the document store's entries do): the archive
finds that entry, names it in the manifest, and the verifier checks it — a swapped file is then caught even if
someone re-signs the manifest. Say it only when it is true: the archive refuses to build otherwise.

Siblings never import each other: the archive never imports a context's modules; contexts import this module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from yiwang.kernel.canonical import canonical_json
from yiwang.services.archive.package.format import COLLECTOR_NAME

__all__ = [
    "ArchiveItem",
    "Collector",
    "collectors_replaced",
    "register_collector",
    "registered_collectors",
    "unregister_collector",
]

Collector = Callable[[str], Iterable["ArchiveItem"]]


@dataclass(frozen=True)
class ArchiveItem:
    """One file of a project's archive, as a collector describes it.

    ``key`` identifies the item within its collector and stays the same across exports (``"notice:42"``,
    ``"<document id>/v2"``); ``kind`` is a lower-case word (``document``, ``notice``, ``bid``,
    ``evaluation_record``, ``witness_record`` …); ``filename`` is the name the file gets inside the package;
    ``metadata`` is JSON shown in the manifest (no secrets)."""

    key: str
    kind: str
    title: str
    filename: str
    media_type: str
    data: bytes | None = None
    opener: Callable[[], BinaryIO] | None = None
    size: int | None = None
    sha256: str | None = None
    sm3: str | None = None
    witness_refs: tuple[tuple[str, str], ...] = ()
    witnessed_digest: bool = False
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of_json(
        cls,
        *,
        key: str,
        kind: str,
        title: str,
        value: Any,
        filename: str | None = None,
        witness_refs: Iterable[tuple[str, str]] = (),
        witnessed_digest: bool = False,
        metadata: Mapping[str, Any] | None = None,
    ) -> ArchiveItem:
        """A record kept as canonical JSON (UTF-8, sorted keys): a notice as published, an evaluation record."""
        return cls(
            key=key,
            kind=kind,
            title=title,
            filename=filename or f"{kind}.json",
            media_type="application/json",
            data=canonical_json(value),
            witness_refs=tuple((str(t), str(i)) for t, i in witness_refs),
            witnessed_digest=witnessed_digest,
            metadata=dict(metadata or {}),
        )


_lock = threading.Lock()
_collectors: dict[str, Collector] = {}


def register_collector(name: str, fn: Collector) -> None:
    """Register (or replace) the collector ``name`` — a dotted lower-case name, usually the context's label
    (``notices``, ``bidbox.opened_bids``). Call it from ``AppConfig.ready``."""
    if not isinstance(name, str) or not COLLECTOR_NAME.match(name) or len(name) > 60:
        raise ValueError(f"a collector name is a dotted lower-case name, not {name!r}")
    if not callable(fn):
        raise TypeError("a collector is a function project_ref -> iterable of ArchiveItem")
    with _lock:
        _collectors[name] = fn


def unregister_collector(name: str) -> None:
    with _lock:
        _collectors.pop(name, None)


def registered_collectors() -> list[tuple[str, Collector]]:
    """The collectors, by name (the order items are gathered in)."""
    with _lock:
        return sorted(_collectors.items())


@contextmanager
def collectors_replaced(replacement: Mapping[str, Collector] | None = None) -> Iterator[None]:
    """Run with exactly ``replacement`` as the registered collectors (tests, tools), then restore."""
    with _lock:
        saved = dict(_collectors)
        _collectors.clear()
        _collectors.update(replacement or {})
    try:
        yield
    finally:
        with _lock:
            _collectors.clear()
            _collectors.update(saved)

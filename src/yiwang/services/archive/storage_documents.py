"""The reference collector: documents of the document store (``platform.storage``) that belong to the project.

:func:`documents_collector` makes a collector from a function naming the store owners whose documents belong to
a project. The archive registers one itself (``storage.documents``) for the convention "the project object owns
its documents": project ``tender.project:12`` → ``Owner("tender.project", "12")``. A context that files a
project's documents under owners of its own registers another::

    register_collector(
        "bidbox.opened_bids",
        documents_collector(lambda project_ref: [Owner("services.bidbox", f"box:{b.pk}:opened") for b in ...]),
    )

Every version of every document becomes an item (superseded versions are part of the record), streamed from
the blob store when the package is written, with the size and digests recorded at upload. The store's own
witness entries (``storage.store_document`` / ``storage.add_version``) record each version's SHA-256 and SM3, so
every item claims a witnessed digest. Archive packages (kind ``archive``) are never collected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.storage import queries as storage
from yiwang.services.archive.collectors import ArchiveItem, Collector
from yiwang.services.archive.domain.refs import parse_project_ref

DOCUMENT_TYPE = "storage.document"  # the witness log's object type of a stored document
NAME = "storage.documents"


def project_owners(project_ref: str) -> list[storage.Owner]:
    """The convention: the project object owns its documents (``Owner(<type>, <id>)``); none if the project's
    reference cannot be an owner of the store."""
    ref = parse_project_ref(project_ref)
    try:
        return [storage.Owner(ref.object_type, ref.object_id)]
    except InvalidInput:
        return []


def documents_collector(
    owners: Callable[[str], Iterable[storage.Owner]], *, exclude_kinds: Iterable[str] = ("archive",)
) -> Collector:
    """A collector of every version of every document of the owners ``owners(project_ref)`` names."""
    excluded = frozenset(exclude_kinds)

    def collect(project_ref: str) -> Iterator[ArchiveItem]:
        for owner in owners(project_ref):
            for document in storage.list_documents_of(owner):
                if document.kind in excluded:
                    continue
                for version in storage.versions_of(document):
                    yield _item(owner, document, version)

    return collect


def _item(owner: storage.Owner, document: Any, version: Any) -> ArchiveItem:
    return ArchiveItem(
        key=f"{document.pk}/v{version.number}",
        kind="document",
        title=f"{document.title}（第 {version.number} 版）",
        filename=version.filename,
        media_type=version.mime_type,
        opener=partial(storage.open_version, version),
        size=version.size,
        sha256=version.sha256,
        sm3=version.sm3,
        witness_refs=((DOCUMENT_TYPE, str(document.pk)),),
        witnessed_digest=True,
        metadata={
            "document_id": str(document.pk),
            "document_kind": document.kind,
            "owner": str(owner),
            "version": version.number,
            "filename": version.filename,
            "uploaded_at": iso_utc(version.uploaded_at),
            "uploaded_by": version.uploaded_by,
            "public": document.public,
        },
    )


project_documents = documents_collector(project_owners)

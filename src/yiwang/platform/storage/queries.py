"""Reads of the document store.

Two doors:

- ``*_for(actor, …)``: the generic rule of the store itself. The uploader of a document (or of any of its
  versions), trading-centre staff, auditors and the platform may read its metadata; only its creator (and
  the platform) may add versions through the generic API.
- ``get_owned_document(owner, …)`` / ``list_documents_of(owner)``: for the owning context, which has
  already applied its own rules (a tender context deciding who sees a bid's files). They only reach documents
  of that owner.

Content is read with :func:`open_version` (the blob, checked against its recorded size) or handed to a
browser through a signed link (:func:`yiwang.platform.storage.links.download_url`).
"""

from __future__ import annotations

from typing import Any, BinaryIO
from uuid import UUID

from django.core.exceptions import ValidationError

from yiwang.kernel.actors import Actor, Role
from yiwang.platform.storage import errors
from yiwang.platform.storage.blobs import BlobCheck, BlobNotFound, get_blob_store, verify_blob
from yiwang.platform.storage.domain.owners import UPLOADS, Owner
from yiwang.platform.storage.models import Document, DocumentVersion

__all__ = [
    "UPLOADS",
    "Owner",
    "can_add_version",
    "can_read_metadata",
    "get_document_for",
    "get_owned_document",
    "get_version",
    "get_version_for",
    "list_documents_of",
    "open_version",
    "verify_blob",
    "verify_version",
    "versions_of",
]

READER_ROLES = (Role.STAFF, Role.AUDITOR)


def can_read_metadata(actor: Actor, document: Document) -> bool:
    """Who may read a document through the generic files API.

    Only documents still owned by the generic upload area are served here (to their uploader, and to staff and
    auditors). Once a context owns a document — a sealed bid in its box, an archive of a project — only that
    context's own queries decide who sees it: the generic door must not reveal, for example, which bidders
    have submitted before the opening.
    """
    if actor.is_system:
        return True
    if document.owner_context != UPLOADS or not actor.is_authenticated:
        return False
    if actor.has_role(*READER_ROLES):
        return True
    return document.created_by == actor.ref or document.versions.filter(uploaded_by=actor.ref).exists()


def can_add_version(actor: Actor, document: Document) -> bool:
    return actor.is_system or (actor.is_authenticated and document.created_by == actor.ref)


def _document(document_id: Any) -> Document | None:
    try:
        return Document.objects.filter(pk=document_id).first()
    except (ValidationError, ValueError):  # not a UUID
        return None


def get_document_for(actor: Actor, document_id: UUID | str) -> Document:
    """The document, if ``actor`` may read its metadata; otherwise ``storage.document_not_found``."""
    document = _document(document_id)
    if document is None or not can_read_metadata(actor, document):
        raise errors.document_not_found(document_id)
    return document


def get_version_for(actor: Actor, version_id: int) -> DocumentVersion:
    version = DocumentVersion.objects.select_related("document").filter(pk=version_id).first()
    if version is None or not can_read_metadata(actor, version.document):
        raise errors.version_not_found(version_id)
    return version


def versions_of(document: Document) -> list[DocumentVersion]:
    """All versions, oldest first."""
    return list(document.versions.order_by("number"))


def get_version(document: Document, number: int | None = None) -> DocumentVersion:
    """Version ``number`` of ``document`` (the current one when ``None``)."""
    wanted = document.current_version if number is None else number
    version = document.versions.filter(number=wanted).first()
    if version is None:
        raise errors.version_not_found(f"{document.pk}/{wanted}")
    version.document = document
    return version


def get_owned_document(owner: Owner, document_id: UUID | str) -> Document:
    """For the owning context (after its own checks): its document, or ``storage.document_not_found``."""
    document = _document(document_id)
    if document is None or (document.owner_context, document.owner_ref) != (owner.context, owner.ref):
        raise errors.document_not_found(document_id)
    return document


def list_documents_of(owner: Owner) -> list[Document]:
    """The documents of ``owner``, oldest first."""
    return list(Document.objects.filter(owner_context=owner.context, owner_ref=owner.ref).order_by("created_at"))


def open_version(version: DocumentVersion) -> BinaryIO:
    """The stored bytes of ``version`` as a stream (the caller closes it). Refuses with
    ``storage.blob_missing``/``storage.blob_corrupted`` when the blob is gone or has the wrong size."""
    store = get_blob_store()
    try:
        if store.size(version.sha256) != version.size:
            raise errors.blob_corrupted(version.sha256)
        return store.open(version.sha256)
    except BlobNotFound:
        raise errors.blob_missing(version.sha256) from None


def verify_version(version: DocumentVersion) -> BlobCheck:
    """Re-read the blob of ``version`` and compare SHA-256, SM3 and size with what was recorded at upload."""
    return verify_blob(version.sha256, sm3=version.sm3, size=version.size)

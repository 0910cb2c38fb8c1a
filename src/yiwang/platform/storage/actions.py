"""State changes of the document store: store a document, add a version, attach an upload, witness a download.

Every upload passes the same checks, in this order, before anything is stored (each refusal has its code):

1. the kind is known (``storage.unknown_kind``), the title and note fit, the file name is cleaned
   (``storage.filename_invalid`` when nothing is left of it);
2. the bytes are streamed aside while hashed (SHA-256 + SM3), reading stops at the kind's limit + 1
   (``storage.too_large``); an empty stream is refused (``storage.empty_file``);
3. the type is sniffed from the content: the declared extension must not contradict it
   (``storage.type_mismatch``) and the kind must accept it (``storage.type_not_allowed``);
4. the virus scanner must call it clean (``storage.infected``; ``storage.scan_unavailable`` if it cannot say).

Only then is the blob committed (atomic rename, deduplicated) and, after that, the rows written in one
action with their witness entry and feed event. Streaming happens *before* the action's transaction, so a
500 MB upload never holds a database lock. If the action then fails, the committed blob is an orphan that no
row references; :func:`yiwang.platform.storage.sweep.sweep_orphans` removes it after a grace period.

Authorisation belongs to the caller: the owning context decides who may store or add versions to its
documents (the generic API in ``api.py`` applies its own minimal rule). Witness payloads and events carry
digests, size, type and file name, never content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO
from uuid import UUID

from yiwang.kernel.actors import Actor
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.storage import errors
from yiwang.platform.storage.blobs import BlobRef, SizeLimitExceeded, get_blob_store
from yiwang.platform.storage.conf import KindPolicy, storage_settings
from yiwang.platform.storage.domain.filenames import sanitize_filename
from yiwang.platform.storage.domain.owners import UPLOADS, Owner
from yiwang.platform.storage.domain.sniff import extension_contradicts, sniff
from yiwang.platform.storage.lock_objects import document_for_update
from yiwang.platform.storage.models import Document, DocumentVersion
from yiwang.platform.storage.scanning import ScannerUnavailable, get_virus_scanner

__all__ = [
    "UPLOADS",
    "Owner",
    "do_add_version",
    "do_attach_document",
    "do_record_download",
    "do_store_document",
]

MAX_TITLE = 200
MAX_NOTE = 500


@dataclass(frozen=True)
class _Ingested:
    ref: BlobRef
    filename: str
    mime_type: str


def _policy(kind: str) -> KindPolicy:
    conf = storage_settings()
    policy = conf.kind(kind)
    if policy is None:
        raise errors.unknown_kind(str(kind), sorted(conf.kinds))
    return policy


def _title(title: str) -> str:
    title = " ".join((title or "").split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise errors.text_invalid("title", MAX_TITLE)
    return title


def _note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise errors.text_invalid("note", MAX_NOTE)
    return note


def _ingest(stream: BinaryIO, filename: str, policy: KindPolicy) -> _Ingested:
    """Check the upload and commit its blob; refuse (with nothing stored) on the first failed check."""
    clean = sanitize_filename(filename)
    if not clean:
        raise errors.filename_invalid()
    conf = storage_settings()
    try:
        staged = get_blob_store().stage(stream, max_size=policy.max_bytes)
    except SizeLimitExceeded:
        raise errors.too_large(policy.max_bytes, policy.name) from None
    try:
        if staged.ref.size == 0:
            raise errors.empty_file()
        with staged.open() as content:
            mime = sniff(content, sealed_magic=conf.sealed_envelope_magic)
        if extension_contradicts(clean, mime):
            raise errors.type_mismatch(clean, mime)
        if mime not in policy.types:
            raise errors.type_not_allowed(mime, policy.name, list(policy.types))
        with staged.open() as content:
            try:
                verdict = get_virus_scanner().scan(content, size=staged.ref.size)
            except ScannerUnavailable:
                raise errors.scan_unavailable() from None
        if not verdict.clean:
            raise errors.infected(verdict.signature)
        ref = staged.commit()
    finally:
        staged.discard()
    return _Ingested(ref=ref, filename=clean, mime_type=mime)


def _version_facts(version: DocumentVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "filename": version.filename,
        "mime_type": version.mime_type,
        "size": version.size,
        "sha256": version.sha256,
        "sm3": version.sm3,
    }


def _visibility(document: Document) -> str:
    return Visibility.PUBLIC if document.public else Visibility.RESTRICTED


def _add_version_row(
    act: ActionRecorder, actor: Actor, document: Document, number: int, ingested: _Ingested, note: str
) -> DocumentVersion:
    return DocumentVersion.objects.create(
        document=document,
        number=number,
        sha256=ingested.ref.sha256,
        sm3=ingested.ref.sm3,
        size=ingested.ref.size,
        filename=ingested.filename,
        mime_type=ingested.mime_type,
        uploaded_by=actor.ref,
        uploaded_at=act.now,
        note=note,
    )


def do_store_document(
    *,
    actor: Actor,
    owner: Owner,
    title: str,
    kind: str,
    stream: BinaryIO,
    filename: str,
    note: str = "",
    public: bool = False,
) -> DocumentVersion:
    """Store a new document with its first version; returns that version (``.document`` is the document).

    ``stream`` is read in chunks (any size up to the kind's limit); ``public`` documents are downloadable
    without a witness entry and announced on the public feed, all others are restricted."""
    policy = _policy(kind)
    title, note = _title(title), _note(note)
    ingested = _ingest(stream, filename, policy)
    with action(actor, "storage.store_document") as act:
        document = Document.objects.create(
            owner_context=owner.context,
            owner_ref=owner.ref,
            title=title,
            kind=policy.name,
            public=public,
            current_version=1,
            created_by=actor.ref,
            created_at=act.now,
            updated_at=act.now,
        )
        version = _add_version_row(act, actor, document, 1, ingested, note)
        facts = _version_facts(version)
        act.witness(
            document,
            {"title": title, "kind": policy.name, "owner": str(owner), "public": public, **facts},
        )
        act.emit(
            "storage.document_stored.v1",
            document,
            {"kind": policy.name, "owner_context": owner.context, "owner_ref": owner.ref, **facts},
            visibility=_visibility(document),
        )
        return version


def do_add_version(
    *,
    actor: Actor,
    document: Document | UUID | str,
    stream: BinaryIO,
    filename: str,
    note: str = "",
    expected_version: int | None = None,
) -> DocumentVersion:
    """Upload version n+1 of ``document`` (earlier versions stay readable); returns the new version.

    ``expected_version`` (from ``If-Match``) refuses the upload with 412 when someone else added a version
    first; ``None`` means "whatever is current"."""
    document_id = document.pk if isinstance(document, Document) else document
    current = Document.objects.filter(pk=document_id).first()
    if current is None:
        raise errors.document_not_found(document_id)
    check_version(current.current_version, expected_version)  # fail early, before reading the upload
    note = _note(note)
    ingested = _ingest(stream, filename, _policy(current.kind))
    with action(actor, "storage.add_version") as act:
        locked = document_for_update(document_id)
        if locked is None:
            raise errors.document_not_found(document_id)
        check_version(locked.current_version, expected_version)
        number = locked.current_version + 1
        version = _add_version_row(act, actor, locked, number, ingested, note)
        locked.current_version = number
        locked.updated_at = act.now
        locked.save(update_fields=["current_version", "updated_at"])
        facts = _version_facts(version)
        act.witness(locked, facts)
        act.emit("storage.version_added.v1", locked, {"kind": locked.kind, **facts}, visibility=_visibility(locked))
        if isinstance(document, Document):
            document.current_version, document.updated_at = locked.current_version, locked.updated_at
        return version


def do_attach_document(*, actor: Actor, document: Document | UUID | str, owner: Owner) -> Document:
    """Give an unattached upload (made through the generic API by ``actor``) to ``owner``.

    The owning context calls this inside its own action after deciding that ``actor`` may attach files to
    that object; the store checks only that the upload is the actor's own and still unattached."""
    document_id = document.pk if isinstance(document, Document) else document
    with action(actor, "storage.attach_document") as act:
        locked = document_for_update(document_id)
        if locked is None:
            raise errors.document_not_found(document_id)
        if locked.owner_context != UPLOADS or (locked.owner_ref != actor.ref and not actor.is_system):
            raise errors.not_attachable()
        previous = Owner(locked.owner_context, locked.owner_ref)
        locked.owner_context, locked.owner_ref, locked.updated_at = owner.context, owner.ref, act.now
        locked.save(update_fields=["owner_context", "owner_ref", "updated_at"])
        act.witness(locked, {"from": str(previous), "to": str(owner)})
        act.emit(
            "storage.document_attached.v1",
            locked,
            {"owner_context": owner.context, "owner_ref": owner.ref},
            visibility=_visibility(locked),
        )
        return locked


def do_record_download(*, actor: Actor, version: DocumentVersion, purpose: str, via: str = "signed_link") -> None:
    """Witness that ``actor`` fetched a restricted document's content (``storage.download``)."""
    with action(actor, "storage.download") as act:
        act.witness(
            version.document,
            {
                "version": version.number,
                "sha256": version.sha256,
                "size": version.size,
                "purpose": purpose,
                "via": via,
            },
        )

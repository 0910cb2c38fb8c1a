"""Files API (``/api/v1/files``): upload, read metadata, add versions, get a signed download link.

This is the generic door for files that are not yet attached to a business object: uploads belong to
``storage.uploads/<caller>`` until a context attaches them (``do_attach_document``). Who may read: the
uploader, trading-centre staff and auditors. Contexts that own documents expose them through their own APIs
with their own rules.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from yiwang.platform.api.auth import actor_of
from yiwang.platform.api.conditional import etag, if_match_version
from yiwang.platform.api.routing import creates
from yiwang.platform.storage import actions, errors, queries
from yiwang.platform.storage.links import make_link
from yiwang.platform.storage.schemas import READ_ERRORS, UPLOAD_ERRORS, DocumentOut, LinkIn, LinkOut

router = Router(tags=["files 文件"])


def _out(document: Any) -> dict[str, Any]:
    return {
        "id": document.pk,
        "title": document.title,
        "kind": document.kind,
        "owner_context": document.owner_context,
        "owner_ref": document.owner_ref,
        "public": document.public,
        "current_version": document.current_version,
        "created_by": document.created_by,
        "created_at": document.created_at,
        "updated_at": document.updated_at,
        "versions": queries.versions_of(document),
    }


def _located(response: HttpResponse, document: Any) -> None:
    response["Location"] = f"/api/v1/files/{document.pk}"
    response["ETag"] = etag(document.current_version)


@creates(router, "", response={201: DocumentOut, **UPLOAD_ERRORS})
def upload(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile],
    title: Form[str],
    kind: Form[str] = "attachment",
    note: Form[str] = "",
):
    """Upload a new document (multipart ``file`` + ``title``, ``kind``, ``note``). The type is sniffed from the
    content; the file is refused if empty, too large, of a type the kind does not accept, named with an
    extension that contradicts its content, or infected — and then nothing is stored."""
    actor = actor_of(request)
    version = actions.do_store_document(
        actor=actor,
        owner=actions.Owner.upload_of(actor.ref),
        title=title,
        kind=kind,
        stream=file,
        filename=file.name or "",
        note=note,
    )
    _located(response, version.document)
    return Status(201, _out(version.document))


@router.get("/{uuid:document_id}", response={200: DocumentOut, **READ_ERRORS})
def read(request: HttpRequest, response: HttpResponse, document_id: UUID):
    """A document's metadata and all its versions (``ETag``: its current version number)."""
    document = queries.get_document_for(actor_of(request), document_id)
    response["ETag"] = etag(document.current_version)
    return _out(document)


OPTIONAL_IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": False,
    "schema": {"type": "string"},
    "description": "可选：文件当前的 ETag，若他人已上传新版本则拒绝（412） / optional: the document's ETag; "
    "refused with 412 if someone else added a version first",
}


@creates(
    router,
    "/{uuid:document_id}/versions",
    response={201: DocumentOut, **UPLOAD_ERRORS},
    openapi_extra={"parameters": [OPTIONAL_IF_MATCH]},
)
def add_version(
    request: HttpRequest,
    response: HttpResponse,
    document_id: UUID,
    file: File[UploadedFile],
    note: Form[str] = "",
):
    """Upload the next version. Optional ``If-Match`` (the document's ETag) refuses it with 412 if someone
    else added a version first. Only the document's creator may add versions here."""
    actor = actor_of(request)
    document = queries.get_document_for(actor, document_id)
    if not queries.can_add_version(actor, document):
        raise errors.forbidden("为该文件上传新版本", "add versions to this document")
    expected = if_match_version(request) if request.headers.get("If-Match") else None
    actions.do_add_version(
        actor=actor,
        document=document,
        stream=file,
        filename=file.name or "",
        note=note,
        expected_version=expected,
    )
    _located(response, document)
    return Status(201, _out(document))


@creates(router, "/versions/{int:version_id}/link", response={200: LinkOut, **READ_ERRORS})
def link(request: HttpRequest, version_id: int, payload: LinkIn):
    """A signed, time-limited download link to one version (``GET`` it without credentials)."""
    actor = actor_of(request)
    version = queries.get_version_for(actor, version_id)
    made = make_link(actor, version, payload.ttl_seconds, purpose=payload.purpose)
    return {"url": made.url, "expires_at": made.expires_at, "version_id": version.pk}

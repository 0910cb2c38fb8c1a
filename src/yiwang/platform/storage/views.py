"""``GET /files/<token>``: send one document version to whoever holds a valid signed link."""

from __future__ import annotations

import hashlib
import logging
from typing import BinaryIO

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from yiwang.kernel.errors import YiwangError
from yiwang.platform.storage import errors
from yiwang.platform.storage.actions import do_record_download
from yiwang.platform.storage.blobs import CHUNK, BlobNotFound, digests_of, get_blob_store
from yiwang.platform.storage.conf import storage_settings
from yiwang.platform.storage.domain.filenames import content_disposition
from yiwang.platform.storage.domain.sniff import PREFERRED_EXTENSION, extension_of
from yiwang.platform.storage.links import actor_of_link, read_link
from yiwang.platform.storage.models import DocumentVersion

log = logging.getLogger("yiwang.storage")


class _VerifyingReader:
    """Hashes a large blob while it is sent; a mismatch (bit rot since the upload) is logged when the end is
    reached. The bytes are already on their way by then: large files are checked in full by
    ``yiwang storage verify``, small ones before sending."""

    def __init__(self, stream: BinaryIO, sha256: str):
        self._stream = stream
        self._expected = sha256
        self._hash = hashlib.sha256()
        self._done = False

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if chunk:
            self._hash.update(chunk)
        elif not self._done:
            self._done = True
            if self._hash.hexdigest() != self._expected:
                log.error("blob %s failed its SHA-256 check while being sent", self._expected)
        return chunk

    def close(self) -> None:
        self._stream.close()


def _open_checked(version: DocumentVersion) -> BinaryIO:
    """The blob of ``version``, with its size checked; small blobs are re-hashed before anything is sent."""
    store = get_blob_store()
    try:
        stream = store.open(version.sha256)
    except BlobNotFound:
        log.error("blob %s of version %s is missing", version.sha256, version.pk)
        raise errors.blob_missing(version.sha256) from None
    try:
        if store.size(version.sha256) != version.size:
            raise errors.blob_corrupted(version.sha256)
        if version.size <= storage_settings().verify_on_read_max_bytes:
            if digests_of(stream).sha256 != version.sha256:
                raise errors.blob_corrupted(version.sha256)
            stream.seek(0)
            return stream
        return _VerifyingReader(stream, version.sha256)  # type: ignore[return-value]
    except BaseException as exc:
        stream.close()
        if isinstance(exc, YiwangError):
            log.error("blob %s of version %s failed its check: %s", version.sha256, version.pk, exc.code)
        raise


def _download_name(version: DocumentVersion) -> str:
    if extension_of(version.filename):
        return version.filename
    return f"{version.filename}.{PREFERRED_EXTENSION.get(version.mime_type, 'bin')}"


def _error(request: HttpRequest, exc: YiwangError) -> HttpResponse:
    if "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(
            exc.as_dict(), status=exc.status, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = render(request, "storage/link_error.html", {"error": exc}, status=exc.status)
    response["X-Yiwang-Error"] = exc.code
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def download(request: HttpRequest, token: str) -> HttpResponse:
    try:
        claims = read_link(token)
        version = DocumentVersion.objects.select_related("document").filter(pk=claims.version_id).first()
        if version is None:
            raise errors.version_not_found(claims.version_id)
        stream = _open_checked(version)
        try:
            if not version.document.public:
                do_record_download(actor=actor_of_link(claims), version=version, purpose=claims.purpose)
        except BaseException:
            stream.close()
            raise
    except YiwangError as exc:
        return _error(request, exc)
    response = FileResponse(stream, content_type=version.mime_type)
    response.block_size = CHUNK
    response["Content-Length"] = str(version.size)
    response["Content-Disposition"] = content_disposition(
        _download_name(version), attachment=claims.purpose == "download"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["ETag"] = f'"{version.sha256}"'
    return response

"""``Idempotency-Key`` for POSTs that create something (docs/adr/0004).

The first successful response to (caller, key) is stored in the same transaction as the action it answers,
so either both exist or neither does. A retry with the same key and the same request gets that response
again (with ``Idempotent-Replayed: true``) and creates nothing; the same key with a different request is
refused. Failed requests are not stored, so a corrected retry with the same key can still succeed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse

from yiwang.kernel.errors import YiwangError
from yiwang.platform.api.auth import resolve_actor
from yiwang.platform.api.errors import error_response
from yiwang.platform.api.models import IdempotencyRecord
from yiwang.platform.clock import now

HEADER = "Idempotency-Key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
RETENTION = timedelta(days=7)
KEPT_HEADERS = ("Content-Type", "Location", "ETag")

OPENAPI_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "幂等键：同一调用方以同一键重放同一请求，返回首次结果且不重复创建 / "
    "replaying the same request with the same key returns the first result and creates nothing",
}


def _digest(request: HttpRequest) -> str:
    """SHA-256 of method, path and body. Multipart uploads are hashed from their parsed parts (fields, then files
    chunk by chunk), so a large upload is never read into memory as one body."""
    h = hashlib.sha256()
    h.update(request.method.encode() + b"\n" + request.get_full_path().encode() + b"\n")
    if request.content_type == "multipart/form-data":
        for name in sorted(request.POST):
            for value in request.POST.getlist(name):
                data = value.encode()
                h.update(f"field\0{name}\0{len(data)}\0".encode() + data)
        for name in sorted(request.FILES):
            for upload in request.FILES.getlist(name):
                h.update(f"file\0{name}\0{upload.name}\0{upload.size}\0".encode())
                for chunk in upload.chunks():
                    h.update(chunk)
                upload.seek(0)
    else:
        h.update(request.body)
    return h.hexdigest()


def _replay(record: IdempotencyRecord, digest: str) -> HttpResponse:
    if record.request_digest != digest:
        return error_response(
            422,
            "idempotency.key_reused",
            "该幂等键已用于另一个不同的请求",
            "This Idempotency-Key was already used for a different request",
            {"key": record.key},
        )
    response = HttpResponse(bytes(record.response_body), status=record.status)
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


# Namespace of the transaction-scoped advisory locks that serialise requests carrying the same key on
# PostgreSQL (the two-integer key space never overlaps the one-bigint space of the clock's leader lock).
_LOCK_NAMESPACE = 0x5957_4944  # "YWID"


def _serialise_same_key(principal: str, key: str) -> None:
    """Make a second request with this key wait until the first one's transaction has ended.

    On PostgreSQL a transaction-scoped advisory lock on (principal, key); on SQLite the transaction already
    holds the database write lock from its first statement (``BEGIN IMMEDIATE``, docs/adr/0002).
    After the wait, the first request's record (if it succeeded) is visible, and is replayed.
    """
    if connection.vendor != "postgresql":
        return
    h = int.from_bytes(hashlib.sha256(f"{principal}\0{key}".encode()).digest()[:4], "big", signed=True)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, h])


def idempotent(run: Any) -> Any:
    """Wrap an operation's ``run`` (via ``ninja.decorators.decorate_view``)."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None:
            return run(request, *args, **kwargs)
        if not KEY_PATTERN.match(key):
            return error_response(
                422,
                "idempotency.key_invalid",
                "幂等键须为 1–200 个可见 ASCII 字符",
                "Idempotency-Key must be 1-200 visible ASCII characters",
                {"header": HEADER},
            )
        try:
            actor = resolve_actor(request)
        except YiwangError:
            return run(request, *args, **kwargs)  # the operation answers with the authentication error
        if not actor.is_authenticated:
            return run(request, *args, **kwargs)
        digest = _digest(request)
        try:
            with transaction.atomic():
                _serialise_same_key(actor.ref, key)
                existing = IdempotencyRecord.objects.filter(principal=actor.ref, key=key).first()
                if existing is not None:
                    return _replay(existing, digest)
                response = run(request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    IdempotencyRecord.objects.create(
                        principal=actor.ref,
                        key=key,
                        method=request.method,
                        path=request.get_full_path()[:500],
                        request_digest=digest,
                        status=response.status_code,
                        response_body=response.content,
                        response_headers={h: response[h] for h in KEPT_HEADERS if response.has_header(h)},
                        created_at=now(),
                    )
                else:
                    transaction.set_rollback(True)  # a refused request leaves nothing behind
                return response
        except IntegrityError:
            # Only the record's unique (principal, key) can fail here (``run`` turns every error of the
            # operation into a response): a concurrent request with the same key committed first, and our
            # whole transaction, the action included, was rolled back. Answer with the first response.
            record = IdempotencyRecord.objects.filter(principal=actor.ref, key=key).first()
            if record is None:
                raise
            return _replay(record, digest)

    return wrapper


def purge_expired(moment: datetime) -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=moment - RETENTION).delete()
    return deleted

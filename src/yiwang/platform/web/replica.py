"""Reads that may go to a streaming replica (the scale-out profile, docs/deploy/scaling.md).

A hot standby is a consistent copy of the primary a few milliseconds behind it. Reading from it is safe only where
a slightly older view is harmless and nobody expects to read their own write. So a request is served from the
replica only when all of these hold:

* the database alias ``replica`` is configured (``YIWANG_REPLICA_URL``; absent, everything reads the primary);
* it is a ``GET`` or ``HEAD`` by an anonymous visitor — no session user, no ``Authorization`` header: a bidder who
  has just submitted, a regulator acting on an alert, a staff member scheduling an opening always read the
  primary, so nobody misses their own write;
* its path starts with one of ``YIWANG_REPLICA_READ_PATHS`` (default :data:`PUBLIC_READ_PATHS`: public search,
  notices, the catalogue, the public feed and OCDS publication — pages whose content is published, and where a
  cursor or a reload catches up);

and, inside it, a query is sent to the replica only outside a transaction on the primary (a read inside
``atomic()`` is part of a unit of work and stays with it) and only when it is not for writing (``select_for_update``
and every write go to the primary: the router's ``db_for_write`` is always ``default``). Migrations run on the
primary only.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PUBLIC_READ_PATHS: tuple[str, ...] = (
    "/search/",
    "/notices/",
    "/catalog/",
    "/exchange/ocds/",
    "/api/v1/search",
    "/api/v1/notices",
    "/api/v1/catalog",
    "/api/v1/feed",
    "/api/v1/ocds",
)

_replica_reads: ContextVar[bool] = ContextVar("yiwang_replica_reads", default=False)


def has_replica() -> bool:
    return REPLICA in connections.databases


def read_paths() -> tuple[str, ...]:
    return tuple(getattr(settings, "YIWANG_REPLICA_READ_PATHS", PUBLIC_READ_PATHS))


def replica_safe(request: HttpRequest) -> bool:
    """May this request's reads be served from the replica? (See the module docstring.)"""
    if request.method not in ("GET", "HEAD") or "HTTP_AUTHORIZATION" in request.META:
        return False
    if not request.path.startswith(read_paths()):
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


class ReplicaReadsMiddleware:
    """Marks replica-safe requests for :class:`ReplicaRouter` (after the authentication middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not has_replica() or not replica_safe(request):
            return self.get_response(request)
        token = _replica_reads.set(True)
        try:
            return self.get_response(request)
        finally:
            _replica_reads.reset(token)


class ReplicaRouter:
    """Sends the reads of replica-safe requests to ``replica``; everything else to ``default``."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if _replica_reads.get() and has_replica() and not connections["default"].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # the same data on both aliases

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool | None:
        return db == "default"

"""Who is calling the API: one resolver, two credentials (bearer token or browser session).

The identity context implements the resolver (``settings.YIWANG_ACTOR_RESOLVER``); this module only knows
the port, so the platform tier never imports identity. The actor is resolved once per request and cached.
"""

from __future__ import annotations

from functools import cache
from typing import Protocol

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string
from ninja.utils import check_csrf

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import NotAuthenticated, PermissionDenied

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ActorResolverPort(Protocol):
    def from_bearer(self, request: HttpRequest, token: str) -> Actor:
        """The actor a bearer token belongs to; raise NotAuthenticated if it is unknown, expired or revoked."""
        ...

    def from_session(self, request: HttpRequest) -> Actor:
        """The signed-in account of the browser session, or ``Actor.anonymous()``."""
        ...


@cache
def resolver() -> ActorResolverPort:
    return import_string(settings.YIWANG_ACTOR_RESOLVER)()


def resolve_actor(request: HttpRequest) -> Actor:
    cached = getattr(request, "_yiwang_actor", None)
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated(
                "auth.bad_scheme",
                "Authorization 头须为 Bearer 令牌",
                "Authorization must be 'Bearer <token>'",
            )
        actor = resolver().from_bearer(request, token.strip())
    else:
        actor = resolver().from_session(request)
        if actor.is_authenticated and request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise PermissionDenied("auth.csrf", "跨站请求校验失败，请刷新页面后重试", "CSRF check failed")
    request._yiwang_actor = actor  # type: ignore[attr-defined]
    return actor


class ActorAuth:
    """Ninja auth callable. ``required=False`` lets anonymous callers in as ``Actor.anonymous()``; a bad
    token is refused either way (never silently downgraded to anonymous)."""

    def __init__(self, *, required: bool = True):
        self.required = required

    def __call__(self, request: HttpRequest) -> Actor | None:
        actor = resolve_actor(request)
        if self.required and not actor.is_authenticated:
            return None
        return actor


def actor_of(request: HttpRequest) -> Actor:
    """The actor of an API request (after authentication)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Actor) else resolve_actor(request)

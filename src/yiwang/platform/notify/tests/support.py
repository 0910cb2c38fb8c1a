"""A test actor resolver: bearer tokens and the ``X-Test-Actor`` page header name actors in :data:`ACTORS`."""

from __future__ import annotations

from django.http import HttpRequest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import NotAuthenticated

ACTORS: dict[str, Actor] = {}


class TestActors:
    __test__ = False

    def from_bearer(self, request: HttpRequest, token: str) -> Actor:
        actor = ACTORS.get(token)
        if actor is None:
            raise NotAuthenticated("auth.invalid_token", "访问令牌无效", "The access token is invalid")
        return actor

    def from_session(self, request: HttpRequest) -> Actor:
        return ACTORS.get(request.headers.get("X-Test-Actor", ""), Actor.anonymous())

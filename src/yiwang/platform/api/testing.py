"""An actor resolver for tests: the contexts' tests name actors by a token instead of signing people in.

A test registers actors in :data:`ACTORS` (token → :class:`~yiwang.kernel.actors.Actor`) and points
``settings.YIWANG_ACTOR_RESOLVER`` at :class:`TestActors`; then ``Authorization: Bearer <token>`` on the API and the
``X-Test-Actor: <token>`` header on pages act as that actor. Contexts below identity (the registry) and contexts
whose tests need actors identity does not know (grants over any region, entity) use it. Never configured outside
tests: nothing in the site's settings names it.
"""

from __future__ import annotations

from django.http import HttpRequest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import NotAuthenticated

ACTORS: dict[str, Actor] = {}


class TestActors:
    """Bearer token, or the ``X-Test-Actor`` header on pages → an actor registered in :data:`ACTORS`."""

    __test__ = False

    def from_bearer(self, request: HttpRequest, token: str) -> Actor:
        actor = ACTORS.get(token)
        if actor is None:
            raise NotAuthenticated("auth.invalid_token", "访问令牌无效", "The access token is invalid")
        return actor

    def from_session(self, request: HttpRequest) -> Actor:
        return ACTORS.get(request.headers.get("X-Test-Actor", ""), Actor.anonymous())

"""View decorators shared by every context's pages.

``signed_in``: anonymous visitors go to the sign-in page and come back afterwards.
``allowed(predicate, why)``: signed-in people for whom ``predicate(actor)`` is false get the 403 page.
Both read ``request.actor`` (set by ``ActorMiddleware``), never the session directly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from yiwang.kernel.actors import Actor

View = Callable[..., HttpResponse]


def signed_in(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def allowed(predicate: Callable[[Actor], bool], why: str) -> Callable[[View], View]:
    """Let signed-in actors through when ``predicate(actor)`` holds; others get 403 (``why`` is logged)."""

    def decorate(view: View) -> View:
        @signed_in
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not predicate(request.actor):
                raise PermissionDenied(why)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate

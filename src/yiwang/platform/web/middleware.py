"""Puts ``request.actor`` on every page request (resolved lazily from the session), and answers a page whose
view lets a :class:`~yiwang.kernel.errors.YiwangError` escape with the site's own error page of that status.

A query refusing with ``NotFound`` (an unknown number, or something this person may not see) becomes the 404
page, ``PermissionDenied`` the 403 page (an anonymous visitor is sent to sign in instead), never a server error.
The API answers its errors itself (JSON, ``platform/api``); this only ever sees pages.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.handlers.exception import response_for_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from yiwang.kernel.errors import YiwangError
from yiwang.platform.api.auth import resolver


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = SimpleLazyObject(lambda: resolver().from_session(request))  # type: ignore[attr-defined]
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, YiwangError):
            return None
        if exception.status == 404:
            return response_for_exception(request, Http404(exception.message_zh))
        if exception.status in (401, 403):
            if not request.actor.is_authenticated:  # type: ignore[attr-defined]
                return redirect_to_login(request.get_full_path())
            return response_for_exception(request, DjangoPermissionDenied(exception.message_zh))
        return None

"""Puts ``request.actor`` on every page request (resolved lazily from the session)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from yiwang.platform.api.auth import resolver


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = SimpleLazyObject(lambda: resolver().from_session(request))  # type: ignore[attr-defined]
        return self.get_response(request)

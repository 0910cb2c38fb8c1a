"""The inbox pages ``/messages/`` (站内信): the list (all or unread, paged), one message, mark read, mark all
read. Signed-in people only, each sees their own."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from yiwang.kernel.errors import NotFound
from yiwang.platform.notify import actions, queries

PAGE_SIZE = 20


def _page_number(raw: str) -> int:
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_authenticated:
        return redirect_to_login(request.get_full_path())
    unread_only = request.GET.get("unread") == "1"
    page = queries.list_messages_for(
        actor, unread_only=unread_only, page=_page_number(request.GET.get("page", "")), size=PAGE_SIZE
    )
    context = {"page": page, "unread_only": unread_only}
    template = "notify/inbox.html#list" if getattr(request, "htmx", False) else "notify/inbox.html"
    return render(request, template, context)


@require_GET
def message(request: HttpRequest, message_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        found = queries.get_message_for(actor, message_id)
    except NotFound:
        raise Http404("no such message") from None
    return render(request, "notify/message.html", {"message": found})


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@require_POST
def mark_read(request: HttpRequest, message_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_authenticated:
        return redirect_to_login("/messages/")
    try:
        actions.do_mark_read(actor=actor, message_id=message_id)
    except NotFound:
        raise Http404("no such message") from None
    return _back(request, f"/messages/{message_id}/")


@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    if not actor.is_authenticated:
        return redirect_to_login("/messages/")
    actions.do_mark_all_read(actor=actor)
    return _back(request, "/messages/")

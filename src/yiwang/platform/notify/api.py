"""Inbox API (``/api/v1/messages``): the signed-in caller's own in-site messages.

``GET ""`` (``unread``, ``page``, ``size``), ``GET /unread-count``, ``GET /{id}``, ``POST /{id}/read``,
``POST /read-all``. POSTs take ``Idempotency-Key`` (``routing.acts``). Another person's message answers 404
``notify.message_not_found``, the same as one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from yiwang.platform.api.auth import actor_of
from yiwang.platform.api.routing import acts
from yiwang.platform.api.schemas import CREATE_ERRORS, ERRORS
from yiwang.platform.notify import actions, queries
from yiwang.platform.notify.models import Message


class MessageOut(Schema):
    id: int
    category: str
    title: str
    body_text: str
    body_html: str = Field(description="sanitised HTML (may be empty: then show body_text)")
    link: str
    created_at: datetime
    read_at: datetime | None
    read: bool


class MessageListOut(Schema):
    items: list[MessageOut]
    total: int
    unread: int
    page: int
    size: int
    pages: int


class UnreadOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked_read: int


class ListParams(Schema):
    unread: bool = Field(False, description="only unread messages")
    page: int = Field(1, ge=1, le=100_000)
    size: int = Field(20, ge=1, le=queries.MAX_PAGE_SIZE)


def message_out(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "category": m.category,
        "title": m.title,
        "body_text": m.body_text,
        "body_html": m.body_html,
        "link": m.link,
        "created_at": m.created_at,
        "read_at": m.read_at,
        "read": m.read_at is not None,
    }


def build_router() -> Router:
    """A fresh router (a Ninja router can be mounted on one API only; tests mount their own)."""
    router = Router(tags=["messages 站内信"])

    @router.get("", response={200: MessageListOut, **ERRORS})
    def list_messages(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
        """The caller's messages, newest first."""
        page = queries.list_messages_for(
            actor_of(request), unread_only=params.unread, page=params.page, size=params.size
        )
        return {
            "items": [message_out(m) for m in page.items],
            "total": page.total,
            "unread": page.unread,
            "page": page.page,
            "size": page.size,
            "pages": page.pages,
        }

    @router.get("/unread-count", response={200: UnreadOut, **ERRORS})
    def unread_count(request: HttpRequest) -> dict[str, int]:
        """How many unread messages the caller has."""
        return {"unread": queries.unread_count_for(actor_of(request))}

    @router.get("/{int:message_id}", response={200: MessageOut, **ERRORS})
    def get_message(request: HttpRequest, message_id: int) -> dict[str, Any]:
        """One of the caller's messages (reading it does not mark it read). Errors: ``notify.message_not_found``."""
        return message_out(queries.get_message_for(actor_of(request), message_id))

    @acts(router, "/{int:message_id}/read", response={200: MessageOut, **CREATE_ERRORS})
    def mark_read(request: HttpRequest, response: HttpResponse, message_id: int) -> dict[str, Any]:
        """Mark one message read. Errors: ``notify.message_not_found`` (404)."""
        return message_out(actions.do_mark_read(actor=actor_of(request), message_id=message_id))

    @acts(router, "/read-all", response={200: MarkedOut, **CREATE_ERRORS})
    def mark_all_read(request: HttpRequest, response: HttpResponse) -> dict[str, int]:
        """Mark every unread message read; answers how many changed."""
        return {"marked_read": actions.do_mark_all_read(actor=actor_of(request))}

    return router


router = build_router()

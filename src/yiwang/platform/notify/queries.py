"""Reads of the inbox, always the acting person's own: nobody reads another person's messages (staff
included — an inbox is private; what was sent is evidenced by the witness log's digests)."""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.kernel.actors import Actor
from yiwang.platform.notify import errors
from yiwang.platform.notify.models import Message, OutboxMail

__all__ = ["MessagePage", "get_message_for", "list_messages_for", "mail_queue", "unread_count_for"]

MAX_PAGE_SIZE = 100


def unread_count_for(actor: Actor) -> int:
    """How many unread messages the actor has (0 for anonymous visitors): for the workbench and the navbar."""
    if not actor.is_authenticated:
        return 0
    return Message.objects.filter(recipient=actor.ref, read_at__isnull=True).count()


@dataclass(frozen=True)
class MessagePage:
    items: list[Message]
    total: int
    unread: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def list_messages_for(actor: Actor, *, unread_only: bool = False, page: int = 1, size: int = 20) -> MessagePage:
    """The actor's messages, newest first (one page)."""
    size = max(1, min(int(size), MAX_PAGE_SIZE))
    page = max(1, int(page))
    if not actor.is_authenticated:
        return MessagePage([], 0, 0, page, size)
    qs = Message.objects.filter(recipient=actor.ref)
    unread = qs.filter(read_at__isnull=True).count()
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
        total = unread
    else:
        total = qs.count()
    items = list(qs.order_by("-created_at", "-pk")[(page - 1) * size : page * size])
    return MessagePage(items, total, unread, page, size)


def get_message_for(actor: Actor, message_id: int) -> Message:
    """One of the actor's own messages, or ``notify.message_not_found``."""
    message = Message.objects.filter(pk=message_id, recipient=actor.ref).first() if actor.is_authenticated else None
    if message is None:
        raise errors.message_not_found(message_id)
    return message


def mail_queue(*, limit: int = 100) -> list[OutboxMail]:
    """The outgoing mail, oldest first, for operators and tests (mail is not a person's inbox: it is the
    platform's own outbox, so no actor restriction applies beyond who may call this)."""
    return list(OutboxMail.objects.order_by("pk")[:limit])

"""``GET /api/v1/feed``: the public changes feed, in commit order, with no gaps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema

from yiwang.kernel.actors import Actor, Role
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.schemas import ERRORS
from yiwang.platform.outbox import feed
from yiwang.platform.outbox.feed import Visibility

router = Router(tags=["feed 变更流"])

PRIVILEGED = (Role.STAFF, Role.REGULATOR, Role.AUDITOR, Role.SUBPLATFORM_CLIENT)


class FeedEventOut(Schema):
    seq: int
    type: str
    occurred_at: datetime
    object_type: str
    object_id: str
    visibility: str
    redacted: bool = Field(description="true when the event's data is restricted and the caller may not see it")
    data: dict[str, Any] | None
    actor: str | None = Field(None, description="who acted (privileged readers only)")
    witness_seq: int | None


class FeedPageOut(Schema):
    events: list[FeedEventOut]
    after: int
    next_after: int = Field(
        description="pass as ?after= to read on: the last event's seq when more follow, else last_seq (a filtered "
        "reader skips the events it did not ask for)"
    )
    last_seq: int = Field(description="the newest committed seq when the page was read; the page never goes past it")
    has_more: bool = Field(description="more (matching) events exist up to last_seq: read again at once")


class FeedQuery(Schema):
    after: int = Field(0, ge=0, description="return events with seq > after")
    limit: int = Field(100, ge=1, le=feed.MAX_PAGE)
    type: list[str] = Field([], description="only these event types (repeatable)")


def _out(event: Any, privileged: bool) -> dict[str, Any]:
    hidden = event.visibility != Visibility.PUBLIC and not privileged
    return {
        "seq": event.seq,
        "type": event.event_type,
        "occurred_at": event.occurred_at,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "visibility": event.visibility,
        "redacted": hidden,
        "data": None if hidden else event.data,
        "actor": event.actor_ref if privileged else None,
        "witness_seq": event.witness_seq,
    }


@router.get("/feed", auth=ActorAuth(required=False), response={200: FeedPageOut, **ERRORS})
def read_feed(request, q: Query[FeedQuery]) -> dict[str, Any]:
    """Events after ``after`` in commit order. Sequence numbers are contiguous: a consumer that sees *n* has
    seen everything before *n*. Restricted events keep their place in the sequence with ``data`` hidden."""
    actor: Actor = actor_of(request)
    privileged = actor.has_role(*PRIVILEGED)
    page = feed.read(q.after, q.limit, q.type)
    return {
        "events": [_out(e, privileged) for e in page.events],
        "after": page.after,
        "next_after": page.next_after,
        "last_seq": page.last_seq,
        "has_more": page.has_more,
    }

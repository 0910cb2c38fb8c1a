"""Appending events to the outbox and reading them back as a gap-free feed.

Why the feed has no gaps and never reorders (docs/adr/0003): a sequence number is taken from the head row
while holding its lock until the transaction commits. The next writer can only read the head after that
commit, so numbers are handed out in commit order, and a rolled-back transaction gives its numbers back.
A reader that sees event *n* therefore also sees every event before *n*. ProZorro's timestamp feed lacked
exactly this and needed a one-second watermark that still missed late commits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from yiwang.platform.db import locked_singleton
from yiwang.platform.outbox.models import OutboxEvent, OutboxHead, Visibility

EVENT_TYPE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[1-9][0-9]*$")
MAX_PAGE = 1000


@dataclass(frozen=True)
class PendingEvent:
    event_type: str
    occurred_at: datetime
    object_type: str
    object_id: str
    actor_ref: str
    data: dict
    visibility: str = Visibility.PUBLIC
    witness_seq: int | None = None


def check_event_type(event_type: str) -> None:
    """Event names are ``<context>.<past_tense>.v<N>``, e.g. ``registry.entity_registered.v1``."""
    if not EVENT_TYPE.match(event_type):
        raise ValueError(f"event type {event_type!r} is not <context>.<past_tense>.v<N>")


def append(pending: Sequence[PendingEvent]) -> list[OutboxEvent]:
    if not pending:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("outbox events are written inside the action's transaction")
    head = locked_singleton(OutboxHead)
    seq = head.seq
    rows = []
    for p in pending:
        seq += 1
        rows.append(
            OutboxEvent(
                seq=seq,
                event_type=p.event_type,
                occurred_at=p.occurred_at,
                object_type=p.object_type,
                object_id=p.object_id,
                actor_ref=p.actor_ref,
                data=p.data,
                visibility=p.visibility,
                witness_seq=p.witness_seq,
            )
        )
    OutboxEvent.objects.bulk_create(rows)
    OutboxHead.objects.filter(pk=1).update(seq=seq)
    return rows


@dataclass(frozen=True)
class FeedPage:
    events: list[OutboxEvent]
    after: int
    next_after: int  # pass as ``after`` to read the next page
    last_seq: int  # the newest committed sequence number when the page was read
    has_more: bool  # more (matching) events exist up to ``last_seq``: read again at once


def last_seq() -> int:
    """The newest committed sequence number (0 for an empty feed)."""
    return OutboxHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0


def stored_count() -> int:
    """How many events are stored (equals :func:`last_seq` whenever the feed is intact)."""
    return OutboxEvent.objects.count()


def read(after: int, limit: int, event_types: Sequence[str] = ()) -> FeedPage:
    """Events with ``seq > after`` in order, at most ``limit`` (optionally only of ``event_types``).

    The head is read first and the page is bounded by it: every event up to the head was committed when the
    head was (they commit together, docs/adr/0003), so a page never shows an event while an earlier one is
    still missing. ``next_after`` is the last event's number when more matching events follow, else the head
    itself, so a filtered reader skips past the events it did not ask for instead of re-scanning them.
    """
    after = max(0, after)
    limit = max(1, min(limit, MAX_PAGE))
    last = last_seq()
    qs = OutboxEvent.objects.filter(seq__gt=after, seq__lte=last)
    if event_types:
        qs = qs.filter(event_type__in=list(event_types))
    rows = list(qs.order_by("seq")[: limit + 1])
    has_more = len(rows) > limit
    events = rows[:limit]
    next_after = events[-1].seq if has_more else max(after, last)
    return FeedPage(events=events, after=after, next_after=next_after, last_seq=last, has_more=has_more)

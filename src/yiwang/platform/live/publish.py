"""Publishing live events from the Django side (actions, tasks, the clock).

    publish("auction.lot:42", seq, {"price": 1_050_000, "leader": "A17", "end_at": "…"})

Inside a transaction (an action) the event is stored in ``live_event`` with the action's rows and handed to
the broadcaster only when the transaction commits: a rolled-back action publishes nothing, and nobody sees
state that did not commit. Outside a transaction it is stored and broadcast at once.

``event_id`` is a number that grows per channel — use the command log's ``seq`` (or the object's version). An
id published before on the same channel is ignored, so re-publishing after a retry is harmless.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max

from yiwang.platform.clock import now as clock_now
from yiwang.platform.live import channels as names
from yiwang.platform.live import config
from yiwang.platform.live.broadcast import get_broadcaster
from yiwang.platform.live.models import LiveEvent

DATA_MAX = 64 * 1024


def encode(data: Any) -> str:
    """Compact JSON text (no raw line breaks: it goes on one SSE ``data:`` line)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def check_channel(channel: str) -> str:
    parsed = names.parse(channel)
    if parsed is None:
        raise ValueError(f"{channel!r} is not a channel name (<kind>:<key>)")
    if parsed[0] not in config.get().kinds:
        raise ValueError(f"unknown live channel kind {parsed[0]!r}: declare it in channels.DEFAULT_KINDS or settings")
    return channel


def publish(channel: str, event_id: int, data: Any) -> None:
    """Publish ``data`` (JSON values) as event ``event_id`` of ``channel``, after the current transaction commits."""
    check_channel(channel)
    if not isinstance(event_id, int) or event_id < 1:
        raise ValueError("a live event id is a positive integer that grows per channel")
    text = encode(data)
    if len(text.encode()) > DATA_MAX:
        raise ValueError(f"live event data is larger than {DATA_MAX} bytes: send a smaller state")
    with transaction.atomic(savepoint=False):
        LiveEvent.objects.bulk_create(
            [LiveEvent(channel=channel, event_id=event_id, data=text, published_at=clock_now())],
            ignore_conflicts=True,
        )
        broadcaster = get_broadcaster()
        transaction.on_commit(lambda: broadcaster.publish(channel, event_id, text))


def last_event_id(channel: str) -> int:
    """The newest event id published on ``channel`` (0: none) — pass it to ``live_url`` when a page is rendered
    from the same state, so the stream starts after it."""
    return LiveEvent.objects.filter(channel=channel).aggregate(m=Max("event_id"))["m"] or 0


def prune(before: datetime) -> int:
    """Delete events published before ``before``, except the newest of each channel (a state channel's
    current state). Returns how many rows went."""
    newest = LiveEvent.objects.values("channel").annotate(m=Max("id")).values_list("m", flat=True)
    deleted, _ = LiveEvent.objects.filter(published_at__lt=before).exclude(id__in=list(newest)).delete()
    return deleted


def prune_job(now: datetime) -> int:
    """The clock's hourly job: keep ``KEEP_HOURS`` of events for catching up."""
    return prune(now - timedelta(hours=config.get().keep_hours))

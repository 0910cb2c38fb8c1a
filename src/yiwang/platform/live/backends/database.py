"""The embedded profile's broadcaster: the ``live_event`` row is the message; the live server polls the table.

Publishing costs nothing extra (the row was written in the action's transaction). The live server asks for
rows after the last one it saw every ``POLL_MS`` (50 ms by default: one indexed query, whatever the number of
watchers), so an event reaches it 25 ms after commit on average.

On SQLite row ids are handed out in commit order (one writer at a time). Where they are not (PostgreSQL
sequences), a row with a lower id can commit after a higher one: a hole in the ids is therefore re-read for
``GAP_SECONDS`` before the poller gives up on it (a rolled-back insert leaves a hole for ever).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable

from yiwang.platform.live.broadcast import Message

GAP_SECONDS = 2.0
BATCH = 1000


class DatabaseBroadcaster:
    def __init__(self, store=None, poll_ms: int | None = None):
        self._store = store
        self._poll_ms = poll_ms

    def publish(self, channel: str, event_id: int, data: str) -> None:
        """Nothing to do: the live server finds the committed ``live_event`` row by itself."""

    def _settings(self):
        from yiwang.platform.live import config
        from yiwang.platform.live.store import Store

        if self._store is None:
            self._store = Store()
        if self._poll_ms is None:
            self._poll_ms = config.get().poll_ms

    async def subscribe(
        self, channels: Iterable[str] | None = None, *, ready: asyncio.Event | None = None
    ) -> AsyncIterator[Message]:
        self._settings()
        wanted = None if channels is None else frozenset(channels)
        low = await self._store.last_row()  # every row up to ``low`` is settled; start with what is new
        if ready is not None:
            ready.set()
        seen: set[int] = set()  # rows above ``low`` already delivered
        gap_since: float | None = None
        while True:
            rows = await self._store.tail(low, BATCH)
            for row_id, message in rows:
                if row_id in seen:
                    continue
                seen.add(row_id)
                if wanted is None or message.channel in wanted:
                    yield message
            # move ``low`` over the contiguous prefix of delivered rows
            while low + 1 in seen:
                low += 1
                seen.discard(low)
            if seen:  # a hole below a delivered row: wait for it a little, then give up on it
                now = time.monotonic()
                gap_since = gap_since or now
                if now - gap_since > GAP_SECONDS:
                    low = min(seen)
                    seen.discard(low)
                    while low + 1 in seen:
                        low += 1
                        seen.discard(low)
                    gap_since = None
            else:
                gap_since = None
            if len(rows) < BATCH:
                await asyncio.sleep(self._poll_ms / 1000)

"""The Broadcaster port: how a published event reaches the live server(s).

    publish(channel, event_id, data)        synchronous; called after the publishing transaction committed
    subscribe(channels, ready=None) -> async iterator of :class:`Message`, in the live server (``None``: every
                                            channel); ``ready`` (an asyncio.Event) is set once subscribed

Adapters (``settings.YIWANG_LIVE["BROADCASTER"]``):

``memory``    one process only (tests; a live server embedded in the publishing process)
``database``  embedded profile: the live server tails the ``live_event`` table (the row *is* the message), so
              web, worker and live processes need nothing but the SQLite file
``postgres``  production: ``NOTIFY yiwang_live`` with a small JSON payload; the data rides along when it fits
              (≤ 7,000 bytes), otherwise the live server reads it from ``live_event``
``redis``     scaleout: ``PUBLISH yiwang:live:<channel>``; live servers ``PSUBSCRIBE yiwang:live:*``

Every adapter may lose a message on a crash between commit and publish (database: never): watchers then get
the next event, and a reconnect catches up from ``live_event`` (the durable source).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol


@dataclass(frozen=True)
class Message:
    channel: str
    event_id: int
    data: str | None  # compact JSON text; None when the live server must read it from ``live_event``


class Broadcaster(Protocol):
    def publish(self, channel: str, event_id: int, data: str) -> None: ...

    def subscribe(
        self, channels: Iterable[str] | None = None, *, ready: asyncio.Event | None = None
    ) -> AsyncIterator[Message]:
        """Messages of ``channels`` (None: all) as they are published; sets ``ready`` once subscribed."""
        ...


class MemoryBroadcaster:
    """In-process fan-out to subscribers on any event loop; ``publish`` may be called from any thread."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Message], frozenset[str] | None]] = []
        self._lock = threading.Lock()

    def publish(self, channel: str, event_id: int, data: str) -> None:
        message = Message(channel, event_id, data)
        with self._lock:
            targets = list(self._subscribers)
        for loop, queue, wanted in targets:
            if wanted is None or channel in wanted:
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, message)
                except RuntimeError:  # that loop is closed: its subscriber is gone
                    self._drop(queue)

    def _drop(self, queue: asyncio.Queue[Message]) -> None:
        with self._lock:
            self._subscribers = [s for s in self._subscribers if s[1] is not queue]

    async def subscribe(
        self, channels: Iterable[str] | None = None, *, ready: asyncio.Event | None = None
    ) -> AsyncIterator[Message]:
        queue: asyncio.Queue[Message] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue, None if channels is None else frozenset(channels))
        with self._lock:
            self._subscribers.append(entry)
        if ready is not None:
            ready.set()
        try:
            while True:
                yield await queue.get()
        finally:
            self._drop(queue)


def build(name: str) -> Broadcaster:
    """The adapter called ``name`` (or a dotted path to a class taking no arguments)."""
    if name == "memory":
        return MemoryBroadcaster()
    if name == "database":
        from yiwang.platform.live.backends.database import DatabaseBroadcaster

        return DatabaseBroadcaster()
    if name == "postgres":
        from yiwang.platform.live.backends.postgres import PostgresBroadcaster

        return PostgresBroadcaster()
    if name == "redis":
        from yiwang.platform.live.backends.redis import RedisBroadcaster

        return RedisBroadcaster()
    from django.utils.module_loading import import_string

    return import_string(name)()


@lru_cache(maxsize=1)
def get_broadcaster() -> Broadcaster:
    """The configured broadcaster of this process."""
    from yiwang.platform.live import config

    return build(config.get().broadcaster)


def reset() -> None:
    get_broadcaster.cache_clear()

"""Reads of ``live_event`` for the live server: raw SQL on Django's connection, in a small thread pool.

No model is imported here (the live server never loads Django's apps), and only catch-up paths read the
database — a joining or reconnecting watcher, the database broadcaster's poll — never the per-event fan-out.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from yiwang.platform.live.broadcast import Message

TABLE = "live_event"


class Store:
    def __init__(self, alias: str = "default", workers: int = 2):
        self.alias = alias
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="live-db")

    def _query(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        from django.db import connections

        connection = connections[self.alias]
        connection.close_if_unusable_or_obsolete()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    async def _run(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._query, sql, params)

    async def latest(self, channel: str) -> Message | None:
        rows = await self._run(
            f"SELECT event_id, data FROM {TABLE} WHERE channel = %s ORDER BY event_id DESC LIMIT 1",  # noqa: S608
            [channel],
        )
        return Message(channel, rows[0][0], rows[0][1]) if rows else None

    async def after(self, channel: str, event_id: int, limit: int) -> list[Message]:
        rows = await self._run(
            f"SELECT event_id, data FROM {TABLE} WHERE channel = %s AND event_id > %s "  # noqa: S608
            "ORDER BY event_id LIMIT %s",
            [channel, event_id, limit],
        )
        return [Message(channel, r[0], r[1]) for r in rows]

    async def get(self, channel: str, event_id: int) -> Message | None:
        rows = await self._run(
            f"SELECT data FROM {TABLE} WHERE channel = %s AND event_id = %s",  # noqa: S608
            [channel, event_id],
        )
        return Message(channel, event_id, rows[0][0]) if rows else None

    async def tail(self, after_row: int, limit: int) -> list[tuple[int, Message]]:
        """Rows with ``id > after_row`` in id order (the database broadcaster's poll)."""
        rows = await self._run(
            f"SELECT id, channel, event_id, data FROM {TABLE} WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608
            [after_row, limit],
        )
        return [(r[0], Message(r[1], r[2], r[3])) for r in rows]

    async def last_row(self) -> int:
        rows = await self._run(f"SELECT MAX(id) FROM {TABLE}", [])  # noqa: S608
        return int(rows[0][0] or 0)

    def close(self) -> None:
        """Close each pool thread's connection (a barrier makes every thread run one closer) and stop the pool."""
        workers = self._pool._max_workers
        barrier = threading.Barrier(workers)

        def close_connection() -> None:
            from django.db import connections

            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)
            connections[self.alias].close()

        for _ in range(workers):
            self._pool.submit(close_connection)
        self._pool.shutdown(wait=True)

"""The production broadcaster: PostgreSQL ``LISTEN``/``NOTIFY`` on the channel ``yiwang_live``.

The payload is ``{"c": channel, "i": event id, "d": data}`` when it fits in ``INLINE_MAX`` bytes (NOTIFY allows
8,000), else ``{"c", "i"}`` and the live server reads the data from ``live_event``. ``publish`` runs after the
action committed (``transaction.on_commit``), on the publishing process's own Django connection.
The live server listens on a psycopg connection of its own and reconnects with backoff when it drops.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable

from yiwang.platform.live.broadcast import Message

PG_CHANNEL = "yiwang_live"
INLINE_MAX = 7000


def payload(channel: str, event_id: int, data: str) -> str:
    inline = json.dumps({"c": channel, "i": event_id, "d": "§"}, ensure_ascii=False, separators=(",", ":"))
    if len(inline.encode()) + len(data.encode()) <= INLINE_MAX:
        return inline.replace('"§"', data, 1)
    return json.dumps({"c": channel, "i": event_id}, ensure_ascii=False, separators=(",", ":"))


def parse(text: str) -> Message:
    body = json.loads(text)
    data = body.get("d")
    return Message(
        body["c"], int(body["i"]), None if data is None else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    )


def conninfo(alias: str = "default") -> str:
    """A libpq connection string for Django's database ``alias`` (the test database during tests)."""
    from django.db import connections
    from psycopg.conninfo import make_conninfo

    params = connections[alias].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.pop("server_side_binding", None)
    return make_conninfo(**{k: v for k, v in params.items() if v not in (None, "")})


class PostgresBroadcaster:
    def __init__(self, alias: str = "default"):
        self.alias = alias

    def publish(self, channel: str, event_id: int, data: str) -> None:
        from django.db import connections

        with connections[self.alias].cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [PG_CHANNEL, payload(channel, event_id, data)])

    async def subscribe(
        self, channels: Iterable[str] | None = None, *, ready: asyncio.Event | None = None
    ) -> AsyncIterator[Message]:
        import psycopg

        wanted = None if channels is None else frozenset(channels)
        async with await psycopg.AsyncConnection.connect(conninfo(self.alias), autocommit=True) as connection:
            await connection.execute(f"LISTEN {PG_CHANNEL}")
            if ready is not None:
                ready.set()
            async for notify in connection.notifies():
                message = parse(notify.payload)
                if wanted is None or message.channel in wanted:
                    yield message

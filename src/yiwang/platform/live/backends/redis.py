"""The scaleout broadcaster: Redis pub/sub, one Redis channel per live channel (``yiwang:live:<channel>``).

``publish`` uses a synchronous client in the publishing process (after commit); live servers subscribe to
the pattern ``yiwang:live:*`` (or to named channels) with ``redis.asyncio``. The message is
``{"i": event id, "d": data}``; Redis imposes no small size limit, so the data always rides along.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable

from yiwang.platform.live.broadcast import Message

PREFIX = "yiwang:live:"


def parse(channel: str, raw: bytes | str) -> Message | None:
    """The message published by :meth:`RedisBroadcaster.publish`, without decoding and re-encoding its data: the
    text is ``{"i":<id>,"d":<compact JSON>}`` and the data is cut out as it is. Anything else is decoded (and a
    body without an id is skipped)."""
    text = raw.decode() if isinstance(raw, bytes) else raw
    cut = text.find(',"d":')
    if text.startswith('{"i":') and text.endswith("}") and cut > 5 and text[5:cut].isdigit():
        return Message(channel, int(text[5:cut]), text[cut + 5 : -1])
    try:
        body = json.loads(text)
        return Message(channel, int(body["i"]), json.dumps(body.get("d"), ensure_ascii=False, separators=(",", ":")))
    except (ValueError, KeyError, TypeError):
        return None


class RedisBroadcaster:
    def __init__(self, url: str | None = None):
        self._url = url
        self._client = None

    def url(self) -> str:
        if self._url is None:
            from yiwang.platform.live import config

            self._url = config.get().redis_url
        if not self._url:
            raise RuntimeError("the redis broadcaster needs YIWANG_REDIS_URL (or YIWANG_LIVE['REDIS_URL'])")
        return self._url

    def publish(self, channel: str, event_id: int, data: str) -> None:
        import redis

        if self._client is None:
            self._client = redis.Redis.from_url(self.url())
        self._client.publish(PREFIX + channel, f'{{"i":{int(event_id)},"d":{data}}}')

    async def subscribe(
        self, channels: Iterable[str] | None = None, *, ready: asyncio.Event | None = None
    ) -> AsyncIterator[Message]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url())
        pubsub = client.pubsub()
        try:
            if channels is None:
                await pubsub.psubscribe(PREFIX + "*")
            else:
                await pubsub.subscribe(*[PREFIX + c for c in channels])
            async for item in pubsub.listen():
                if item["type"] in ("subscribe", "psubscribe"):
                    if ready is not None:  # the server confirmed: from now on nothing published is missed
                        ready.set()
                    continue
                if item["type"] not in ("message", "pmessage"):
                    continue
                name = item["channel"].decode() if isinstance(item["channel"], bytes) else item["channel"]
                message = parse(name[len(PREFIX) :], item["data"])
                if message is not None:
                    yield message
        finally:
            await pubsub.aclose()
            await client.aclose()

"""The live server's fan-out: one upstream subscription per process, one small object per channel and per watcher.

- **One subscription per process**, not per connection: the hub reads every message from the broadcaster and
  hands it to the channel's :class:`ChannelHub` (if anyone watches it).
- **Encode once**: a channel turns an event into SSE bytes once; every watcher gets the same bytes.
- **Coalescing** (``Kind.coalesce_ms``): the first event after a quiet spell goes out at once; events within
  the window are merged (state channels keep the newest, log channels send them in one write) and go out
  when the window ends. A burst of 200 bids/s on a lot watched by 10,000 therefore costs at most
  ``1000 / coalesce_ms`` writes per watcher per second, and a lone bid is not delayed.
- **Backpressure per connection**: a watcher whose client reads slowly never slows the others. Its pending
  frames are replaced by the newest (state channels) or pile up to ``MAX_PENDING`` (log channels), after which
  it is told ``reset`` and closed; the browser reconnects with ``Last-Event-ID`` and catches up from the
  database.
- **Heartbeats**: a channel quiet for ``heartbeat_s`` sends one ``tick`` (the server time) to all its watchers.

Wire format (``text/event-stream``)::

    id: 42
    event: update
    data: {"t":1772413200123,"id":42,"d":{…the published data…}}

    event: tick
    data: {"t":1772413215000}

``t`` is the server's time in milliseconds since the epoch when the message was written, so pages can show
countdowns in server time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from yiwang.platform.live.broadcast import Broadcaster, Message
from yiwang.platform.live.channels import Kind

log = logging.getLogger("yiwang.live")

MAX_PENDING = 256
FANOUTS_KEPT = 1000  # recent fan-outs kept for ``/live/_health``
RETRY_MS = 2000


def wall_ms() -> int:
    return int(time.time() * 1000)


def _clean(data: str) -> str:
    # published data is compact JSON without raw line breaks; anything else is re-encoded defensively
    if "\n" in data or "\r" in data:
        import json

        return json.dumps(json.loads(data), ensure_ascii=False, separators=(",", ":"))
    return data


def update_frame(message: Message, now_ms: int) -> bytes:
    data = _clean(message.data or "null")
    return (
        f'id: {message.event_id}\nevent: update\ndata: {{"t":{now_ms},"id":{message.event_id},"d":{data}}}\n\n'
    ).encode()


def tick_frame(now_ms: int) -> bytes:
    return f'event: tick\ndata: {{"t":{now_ms}}}\n\n'.encode()


def control_frame(event: str, now_ms: int, retry_ms: int = RETRY_MS) -> bytes:
    return f'retry: {retry_ms}\nevent: {event}\ndata: {{"t":{now_ms}}}\n\n'.encode()


class Sink(Protocol):
    """A connection the hub writes to directly (the direct server's streams): no task per watcher."""

    def ready(self) -> bool:
        """True when the connection takes more bytes now (its transport is not paused by backpressure)."""
        ...

    def write(self, data: bytes) -> None: ...

    def end(self) -> None:
        """Close once what was written has been sent."""
        ...

    def abort(self) -> None:
        """Close now, dropping what is unsent (a reader that stopped reading)."""
        ...


class Watcher:
    """One SSE connection's mailbox. ``frames`` are ``(last event id, bytes)``; id 0 marks ticks and controls.

    Two ways out: an ASGI stream's task waits on ``wake`` and writes ``take()``; a direct stream has a ``sink``
    and the frame is written to it at once — the same bytes object for every watcher of a channel — unless the
    connection is paused by backpressure, in which case the mailbox keeps it (newest state only, or up to
    ``MAX_PENDING`` log frames, then ``reset``) until the sink calls :meth:`drain`.
    """

    __slots__ = ("closed", "frames", "overflow", "replace", "sent", "sink", "wake")

    def __init__(self, *, replace: bool, sent: int = 0, sink: Sink | None = None):
        self.frames: list[tuple[int, bytes]] = []
        self.wake = asyncio.Event()
        self.closed = False
        self.overflow = False
        self.replace = replace  # state channel: only the newest state matters
        self.sent = sent  # the last event id written to this connection
        self.sink = sink

    def offer(self, event_id: int, frame: bytes) -> None:
        if self.closed:
            return
        sink = self.sink
        if sink is not None and not self.frames and sink.ready():
            if event_id > self.sent:  # the fast path: one write of the shared bytes, nothing queued
                self.sent = event_id
                sink.write(frame)
            return
        if self.replace:
            self.frames = [(event_id, frame)]
        else:
            self.frames.append((event_id, frame))
            if len(self.frames) > MAX_PENDING:
                self.overflow = True
                if sink is not None and not sink.ready():
                    # blocked with a full buffer: a ``reset`` could not get through, so the connection is cut
                    # (the browser reconnects with Last-Event-ID and catches up from the store)
                    self.frames = []
                    self.closed = True
                    sink.abort()
                    return
        self._kick()

    def offer_tick(self, frame: bytes) -> None:
        if not self.closed and not self.frames:
            self.frames.append((0, frame))
            self._kick()

    def close(self, frame: bytes | None = None) -> None:
        if frame is not None and not self.closed:
            self.frames.append((0, frame))
        self.closed = True
        self._kick()

    def _kick(self) -> None:
        if self.sink is None:
            self.wake.set()
        elif self.closed or self.sink.ready():
            self.drain()

    def drain(self) -> None:
        """Direct streams: write what is pending (the sink calls this when its transport resumes)."""
        sink = self.sink
        if sink is None:
            self.wake.set()
            return
        if self.overflow and not self.closed:
            # this client reads too slowly for a log channel: it reconnects and catches up from the store
            self.frames = [(0, control_frame("reset", wall_ms()))]
            self.closed = True
        body = self.take()
        if body:
            sink.write(body)
        if self.closed:
            sink.end()

    def take(self) -> bytes:
        """The bytes to write now (skipping events this connection already has)."""
        out = []
        for event_id, frame in self.frames:
            if event_id == 0:
                out.append(frame)
            elif event_id > self.sent:
                out.append(frame)
                self.sent = event_id
        self.frames = []
        self.wake.clear()
        return b"".join(out)


class ChannelHub:
    def __init__(self, hub: Hub, name: str, kind: Kind):
        self.hub = hub
        self.name = name
        self.kind = kind
        self.watchers: set[Watcher] = set()
        self.latest: Message | None = None  # state channels: the newest event (served to joining watchers)
        self.last_id = 0  # the newest event id seen
        self.pending: list[Message] = []
        self.timer: asyncio.TimerHandle | None = None
        self.last_flush = float("-inf")
        self.last_activity = time.monotonic()
        self.loaded: asyncio.Future[None] | None = None

    @property
    def state_mode(self) -> bool:
        return self.kind.mode == "state"

    async def ready(self) -> None:
        """Load the newest event from the durable store once (state channels), before the first watcher joins."""
        if self.loaded is None:
            self.loaded = asyncio.get_running_loop().create_future()
            try:
                if self.state_mode and self.hub.store is not None:
                    latest = await self.hub.store.latest(self.name)
                    if latest is not None and latest.event_id > self.last_id:
                        self.latest = latest
                        self.last_id = latest.event_id
            finally:
                self.loaded.set_result(None)
        else:
            await asyncio.shield(self.loaded)

    def deliver(self, message: Message) -> None:
        if message.event_id <= self.last_id:
            return  # already seen (a duplicate, or older than what was loaded)
        self.last_id = message.event_id
        self.last_activity = time.monotonic()
        if self.state_mode:
            self.latest = message
            self.pending = [message]
        else:
            self.pending.append(message)
        window = self.kind.coalesce_ms / 1000
        if window <= 0:
            self._flush()
            return
        if self.timer is not None:
            return  # the window's end will send it
        loop = asyncio.get_running_loop()
        wait = self.last_flush + window - loop.time()
        if wait <= 0:
            self._flush()
        else:
            self.timer = loop.call_later(wait, self._flush)

    def _flush(self) -> None:
        self.timer = None
        messages, self.pending = self.pending, []
        if not messages:
            return
        self.last_flush = asyncio.get_running_loop().time()
        now = self.hub.now_ms()
        frame = b"".join(update_frame(m, now) for m in messages)
        last = messages[-1].event_id
        wall, cpu = time.perf_counter(), time.thread_time()
        for watcher in self.watchers:
            watcher.offer(last, frame)
        self.hub.deliveries += len(self.watchers)
        self.hub.fanouts.append((len(self.watchers), time.perf_counter() - wall, time.thread_time() - cpu))

    def tick(self, now_ms: int) -> None:
        frame = tick_frame(now_ms)
        self.last_activity = time.monotonic()
        for watcher in self.watchers:
            watcher.offer_tick(frame)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


@dataclass
class Stats:
    channels: int
    watchers: int
    deliveries: int
    fanout: dict[str, float]


def fanout_summary(fanouts) -> dict[str, float]:
    """The recent fan-outs (one per coalesced message of a channel): how many, the largest watcher count, and
    p50/p99/max of the wall time and of the event loop thread's CPU time of the loop over the watchers, in ms.
    Wall ≫ CPU means the process waited for a core (a loaded machine), not that the work grew."""
    if not fanouts:
        return {"n": 0}
    walls = sorted(f[1] for f in fanouts)
    cpus = sorted(f[2] for f in fanouts)

    def pct(values, q):
        return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 2)

    return {
        "n": len(fanouts),
        "watchers_max": max(f[0] for f in fanouts),
        "wall_ms_p50": pct(walls, 0.5),
        "wall_ms_p99": pct(walls, 0.99),
        "wall_ms_max": round(walls[-1] * 1000, 2),
        "cpu_ms_p50": pct(cpus, 0.5),
        "cpu_ms_p99": pct(cpus, 0.99),
        "cpu_ms_max": round(cpus[-1] * 1000, 2),
    }


class Hub:
    """The fan-out of one live server process."""

    def __init__(
        self,
        broadcaster: Broadcaster,
        kinds: dict[str, Kind],
        *,
        store=None,
        now_ms: Callable[[], int] = wall_ms,
        max_watchers: int = 20_000,
        tick_every: float = 1.0,
    ):
        self.broadcaster = broadcaster
        self.tick_every = tick_every
        self.kinds = kinds
        self.store = store
        self.now_ms = now_ms
        self.max_watchers = max_watchers
        self.channels: dict[str, ChannelHub] = {}
        self.fanouts: deque[tuple[int, float, float]] = deque(maxlen=FANOUTS_KEPT)  # (watchers, wall s, cpu s)
        self.watchers = 0
        self.deliveries = 0
        self.closing = False
        self._tasks: list[asyncio.Task[None]] = []
        self.subscribed = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="live-listen"),
            asyncio.create_task(self._ticks(), name="live-ticks"),
        ]

    def close_all(self) -> None:
        """Shutdown: every stream gets ``bye`` (reconnect in ``retry`` ms) and ends; no new ones are accepted."""
        self.closing = True
        frame = control_frame("bye", self.now_ms())
        for channel in self.channels.values():
            for watcher in channel.watchers:
                watcher.close(frame)

    async def stop(self) -> None:
        self.close_all()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for channel in self.channels.values():
            channel.stop()

    # -- upstream ----------------------------------------------------------------------------------------------------
    async def _listen(self) -> None:
        backoff = 0.5
        first = True
        while True:
            self.subscribed.clear()
            resync = None if first else asyncio.create_task(self._resync_when_subscribed())
            first = False
            try:
                async for message in self.broadcaster.subscribe(None, ready=self.subscribed):
                    backoff = 0.5
                    await self._dispatch(message)
                log.warning("live: the broadcaster's subscription ended; subscribing again")
            except asyncio.CancelledError:
                if resync is not None:
                    resync.cancel()
                raise
            except Exception:
                log.exception("live: the broadcaster's subscription failed; subscribing again in %.1f s", backoff)
            if resync is not None:
                resync.cancel()
            await asyncio.sleep(backoff)
            backoff = min(10.0, backoff * 2)

    async def _resync_when_subscribed(self) -> None:
        await self.subscribed.wait()
        try:
            await self._resync()
        except Exception:
            log.exception("live: catching up after a lost subscription failed")

    async def _dispatch(self, message: Message) -> None:
        channel = self.channels.get(message.channel)
        if channel is None or message.event_id <= channel.last_id:
            return
        if message.data is None and self.store is not None:
            found = await self.store.get(message.channel, message.event_id)
            if found is None:
                return
            message = found
        channel.deliver(message)

    async def _resync(self) -> None:
        """After a lost subscription: catch every watched channel up from the durable store."""
        if self.store is None:
            return
        for name, channel in list(self.channels.items()):
            if channel.state_mode:
                latest = await self.store.latest(name)
                if latest is not None:
                    channel.deliver(latest)
            else:
                for message in await self.store.after(name, channel.last_id, channel.kind.replay_max):
                    channel.deliver(message)

    async def _ticks(self) -> None:
        while True:
            await asyncio.sleep(self.tick_every)
            now = time.monotonic()
            now_ms = self.now_ms()
            for channel in list(self.channels.values()):
                if now - channel.last_activity >= channel.kind.heartbeat_s:
                    channel.tick(now_ms)

    # -- watchers ----------------------------------------------------------------------------------------------------
    def channel(self, name: str, kind: Kind) -> ChannelHub:
        channel = self.channels.get(name)
        if channel is None:
            channel = self.channels[name] = ChannelHub(self, name, kind)
        return channel

    async def join(
        self, name: str, kind: Kind, last_event_id: int | None, *, sink: Sink | None = None
    ) -> tuple[ChannelHub, Watcher]:
        """Add a watcher; what it missed (or, on a state channel, the current state) is already in its mailbox.
        A ``sink`` must not be ``ready()`` before this returns (catch-up frames go first)."""
        channel = self.channel(name, kind)
        watcher = Watcher(replace=channel.state_mode, sent=last_event_id or 0, sink=sink)
        channel.watchers.add(watcher)  # first, so nothing published while catching up is lost
        self.watchers += 1
        try:
            await channel.ready()
            now = self.now_ms()
            if channel.state_mode:
                if channel.latest is not None and channel.latest.event_id > watcher.sent:
                    watcher.offer(channel.latest.event_id, update_frame(channel.latest, now))
            elif last_event_id is not None and self.store is not None:
                missed = await self.store.after(name, last_event_id, kind.replay_max + 1)
                catch_up = []
                if len(missed) > kind.replay_max:
                    # more than a reconnect replays: the page reloads its state, the stream goes on from here
                    catch_up.append((0, control_frame("gap", now)))
                    missed = missed[-kind.replay_max :]
                catch_up += [(m.event_id, update_frame(m, now)) for m in missed]
                watcher.frames[:0] = catch_up  # before anything that arrived meanwhile
                if catch_up:
                    watcher.wake.set()
        except BaseException:
            self.leave(channel, watcher)
            raise
        return channel, watcher

    def leave(self, channel: ChannelHub, watcher: Watcher) -> None:
        if watcher in channel.watchers:
            channel.watchers.discard(watcher)
            self.watchers -= 1
        if not channel.watchers and self.channels.get(channel.name) is channel:
            channel.stop()
            del self.channels[channel.name]

    def stats(self) -> Stats:
        return Stats(len(self.channels), self.watchers, self.deliveries, fanout_summary(self.fanouts))

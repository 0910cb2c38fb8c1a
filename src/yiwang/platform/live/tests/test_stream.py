"""The SSE endpoint in process (memory broadcaster): format, coalescing, heartbeats, auth, CORS, backpressure,
shutdown. Tests that need the durable store (resume, joining a state channel) are in test_resume.py."""

from __future__ import annotations

import asyncio
import json

import pytest

from yiwang.platform.live import tokens
from yiwang.platform.live.asgi import LiveApp
from yiwang.platform.live.broadcast import MemoryBroadcaster
from yiwang.platform.live.channels import Kind, kinds_from
from yiwang.platform.live.hub import MAX_PENDING, Watcher

pytestmark = pytest.mark.anyio

KEY = tokens.derive_key("test-secret")
NOW_MS = 1_772_413_200_000  # 2026-03-02 09:00 Shanghai


def make(**kinds) -> tuple[LiveApp, MemoryBroadcaster]:
    broadcaster = MemoryBroadcaster()
    overrides = {
        "t.state": {"mode": "state"},
        "t.log": {"mode": "log"},
        "t.fast": {"mode": "state", "coalesce_ms": 200},
        "t.batch": {"mode": "log", "coalesce_ms": 200},
        "t.quiet": {"mode": "state", "heartbeat_s": 0.05},
        **kinds,
    }
    live = LiveApp(
        broadcaster=broadcaster, kinds=kinds_from(overrides), token_key=KEY, now_ms=lambda: NOW_MS, tick_every=0.02
    )
    return live, broadcaster


async def started(live: LiveApp):
    await live.startup()
    await asyncio.wait_for(live.hub.subscribed.wait(), 5)
    return live.starlette()


async def publish(broadcaster, channel, event_id, data) -> None:
    broadcaster.publish(channel, event_id, json.dumps(data, separators=(",", ":")))
    await asyncio.sleep(0.01)


async def test_event_stream_format():
    from yiwang.platform.live.testing import AsgiStream

    live, broadcaster = make()
    app = await started(live)
    stream = await AsgiStream(app, "/live/t.log:1").open()
    assert stream.status == 200
    assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert stream.headers["cache-control"] == "no-cache, no-store"
    assert stream.headers["access-control-allow-origin"] == "*"
    await asyncio.sleep(0.02)
    await publish(broadcaster, "t.log:1", 1, {"price": 100, "名": "甲"})
    await publish(broadcaster, "t.log:2", 1, {"other": True})  # another channel: not on this stream
    await publish(broadcaster, "t.log:1", 2, {"price": 110})
    first, second = await stream.next(), await stream.next()
    assert (first.event, first.id) == ("update", "1")
    assert first.json() == {"t": NOW_MS, "id": 1, "d": {"price": 100, "名": "甲"}}
    assert second.json()["d"] == {"price": 110}
    assert stream.body.startswith(b"retry: 2000\n\n")
    assert b"id: 1\nevent: update\ndata: {" in stream.body
    await stream.close()
    await live.shutdown()
    assert live.hub.watchers == 0
    assert live.hub.channels == {}


async def test_coalescing_bounds_the_messages_of_a_busy_state_channel():
    from yiwang.platform.live.testing import AsgiStream

    live, broadcaster = make()
    app = await started(live)
    streams = [await AsgiStream(app, "/live/t.fast:1").open() for _ in range(20)]
    await asyncio.sleep(0.02)
    for i in range(1, 101):  # 100 events within ~0.3 s
        broadcaster.publish("t.fast:1", i, json.dumps({"price": i}))
        if i % 25 == 0:
            await asyncio.sleep(0.08)
    await asyncio.sleep(0.5)
    for stream in streams:
        got = [e for e in stream.pending() if e.event == "update"]
        ids = [int(e.id) for e in got]
        assert ids[0] == 1  # the first event after a quiet spell goes out at once
        assert ids[-1] == 100  # the newest state always arrives
        assert len(got) <= 4  # at most one message per 200 ms window (plus the leading one)
        assert ids == sorted(ids)
    assert live.hub.deliveries <= 4 * 20
    await asyncio.gather(*(s.close() for s in streams))
    await live.shutdown()


async def test_coalescing_a_log_channel_sends_every_event_in_fewer_writes():
    from yiwang.platform.live.testing import AsgiStream

    live, broadcaster = make()
    app = await started(live)
    stream = await AsgiStream(app, "/live/t.batch:1").open()
    writes = []
    original = stream._send

    async def counting(message):
        if message["type"] == "http.response.body" and message.get("body"):
            writes.append(message["body"])
        await original(message)

    stream._send = counting
    await asyncio.sleep(0.02)
    for i in range(1, 31):
        broadcaster.publish("t.batch:1", i, json.dumps({"n": i}))
    await asyncio.sleep(0.4)
    ids = [int(e.id) for e in stream.pending() if e.event == "update"]
    assert ids == list(range(1, 31))
    assert len(writes) <= 3
    await stream.close()
    await live.shutdown()


async def test_heartbeats_carry_the_server_time():
    from yiwang.platform.live.testing import AsgiStream

    live, _ = make()
    app = await started(live)
    stream = await AsgiStream(app, "/live/t.quiet:1").open()
    tick = await stream.next(timeout=2, skip=())
    assert tick.event == "tick"
    assert tick.json() == {"t": NOW_MS}
    assert tick.id is None
    await stream.close()
    await live.shutdown()


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/live/nope.kind:1", 404, "live.unknown_channel"),
        ("/live/bad name", 404, "live.unknown_channel"),
        ("/live/auction.bidder:1.A", 401, "live.token_required"),
        ("/live/auction.bidder:1.A?token=v1.x.y", 401, "live.token_invalid"),
    ],
)
async def test_refusals(path, status, code):
    from yiwang.platform.live.testing import AsgiStream

    live, _ = make()
    app = await started(live)
    response = await AsgiStream(app, path).open()
    await asyncio.wait_for(response.ended.wait(), 5)
    assert response.status == status
    assert response.json()["code"] == code
    assert response.json()["message_zh"]
    assert live.hub.watchers == 0
    await live.shutdown()


async def test_private_channels_need_a_token_for_that_channel():
    from yiwang.platform.live.testing import AsgiStream

    live, broadcaster = make()
    app = await started(live)
    now = NOW_MS / 1000
    good = tokens.mint(KEY, "account:7", ["auction.bidder:1.A"], now=now, ttl=60)
    other = tokens.mint(KEY, "account:8", ["auction.bidder:1.B"], now=now, ttl=60)
    expired = tokens.mint(KEY, "account:7", ["auction.bidder:1.A"], now=now - 120, ttl=60)
    wrong = await AsgiStream(app, f"/live/auction.bidder:1.A?token={other}").open()
    await asyncio.wait_for(wrong.ended.wait(), 5)
    assert (wrong.status, wrong.json()["code"]) == (403, "live.token_wrong_channel")
    old = await AsgiStream(app, f"/live/auction.bidder:1.A?token={expired}").open()
    await asyncio.wait_for(old.ended.wait(), 5)
    assert (old.status, old.json()["code"]) == (401, "live.token_invalid")
    stream = await AsgiStream(app, f"/live/auction.bidder:1.A?token={good}").open()
    assert stream.status == 200
    await asyncio.sleep(0.02)
    await publish(broadcaster, "auction.bidder:1.A", 5, {"outbid": True})
    assert (await stream.next()).json()["d"] == {"outbid": True}
    await stream.close()
    await live.shutdown()


async def test_cors_preflight_and_other_methods():
    from yiwang.platform.live.testing import AsgiStream

    live, _ = make()
    app = await started(live)
    preflight = await AsgiStream(app, "/live/t.log:1", method="OPTIONS").open()
    await asyncio.wait_for(preflight.ended.wait(), 5)
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "Last-Event-ID" in preflight.headers["access-control-allow-headers"]
    post = await AsgiStream(app, "/live/t.log:1", method="POST").open()
    await asyncio.wait_for(post.ended.wait(), 5)
    assert post.status == 405
    health = await AsgiStream(app, "/live/_health").open()
    await asyncio.wait_for(health.ended.wait(), 5)
    assert health.json()["subscribed"] is True
    await live.shutdown()


async def test_a_full_server_refuses_new_streams():
    from yiwang.platform.live.testing import AsgiStream

    live, _ = make()
    live.max_watchers = 1
    app = await started(live)
    first = await AsgiStream(app, "/live/t.log:1").open()
    second = await AsgiStream(app, "/live/t.log:1").open()
    await asyncio.wait_for(second.ended.wait(), 5)
    assert (second.status, second.json()["code"]) == (503, "live.unavailable")
    await first.close()
    await live.shutdown()


async def test_shutdown_says_bye_and_ends_every_stream():
    from yiwang.platform.live.testing import AsgiStream

    live, _ = make()
    app = await started(live)
    streams = [await AsgiStream(app, f"/live/t.log:{i % 3}").open() for i in range(6)]
    await asyncio.sleep(0.02)
    live.close_streams()
    for stream in streams:
        bye = await stream.next(skip=("tick",))
        assert bye.event == "bye"
        assert bye.retry == 2000
        await asyncio.wait_for(stream.ended.wait(), 5)
    refused = await AsgiStream(app, "/live/t.log:1").open()
    assert refused.status == 503
    await live.shutdown()


async def test_a_slow_reader_of_a_log_channel_is_reset_not_waited_for():
    watcher = Watcher(replace=False)
    for i in range(1, MAX_PENDING + 2):
        watcher.offer(i, b"x")
    assert watcher.overflow
    state = Watcher(replace=True)
    for i in range(1, 1000):
        state.offer(i, f"{i}".encode())
    assert state.frames == [(999, b"999")]  # a state channel keeps only the newest
    assert not state.overflow
    assert state.take() == b"999"
    assert state.sent == 999
    state.offer(998, b"old")
    assert state.take() == b""  # never older than what the connection has

    from yiwang.platform.live.testing import AsgiStream

    live, broadcaster = make()
    app = await started(live)
    stream = await AsgiStream(app, "/live/t.log:1").open()
    await asyncio.sleep(0.02)
    (watcher,) = next(iter(live.hub.channels.values())).watchers
    blocked = asyncio.Event()
    original = stream._send

    async def slow(message):  # this client stops reading
        await blocked.wait()
        await original(message)

    stream._send = slow
    broadcaster.publish("t.log:1", 1, "{}")
    await asyncio.sleep(0.02)
    for i in range(2, MAX_PENDING + 10):
        broadcaster.publish("t.log:1", i, "{}")
    await asyncio.sleep(0.05)
    assert watcher.overflow
    blocked.set()
    await asyncio.wait_for(stream.ended.wait(), 5)
    events = stream.pending()
    assert events[-1].event == "reset"
    await live.shutdown()


async def test_kinds_validate():
    with pytest.raises(ValueError, match="bad numbers"):
        Kind("x.y", coalesce_ms=-1)

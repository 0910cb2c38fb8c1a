"""Publishing from the Django side, catching up from the durable store, and the three cross-process
broadcasters (database, PostgreSQL NOTIFY, Redis)."""

from __future__ import annotations

import asyncio
import json

import pytest
from django.db import transaction

from yiwang.platform.live import config, tokens
from yiwang.platform.live.asgi import LiveApp
from yiwang.platform.live.backends.database import DatabaseBroadcaster
from yiwang.platform.live.backends.postgres import INLINE_MAX, PostgresBroadcaster, payload
from yiwang.platform.live.broadcast import Message
from yiwang.platform.live.channels import kinds_from
from yiwang.platform.live.models import LiveEvent
from yiwang.platform.live.publish import last_event_id, prune, publish
from yiwang.platform.live.store import Store
from yiwang.platform.live.testing import AsgiStream
from yiwang.platform.testing import Boom, do_touch_thing, postgres_only

from .conftest import in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

KINDS = kinds_from({"t.state": {"mode": "state"}, "t.log": {"mode": "log", "replay_max": 5}})


@pytest.fixture
def kinds(settings):
    settings.YIWANG_LIVE = {**getattr(settings, "YIWANG_LIVE", {}), "KINDS": {k: vars(v) for k, v in KINDS.items()}}
    config.reset()


def test_publish_happens_after_commit_and_never_for_a_rollback(memory_broadcaster, kinds, system, clock):
    seen = []
    memory_broadcaster.publish = lambda c, i, d: seen.append((c, i, json.loads(d)))  # record the transport
    with transaction.atomic():
        publish("t.log:1", 1, {"n": 1})
        assert seen == []  # not before the commit
        assert LiveEvent.objects.filter(channel="t.log:1").count() == 1
    assert seen == [("t.log:1", 1, {"n": 1})]

    def inside(act):
        publish("t.log:1", 2, {"n": 2})

    with pytest.raises(Boom):
        do_touch_thing(actor=system, n=1, inside=inside, fail=True)
    assert seen == [("t.log:1", 1, {"n": 1})]
    assert last_event_id("t.log:1") == 1
    do_touch_thing(actor=system, n=2, inside=inside)
    assert seen[-1] == ("t.log:1", 2, {"n": 2})
    publish("t.log:1", 2, {"n": "again"})  # an id published before is ignored (the transport may repeat)
    assert LiveEvent.objects.get(channel="t.log:1", event_id=2).data == '{"n":2}'
    assert last_event_id("t.log:1") == 2


def test_publish_refuses_what_it_cannot_send(kinds, clock):
    for channel, event_id, data, message in [
        ("nope.kind:1", 1, {}, "unknown live channel kind"),
        ("t.log", 1, {}, "not a channel name"),
        ("t.log:1", 0, {}, "positive integer"),
        ("t.log:1", 1, {"x": "y" * 70_000}, "larger than"),
    ]:
        with pytest.raises(ValueError, match=message):
            publish(channel, event_id, data)
    assert not LiveEvent.objects.exists()


def test_prune_keeps_each_channels_newest(kinds, clock):
    from datetime import timedelta

    for i in range(1, 4):
        publish("t.state:1", i, {"i": i})
    publish("t.state:2", 1, {"i": 1})
    clock.advance(timedelta(hours=30))
    publish("t.state:1", 4, {"i": 4})
    assert prune(clock.now() - timedelta(hours=24)) == 3
    assert sorted(LiveEvent.objects.values_list("channel", "event_id")) == [("t.state:1", 4), ("t.state:2", 1)]


def _live(broadcaster, store) -> LiveApp:
    return LiveApp(broadcaster=broadcaster, kinds=KINDS, token_key=tokens.derive_key("k"), store=store)


@pytest.mark.anyio
async def test_reconnect_with_last_event_id_replays_from_the_store(kinds, memory_broadcaster, clock):
    def publish_some():
        for i in range(1, 5):
            publish("t.log:1", i, {"i": i})

    in_thread(publish_some)
    live = _live(memory_broadcaster, Store())
    await live.startup()
    app = live.starlette()
    stream = await AsgiStream(app, "/live/t.log:1", headers={"Last-Event-ID": "2"}).open()
    assert [int((await stream.next()).id) for _ in range(2)] == [3, 4]
    in_thread(lambda: publish("t.log:1", 5, {"i": 5}))
    assert (await stream.next()).json()["d"] == {"i": 5}
    by_query = await AsgiStream(app, "/live/t.log:1?last_event_id=4").open()
    assert int((await by_query.next()).id) == 5
    fresh = await AsgiStream(app, "/live/t.log:1").open()  # no id: from now on only
    in_thread(lambda: publish("t.log:1", 6, {"i": 6}))
    assert int((await fresh.next()).id) == 6
    too_far = await AsgiStream(app, "/live/t.log:1?last_event_id=0").open()  # 6 missed, replay_max is 5
    first = await too_far.next()
    assert first.event == "gap"
    assert [int((await too_far.next()).id) for _ in range(5)] == [2, 3, 4, 5, 6]
    for s in (stream, by_query, fresh, too_far):
        await s.close()
    await live.shutdown()


@pytest.mark.anyio
async def test_a_state_channel_greets_each_watcher_with_the_current_state(kinds, memory_broadcaster, clock):
    in_thread(lambda: [publish("t.state:1", i, {"price": i * 10}) for i in (1, 2, 3)])
    live = _live(memory_broadcaster, Store())
    await live.startup()
    app = live.starlette()
    stream = await AsgiStream(app, "/live/t.state:1").open()
    current = await stream.next()
    assert (current.id, current.json()["d"]) == ("3", {"price": 30})
    up_to_date = await AsgiStream(app, "/live/t.state:1", headers={"Last-Event-ID": "3"}).open()
    behind = await AsgiStream(app, "/live/t.state:1", headers={"Last-Event-ID": "1"}).open()
    assert (await behind.next()).id == "3"  # only the newest state, not the history
    in_thread(lambda: publish("t.state:1", 4, {"price": 40}))
    assert (await up_to_date.next()).id == "4"
    assert (await stream.next()).id == "4"
    for s in (stream, up_to_date, behind):
        await s.close()
    await live.shutdown()


@pytest.mark.anyio
async def test_database_broadcaster_tails_committed_events(kinds, clock):
    broadcaster = DatabaseBroadcaster(store=Store(), poll_ms=10)
    ready = asyncio.Event()
    received: list[Message] = []

    async def consume():
        async for message in broadcaster.subscribe(["t.log:1"], ready=ready):
            received.append(message)
            if len(received) == 3:
                return

    in_thread(lambda: publish("t.log:1", 1, {"old": True}))  # before subscribing: not delivered
    task = asyncio.create_task(consume())
    await asyncio.wait_for(ready.wait(), 5)

    def action_like():
        with transaction.atomic():
            publish("t.log:1", 2, {"n": 2})
            publish("t.log:2", 1, {"other": True})
        try:
            with transaction.atomic():
                publish("t.log:1", 3, {"rolled": "back"})
                raise Boom
        except Boom:
            pass
        publish("t.log:1", 3, {"n": 3})
        publish("t.log:1", 4, {"n": 4})

    in_thread(action_like)
    await asyncio.wait_for(task, 10)
    assert [(m.event_id, json.loads(m.data)) for m in received] == [(2, {"n": 2}), (3, {"n": 3}), (4, {"n": 4})]
    broadcaster._store.close()


@pytest.mark.anyio
async def test_database_broadcaster_waits_for_a_hole_then_gives_up(monkeypatch):
    from yiwang.platform.live.backends import database

    monkeypatch.setattr(database, "GAP_SECONDS", 0.2)
    rows = {1: Message("t.log:1", 1, "{}"), 3: Message("t.log:1", 3, "{}")}

    class FakeStore:
        async def last_row(self):
            return 0

        async def tail(self, after, limit):
            return [(i, rows[i]) for i in sorted(rows) if i > after]

    broadcaster = database.DatabaseBroadcaster(store=FakeStore(), poll_ms=10)
    got = []

    async def consume():
        async for message in broadcaster.subscribe():
            got.append(message.event_id)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.1)
    assert got == [1, 3]  # 3 does not wait for the hole at 2
    rows[2] = Message("t.log:1", 2, "{}")  # row 2 commits late: still picked up
    await asyncio.sleep(0.05)
    assert got == [1, 3, 2]
    rows[5] = Message("t.log:1", 5, "{}")  # row 4 never comes (a rolled-back insert)
    await asyncio.sleep(0.5)
    rows[4] = Message("t.log:1", 4, "{}")  # too late: the poller gave up on the hole
    rows[6] = Message("t.log:1", 6, "{}")
    await asyncio.sleep(0.1)
    task.cancel()
    assert got == [1, 3, 2, 5, 6]


def test_notify_payload_carries_small_data_only():
    small = payload("t.log:1", 7, '{"a":1}')
    assert json.loads(small) == {"c": "t.log:1", "i": 7, "d": {"a": 1}}
    big = payload("t.log:1", 8, json.dumps({"x": "y" * INLINE_MAX}))
    assert json.loads(big) == {"c": "t.log:1", "i": 8}


@postgres_only
@pytest.mark.anyio
async def test_postgres_notify_end_to_end(kinds, settings, clock):
    settings.YIWANG_LIVE = {**settings.YIWANG_LIVE, "BROADCASTER": "postgres"}
    config.reset()
    from yiwang.platform.live import broadcast

    broadcast.reset()
    live = _live(PostgresBroadcaster(), Store())
    await live.startup()
    await asyncio.wait_for(live.hub.subscribed.wait(), 10)
    app = live.starlette()
    stream = await AsgiStream(app, "/live/t.log:1").open()
    await asyncio.sleep(0.05)

    def action_like():
        with transaction.atomic():
            publish("t.log:1", 1, {"small": True})
        with transaction.atomic():
            publish("t.log:1", 2, {"big": "大" * 4000})  # too big for the notify: read from the store

    in_thread(action_like)
    first, second = await stream.next(), await stream.next()
    assert first.json()["d"] == {"small": True}
    assert second.json()["d"] == {"big": "大" * 4000}
    await stream.close()
    await live.shutdown()


@pytest.mark.redis
@pytest.mark.anyio
async def test_redis_pubsub_end_to_end(kinds, redis_url, clock):
    from yiwang.platform.live.backends.redis import RedisBroadcaster

    live = _live(RedisBroadcaster(redis_url), Store())
    await live.startup()
    await asyncio.wait_for(live.hub.subscribed.wait(), 10)
    app = live.starlette()
    stream = await AsgiStream(app, "/live/t.log:1").open()
    await asyncio.sleep(0.05)
    publisher = RedisBroadcaster(redis_url)
    publisher.publish("t.log:1", 1, '{"via":"redis","名":"甲"}')
    publisher.publish("t.log:9", 1, '{"other":1}')
    publisher.publish("t.log:1", 2, '{"n":2}')
    first, second = await stream.next(), await stream.next()
    assert first.json()["d"] == {"via": "redis", "名": "甲"}
    assert second.id == "2"
    await stream.close()
    await live.shutdown()

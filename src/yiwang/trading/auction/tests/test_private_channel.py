"""The bidder's private channel ``auction.bidder:<lot>.<竞买号>``: each bidder hears of its own bid accepted,
being outbid and the result; only accounts acting for that bidder get a token for it; the public room never
carries any of it."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.platform.live import config, links, tokens
from yiwang.platform.live.asgi import LiveApp
from yiwang.platform.live.broadcast import MemoryBroadcaster
from yiwang.platform.live.channels import kinds_from
from yiwang.platform.live.testing import AsgiStream
from yiwang.trading.auction import actions, jobs, queries
from yiwang.trading.auction.tests.support import judicial_spec, pay_deposit, staff

pytestmark = pytest.mark.django_db


def _events(channel: str) -> list[dict]:
    rows = apps.get_model("live", "LiveEvent").objects.filter(channel=channel).order_by("event_id")
    return [json.loads(r.data) for r in rows]


@pytest.fixture
def live_settings(settings):
    settings.YIWANG_LIVE = {"URL": "http://127.0.0.1:8001", "TOKEN_TTL": 600}
    config.reset()
    links.register_channel_policy("auction.bidder", queries.may_watch_bidder_channel)
    yield settings
    config.reset()


@pytest.fixture
def room(clock, people):
    lot = actions.do_create_lot(actor=staff(), spec=judicial_spec())
    codes = []
    for p in people[:3]:
        pay_deposit(lot, p)
        codes.append(actions.do_register_bidder(actor=p.actor, lot_id=lot.pk, entity_id=p.entity_id).code)
    clock.set(lot.start_at)
    jobs.run_due_lots(clock.now())
    lot.refresh_from_db()
    return lot, codes


def test_each_bidder_hears_its_own_status_and_nobody_elses(room, people, clock):
    lot, (a, b, c) = room
    actions.do_place_bid(actor=people[0].actor, lot_id=lot.pk, amount_fen=70_000_000)
    actions.do_place_bid(actor=people[1].actor, lot_id=lot.pk, amount_fen=71_000_000)
    actions.do_place_bid(actor=people[0].actor, lot_id=lot.pk, amount_fen=72_000_000)
    mine = _events(queries.bidder_channel(lot.pk, a))
    assert [(e["status"], e.get("leading")) for e in mine] == [
        ("registered", None),
        ("accepted", True),
        ("outbid", None),
        ("accepted", True),
    ]
    assert mine[1]["amount"] == 70_000_000
    assert mine[2]["price"] == 71_000_000
    assert mine[2]["leader"] == b
    assert [e["status"] for e in _events(queries.bidder_channel(lot.pk, b))] == ["registered", "accepted", "outbid"]
    assert [e["status"] for e in _events(queries.bidder_channel(lot.pk, c))] == ["registered"]  # never bid
    # every event is addressed to its own bidder only
    for code in (a, b, c):
        assert {e["code"] for e in _events(queries.bidder_channel(lot.pk, code))} == {code}
    # the public room carries the public state only
    public = _events(lot.stream)
    assert public
    assert all("status" not in e for e in public)
    # the close: the winner and the others
    lot.refresh_from_db()
    clock.set(lot.end_at)
    jobs.run_due_lots(clock.now())
    assert _events(queries.bidder_channel(lot.pk, a))[-1]["status"] == "won"
    assert _events(queries.bidder_channel(lot.pk, b))[-1]["status"] == "lost"
    assert _events(queries.bidder_channel(lot.pk, c))[-1]["status"] == "lost"


def test_a_refused_bid_tells_nobody(room, people):
    lot, (a, _b, _c) = room
    before = _events(queries.bidder_channel(lot.pk, a))
    with pytest.raises(YiwangError) as info:
        actions.do_place_bid(actor=people[0].actor, lot_id=lot.pk, amount_fen=1)
    assert info.value.code == "auction.below_start_price"
    assert _events(queries.bidder_channel(lot.pk, a)) == before


def test_only_the_bidder_gets_a_token_and_the_live_server_refuses_everybody_else(
    live_settings, room, people, test_actors, api, clock
):
    lot, (a, b, _c) = room
    mine, theirs = queries.bidder_channel(lot.pk, a), queries.bidder_channel(lot.pk, b)
    assert queries.may_watch_bidder_channel(people[0].actor, mine)
    assert not queries.may_watch_bidder_channel(people[0].actor, theirs)
    assert not queries.may_watch_bidder_channel(staff(), mine)  # staff watch the console, not a bidder's channel
    assert not queries.may_watch_bidder_channel(Actor.anonymous(), mine)
    assert not queries.may_watch_bidder_channel(people[0].actor, f"auction.bidder:{lot.pk}.Z0000")
    assert not queries.may_watch_bidder_channel(people[0].actor, "auction.bidder:x.A")

    # the token API asks the auction's policy
    test_actors["p0"] = people[0].actor
    ok = api.with_token("p0").get("/live/token", {"channel": mine})
    assert ok.status_code == 200, ok.content
    token = parse_qs(urlsplit(ok.json()["url"]).query)["token"][0]
    refused = api.with_token("p0").get("/live/token", {"channel": theirs})
    assert (refused.status_code, refused.json()["code"]) == (403, "live.not_allowed")

    # the live server: no token, or a token for another bidder's channel, is refused
    grant = tokens.check(tokens.derive_key(config.get().secret_key), token, now=clock.now().timestamp())
    assert grant is not None
    assert grant.channels == (mine,)

    async def statuses() -> tuple[int | None, int | None, int | None]:
        live = LiveApp(
            broadcaster=MemoryBroadcaster(),
            kinds=kinds_from({}),
            token_key=tokens.derive_key(config.get().secret_key),
            now_ms=lambda: int(clock.now().timestamp() * 1000),
        )
        await live.startup()
        app = live.starlette()
        out = []
        for path in (f"/live/{theirs}?token={token}", f"/live/{theirs}", f"/live/{mine}?token={token}"):
            stream = await AsgiStream(app, path).open()
            out.append(stream.status)
            await stream.close()
        await live.shutdown()
        return tuple(out)  # type: ignore[return-value]

    assert asyncio.run(statuses()) == (403, 401, 200)

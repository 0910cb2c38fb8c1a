"""The alert channel at the live server itself: a regulator's stream receives a raised alert; without a token,
with a forged one or with a token for another channel (a market participant's own) the server refuses — a
market participant can get no token for it from the Django side either."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from yiwang.kernel.errors import PermissionDenied
from yiwang.platform.live import broadcast, links, tokens
from yiwang.platform.live import config as live_config
from yiwang.platform.live.asgi import LiveApp
from yiwang.platform.live.store import Store
from yiwang.platform.live.testing import AsgiStream, in_thread
from yiwang.supervision.redflags import actions
from yiwang.supervision.redflags.demo import SECTION, seed_collusion_scenario
from yiwang.supervision.redflags.tests import support

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

MH = "redflags.region:310112"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def live(settings):
    settings.YIWANG_LIVE = {
        "BROADCASTER": "memory",
        "KINDS": {"redflags.region": {"private": True, "mode": "log"}, "notify.account": {"private": True}},
    }
    live_config.reset()
    broadcast.reset()
    links.register_channel_policy(actions.ALERT_CHANNEL_KIND, actions.may_watch_alerts)
    yield broadcast.get_broadcaster()
    live_config.reset()
    broadcast.reset()


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.mark.anyio
async def test_only_the_regulators_stream_receives_the_alert(live, settings):
    mh, bidder = support.regulator("310112", 301), support.bidder()
    app_ = LiveApp(
        broadcaster=live,
        kinds=live_config.get().kinds,
        token_key=tokens.derive_key(settings.SECRET_KEY),
        store=Store(),
    )
    await app_.startup()
    app = app_.starlette()
    try:
        url = in_thread(lambda: links.checked_url(mh, MH))
        stream = await AsgiStream(app, _path(url)).open()
        assert stream.status == 200

        # the market participant: the Django side refuses him a token, the live server a stream
        with pytest.raises(PermissionDenied):
            in_thread(lambda: links.checked_url(bidder, MH))
        bare = await AsgiStream(app, f"/live/{MH}").open()
        assert bare.status == 401
        forged = await AsgiStream(app, f"/live/{MH}?token=v1.e30.AAAA").open()
        assert forged.status == 401
        own = in_thread(lambda: links.live_url(bidder, "notify.account:601"))
        borrowed = await AsgiStream(app, f"/live/{MH}?{urlsplit(own).query}").open()
        assert borrowed.status == 403

        in_thread(lambda: seed_collusion_scenario(mh))
        event = await stream.next(timeout=20)
        assert event.json()["d"]["subject_id"] == SECTION
        assert event.json()["d"]["verb"] == "raised"
        for s in (stream, bare, forged, borrowed):
            await s.close()
    finally:
        await app_.shutdown()

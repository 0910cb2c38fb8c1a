"""The Django side: live_url, the template tag, the token API and its channel policies."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from yiwang.kernel.actors import Actor, ActorKind
from yiwang.kernel.errors import InvalidInput, NotAuthenticated
from yiwang.platform.live import config, links, tokens

pytestmark = pytest.mark.urls("yiwang.platform.live.tests.urls")

BIDDER = Actor(ActorKind.ACCOUNT, "7", "竞买人 7", ())


@pytest.fixture
def live_settings(settings):
    settings.YIWANG_LIVE = {"URL": "http://127.0.0.1:8001", "TOKEN_TTL": 600}
    config.reset()
    return settings


def test_default_bind_is_the_web_port_plus_one():
    assert config.default_bind("127.0.0.1:8000") == "127.0.0.1:8001"
    assert config.default_bind("[::1]:9000") == "[::1]:9001"
    assert config.default_bind("unix:/run/yiwang.sock") == "127.0.0.1:8001"


def test_public_channels_need_no_token(live_settings, clock):
    assert links.live_url(Actor.anonymous(), "auction.lot:42") == "http://127.0.0.1:8001/live/auction.lot:42"
    url = links.live_url(Actor.anonymous(), "auction.lot:42", last_event_id=17)
    assert url == "http://127.0.0.1:8001/live/auction.lot:42?last_event_id=17"


def test_private_channels_get_a_token_for_the_signed_in_actor(live_settings, clock):
    url = links.live_url(BIDDER, "auction.bidder:42.A17")
    assert url.startswith("http://127.0.0.1:8001/live/auction.bidder:42.A17?token=v1.")
    token = parse_qs(urlsplit(url).query)["token"][0]
    key = tokens.derive_key(live_settings.SECRET_KEY)
    grant = tokens.check(key, token, now=clock.now().timestamp())
    assert grant == tokens.Grant("account:7", ("auction.bidder:42.A17",), int(clock.now().timestamp()) + 600)
    with pytest.raises(NotAuthenticated) as caught:
        links.live_url(Actor.anonymous(), "auction.bidder:42.A17")
    assert caught.value.code == "live.sign_in_required"
    with pytest.raises(InvalidInput) as unknown:
        links.live_url(BIDDER, "nope.kind:1")
    assert unknown.value.code == "live.unknown_channel"


def test_template_tag_uses_the_requests_actor(live_settings, clock):
    request = RequestFactory().get("/")
    request.actor = BIDDER
    html = Template('{% load live %}<div data-live="{% live_url channel last_event_id=5 %}">').render(
        Context({"request": request, "channel": "auction.bidder:1.A"})
    )
    assert 'data-live="http://127.0.0.1:8001/live/auction.bidder:1.A?token=v1.' in html
    assert "last_event_id=5" in html


@pytest.mark.django_db
def test_token_api_asks_the_channels_policy(live_settings, token_actors, api, clock):
    links.register_channel_policy("auction.bidder", lambda actor, channel: channel.endswith(f".{actor.id}"))
    try:
        public = api.get("/live/token", {"channel": "auction.lot:1"})
        assert public.status_code == 200, public.content
        assert public.json() == {"url": "http://127.0.0.1:8001/live/auction.lot:1", "private": False}
        anonymous = api.get("/live/token", {"channel": "auction.bidder:1.bob"})
        assert (anonymous.status_code, anonymous.json()["code"]) == (403, "live.not_allowed")
        bob = api.with_token("entity:bob")
        mine = bob.get("/live/token", {"channel": "auction.bidder:1.bob", "last_event_id": 3})
        assert mine.status_code == 200, mine.content
        assert mine.json()["private"] is True
        assert "token=v1." in mine.json()["url"]
        assert "last_event_id=3" in mine.json()["url"]
        theirs = bob.get("/live/token", {"channel": "auction.bidder:1.eve"})
        assert (theirs.status_code, theirs.json()["code"]) == (403, "live.not_allowed")
        no_policy = bob.get("/live/token", {"channel": "orderbook.participant:bob"})
        assert no_policy.status_code == 403
        unknown = bob.get("/live/token", {"channel": "nope.kind:1"})
        assert (unknown.status_code, unknown.json()["code"]) == (422, "live.unknown_channel")
    finally:
        links._policies.pop("auction.bidder", None)

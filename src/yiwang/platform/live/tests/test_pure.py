"""Channel names, kinds and tokens (no database, no event loop)."""

from __future__ import annotations

import pytest

from yiwang.platform.live import channels, tokens


def test_channel_names():
    assert channels.parse("auction.lot:42") == ("auction.lot", "42")
    assert channels.parse("orderbook.instrument:CEA") == ("orderbook.instrument", "CEA")
    assert channels.parse("auction.bidder:42.A17") == ("auction.bidder", "42.A17")
    for bad in ("auction.lot", "Auction.lot:1", "auction.lot:", "auction.lot:a/b", "a:" + "x" * 101, 42, "x:1\n"):
        assert channels.parse(bad) is None
    assert channels.channel("auction.lot", 42) == "auction.lot:42"
    with pytest.raises(ValueError, match="not a channel name"):
        channels.channel("auction.lot", "a b")


def test_kinds_from_settings():
    kinds = channels.kinds_from({"auction.lot": {"coalesce_ms": 50}, "demo.room": {"private": True, "mode": "log"}})
    assert kinds["auction.lot"].coalesce_ms == 50
    assert kinds["auction.lot"].mode == "state"
    assert kinds["demo.room"].private
    assert kinds["auction.bidder"].private
    with pytest.raises(ValueError, match="mode"):
        channels.kinds_from({"x.y": {"mode": "stream"}})


def test_tokens():
    key = tokens.derive_key("secret")
    token = tokens.mint(key, "account:7", ["auction.bidder:1.A"], now=1000, ttl=60)
    grant = tokens.check(key, token, now=1059)
    assert grant == tokens.Grant("account:7", ("auction.bidder:1.A",), 1060)
    assert tokens.allows(grant, "auction.bidder:1.A")
    assert not tokens.allows(grant, "auction.bidder:1.B")
    assert tokens.check(key, token, now=1060) is None  # expired
    assert tokens.check(tokens.derive_key("other"), token, now=1000) is None  # another site's key
    prefix, _payload, signature = token.split(".")
    forged = tokens.mint(tokens.derive_key("x"), "account:1", ["auction.bidder:1.A"], now=1000, ttl=60).split(".")[1]
    assert tokens.check(key, f"{prefix}.{forged}.{signature}", now=1000) is None
    for junk in ("", "v1", "v2.a.b", "v1.a.b", "v1.!!.??", None):
        assert tokens.check(key, junk, now=1000) is None  # type: ignore[arg-type]

"""Channel names and the kinds of channel (pure Python: the live server reads this without Django's models).

A channel is ``<kind>:<key>``: ``auction.lot:42``, ``auction.bidder:42.A17``, ``orderbook.instrument:CEA``. Its
*kind* (the part before the colon) says how it is served:

``private``      watchers need a token minted by the Django side for this channel (``live_url``); public
                 channels need none
``mode``         ``state``: every event carries the whole current state, so a watcher needs only the newest
                 (coalescing keeps the latest; a reconnect gets the latest). ``log``: every event matters (a
                 reconnect replays each missed event; coalescing sends them in batches)
``coalesce_ms``  0: every event is sent at once. X > 0: at most one message per X ms per channel — the first
                 event after a quiet spell goes out at once, the ones arriving within the window are merged
                 and sent when it ends — so 10,000 watchers of one busy lot cost a bounded amount of work
``heartbeat_s``  seconds between ``tick`` messages (server time) on an idle connection

Unknown kinds are refused (``live.unknown_channel``): add a kind here or in ``settings.YIWANG_LIVE["KINDS"]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

CHANNEL = re.compile(r"^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*):([A-Za-z0-9_.\-]{1,100})$")
CHANNEL_MAX = 150
MODES = ("state", "log")


@dataclass(frozen=True)
class Kind:
    name: str
    private: bool = False
    mode: str = "state"
    coalesce_ms: int = 0
    heartbeat_s: float = 15.0
    replay_max: int = 500  # at most this many missed events are replayed on a reconnect (log mode)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"live kind {self.name}: mode must be one of {MODES}")
        if self.coalesce_ms < 0 or self.heartbeat_s <= 0 or self.replay_max < 1:
            raise ValueError(f"live kind {self.name}: bad numbers")


# The kinds the trading contexts use (issues 9 and 10). Change or add through settings.YIWANG_LIVE["KINDS"].
DEFAULT_KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        # a lot's public room: price, leader's pseudonym, end time, recent bids — the whole state each time
        Kind("auction.lot", mode="state", coalesce_ms=200),
        # one bidder's own status in one lot (outbid, registered, deposit) — private
        Kind("auction.bidder", private=True, mode="log"),
        # an instrument's market data: depth (5 levels), last trades, last price — the whole state each time
        Kind("orderbook.instrument", mode="state", coalesce_ms=200),
        # one participant's orders and fills — private, every event matters
        Kind("orderbook.participant", private=True, mode="log"),
        # one account's in-site notifications
        Kind("notify.account", private=True, mode="log"),
        # a bid box's opening hall (开标大厅): its state and how many envelopes are decided — never a name
        Kind("bidbox.box", mode="state", coalesce_ms=500),
        # a region's red-flag alerts for its regulators (一屏管交易) — private, every event matters
        Kind("redflags.region", private=True, mode="log"),
    )
}


def kinds_from(overrides: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Kind]:
    """The default kinds with ``{"kind": {"coalesce_ms": 100, …}}`` applied (a new name adds a kind)."""
    kinds = dict(DEFAULT_KINDS)
    for name, options in (overrides or {}).items():
        base = kinds.get(name, Kind(name))
        kinds[name] = replace(base, **dict(options))
    return kinds


def parse(channel: str) -> tuple[str, str] | None:
    """``("auction.lot", "42")`` for ``auction.lot:42``; None when the name is malformed."""
    if not isinstance(channel, str) or len(channel) > CHANNEL_MAX:
        return None
    match = CHANNEL.fullmatch(channel)
    return (match.group(1), match.group(2)) if match else None


def channel(kind: str, key: object) -> str:
    """Build a channel name: ``channel("auction.lot", 42) == "auction.lot:42"`` (checked)."""
    name = f"{kind}:{key}"
    if parse(name) is None:
        raise ValueError(f"{name!r} is not a channel name (<kind>:<key>, key of [A-Za-z0-9_.-])")
    return name

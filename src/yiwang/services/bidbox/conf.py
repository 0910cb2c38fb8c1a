"""Settings of the bid box (``settings.YIWANG_BIDBOX``), with defaults for everything::

    YIWANG_BIDBOX = {
        "DECRYPTION_WINDOW_MINUTES": 60,   # how long bidders have to decrypt, unless the box sets its own
        "ENVELOPE_KIND": "sealed_bid",     # document-store kind of received envelopes
        "PLAINTEXT_KIND": None,            # kind of decrypted bids: "bid_document" when the store knows it, else
                                           # "attachment" — and, for a type or size that kind refuses, the
                                           # envelope kind (opaque octet streams up to its limit)
        "OWNER_CONTEXT": "services.bidbox",
        "TRUSTED_PROXIES": [],             # addresses/networks of reverse proxies whose X-Forwarded-For is
                                           # believed (e.g. ["127.0.0.1", "::1"] behind nginx on loopback);
                                           # empty: the upload address is REMOTE_ADDR
    }

The decryption window is an operating choice of the trading centre (the law says only that bidders decrypt
online at the opening), which is why it is a setting with a per-box override and not a catalogue rule. Size
limits are technical policy (the document store's own kind limits apply on top).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings

from yiwang.platform.storage.conf import storage_settings
from yiwang.services.bidbox.domain.fingerprints import Network, parse_networks


@dataclass(frozen=True)
class BidboxSettings:
    decryption_window: timedelta
    envelope_kind: str
    plaintext_kind: str
    plaintext_kind_configured: bool  # set in settings: no fallback to other kinds
    owner_context: str
    trusted_proxies: tuple[Network, ...] = ()

    @property
    def envelope_limit(self) -> int:
        policy = storage_settings().kind(self.envelope_kind)
        return policy.max_bytes if policy else 0


def bidbox_settings() -> BidboxSettings:
    raw = dict(getattr(settings, "YIWANG_BIDBOX", None) or {})
    plaintext = raw.get("PLAINTEXT_KIND")
    configured = bool(plaintext)
    if not plaintext:
        plaintext = "bid_document" if storage_settings().kind("bid_document") else "attachment"
    return BidboxSettings(
        decryption_window=timedelta(minutes=int(raw.get("DECRYPTION_WINDOW_MINUTES", 60))),
        envelope_kind=str(raw.get("ENVELOPE_KIND", "sealed_bid")),
        plaintext_kind=str(plaintext),
        plaintext_kind_configured=configured,
        owner_context=str(raw.get("OWNER_CONTEXT", "services.bidbox")),
        trusted_proxies=parse_networks(raw.get("TRUSTED_PROXIES") or ()),
    )

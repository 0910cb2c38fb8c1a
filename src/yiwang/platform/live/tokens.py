"""Short-lived signed tokens for private channels (pure Python: the live server checks them without a database).

``v1.<payload>.<signature>``: the payload is base64url JSON ``{"a": actor ref, "c": [channels], "x": expiry
(Unix seconds)}``, the signature HMAC-SHA256 over ``v1.<payload>`` with a key derived from the site's secret
key. The Django side mints one for the signed-in actor (``live_url``); the live server checks it when a stream
opens. Tokens travel in the URL (``?token=``) because the live server listens on another port and cookies are
per host: keep them short-lived, and never log full URLs of private streams.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

PREFIX = "v1"


def derive_key(secret_key: str) -> bytes:
    """The signing key: HMAC of a fixed label under the site's secret key (never the secret key itself)."""
    return hmac.new(secret_key.encode(), b"yiwang.live.token.v1", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Grant:
    actor_ref: str
    channels: tuple[str, ...]
    expires: int


def mint(key: bytes, actor_ref: str, channels: list[str] | tuple[str, ...], *, now: float, ttl: int) -> str:
    payload = json.dumps(
        {"a": actor_ref, "c": list(channels), "x": int(now) + int(ttl)}, separators=(",", ":"), ensure_ascii=False
    ).encode()
    signed = f"{PREFIX}.{_b64(payload)}"
    return f"{signed}.{_b64(hmac.new(key, signed.encode(), hashlib.sha256).digest())}"


def check(key: bytes, token: str, *, now: float) -> Grant | None:
    """The grant a token carries, or None when it is malformed, forged or expired."""
    try:
        prefix, payload, signature = token.split(".")
    except (AttributeError, ValueError):
        return None
    if prefix != PREFIX:
        return None
    expected = hmac.new(key, f"{prefix}.{payload}".encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(expected, _unb64(signature)):
            return None
        data = json.loads(_unb64(payload))
        grant = Grant(str(data["a"]), tuple(str(c) for c in data["c"]), int(data["x"]))
    except (ValueError, KeyError, TypeError):
        return None
    if grant.expires <= now:
        return None
    return grant


def allows(grant: Grant | None, channel: str) -> bool:
    return grant is not None and channel in grant.channels

"""The challenge of the QR / mobile signing flow (扫码签名 / 登录确认).

A challenge is one line of ASCII::

    YWSIGN1.<base64url, no padding, of the canonical JSON below>

    {"account": "account:12", "exp": "2026-03-02T01:03:00.000000Z", "iat": "2026-03-02T01:00:00.000000Z",
     "id": "5f0c…", "nonce": "<43 characters, 256 random bits>", "platform": "<platform code>",
     "purpose": "login_confirm", "respond": "/api/v1/ca/challenges/5f0c…/respond", "text": "登录确认", "v": 1}

**The bytes to sign are the ASCII bytes of the whole line**, exactly as shown (QR code or text). The signing
client decodes the JSON only to show the person what they confirm and where to send the signature
(``respond``, relative to the platform's address). The server keeps the line it issued and verifies against
that, so nothing the client sends back can change what was signed. Pure Python.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yiwang.identity.ca.domain.errors import CaRefused
from yiwang.kernel.canonical import canonical_json, iso_utc

PREFIX = "YWSIGN1."
VERSION = 1
PURPOSES: dict[str, str] = {
    "login_confirm": "登录确认（证书确认当前会话）",
    "sign_confirm": "扫码签名确认",
}
MAX_LENGTH = 2000
_FIELDS = {"v", "id", "purpose", "nonce", "account", "platform", "iat", "exp", "respond", "text"}
_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Challenge:
    id: str  # 32 hex characters (a UUID without dashes)
    purpose: str
    nonce: str
    account: str  # the actor ref of the account that started it: account:<id>
    platform: str
    issued_at: datetime
    expires_at: datetime
    respond: str  # path of the respond endpoint
    text: str = ""

    def encode(self) -> str:
        body = {
            "v": VERSION,
            "id": self.id,
            "purpose": self.purpose,
            "nonce": self.nonce,
            "account": self.account,
            "platform": self.platform,
            "iat": iso_utc(self.issued_at),
            "exp": iso_utc(self.expires_at),
            "respond": self.respond,
            "text": self.text,
        }
        return PREFIX + base64.urlsafe_b64encode(canonical_json(body)).rstrip(b"=").decode("ascii")

    @property
    def purpose_label(self) -> str:
        return PURPOSES.get(self.purpose, self.purpose)


def signing_bytes(challenge_text: str) -> bytes:
    """The exact bytes a signing client signs."""
    return challenge_text.strip().encode("ascii")


def _bad(reason: str) -> CaRefused:
    return CaRefused("ca.challenge_malformed", reason=reason)


def decode(text: str) -> Challenge:
    """Parse a challenge line; ``ca.challenge_malformed`` if it is not one."""
    if not isinstance(text, str):
        raise _bad("not text")
    text = text.strip()
    if len(text) > MAX_LENGTH or not text.startswith(PREFIX):
        raise _bad(f"must start with {PREFIX}")
    encoded = text[len(PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        body: Any = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad("not base64url JSON") from None
    if not isinstance(body, dict) or set(body) != _FIELDS or body.get("v") != VERSION:
        raise _bad("unexpected fields or version")
    if canonical_json(body) != raw:
        raise _bad("not canonical JSON")
    if not isinstance(body["id"], str) or not _ID.match(body["id"]):
        raise _bad("bad id")
    if body["purpose"] not in PURPOSES:
        raise _bad("unknown purpose")
    try:
        issued = datetime.fromisoformat(body["iat"].replace("Z", "+00:00"))
        expires = datetime.fromisoformat(body["exp"].replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise _bad("bad times") from None
    for key in ("nonce", "account", "platform", "respond", "text"):
        if not isinstance(body[key], str):
            raise _bad(f"bad {key}")
    return Challenge(
        id=body["id"],
        purpose=body["purpose"],
        nonce=body["nonce"],
        account=body["account"],
        platform=body["platform"],
        issued_at=issued,
        expires_at=expires,
        respond=body["respond"],
        text=body["text"],
    )

"""Secret tokens: random, prefixed by kind, stored only as SHA-256.

A token has 256 bits of randomness, so a plain SHA-256 is enough to make the stored value useless to a
database reader (no salt or slow hash is needed for secrets that cannot be guessed). Client *secrets* are
stored with the slow password hasher anyway, because operators sometimes choose them by hand.
"""

from __future__ import annotations

import hashlib
import secrets

PERSONAL = "ywp_"  # personal access token of an account
CLIENT = "ywc_"  # access token of an API client (client-credentials grant)
SECRET = "yws_"  # noqa: S105 (the prefix of client secrets, not a secret)  # client secret


def new_token(kind: str) -> str:
    return kind + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def display_prefix(token: str) -> str:
    return token[:10]

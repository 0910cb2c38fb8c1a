"""A stand-in for ``yiwang.platform.keys`` used only while that module has not landed (see conftest): the same four
functions over one SM2 key made for the test session. Remove once the real module exists."""

from __future__ import annotations

from functools import cache

from yiwang.kernel.crypto import PublicKey, Signer, generate_private_key, signer_for, verify_signature
from yiwang.kernel.crypto.errors import KeyInvalid


@cache
def _key():
    return generate_private_key("sm2")


def platform_signer() -> Signer:
    return signer_for(_key())


def platform_key_id() -> str:
    return _key().public_key.key_id


def platform_public_key(key_id: str | None = None) -> PublicKey:
    if key_id not in (None, platform_key_id()):
        raise KeyInvalid(reason="unknown platform key", key_id=key_id)
    return _key().public_key


def verify_platform_signature(message: bytes, signature: bytes, key_id: str) -> None:
    verify_signature(platform_public_key(key_id), "sm2-sm3", message, signature)

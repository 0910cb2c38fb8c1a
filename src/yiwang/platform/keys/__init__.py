"""The platform's own signing keys (平台签名密钥): a small port other contexts call (docs/adr/0007).

* :func:`platform_signer` — the current signing key as a kernel ``Signer`` (SM2 by default, ECDSA P-256 when
  ``YIWANG_PLATFORM_KEY_ALGORITHM = "ec-p256"``);
* :func:`platform_key_id` — its key id (``sm3:<hex>``);
* :func:`platform_public_key` — the current public key, or any key ever used, by id;
* :func:`verify_platform_signature` — ``True`` if a registered platform key (current or retired) made it;
* :func:`public_keys_document` — every platform public key as JSON, for offline verifiers.

What is signed with it must start with its own context label (``b"yiwang.<purpose>.v<N>\\x00"``), so a signature
made for one purpose can never be presented for another. Rotation: ``yiwang keys rotate`` (witnessed).

The functions import their implementation on first call, so importing this package never touches the app
registry (other apps' modules may import it at load time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yiwang.kernel.crypto import PublicKey, Signer

__all__ = [
    "platform_key_id",
    "platform_public_key",
    "platform_signer",
    "public_keys_document",
    "verify_platform_signature",
]


def platform_signer() -> Signer:
    """The current platform signing key (the kernel ``Signer``: ``.sign(message)``, ``.algorithm``, ``.public_key``)."""
    from yiwang.platform.keys import service

    return service.platform_signer()


def platform_key_id() -> str:
    """The current key's id, ``sm3:`` + hex(SM3(SubjectPublicKeyInfo DER))."""
    from yiwang.platform.keys import service

    return service.platform_key_id()


def platform_public_key(key_id: str | None = None) -> PublicKey:
    """The current public key, or a registered (possibly retired) one by id; ``keys.unknown_key`` (404) if none."""
    from yiwang.platform.keys import service

    return service.platform_public_key(key_id)


def verify_platform_signature(message: bytes, signature: bytes, key_id: str) -> bool:
    """Whether ``signature`` over ``message`` was made by the platform key ``key_id`` (``False`` for an unknown key
    or a signature that does not verify; never raises)."""
    from yiwang.platform.keys import service

    return service.verify_platform_signature(message, signature, key_id)


def public_keys_document() -> dict[str, Any]:
    """All platform public keys (PEM, algorithm, key_id, valid_from, retired_at, endorsement), JSON-able; the
    format is described in :mod:`yiwang.platform.keys.document`."""
    from yiwang.platform.keys import service

    return service.public_keys_document()

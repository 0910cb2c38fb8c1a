"""Authenticated encryption: SM4-GCM (GB/T 32907 block cipher in GCM, as in RFC 8998) and AES-256-GCM.

The one-shot API never takes a nonce from the caller: :meth:`Aead.encrypt` draws a fresh random 96-bit nonce and
returns ``nonce ‖ ciphertext ‖ tag``; :meth:`Aead.decrypt` takes that blob back. Large data goes through
:mod:`yiwang.kernel.crypto.chunked`, which derives per-chunk nonces itself.

Both ciphers come from ``cryptography``: ``AESGCM`` for AES, the ``Cipher(SM4, GCM)`` interface for SM4.
"""

from __future__ import annotations

import secrets
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from yiwang.kernel.crypto.errors import AlgorithmUnsupported, CiphertextTampered, CiphertextTruncated, KeyInvalid

NONCE_SIZE = 12
TAG_SIZE = 16
AEAD_NAMES: tuple[str, ...] = ("sm4-gcm", "aes-256-gcm")

Bytes = bytes | bytearray | memoryview


class Aead(Protocol):
    """An AEAD cipher with 96-bit nonces and 128-bit tags."""

    name: str
    key_size: int

    def generate_key(self) -> bytes:
        """A fresh random key of ``key_size`` bytes."""
        ...

    def encrypt(self, key: bytes, plaintext: Bytes, associated_data: Bytes = b"") -> bytes:
        """``nonce ‖ ciphertext ‖ tag`` under a fresh random nonce."""
        ...

    def decrypt(self, key: bytes, sealed: Bytes, associated_data: Bytes = b"") -> bytes:
        """The plaintext of ``nonce ‖ ciphertext ‖ tag``; :class:`CiphertextTampered` if it does not authenticate."""
        ...


class _Gcm:
    """Shared logic. ``_seal_at``/``_open_at`` take an explicit nonce and are for the chunked layer only."""

    name: str = ""
    key_size: int = 0

    def generate_key(self) -> bytes:
        return secrets.token_bytes(self.key_size)

    def _check_key(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) != self.key_size:
            raise KeyInvalid(algorithm=self.name, expected_bytes=self.key_size)

    def encrypt(self, key: bytes, plaintext: Bytes, associated_data: Bytes = b"") -> bytes:
        self._check_key(key)
        nonce = secrets.token_bytes(NONCE_SIZE)
        return nonce + self._seal_at(key, nonce, plaintext, associated_data)

    def decrypt(self, key: bytes, sealed: Bytes, associated_data: Bytes = b"") -> bytes:
        self._check_key(key)
        if len(sealed) < NONCE_SIZE + TAG_SIZE:
            raise CiphertextTruncated(algorithm=self.name, size=len(sealed))
        view = memoryview(sealed)
        return self._open_at(key, bytes(view[:NONCE_SIZE]), view[NONCE_SIZE:], associated_data)

    def _seal_at(self, key: bytes, nonce: bytes, plaintext: Bytes, associated_data: Bytes) -> bytes:
        raise NotImplementedError

    def _open_at(self, key: bytes, nonce: bytes, sealed: Bytes, associated_data: Bytes) -> bytes:
        raise NotImplementedError


class Sm4Gcm(_Gcm):
    name = "sm4-gcm"
    key_size = 16

    def _seal_at(self, key: bytes, nonce: bytes, plaintext: Bytes, associated_data: Bytes) -> bytes:
        encryptor = Cipher(algorithms.SM4(bytes(key)), modes.GCM(nonce)).encryptor()
        if associated_data:
            encryptor.authenticate_additional_data(bytes(associated_data))
        body = encryptor.update(plaintext) + encryptor.finalize()
        return body + encryptor.tag

    def _open_at(self, key: bytes, nonce: bytes, sealed: Bytes, associated_data: Bytes) -> bytes:
        if len(sealed) < TAG_SIZE:
            raise CiphertextTruncated(algorithm=self.name, size=len(sealed))
        view = memoryview(sealed)
        tag = bytes(view[-TAG_SIZE:])
        decryptor = Cipher(algorithms.SM4(bytes(key)), modes.GCM(nonce, tag)).decryptor()
        if associated_data:
            decryptor.authenticate_additional_data(bytes(associated_data))
        try:
            return decryptor.update(view[:-TAG_SIZE]) + decryptor.finalize()
        except InvalidTag:
            raise CiphertextTampered(algorithm=self.name) from None


class Aes256Gcm(_Gcm):
    name = "aes-256-gcm"
    key_size = 32

    def _seal_at(self, key: bytes, nonce: bytes, plaintext: Bytes, associated_data: Bytes) -> bytes:
        return AESGCM(bytes(key)).encrypt(nonce, bytes(plaintext), bytes(associated_data) or None)

    def _open_at(self, key: bytes, nonce: bytes, sealed: Bytes, associated_data: Bytes) -> bytes:
        if len(sealed) < TAG_SIZE:
            raise CiphertextTruncated(algorithm=self.name, size=len(sealed))
        try:
            return AESGCM(bytes(key)).decrypt(nonce, bytes(sealed), bytes(associated_data) or None)
        except InvalidTag:
            raise CiphertextTampered(algorithm=self.name) from None


SM4_GCM = Sm4Gcm()
AES_256_GCM = Aes256Gcm()
_BY_NAME: dict[str, _Gcm] = {SM4_GCM.name: SM4_GCM, AES_256_GCM.name: AES_256_GCM}


def aead_by_name(name: str) -> _Gcm:
    """The AEAD called ``name`` (``"sm4-gcm"`` or ``"aes-256-gcm"``)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise AlgorithmUnsupported(algorithm=name, supported=list(AEAD_NAMES)) from None

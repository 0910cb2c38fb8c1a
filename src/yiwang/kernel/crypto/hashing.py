"""Hash functions: SM3 (GB/T 32905-2016) and SHA-256, one-shot and streaming.

SM3 comes from ``cryptography`` (its bundled OpenSSL), SHA-256 from :mod:`hashlib`. Names are lower-case strings
(``"sm3"``, ``"sha256"``) so they can travel in documents and catalogues.

    >>> sm3(b"abc").hex()[:16]
    '66c7f0f462eeedd9'
    >>> h = new_hasher("sm3"); h.update(b"ab"); h.update(b"c"); h.digest() == sm3(b"abc")
    True
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO, Protocol

from cryptography.hazmat.primitives import hashes

from yiwang.kernel.crypto.errors import AlgorithmUnsupported

HASH_NAMES: tuple[str, ...] = ("sm3", "sha256")
READ_SIZE = 1 << 20  # bytes read at a time by hash_stream


class Hasher(Protocol):
    """A running hash. ``digest()`` may be called any number of times and does not end the hasher."""

    name: str
    digest_size: int

    def update(self, data: bytes | bytearray | memoryview) -> None: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...

    def copy(self) -> Hasher: ...


class _Sm3:
    name = "sm3"
    digest_size = 32

    def __init__(self, state: hashes.Hash | None = None):
        self._h = state if state is not None else hashes.Hash(hashes.SM3())

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.copy().finalize()

    def hexdigest(self) -> str:
        return self.digest().hex()

    def copy(self) -> _Sm3:
        return _Sm3(self._h.copy())


class _Sha256:
    name = "sha256"
    digest_size = 32

    def __init__(self, state: hashlib._Hash | None = None):
        self._h = state if state is not None else hashlib.sha256()

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.digest()

    def hexdigest(self) -> str:
        return self._h.hexdigest()

    def copy(self) -> _Sha256:
        return _Sha256(self._h.copy())


def new_hasher(name: str) -> Hasher:
    """A fresh streaming hasher for ``name`` (``"sm3"`` or ``"sha256"``)."""
    if name == "sm3":
        return _Sm3()
    if name == "sha256":
        return _Sha256()
    raise AlgorithmUnsupported(algorithm=name, supported=list(HASH_NAMES))


def hash_by_name(name: str, data: bytes | bytearray | memoryview) -> bytes:
    """The ``name`` digest of ``data``."""
    hasher = new_hasher(name)
    hasher.update(data)
    return hasher.digest()


def sm3(data: bytes | bytearray | memoryview) -> bytes:
    """SM3 digest (32 bytes) of ``data``."""
    return hash_by_name("sm3", data)


def sha256(data: bytes | bytearray | memoryview) -> bytes:
    """SHA-256 digest (32 bytes) of ``data``."""
    return hashlib.sha256(data).digest()


def hash_stream(name: str, stream: BinaryIO, *, read_size: int = READ_SIZE) -> bytes:
    """Digest of everything left in ``stream``, read ``read_size`` bytes at a time (constant memory)."""
    hasher = new_hasher(name)
    while chunk := stream.read(read_size):
        hasher.update(chunk)
    return hasher.digest()

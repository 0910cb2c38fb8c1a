"""Chunked AEAD for large files (the STREAM construction): constant memory, truncation and reordering detected.

The plaintext is cut into chunks of ``chunk_size`` bytes; the last chunk holds the remaining 0 … ``chunk_size``
bytes (a plaintext whose size is a multiple of ``chunk_size`` ends with a *full* final chunk; an empty plaintext is
one empty final chunk). Chunk *i* (from 0) is encrypted under the same key with

    nonce_i = nonce_prefix (7 bytes) ‖ i (4 bytes, big-endian) ‖ final (1 byte: 0x01 for the last chunk, else 0x00)

and the caller's associated data, giving ``ciphertext_i ‖ tag_i`` (tag 16 bytes). The ciphertext is the
concatenation of those. Consequences:

- no nonce repeats under one key and prefix (the counter is unique, the flag separates the last chunk);
- reordering or dropping a chunk breaks the counter → the tag fails;
- cutting the stream at a chunk boundary leaves a chunk that was *not* sealed as final → detected
  (:class:`CiphertextTruncated`); cutting inside a chunk fails its tag;
- appending data after the final chunk is refused.

Use a fresh random key per stream (the envelope does); the random 56-bit prefix is a second line of defence.
The decryptor releases each chunk's plaintext only after that chunk's tag verified; a stream that later proves
truncated or tampered raises, and the caller must discard what it wrote.
"""

from __future__ import annotations

import secrets

from yiwang.kernel.crypto.aead import TAG_SIZE, Bytes, _Gcm
from yiwang.kernel.crypto.errors import CiphertextTampered, CiphertextTruncated, TooLarge
from yiwang.kernel.errors import InvalidInput

NONCE_PREFIX_SIZE = 7
DEFAULT_CHUNK_SIZE = 64 * 1024
MIN_CHUNK_SIZE = 16
MAX_CHUNK_SIZE = 16 * 1024 * 1024
MAX_CHUNKS = 1 << 32


def check_chunk_size(chunk_size: int) -> None:
    """Refuse a chunk size outside [MIN_CHUNK_SIZE, MAX_CHUNK_SIZE] (``crypto.chunk_size``)."""
    if not isinstance(chunk_size, int) or not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise InvalidInput(
            "crypto.chunk_size",
            f"分块大小须在 {MIN_CHUNK_SIZE} 至 {MAX_CHUNK_SIZE} 字节之间",
            f"chunk size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes",
            {"chunk_size": chunk_size},
        )


def chunk_count(plaintext_size: int, chunk_size: int) -> int:
    """Number of chunks for a plaintext of ``plaintext_size`` bytes (at least one)."""
    return max(1, -(-plaintext_size // chunk_size))


def ciphertext_size(plaintext_size: int, chunk_size: int) -> int:
    """Exact size of the chunked ciphertext of a ``plaintext_size``-byte plaintext."""
    return plaintext_size + TAG_SIZE * chunk_count(plaintext_size, chunk_size)


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    if index >= MAX_CHUNKS:
        raise TooLarge(reason="more than 2**32 chunks")
    return prefix + index.to_bytes(4, "big") + (b"\x01" if final else b"\x00")


def _check_prefix(nonce_prefix: bytes) -> bytes:
    if not isinstance(nonce_prefix, bytes) or len(nonce_prefix) != NONCE_PREFIX_SIZE:
        raise InvalidInput(
            "crypto.nonce_prefix",
            f"随机数前缀须为 {NONCE_PREFIX_SIZE} 字节",
            f"the nonce prefix must be {NONCE_PREFIX_SIZE} bytes",
        )
    return nonce_prefix


class ChunkEncryptor:
    """Push plaintext with :meth:`update`, end with :meth:`finalize`; each returns the ciphertext produced so far.

    Memory stays at about two chunks whatever is pushed, as long as ``update`` gets pieces of bounded size.
    """

    def __init__(
        self,
        aead: _Gcm,
        key: bytes,
        *,
        associated_data: Bytes = b"",
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        nonce_prefix: bytes | None = None,
    ):
        check_chunk_size(chunk_size)
        aead._check_key(key)
        self.aead = aead
        self.chunk_size = chunk_size
        self.nonce_prefix = (
            _check_prefix(nonce_prefix) if nonce_prefix is not None else secrets.token_bytes(NONCE_PREFIX_SIZE)
        )
        self._key = bytes(key)
        self._aad = bytes(associated_data)
        self._buffer = bytearray()
        self._index = 0
        self._done = False

    def _seal(self, piece: Bytes, final: bool) -> bytes:
        out = self.aead._seal_at(self._key, _nonce(self.nonce_prefix, self._index, final), piece, self._aad)
        self._index += 1
        return out

    def update(self, data: Bytes) -> bytes:
        if self._done:
            raise RuntimeError("ChunkEncryptor used after finalize()")
        self._buffer += data
        out: list[bytes] = []
        size, start = self.chunk_size, 0
        view = memoryview(self._buffer)
        try:
            # Keep at least one byte back: only finalize() knows which chunk is the last.
            while len(self._buffer) - start > size:
                out.append(self._seal(view[start : start + size], final=False))
                start += size
        finally:
            view.release()
        del self._buffer[:start]
        return b"".join(out)

    def finalize(self) -> bytes:
        if self._done:
            raise RuntimeError("ChunkEncryptor.finalize() called twice")
        self._done = True
        out = self._seal(self._buffer, final=True)
        self._buffer = bytearray()
        return out


class ChunkDecryptor:
    """Push ciphertext with :meth:`update`, end with :meth:`finalize`; each returns verified plaintext so far."""

    def __init__(
        self,
        aead: _Gcm,
        key: bytes,
        *,
        nonce_prefix: bytes,
        associated_data: Bytes = b"",
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        check_chunk_size(chunk_size)
        aead._check_key(key)
        self.aead = aead
        self.chunk_size = chunk_size
        self.nonce_prefix = _check_prefix(nonce_prefix)
        self._key = bytes(key)
        self._aad = bytes(associated_data)
        self._buffer = bytearray()
        self._index = 0
        self._done = False

    def _open(self, piece: Bytes, final: bool) -> bytes:
        nonce = _nonce(self.nonce_prefix, self._index, final)
        try:
            plain = self.aead._open_at(self._key, nonce, piece, self._aad)
        except CiphertextTampered:
            raise CiphertextTampered(chunk=self._index, algorithm=self.aead.name) from None
        self._index += 1
        return plain

    def update(self, data: Bytes) -> bytes:
        if self._done:
            raise RuntimeError("ChunkDecryptor used after finalize()")
        self._buffer += data
        out: list[bytes] = []
        sealed_size, start = self.chunk_size + TAG_SIZE, 0
        view = memoryview(self._buffer)
        try:
            while len(self._buffer) - start > sealed_size:
                out.append(self._open(view[start : start + sealed_size], final=False))
                start += sealed_size
        finally:
            view.release()
        del self._buffer[:start]
        return b"".join(out)

    def finalize(self) -> bytes:
        if self._done:
            raise RuntimeError("ChunkDecryptor.finalize() called twice")
        self._done = True
        rest, self._buffer = bytes(self._buffer), bytearray()
        if len(rest) < TAG_SIZE:
            raise CiphertextTruncated(chunk=self._index, algorithm=self.aead.name)
        try:
            return self._open(rest, final=True)
        except CiphertextTampered:
            pass
        # Not a valid final chunk. If it is a valid *non-final* chunk, the stream was cut at a chunk boundary.
        try:
            self.aead._open_at(self._key, _nonce(self.nonce_prefix, self._index, False), rest, self._aad)
        except CiphertextTampered:
            raise CiphertextTampered(chunk=self._index, algorithm=self.aead.name) from None
        raise CiphertextTruncated(chunk=self._index + 1, algorithm=self.aead.name)


def encrypt_chunked(
    aead: _Gcm,
    key: bytes,
    plaintext: Bytes,
    *,
    associated_data: Bytes = b"",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> tuple[bytes, bytes]:
    """Encrypt a whole in-memory plaintext; returns ``(nonce_prefix, ciphertext)``."""
    encryptor = ChunkEncryptor(aead, key, associated_data=associated_data, chunk_size=chunk_size)
    view, parts = memoryview(plaintext), []
    for start in range(0, len(view), chunk_size):
        parts.append(encryptor.update(view[start : start + chunk_size]))
    parts.append(encryptor.finalize())
    return encryptor.nonce_prefix, b"".join(parts)


def decrypt_chunked(
    aead: _Gcm,
    key: bytes,
    ciphertext: Bytes,
    *,
    nonce_prefix: bytes,
    associated_data: Bytes = b"",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> bytes:
    """Decrypt a whole in-memory chunked ciphertext (see :func:`encrypt_chunked`)."""
    decryptor = ChunkDecryptor(
        aead, key, nonce_prefix=nonce_prefix, associated_data=associated_data, chunk_size=chunk_size
    )
    view, parts, step = memoryview(ciphertext), [], chunk_size + TAG_SIZE
    for start in range(0, len(view), step):
        parts.append(decryptor.update(view[start : start + step]))
    parts.append(decryptor.finalize())
    return b"".join(parts)

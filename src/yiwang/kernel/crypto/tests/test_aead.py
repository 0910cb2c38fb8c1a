"""SM4 / SM4-GCM / AES-256-GCM, one-shot and chunked: published vectors, round trips, tampering, truncation."""

from __future__ import annotations

import gmssl_pyx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.kernel.crypto.aead import AES_256_GCM, NONCE_SIZE, SM4_GCM, TAG_SIZE, aead_by_name
from yiwang.kernel.crypto.chunked import (
    NONCE_PREFIX_SIZE,
    ChunkDecryptor,
    ChunkEncryptor,
    chunk_count,
    ciphertext_size,
    decrypt_chunked,
    encrypt_chunked,
)
from yiwang.kernel.crypto.errors import (
    AlgorithmUnsupported,
    CiphertextTampered,
    CiphertextTruncated,
    KeyInvalid,
)
from yiwang.kernel.errors import InvalidInput

CIPHERS = [SM4_GCM, AES_256_GCM]

# GB/T 32907-2016 Appendix A: example 1 (one encryption) and example 2 (1,000,000 encryptions).
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_ONCE = "681edf34d206965e86b3e94f536e4246"
SM4_MILLION = "595298c7c6fd271f0402f804c33d3f66"

# RFC 8998 Appendix A.1 (SM4-GCM).
GCM_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
GCM_IV = bytes.fromhex("00001234567800000000ABCD")
GCM_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
GCM_PLAIN = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
GCM_CIPHER = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
GCM_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")


def _sm4_block(key: bytes, block: bytes) -> bytes:
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 - raw block known answers
    return encryptor.update(block) + encryptor.finalize()


def test_sm4_block_example() -> None:
    assert _sm4_block(SM4_KEY, SM4_KEY).hex() == SM4_ONCE


@pytest.mark.slow
def test_sm4_million_iterations_example() -> None:
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()  # noqa: S305 - raw block known answers
    block = SM4_KEY
    for _ in range(1_000_000):
        block = encryptor.update(block)
    assert block.hex() == SM4_MILLION


def test_sm4_gcm_rfc8998_vector() -> None:
    assert SM4_GCM._seal_at(GCM_KEY, GCM_IV, GCM_PLAIN, GCM_AAD) == GCM_CIPHER + GCM_TAG
    assert SM4_GCM._open_at(GCM_KEY, GCM_IV, GCM_CIPHER + GCM_TAG, GCM_AAD) == GCM_PLAIN
    # The same vector through GmSSL (an independent SM4-GCM implementation).
    assert gmssl_pyx.sm4_gcm_encrypt(GCM_KEY, GCM_IV, GCM_AAD, GCM_PLAIN) == (GCM_CIPHER, GCM_TAG)
    sealed = SM4_GCM.encrypt(GCM_KEY, GCM_PLAIN, GCM_AAD)
    nonce, body = sealed[:NONCE_SIZE], sealed[NONCE_SIZE:]
    assert gmssl_pyx.sm4_gcm_decrypt(GCM_KEY, nonce, GCM_AAD, body[:-TAG_SIZE], body[-TAG_SIZE:]) == GCM_PLAIN


@pytest.mark.parametrize("cipher", CIPHERS, ids=lambda c: c.name)
@given(plaintext=st.binary(max_size=500), aad=st.binary(max_size=40))
def test_one_shot_round_trip(cipher, plaintext: bytes, aad: bytes) -> None:
    key = cipher.generate_key()
    sealed = cipher.encrypt(key, plaintext, aad)
    assert len(sealed) == NONCE_SIZE + len(plaintext) + TAG_SIZE
    assert cipher.decrypt(key, sealed, aad) == plaintext


@pytest.mark.parametrize("cipher", CIPHERS, ids=lambda c: c.name)
def test_one_shot_nonces_are_fresh(cipher) -> None:
    key = cipher.generate_key()
    nonces = {cipher.encrypt(key, b"same")[:NONCE_SIZE] for _ in range(200)}
    assert len(nonces) == 200


@pytest.mark.parametrize("cipher", CIPHERS, ids=lambda c: c.name)
def test_one_shot_tampering_is_refused(cipher) -> None:
    key = cipher.generate_key()
    sealed = cipher.encrypt(key, b"bid price 1000000", b"header")
    for position in (0, NONCE_SIZE, len(sealed) - 1):  # nonce, ciphertext, tag
        damaged = bytearray(sealed)
        damaged[position] ^= 0x01
        with pytest.raises(CiphertextTampered):
            cipher.decrypt(key, bytes(damaged), b"header")
    with pytest.raises(CiphertextTampered):
        cipher.decrypt(key, sealed, b"other header")
    with pytest.raises(CiphertextTampered):
        cipher.decrypt(cipher.generate_key(), sealed, b"header")
    with pytest.raises(CiphertextTruncated):
        cipher.decrypt(key, sealed[: NONCE_SIZE + TAG_SIZE - 1], b"header")


def test_key_sizes_and_names() -> None:
    assert (SM4_GCM.key_size, AES_256_GCM.key_size) == (16, 32)
    with pytest.raises(KeyInvalid):
        SM4_GCM.encrypt(b"k" * 32, b"x")
    with pytest.raises(KeyInvalid):
        AES_256_GCM.encrypt(b"k" * 16, b"x")
    assert aead_by_name("sm4-gcm") is SM4_GCM
    with pytest.raises(AlgorithmUnsupported):
        aead_by_name("aes-128-cbc")


# --- chunked ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cipher", CIPHERS, ids=lambda c: c.name)
@settings(max_examples=60)
@given(
    size=st.integers(min_value=0, max_value=300),
    chunk_size=st.integers(min_value=16, max_value=64),
    piece=st.integers(min_value=1, max_value=100),
    aad=st.binary(max_size=32),
    data=st.data(),
)
def test_chunked_round_trip_at_any_size_and_split(cipher, size, chunk_size, piece, aad, data) -> None:
    # Sizes cluster around chunk boundaries too: exact multiples, ±1.
    size = data.draw(st.sampled_from([size, chunk_size * (size % 5), chunk_size * (size % 5) + 1]))
    plaintext = bytes(range(256)) * 2
    plaintext = (plaintext * (size // len(plaintext) + 1))[:size]
    key = cipher.generate_key()
    encryptor = ChunkEncryptor(cipher, key, associated_data=aad, chunk_size=chunk_size)
    parts = [encryptor.update(plaintext[i : i + piece]) for i in range(0, size, piece)]
    ciphertext = b"".join([*parts, encryptor.finalize()])
    assert len(ciphertext) == ciphertext_size(size, chunk_size)
    decryptor = ChunkDecryptor(
        cipher, key, nonce_prefix=encryptor.nonce_prefix, associated_data=aad, chunk_size=chunk_size
    )
    out = [decryptor.update(ciphertext[i : i + piece]) for i in range(0, len(ciphertext), piece)]
    assert b"".join([*out, decryptor.finalize()]) == plaintext


def test_chunk_arithmetic() -> None:
    assert chunk_count(0, 16) == 1
    assert chunk_count(16, 16) == 1
    assert chunk_count(17, 16) == 2
    assert ciphertext_size(0, 16) == 16
    assert ciphertext_size(32, 16) == 32 + 32


def _chunked(cipher, size: int = 64, chunk_size: int = 16) -> tuple[bytes, bytes, bytes, bytes]:
    key = cipher.generate_key()
    plaintext = bytes(range(size))
    prefix, ciphertext = encrypt_chunked(cipher, key, plaintext, associated_data=b"hdr", chunk_size=chunk_size)
    return key, prefix, ciphertext, plaintext


@pytest.mark.parametrize("cipher", CIPHERS, ids=lambda c: c.name)
def test_chunked_truncation_at_every_boundary_is_detected(cipher) -> None:
    key, prefix, ciphertext, _ = _chunked(cipher)
    step = 16 + TAG_SIZE
    for cut in range(0, len(ciphertext), step):
        with pytest.raises(CiphertextTruncated):
            decrypt_chunked(cipher, key, ciphertext[:cut], nonce_prefix=prefix, associated_data=b"hdr", chunk_size=16)
    with pytest.raises(CiphertextTampered):  # cut inside the last chunk
        decrypt_chunked(cipher, key, ciphertext[:-3], nonce_prefix=prefix, associated_data=b"hdr", chunk_size=16)


@pytest.mark.parametrize("cipher", CIPHERS, ids=lambda c: c.name)
def test_chunked_reordering_appending_and_flipping_are_detected(cipher) -> None:
    key, prefix, ciphertext, plaintext = _chunked(cipher)
    step = 16 + TAG_SIZE
    chunks = [ciphertext[i : i + step] for i in range(0, len(ciphertext), step)]

    def attempt(blob: bytes, aad: bytes = b"hdr", nonce_prefix: bytes = prefix) -> bytes:
        return decrypt_chunked(cipher, key, blob, nonce_prefix=nonce_prefix, associated_data=aad, chunk_size=16)

    assert attempt(ciphertext) == plaintext
    with pytest.raises(CiphertextTampered):
        attempt(b"".join([chunks[1], chunks[0], *chunks[2:]]))
    with pytest.raises(CiphertextTampered):
        attempt(b"".join([chunks[0], *chunks[2:]]))  # a middle chunk dropped
    with pytest.raises(CiphertextTampered):
        attempt(ciphertext + chunks[0])  # data after the final chunk
    with pytest.raises(CiphertextTampered):
        attempt(ciphertext + b"x")
    flipped = bytearray(ciphertext)
    flipped[20] ^= 0x80
    with pytest.raises(CiphertextTampered) as caught:
        attempt(bytes(flipped))
    assert caught.value.details["chunk"] == 0
    with pytest.raises(CiphertextTampered):
        attempt(ciphertext, aad=b"other")
    with pytest.raises(CiphertextTampered):
        attempt(ciphertext, nonce_prefix=bytes(NONCE_PREFIX_SIZE))


def test_chunked_parameters_are_checked() -> None:
    key = SM4_GCM.generate_key()
    with pytest.raises(InvalidInput) as caught:
        ChunkEncryptor(SM4_GCM, key, chunk_size=8)
    assert caught.value.code == "crypto.chunk_size"
    with pytest.raises(InvalidInput) as caught:
        ChunkDecryptor(SM4_GCM, key, nonce_prefix=b"short")
    assert caught.value.code == "crypto.nonce_prefix"
    encryptor = ChunkEncryptor(SM4_GCM, key)
    encryptor.finalize()
    with pytest.raises(RuntimeError):
        encryptor.update(b"late")

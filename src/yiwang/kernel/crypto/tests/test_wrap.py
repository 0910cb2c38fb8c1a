"""Key wrapping for every recipient kind; SM2 across backends; refusals."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from yiwang.kernel.crypto import sm2
from yiwang.kernel.crypto.errors import AlgorithmUnsupported, KeyInvalid, WrongKey
from yiwang.kernel.crypto.keys import generate_private_key
from yiwang.kernel.crypto.wrap import WRAP_ALGORITHM_FOR_KIND, unwrap_key, wrap_key


@pytest.fixture(scope="module")
def keys() -> dict:
    return {
        "sm2": generate_private_key("sm2"),
        "ec-p256": generate_private_key("ec-p256"),
        "rsa": generate_private_key("rsa", rsa_bits=2048),
    }


@pytest.mark.parametrize("kind", ["sm2", "ec-p256", "rsa"])
@pytest.mark.parametrize("size", [16, 24, 32])
def test_round_trip(keys: dict, kind: str, size: int) -> None:
    private = keys[kind]
    cek = bytes(range(size))
    wrapped = wrap_key(private.public_key, cek)
    assert wrapped.algorithm == WRAP_ALGORITHM_FOR_KIND[kind]
    assert wrapped.key_id == private.public_key.key_id
    assert cek not in wrapped.data
    assert unwrap_key(private, wrapped) == cek
    assert wrap_key(private.public_key, cek).data != wrapped.data  # randomised


@pytest.mark.parametrize(("wrapper", "unwrapper"), list(itertools.product(sm2.BACKEND_NAMES, repeat=2)))
def test_sm2_wrap_across_backends(keys: dict, wrapper: str, unwrapper: str) -> None:
    cek = b"\x5a" * 16
    wrapped = wrap_key(keys["sm2"].public_key, cek, sm2_backend=wrapper)
    # The data is a GM/T 0009 SM2Cipher DER structure in C1C3C2 order.
    raw = sm2.ciphertext_from_der(wrapped.data)
    assert raw[0] == 4
    assert len(raw) == 65 + 32 + 16
    assert unwrap_key(keys["sm2"], wrapped, sm2_backend=unwrapper) == cek


@pytest.mark.parametrize("kind", ["sm2", "ec-p256", "rsa"])
def test_wrong_key_and_damage_are_refused(keys: dict, kind: str) -> None:
    private = keys[kind]
    wrapped = wrap_key(private.public_key, b"k" * 32)
    other = generate_private_key(kind) if kind != "rsa" else generate_private_key("rsa", rsa_bits=2048)
    with pytest.raises(WrongKey) as caught:
        unwrap_key(other, wrapped)
    assert caught.value.details["expected_key_id"] == private.public_key.key_id
    # Pretending the other key is the recipient still fails at decryption.
    with pytest.raises(WrongKey):
        unwrap_key(other, dataclasses.replace(wrapped, key_id=other.public_key.key_id))
    for position in (0, len(wrapped.data) // 2, len(wrapped.data) - 1):
        damaged = bytearray(wrapped.data)
        damaged[position] ^= 0x01
        with pytest.raises(WrongKey):
            unwrap_key(private, dataclasses.replace(wrapped, data=bytes(damaged)))
    with pytest.raises(WrongKey):
        unwrap_key(private, dataclasses.replace(wrapped, data=wrapped.data[:20]))


def test_bad_content_keys_and_algorithms(keys: dict) -> None:
    for cek in (b"", b"k" * 15, b"k" * 33):
        with pytest.raises(KeyInvalid):
            wrap_key(keys["sm2"].public_key, cek)
    wrapped = wrap_key(keys["sm2"].public_key, b"k" * 16)
    with pytest.raises(AlgorithmUnsupported):
        unwrap_key(keys["sm2"], dataclasses.replace(wrapped, algorithm="rsa-oaep-sha256"))

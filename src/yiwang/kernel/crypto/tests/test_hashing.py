"""SM3 and SHA-256: the standards' examples, streaming, and agreement with the independent SM3 implementations."""

from __future__ import annotations

import io

import gmalg
import gmssl_pyx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.crypto.errors import AlgorithmUnsupported
from yiwang.kernel.crypto.hashing import HASH_NAMES, hash_by_name, hash_stream, new_hasher, sha256, sm3

# GB/T 32905-2016 Appendix A, examples 1 and 2.
SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM3_ABCD_X16 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
# FIPS 180-2 Appendix B.1.
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_sm3_standard_examples() -> None:
    assert sm3(b"abc").hex() == SM3_ABC
    assert sm3(b"abcd" * 16).hex() == SM3_ABCD_X16
    assert hash_by_name("sm3", b"abc").hex() == SM3_ABC


def test_sha256_standard_example() -> None:
    assert sha256(b"abc").hex() == SHA256_ABC
    assert hash_by_name("sha256", b"abc").hex() == SHA256_ABC


@pytest.mark.parametrize("name", HASH_NAMES)
def test_hasher_digest_is_repeatable_and_copyable(name: str) -> None:
    hasher = new_hasher(name)
    hasher.update(b"ab")
    snapshot = hasher.copy()
    assert hasher.digest() == hasher.digest() == hash_by_name(name, b"ab")
    hasher.update(b"c")
    assert hasher.hexdigest() == hash_by_name(name, b"abc").hex()
    assert snapshot.digest() == hash_by_name(name, b"ab")
    assert hasher.digest_size == 32
    assert hasher.name == name


@given(data=st.binary(max_size=2000), cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=6))
def test_streaming_equals_one_shot(data: bytes, cuts: list[int]) -> None:
    for name in HASH_NAMES:
        hasher = new_hasher(name)
        previous = 0
        for cut in sorted(min(cut, len(data)) for cut in cuts):
            hasher.update(memoryview(data)[previous:cut])
            previous = cut
        hasher.update(data[previous:])
        assert hasher.digest() == hash_by_name(name, data)
        assert hash_stream(name, io.BytesIO(data), read_size=7) == hash_by_name(name, data)


@given(st.binary(max_size=300))
def test_sm3_agrees_with_gmalg_and_gmssl_pyx(data: bytes) -> None:
    reference = gmalg.SM3()
    reference.update(data)
    assert sm3(data) == reference.value() == gmssl_pyx.sm3_hash(data)


def test_unknown_hash_is_refused() -> None:
    with pytest.raises(AlgorithmUnsupported) as caught:
        new_hasher("md5")
    assert caught.value.code == "crypto.algorithm_unsupported"
    assert caught.value.details["supported"] == ["sm3", "sha256"]

"""Shamir k-of-n: recombination, secrecy of k−1 shares, and every way a share can be wrong."""

from __future__ import annotations

import dataclasses
import itertools
import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.kernel.crypto import shamir
from yiwang.kernel.crypto.errors import (
    ShamirParameters,
    ShareDuplicate,
    ShareInvalid,
    ShareSetMismatch,
    SharesInsufficient,
)
from yiwang.kernel.crypto.hashing import sm3
from yiwang.kernel.crypto.shamir import Share, combine_shares, interpolate_at_zero, split_secret


def test_field_arithmetic() -> None:
    for a in range(1, 256):
        assert shamir._mul(a, shamir._div(1, a)) == 1
        assert shamir._mul(a, 1) == a
        assert shamir._mul(a, 0) == 0
    assert shamir._mul(0x57, 0x83) == 0xC1  # the worked example of FIPS-197 §4.2


@settings(max_examples=60)
@given(
    secret=st.binary(min_size=1, max_size=48),
    threshold=st.integers(min_value=2, max_value=6),
    extra=st.integers(min_value=0, max_value=4),
    data=st.data(),
)
def test_any_k_of_n_recombine(secret: bytes, threshold: int, extra: int, data) -> None:
    total = threshold + extra
    shares = split_secret(secret, threshold, total)
    assert [share.index for share in shares] == list(range(1, total + 1))
    chosen = data.draw(st.lists(st.sampled_from(shares), min_size=threshold, max_size=total, unique_by=id))
    assert combine_shares(data.draw(st.permutations(chosen))) == secret
    # k−1 shares: refused; and interpolating them anyway does not give the secret (for secrets of 2+ bytes the
    # chance of an accidental match is ≤ 2^-16).
    fewer = chosen[: threshold - 1]
    with pytest.raises(SharesInsufficient) as caught:
        combine_shares(fewer)
    assert caught.value.details == {"given": threshold - 1, "needed": threshold}
    if len(secret) >= 4:
        assert interpolate_at_zero([(share.index, share.value) for share in fewer]) != secret


@settings(max_examples=40)
@given(secret=st.binary(min_size=1, max_size=16), candidate=st.binary(min_size=16, max_size=16), k=st.integers(2, 5))
def test_k_minus_one_shares_fit_every_secret(secret: bytes, candidate: bytes, k: int) -> None:
    """Perfect secrecy: for any k−1 shares and *any* candidate secret there is a polynomial through both, so the
    k−1 shares cannot tell the true secret from the candidate."""
    secret = (secret * 16)[:16]
    shares = split_secret(secret, k, k + 1)[: k - 1]
    points = [(0, candidate)] + [(share.index, share.value) for share in shares]
    # The unique degree-(k−1) polynomial through (0, candidate) and the k−1 shares gives a value at x = k+1 …
    x_new = k + 1
    shifted = [(x ^ x_new, value) for x, value in points]  # evaluate at x_new by interpolating at 0 after a shift
    value_at_new = interpolate_at_zero(shifted)
    # … and with that extra point, the k points interpolate back to the candidate.
    assert interpolate_at_zero([*[(s.index, s.value) for s in shares], (x_new, value_at_new)]) == candidate


def test_share_serialisation_round_trips() -> None:
    shares = split_secret(b"opening key scalar 32 bytes long", 3, 5)
    for share in shares:
        assert Share.from_bytes(share.to_bytes()) == share
        text = share.to_text()
        assert text.startswith("YWSS1-")
        assert Share.from_text(text) == share
        assert Share.from_text("  " + text.lower().replace("-", " - ") + "\n") == share
        assert share.value.hex() not in repr(share)
    assert combine_shares([shares[0].to_text(), shares[2].to_bytes(), shares[4]]) == b"opening key scalar 32 bytes long"


def test_duplicates_are_refused() -> None:
    shares = split_secret(b"secret", 2, 3)
    with pytest.raises(ShareDuplicate) as caught:
        combine_shares([shares[0], shares[0]])
    assert caught.value.details == {"index": 1}
    forged = dataclasses.replace(shares[0], value=bytes(len(shares[0].value)))
    with pytest.raises((ShareDuplicate, ShareInvalid)):
        combine_shares([shares[0], forged, shares[1]])


def test_foreign_shares_are_refused() -> None:
    mine = split_secret(b"secret one", 2, 3)
    theirs = split_secret(b"secret two", 2, 3)
    with pytest.raises(ShareSetMismatch):
        combine_shares([mine[0], theirs[1]])
    with pytest.raises(ShareSetMismatch):
        combine_shares(mine[:2], set_id=theirs[0].set_id)
    assert combine_shares(mine[:2], set_id=mine[0].set_id) == b"secret one"


def test_damaged_shares_are_refused_with_their_index() -> None:
    share = split_secret(b"secret", 2, 3)[1]
    blob = share.to_bytes()
    for position in range(len(blob)):
        damaged = bytearray(blob)
        damaged[position] ^= 0x10
        with pytest.raises(ShareInvalid):
            Share.from_bytes(bytes(damaged))
    damaged = bytearray(blob)
    damaged[30] ^= 1  # inside the value
    with pytest.raises(ShareInvalid) as caught:
        Share.from_bytes(bytes(damaged))
    assert caught.value.details["index"] == 2
    for bad in (b"", b"YWSS", blob[:-1], blob + b"\x00"):
        with pytest.raises(ShareInvalid):
            Share.from_bytes(bad)
    for bad_text in ("YWSS1-!!!!", "hello", share.to_text()[:-4]):
        with pytest.raises(ShareInvalid):
            Share.from_text(bad_text)
    with pytest.raises(ShareInvalid):
        combine_shares([12345])  # type: ignore[list-item]


def test_a_forged_share_with_a_valid_checksum_is_caught_by_the_secret_check() -> None:
    shares = split_secret(b"the real secret!", 2, 3)
    forged = dataclasses.replace(shares[1], value=secrets.token_bytes(16))
    reparsed = Share.from_bytes(forged.to_bytes())  # the checksum is recomputed, so the share itself parses
    with pytest.raises(ShareInvalid) as caught:
        combine_shares([shares[0], reparsed])
    assert "forged" in caught.value.details["reason"]
    mixed = dataclasses.replace(shares[1], threshold=3)
    with pytest.raises(ShareInvalid):
        combine_shares([shares[0], mixed, shares[2]])


def test_parameters() -> None:
    for k, n in ((1, 3), (4, 3), (2, 256), (0, 0)):
        with pytest.raises(ShamirParameters):
            split_secret(b"s", k, n)
    with pytest.raises(ShamirParameters):
        split_secret(b"", 2, 3)
    with pytest.raises(ShamirParameters):
        split_secret(b"s", 2, 3, set_id=b"short")
    shares = split_secret(b"s" * 32, 255, 255)
    assert combine_shares(shares) == b"s" * 32
    with pytest.raises(SharesInsufficient):
        combine_shares([])


def test_secret_check_is_bound_to_the_set() -> None:
    share = split_secret(b"k" * 32, 2, 2, set_id=b"\x01" * 16)[0]
    assert share.secret_check == sm3(b"yiwang/shamir/v1/check" + b"\x01" * 16 + b"k" * 32)[:16]
    assert all(combine_shares(pair) == b"k" * 32 for pair in itertools.combinations(split_secret(b"k" * 32, 2, 4), 2))

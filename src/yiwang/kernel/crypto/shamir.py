"""Shamir secret sharing, k of n, byte-wise over GF(2^8) (polynomial x^8 + x^4 + x^3 + x + 1).

Each byte of the secret is the constant term of its own random polynomial of degree k−1; share *i* (1 … n) holds
the polynomials' values at x = i. Any k shares give the secret back by Lagrange interpolation at 0; k−1 shares are
consistent with *every* possible secret, so they reveal nothing about it.

A share is self-describing and checked::

    "YWSS" | version (1 byte, = 1) | set_id (16 bytes) | threshold k (1) | total n (1) | index x (1)
           | length L (2, big-endian) | value (L bytes) | secret_check (16) | checksum (8)

- ``set_id`` names the split (random, or chosen by the caller — the opening-key ceremony uses the first 16 bytes of
  the opening public key's SM3 fingerprint), so shares of different splits are told apart
  (:class:`ShareSetMismatch`);
- ``checksum`` = first 8 bytes of SM3 of everything before it: a typo or a damaged file gives
  :class:`ShareInvalid` naming the share;
- ``secret_check`` = first 16 bytes of SM3("yiwang/shamir/v1/check" ‖ set_id ‖ secret), the same in every share:
  after combining, a forged or wrong share (whose checksum is right) is detected because the result does not
  match. It is a hash of the secret, so only split high-entropy secrets (keys), which is all Yiwang splits.

Text form for custodians: ``YWSS1-`` then the bytes in RFC 4648 base32 without padding, in groups of four
letters separated by ``-``; case, spaces and hyphens are ignored when reading.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from yiwang.kernel.crypto.errors import (
    ShamirParameters,
    ShareDuplicate,
    ShareInvalid,
    ShareSetMismatch,
    SharesInsufficient,
)
from yiwang.kernel.crypto.hashing import sm3

MAGIC = b"YWSS"
VERSION = 1
SET_ID_SIZE = 16
CHECK_SIZE = 16
CHECKSUM_SIZE = 8
MAX_SECRET_SIZE = 1024
TEXT_PREFIX = "YWSS1-"
_HEADER = len(MAGIC) + 1 + SET_ID_SIZE + 3 + 2

# --- GF(2^8) -----------------------------------------------------------------------------------------------------

_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x ^= (_x << 1) ^ (0x11B if _x & 0x80 else 0)  # multiply by the generator 3
    _x &= 0xFF
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]
del _x, _i


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _div(a: int, b: int) -> int:
    if b == 0:  # pragma: no cover - indices are distinct and non-zero
        raise ZeroDivisionError
    if a == 0:
        return 0
    return _EXP[_LOG[a] - _LOG[b] + 255]


def _evaluate(coefficients: list[int], x: int) -> int:
    """Horner's rule; coefficients[0] is the constant term."""
    result = 0
    for coefficient in reversed(coefficients):
        result = _mul(result, x) ^ coefficient
    return result


def _lagrange_weights(xs: list[int]) -> list[int]:
    """Weights w_i with f(0) = Σ w_i · f(x_i) for any polynomial of degree < len(xs)."""
    weights = []
    for i, xi in enumerate(xs):
        numerator, denominator = 1, 1
        for j, xj in enumerate(xs):
            if i != j:
                numerator = _mul(numerator, xj)
                denominator = _mul(denominator, xj ^ xi)
        weights.append(_div(numerator, denominator))
    return weights


def interpolate_at_zero(points: list[tuple[int, bytes]]) -> bytes:
    """The byte string f(0) through the given ``(x, value)`` points. No checks: use :func:`combine_shares`."""
    weights = _lagrange_weights([x for x, _ in points])
    length = len(points[0][1])
    out = bytearray(length)
    for weight, (_x, value) in zip(weights, points, strict=True):
        for position in range(length):
            out[position] ^= _mul(weight, value[position])
    return bytes(out)


# --- shares --------------------------------------------------------------------------------------------------------


def _secret_check(set_id: bytes, secret: bytes) -> bytes:
    return sm3(b"yiwang/shamir/v1/check" + set_id + secret)[:CHECK_SIZE]


@dataclass(frozen=True, repr=False)
class Share:
    set_id: bytes
    threshold: int
    total: int
    index: int
    value: bytes
    secret_check: bytes

    def __repr__(self) -> str:  # the value is secret
        return f"<Share {self.index}/{self.total} (k={self.threshold}) of set {self.set_id.hex()[:8]}…>"

    def to_bytes(self) -> bytes:
        body = (
            MAGIC
            + bytes([VERSION])
            + self.set_id
            + bytes([self.threshold, self.total, self.index])
            + len(self.value).to_bytes(2, "big")
            + self.value
            + self.secret_check
        )
        return body + sm3(body)[:CHECKSUM_SIZE]

    @classmethod
    def from_bytes(cls, data: bytes) -> Share:
        data = bytes(data)
        if len(data) < _HEADER + CHECK_SIZE + CHECKSUM_SIZE or data[:4] != MAGIC:
            raise ShareInvalid(reason="not a Yiwang key share")
        if data[4] != VERSION:
            raise ShareInvalid(reason="unknown share version", version=data[4])
        body, checksum = data[:-CHECKSUM_SIZE], data[-CHECKSUM_SIZE:]
        set_id = body[5 : 5 + SET_ID_SIZE]
        threshold, total, index = body[21], body[22], body[23]
        length = int.from_bytes(body[24:26], "big")
        if len(body) != _HEADER + length + CHECK_SIZE:
            raise ShareInvalid(reason="share length does not match", index=index)
        if not secrets.compare_digest(sm3(body)[:CHECKSUM_SIZE], checksum):
            raise ShareInvalid(reason="share checksum mismatch (damaged or mistyped)", index=index)
        if not (2 <= threshold <= total and 1 <= index <= total) or length == 0:
            raise ShareInvalid(reason="share parameters out of range", index=index)
        value = body[_HEADER : _HEADER + length]
        return cls(set_id, threshold, total, index, value, body[_HEADER + length :])

    def to_text(self) -> str:
        letters = base64.b32encode(self.to_bytes()).decode("ascii").rstrip("=")
        return TEXT_PREFIX + "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))

    @classmethod
    def from_text(cls, text: str) -> Share:
        cleaned = "".join(text.split()).upper()
        if not cleaned.startswith(TEXT_PREFIX):
            raise ShareInvalid(reason="not a Yiwang key share text")
        letters = cleaned[len(TEXT_PREFIX) :].replace("-", "")
        try:
            data = base64.b32decode(letters + "=" * (-len(letters) % 8))
        except ValueError:
            raise ShareInvalid(reason="share text is not base32") from None
        return cls.from_bytes(data)


def _as_share(item: Share | bytes | str) -> Share:
    if isinstance(item, Share):
        return item
    if isinstance(item, str):
        return Share.from_text(item)
    if isinstance(item, bytes | bytearray | memoryview):
        return Share.from_bytes(bytes(item))
    raise ShareInvalid(reason=f"a share is a Share, bytes or text, not {type(item).__name__}")


def split_secret(secret: bytes, threshold: int, total: int, *, set_id: bytes | None = None) -> list[Share]:
    """Split ``secret`` into ``total`` shares of which any ``threshold`` recover it (2 ≤ k ≤ n ≤ 255)."""
    if not (isinstance(threshold, int) and isinstance(total, int) and 2 <= threshold <= total <= 255):
        raise ShamirParameters(threshold=threshold, total=total)
    if not isinstance(secret, bytes) or not 1 <= len(secret) <= MAX_SECRET_SIZE:
        raise ShamirParameters(reason=f"the secret must be 1 to {MAX_SECRET_SIZE} bytes")
    if set_id is None:
        set_id = secrets.token_bytes(SET_ID_SIZE)
    if len(set_id) != SET_ID_SIZE:
        raise ShamirParameters(reason=f"set_id must be {SET_ID_SIZE} bytes")
    randomness = secrets.token_bytes((threshold - 1) * len(secret))
    polynomials = [
        [byte, *randomness[position * (threshold - 1) : (position + 1) * (threshold - 1)]]
        for position, byte in enumerate(secret)
    ]
    check = _secret_check(set_id, secret)
    return [
        Share(set_id, threshold, total, x, bytes(_evaluate(poly, x) for poly in polynomials), check)
        for x in range(1, total + 1)
    ]


def combine_shares(shares: Iterable[Share | bytes | str], *, set_id: bytes | None = None) -> bytes:
    """The secret from at least ``threshold`` shares of one split.

    Refusals: :class:`ShareInvalid` (malformed, damaged, or forged — the combined secret fails its check),
    :class:`ShareSetMismatch` (shares of different splits, or not of ``set_id`` when given),
    :class:`ShareDuplicate` (an index twice), :class:`SharesInsufficient` (fewer than ``threshold``).
    """
    parsed = [_as_share(item) for item in shares]
    if not parsed:
        raise SharesInsufficient(given=0)
    first = parsed[0]
    expected_set = set_id if set_id is not None else first.set_id
    for share in parsed:
        if share.set_id != expected_set:
            raise ShareSetMismatch(index=share.index, expected_set=expected_set.hex(), given_set=share.set_id.hex())
    for share in parsed:
        if (share.threshold, share.total, len(share.value), share.secret_check) != (
            first.threshold,
            first.total,
            len(first.value),
            first.secret_check,
        ):
            raise ShareInvalid(reason="share parameters differ from the rest of its set", index=share.index)
    seen: set[int] = set()
    for share in parsed:
        if share.index in seen:
            raise ShareDuplicate(index=share.index)
        seen.add(share.index)
    if len(parsed) < first.threshold:
        raise SharesInsufficient(given=len(parsed), needed=first.threshold)
    secret = interpolate_at_zero([(share.index, share.value) for share in parsed])
    if not secrets.compare_digest(_secret_check(first.set_id, secret), first.secret_check):
        raise ShareInvalid(reason="the shares do not combine to the shared secret (a wrong or forged share)")
    return secret

"""SM2 (GB/T 32918-2016): curve, encodings, and two interchangeable backends behind one port.

**Backends.** ``gmssl-pyx`` (the GmSSL 3 C library in a CPython extension; fast) and ``gmalg`` (pure Python; runs
everywhere). :func:`select_sm2_backend` picks gmssl-pyx when it imports *and* passes a known-answer self-test,
otherwise gmalg; ``YIWANG_SM2_BACKEND=gmalg|gmssl-pyx`` forces one (that function is the only place the variable
is read). Both are normalised to the same :class:`Sm2Backend` interface:

- keys: private = 32-byte big-endian scalar ``d`` (1 ≤ d ≤ n−2); public = 65-byte uncompressed point ``04 ‖ x ‖ y``;
- signatures: the integers ``(r, s)``; the message is hashed as ``e = SM3(Z_A ‖ M)`` with
  ``Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A)`` and the user ID defaulting to ``1234567812345678``
  (GB/T 35276-2017); encode them with :func:`signature_to_der` (``SEQUENCE{r,s}``) or :func:`signature_to_raw`;
- encryption: *always* ``C1 ‖ C3 ‖ C2`` (the current order, GB/T 32918.4-2016) with C1 uncompressed, as raw bytes
  ``04 ‖ x1 ‖ y1 ‖ C3(32) ‖ C2``. :func:`ciphertext_to_der` / :func:`ciphertext_from_der` convert to/from the
  GM/T 0009 ``SM2Cipher`` DER structure; :func:`c1c2c3_to_c1c3c2` / :func:`c1c3c2_to_c1c2c3` convert from/to the
  old order. Plaintexts are limited to 1 … 255 bytes (gmssl-pyx's limit, applied to both): SM2 encryption here is
  only for wrapping keys.

What the libraries do natively (read from their source): gmssl-pyx takes 64-byte public keys without the ``04``,
returns DER signatures and DER ``SM2Cipher`` (C1C3C2), includes Z_A when ``signer_id`` is not None, has no
public-key derivation and no way to fix the signing nonce. gmalg takes ``04 ‖ x ‖ y``, returns ``(r, s)`` as
minimal-length big-endian bytes, ciphertext as raw C1C3C2, computes Z_A from ``uid=``, accepts an ``rnd_fn``
(used here only by tests, to reproduce the standard's fixed-k example) and does not validate public keys — so
this module validates every public key itself before handing it to a backend.
"""

from __future__ import annotations

import os
import secrets
import threading
from collections.abc import Callable
from typing import Protocol

from asn1crypto import algos, core

from yiwang.kernel.crypto.errors import (
    AlgorithmUnsupported,
    BackendUnavailable,
    KeyInvalid,
    PlaintextTooLong,
    SignatureInvalid,
    WrongKey,
)
from yiwang.kernel.crypto.hashing import sm3

# --- curve parameters (GB/T 32918.5-2017, the recommended 256-bit curve) -----------------------------------------

P = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFF
A = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFC
B = 0x28E9FA9E_9D9F5E34_4D5A9E4B_CF6509A7_F39789F5_15AB8F92_DDBCBD41_4D940E93
N = 0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123
GX = 0x32C4AE2C_1F198119_5F990446_6A39C994_8FE30BBF_F2660BE1_715A4589_334C74C7
GY = 0xBC3736A2_F4F6779C_59BDCEE3_6B692153_D0A9877C_C62A4740_02DF32E5_2139F0A0

SM2_CURVE_OID = "1.2.156.10197.1.301"
SM2_SM3_SIGNATURE_OID = "1.2.156.10197.1.501"
SM3_OID = "1.2.156.10197.1.401"
DEFAULT_UID = b"1234567812345678"
MAX_ENCRYPT_PLAINTEXT = 255
BACKEND_NAMES: tuple[str, ...] = ("gmssl-pyx", "gmalg")
BACKEND_ENV_VAR = "YIWANG_SM2_BACKEND"

Point = tuple[int, int]


def _b32(value: int) -> bytes:
    return value.to_bytes(32, "big")


# --- affine validation and a small Jacobian scalar multiplication (public-key derivation, point checks) ----------


def is_on_curve(x: int, y: int) -> bool:
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def _jacobian_double(X: int, Y: int, Z: int) -> tuple[int, int, int]:
    if Y == 0 or Z == 0:
        return 0, 1, 0
    YY = Y * Y % P
    S = 4 * X * YY % P
    ZZ = Z * Z % P
    M = (3 * X * X + A * ZZ * ZZ) % P
    X3 = (M * M - 2 * S) % P
    Y3 = (M * (S - X3) - 8 * YY * YY) % P
    Z3 = 2 * Y * Z % P
    return X3, Y3, Z3


def _jacobian_add(X1: int, Y1: int, Z1: int, x2: int, y2: int) -> tuple[int, int, int]:
    """Jacobian point + affine point (mixed addition)."""
    if Z1 == 0:
        return x2, y2, 1
    Z1Z1 = Z1 * Z1 % P
    U2 = x2 * Z1Z1 % P
    S2 = y2 * Z1 * Z1Z1 % P
    H = (U2 - X1) % P
    R = (S2 - Y1) % P
    if H == 0:
        return _jacobian_double(X1, Y1, Z1) if R == 0 else (0, 1, 0)
    HH = H * H % P
    HHH = H * HH % P
    V = X1 * HH % P
    X3 = (R * R - HHH - 2 * V) % P
    Y3 = (R * (V - X3) - Y1 * HHH) % P
    Z3 = Z1 * H % P
    return X3, Y3, Z3


def scalar_multiply(k: int, point: Point = (GX, GY)) -> Point:
    """``k · point`` in affine coordinates (not constant-time: use for public data and key derivation only)."""
    k %= N
    if k == 0:
        raise KeyInvalid(reason="zero scalar")
    x, y = point
    X, Y, Z = 0, 1, 0
    for bit in bin(k)[2:]:
        X, Y, Z = _jacobian_double(X, Y, Z)
        if bit == "1":
            X, Y, Z = _jacobian_add(X, Y, Z, x, y)
    if Z == 0:
        raise KeyInvalid(reason="point at infinity")
    z_inv = pow(Z, -1, P)
    z_inv2 = z_inv * z_inv % P
    return X * z_inv2 % P, Y * z_inv2 * z_inv % P


# --- key encodings --------------------------------------------------------------------------------------------------


def decode_public_key(data: bytes | str) -> bytes:
    """Normalise an SM2 public key to 65 bytes ``04 ‖ x ‖ y`` and check it is on the curve.

    Accepts 65-byte uncompressed, 64-byte bare ``x ‖ y``, 33-byte compressed, or the same as a hex string.
    """
    if isinstance(data, str):
        try:
            data = bytes.fromhex(data.strip())
        except ValueError:
            raise KeyInvalid(reason="not hex") from None
    raw = bytes(data)
    if len(raw) == 65 and raw[0] == 4:
        x, y = int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:], "big")
    elif len(raw) == 64:
        x, y = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    elif len(raw) == 33 and raw[0] in (2, 3):
        x = int.from_bytes(raw[1:], "big")
        if x >= P:
            raise KeyInvalid(reason="x out of range")
        y = pow((x * x * x + A * x + B) % P, (P + 1) // 4, P)  # P ≡ 3 (mod 4)
        if (y & 1) != (raw[0] & 1):
            y = P - y
    else:
        raise KeyInvalid(reason="not an SM2 point encoding", length=len(raw))
    if not is_on_curve(x, y) or (x, y) == (0, 0):
        raise KeyInvalid(reason="point not on the SM2 curve")
    return b"\x04" + _b32(x) + _b32(y)


def check_private_key(private: bytes) -> int:
    """The scalar of a 32-byte SM2 private key; :class:`KeyInvalid` unless 1 ≤ d ≤ n−2."""
    if not isinstance(private, bytes | bytearray) or len(private) != 32:
        raise KeyInvalid(reason="an SM2 private key is 32 bytes")
    d = int.from_bytes(private, "big")
    if not 1 <= d <= N - 2:
        raise KeyInvalid(reason="SM2 private key out of range")
    return d


def public_key_from_private(private: bytes) -> bytes:
    """``04 ‖ x ‖ y`` of ``d·G`` (pure Python, backend-independent)."""
    x, y = scalar_multiply(check_private_key(private))
    return b"\x04" + _b32(x) + _b32(y)


def z_a(public_key: bytes, uid: bytes = DEFAULT_UID) -> bytes:
    """``Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖ x_A ‖ y_A)`` (GB/T 32918.2-2016 §5.5)."""
    _check_uid(uid)
    point = decode_public_key(public_key)
    entl = (len(uid) * 8).to_bytes(2, "big")
    return sm3(entl + uid + _b32(A) + _b32(B) + _b32(GX) + _b32(GY) + point[1:])


def _check_uid(uid: bytes) -> None:
    if not isinstance(uid, bytes) or not 1 <= len(uid) <= 8191:
        raise AlgorithmUnsupported(reason="the SM2 user ID must be 1 to 8191 bytes")


# --- signature encodings ------------------------------------------------------------------------------------------


def signature_to_der(r: int, s: int) -> bytes:
    """DER ``SEQUENCE { r INTEGER, s INTEGER }``."""
    return algos.DSASignature({"r": r, "s": s}).dump()


def signature_from_der(der: bytes, order: int = N) -> tuple[int, int]:
    """``(r, s)`` from strict DER; :class:`SignatureInvalid` for anything non-canonical or out of range."""
    try:
        parsed = algos.DSASignature.load(bytes(der), strict=True)
        r, s = parsed["r"].native, parsed["s"].native
        canonical = signature_to_der(r, s)
    except (ValueError, TypeError, KeyError):
        raise SignatureInvalid(reason="not a DER SEQUENCE{r,s}") from None
    if canonical != bytes(der) or not (1 <= r < order and 1 <= s < order):
        raise SignatureInvalid(reason="non-canonical DER or r, s out of range")
    return r, s


def signature_to_raw(r: int, s: int, size: int = 32) -> bytes:
    """Fixed-width ``r ‖ s`` (64 bytes for SM2 and P-256)."""
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def signature_from_raw(raw: bytes, size: int = 32) -> tuple[int, int]:
    if len(raw) != 2 * size:
        raise SignatureInvalid(reason=f"a raw signature is {2 * size} bytes")
    return int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")


def der_to_raw(der: bytes, size: int = 32) -> bytes:
    """DER ``SEQUENCE{r,s}`` → fixed-width ``r ‖ s``."""
    return signature_to_raw(*signature_from_der(der), size=size)


def raw_to_der(raw: bytes, size: int = 32) -> bytes:
    """Fixed-width ``r ‖ s`` → DER ``SEQUENCE{r,s}``."""
    return signature_to_der(*signature_from_raw(raw, size=size))


# --- ciphertext encodings -----------------------------------------------------------------------------------------


class _Sm2Cipher(core.Sequence):
    """GM/T 0009 ``SM2Cipher ::= SEQUENCE { XCoordinate INTEGER, YCoordinate INTEGER, HASH OCTET STRING(32),
    CipherText OCTET STRING }`` (C1 C3 C2 order)."""

    _fields = [
        ("x", core.Integer),
        ("y", core.Integer),
        ("hash", core.OctetString),
        ("ciphertext", core.OctetString),
    ]


_C1 = 65
_C3 = 32


def _split_c1c3c2(raw: bytes) -> tuple[bytes, bytes, bytes]:
    if len(raw) < _C1 + _C3 + 1 or raw[0] != 4:
        raise WrongKey(reason="not an SM2 C1C3C2 ciphertext")
    return raw[:_C1], raw[_C1 : _C1 + _C3], raw[_C1 + _C3 :]


def ciphertext_to_der(raw: bytes) -> bytes:
    """Raw ``04 ‖ x1 ‖ y1 ‖ C3 ‖ C2`` → DER ``SM2Cipher``."""
    c1, c3, c2 = _split_c1c3c2(raw)
    return _Sm2Cipher(
        {
            "x": int.from_bytes(c1[1:33], "big"),
            "y": int.from_bytes(c1[33:], "big"),
            "hash": c3,
            "ciphertext": c2,
        }
    ).dump()


def ciphertext_from_der(der: bytes) -> bytes:
    """DER ``SM2Cipher`` → raw ``04 ‖ x1 ‖ y1 ‖ C3 ‖ C2``."""
    try:
        parsed = _Sm2Cipher.load(bytes(der), strict=True)
        x, y = parsed["x"].native, parsed["y"].native
        c3, c2 = parsed["hash"].native, parsed["ciphertext"].native
    except (ValueError, TypeError, KeyError):
        raise WrongKey(reason="not a DER SM2Cipher") from None
    if not (0 <= x < P and 0 <= y < P) or len(c3) != _C3 or not c2:
        raise WrongKey(reason="malformed SM2Cipher")
    return b"\x04" + _b32(x) + _b32(y) + c3 + c2


def c1c2c3_to_c1c3c2(raw: bytes) -> bytes:
    """Old order ``C1 ‖ C2 ‖ C3`` → current order ``C1 ‖ C3 ‖ C2`` (C1 uncompressed)."""
    if len(raw) < _C1 + _C3 + 1 or raw[0] != 4:
        raise WrongKey(reason="not an SM2 C1C2C3 ciphertext")
    return raw[:_C1] + raw[-_C3:] + raw[_C1:-_C3]


def c1c3c2_to_c1c2c3(raw: bytes) -> bytes:
    """Current order ``C1 ‖ C3 ‖ C2`` → old order ``C1 ‖ C2 ‖ C3``."""
    c1, c3, c2 = _split_c1c3c2(raw)
    return c1 + c2 + c3


# --- the backend port -----------------------------------------------------------------------------------------------


class Sm2Backend(Protocol):
    """One SM2 implementation. Inputs are already validated by the caller (see module docstring for formats)."""

    name: str

    def generate_keypair(self) -> tuple[bytes, bytes]:
        """``(private 32 bytes, public 65 bytes)``."""
        ...

    def public_key(self, private: bytes) -> bytes: ...

    def sign(self, private: bytes, public: bytes, message: bytes, uid: bytes = DEFAULT_UID) -> tuple[int, int]: ...

    def verify(self, public: bytes, message: bytes, r: int, s: int, uid: bytes = DEFAULT_UID) -> bool: ...

    def encrypt(self, public: bytes, plaintext: bytes) -> bytes:
        """Raw C1C3C2 ciphertext."""
        ...

    def decrypt(self, private: bytes, ciphertext: bytes) -> bytes:
        """Plaintext of a raw C1C3C2 ciphertext; :class:`WrongKey` if C3 does not check."""
        ...


class GmsslPyxBackend:
    """SM2 through gmssl-pyx (GmSSL 3 in C)."""

    name = "gmssl-pyx"

    def __init__(self) -> None:
        try:
            import gmssl_pyx
        except ImportError as exc:  # pragma: no cover - depends on the platform's wheels
            raise BackendUnavailable(backend=self.name, reason=str(exc)) from None
        self._lib = gmssl_pyx

    def generate_keypair(self) -> tuple[bytes, bytes]:
        public, private = self._lib.sm2_key_generate()
        return private, b"\x04" + public

    def public_key(self, private: bytes) -> bytes:
        return public_key_from_private(private)  # gmssl-pyx cannot derive it

    def sign(self, private: bytes, public: bytes, message: bytes, uid: bytes = DEFAULT_UID) -> tuple[int, int]:
        # e = SM3(Z_A ‖ M) computed here and signed as a digest: the library's own sm2_sign takes ~6 ms on this
        # machine, the digest path ~0.6 ms, and both give signatures the same verifiers accept (GB/T 32918.2).
        digest = sm3(z_a(public, uid) + bytes(message))
        der = self._lib.sm2_sign_sm3_digest(bytes(private), digest)
        return signature_from_der(der)

    def verify(self, public: bytes, message: bytes, r: int, s: int, uid: bytes = DEFAULT_UID) -> bool:
        if not (1 <= r < N and 1 <= s < N):
            return False
        return bool(self._lib.sm2_verify(public[1:], bytes(message), signature_to_der(r, s), signer_id=uid))

    def encrypt(self, public: bytes, plaintext: bytes) -> bytes:
        return ciphertext_from_der(self._lib.sm2_encrypt(public[1:], bytes(plaintext)))

    def decrypt(self, private: bytes, ciphertext: bytes) -> bytes:
        try:
            return bytes(self._lib.sm2_decrypt(bytes(private), ciphertext_to_der(ciphertext)))
        except self._lib.GmsslInnerError:  # InvalidValueError is a subclass
            raise WrongKey(reason="SM2 decryption failed") from None


class GmalgBackend:
    """SM2 through gmalg (pure Python).

    ``deterministic_k_for_testing`` replaces the random nonce source (a function of the bit length) and exists only
    so the tests can reproduce the standard's fixed-k example; never pass it in production code.
    """

    name = "gmalg"

    def __init__(self, *, deterministic_k_for_testing: Callable[[int], int] | None = None) -> None:
        try:
            import gmalg
        except ImportError as exc:  # pragma: no cover - gmalg is a pinned dependency
            raise BackendUnavailable(backend=self.name, reason=str(exc)) from None
        self._lib = gmalg
        self._rnd = deterministic_k_for_testing

    def generate_keypair(self) -> tuple[bytes, bytes]:
        private, public = self._lib.SM2().generate_keypair()
        return private.rjust(32, b"\x00"), public

    def public_key(self, private: bytes) -> bytes:
        return bytes(self._lib.SM2().generate_pk(bytes(private)))

    def sign(self, private: bytes, public: bytes, message: bytes, uid: bytes = DEFAULT_UID) -> tuple[int, int]:
        engine = self._lib.SM2(sk=bytes(private), pk=public, uid=uid, rnd_fn=self._rnd)
        r, s = engine.sign(bytes(message))
        return int.from_bytes(r, "big"), int.from_bytes(s, "big")

    def verify(self, public: bytes, message: bytes, r: int, s: int, uid: bytes = DEFAULT_UID) -> bool:
        if not (1 <= r < N and 1 <= s < N):
            return False
        return bool(self._lib.SM2(pk=public, uid=uid).verify(bytes(message), _b32(r), _b32(s)))

    def encrypt(self, public: bytes, plaintext: bytes) -> bytes:
        return bytes(self._lib.SM2(pk=public, rnd_fn=self._rnd).encrypt(bytes(plaintext)))

    def decrypt(self, private: bytes, ciphertext: bytes) -> bytes:
        engine = self._lib.SM2(sk=bytes(private), pk=public_key_from_private(private))
        try:
            return bytes(engine.decrypt(bytes(ciphertext)))
        except self._lib.errors.GMError:
            raise WrongKey(reason="SM2 decryption failed") from None


# --- validated operations (what the rest of the kernel calls) -----------------------------------------------------


def sm2_sign(
    backend: Sm2Backend, private: bytes, message: bytes, *, uid: bytes = DEFAULT_UID, public: bytes | None = None
) -> bytes:
    """DER signature of ``message`` (Z_A with ``uid`` included). ``public`` (``04‖x‖y`` of ``private``) saves a
    derivation when the caller already has it."""
    check_private_key(private)
    _check_uid(uid)
    if public is None:
        public = public_key_from_private(private)
    return signature_to_der(*backend.sign(private, public, message, uid))


def sm2_verify(
    backend: Sm2Backend, public: bytes, message: bytes, signature_der: bytes, *, uid: bytes = DEFAULT_UID
) -> None:
    """Return if the DER signature verifies; raise :class:`SignatureInvalid` otherwise."""
    point = decode_public_key(public)
    _check_uid(uid)
    r, s = signature_from_der(signature_der)
    if not backend.verify(point, message, r, s, uid):
        raise SignatureInvalid(algorithm="sm2-sm3")


def sm2_encrypt(backend: Sm2Backend, public: bytes, plaintext: bytes) -> bytes:
    """Raw C1C3C2 ciphertext of a 1 … 255-byte plaintext."""
    point = decode_public_key(public)
    if not 1 <= len(plaintext) <= MAX_ENCRYPT_PLAINTEXT:
        raise PlaintextTooLong(size=len(plaintext))
    return backend.encrypt(point, plaintext)


def sm2_decrypt(backend: Sm2Backend, private: bytes, ciphertext: bytes) -> bytes:
    """Plaintext of a raw C1C3C2 ciphertext; :class:`WrongKey` if it was not encrypted to this key (or damaged)."""
    check_private_key(private)
    c1, _c3, c2 = _split_c1c3c2(bytes(ciphertext))
    if len(c2) > MAX_ENCRYPT_PLAINTEXT:
        raise WrongKey(reason="ciphertext longer than any key this port encrypts")
    try:
        decode_public_key(c1)
    except KeyInvalid:
        raise WrongKey(reason="C1 is not on the curve") from None
    return backend.decrypt(private, bytes(ciphertext))


# --- self-test and selection ----------------------------------------------------------------------------------------

# GB/T 32918.5-2017 Annex A (= GM/T 0003.5-2012 Annex A): the recommended curve, ID 1234567812345678.
KAT_PRIVATE = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
KAT_PUBLIC = bytes.fromhex(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
KAT_SIGN_MESSAGE = b"message digest"
KAT_K = 0x59276E27_D506861A_16680F3A_D9C02DCC_EF3CC1FA_3CDBE4CE_6D54B80D_EAC1BC21
KAT_R = 0xF5A03B06_48D2C463_0EEAC513_E1BB81A1_5944DA38_27D5B741_43AC7EAC_EEE720B3
KAT_S = 0xB1B6AA29_DF212FD8_763182BC_0D421CA1_BB9038FD_1F7F42D4_840B69C4_85BBC1AA
KAT_ENCRYPT_MESSAGE = b"encryption standard"
KAT_CIPHERTEXT_C1C3C2 = bytes.fromhex(
    "04"
    "04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
    "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
    "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
    "21886CA989CA9C7D58087307CA93092D651EFA"
)


def self_test(backend: Sm2Backend) -> None:
    """Known answers and round trips; raises :class:`BackendUnavailable` if the backend gets any of them wrong."""
    try:
        ok = (
            backend.public_key(KAT_PRIVATE) == KAT_PUBLIC
            and backend.verify(KAT_PUBLIC, KAT_SIGN_MESSAGE, KAT_R, KAT_S, DEFAULT_UID)
            and not backend.verify(KAT_PUBLIC, KAT_SIGN_MESSAGE + b".", KAT_R, KAT_S, DEFAULT_UID)
            and not backend.verify(KAT_PUBLIC, KAT_SIGN_MESSAGE, KAT_R, KAT_S, b"ALICE123@YAHOO.COM")
            and backend.decrypt(KAT_PRIVATE, KAT_CIPHERTEXT_C1C3C2) == KAT_ENCRYPT_MESSAGE
        )
        if ok:
            private, public = backend.generate_keypair()
            r, s = backend.sign(private, public, b"yiwang self-test", DEFAULT_UID)
            probe = secrets.token_bytes(16)
            ok = (
                public == public_key_from_private(private)
                and backend.verify(public, b"yiwang self-test", r, s, DEFAULT_UID)
                and backend.decrypt(private, backend.encrypt(public, probe)) == probe
            )
    except Exception as exc:  # any failure of a backend library means "do not use it"
        raise BackendUnavailable(backend=backend.name, reason=f"self-test raised {type(exc).__name__}") from None
    if not ok:
        raise BackendUnavailable(backend=backend.name, reason="self-test gave a wrong answer")


_FACTORIES: dict[str, Callable[[], Sm2Backend]] = {"gmssl-pyx": GmsslPyxBackend, "gmalg": GmalgBackend}
_ready: dict[str, Sm2Backend] = {}
_failed: dict[str, BackendUnavailable] = {}
_lock = threading.Lock()


def _load(name: str) -> Sm2Backend:
    with _lock:
        if name in _ready:
            return _ready[name]
        if name in _failed:
            raise _failed[name]
        try:
            backend = _FACTORIES[name]()
            self_test(backend)
        except BackendUnavailable as exc:
            _failed[name] = exc
            raise
        _ready[name] = backend
        return backend


def select_sm2_backend(preferred: str | None = None) -> Sm2Backend:
    """The SM2 backend to use: ``preferred`` if given, else ``$YIWANG_SM2_BACKEND`` if set, else the first of
    gmssl-pyx, gmalg that imports and passes :func:`self_test` (run once per process and backend).

    A named backend that is unknown, missing or failing raises :class:`BackendUnavailable` — no silent fallback
    when a backend was asked for by name. This is the only place in the kernel that reads the environment.
    """
    choice = preferred or os.environ.get(BACKEND_ENV_VAR, "").strip() or None
    if choice is not None:
        if choice not in _FACTORIES:
            raise BackendUnavailable(backend=choice, supported=list(BACKEND_NAMES))
        return _load(choice)
    failures = []
    for name in BACKEND_NAMES:
        try:
            return _load(name)
        except BackendUnavailable as exc:
            failures.append(exc.details)
    raise BackendUnavailable(tried=failures)

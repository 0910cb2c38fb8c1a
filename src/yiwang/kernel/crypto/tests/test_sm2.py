"""SM2: the GB/T 32918 examples on both backends, cross-backend agreement, encodings, selection."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.kernel.crypto import sm2
from yiwang.kernel.crypto.errors import (
    AlgorithmUnsupported,
    BackendUnavailable,
    KeyInvalid,
    PlaintextTooLong,
    SignatureInvalid,
    WrongKey,
)

BACKENDS = [sm2.select_sm2_backend(name) for name in sm2.BACKEND_NAMES]
PAIRS = list(itertools.product(BACKENDS, repeat=2))

# GB/T 32918.5-2017 Annex A (= GM/T 0003.5-2012 Annex A), recommended curve, ID "1234567812345678":
# Z_A and e = SM3(Z_A ‖ "message digest") as printed in the example.
KAT_Z_A = "b2e14c5c79c6df5b85f4fe7ed8db7a262b9da7e07ccb0ea9f4747b8ccda8a4f3"
KAT_E = "f0b43e94ba45accaace692ed534382eb17e6ab5a19ce7b31f4486fdfc0d28640"
# The encryption example's ciphertext as the GM/T 0009 SM2Cipher DER structure.
KAT_CIPHERTEXT_DER = bytes.fromhex(
    "307c022004ebfc718e8d1798620432268e77feb6415e2ede0e073c0f4f640ecd2e149a73022100e858f9d81e5430a57b36daab8f95"
    "0a3c64e6ee6a63094d99283aff767e124df0042059983c18f809e262923c53aec295d30383b54e39d609d160afcb1908d0bd876604"
    "1321886ca989ca9c7d58087307ca93092d651efa"
)


def ids(backend) -> str:
    return backend.name


def test_both_backends_are_available_here() -> None:
    assert [backend.name for backend in BACKENDS] == ["gmssl-pyx", "gmalg"]


def test_public_key_derivation_and_z_a_example() -> None:
    assert sm2.public_key_from_private(sm2.KAT_PRIVATE) == sm2.KAT_PUBLIC
    for backend in BACKENDS:
        assert backend.public_key(sm2.KAT_PRIVATE) == sm2.KAT_PUBLIC
    z = sm2.z_a(sm2.KAT_PUBLIC)
    assert z.hex() == KAT_Z_A
    assert sm2.sm3(z + sm2.KAT_SIGN_MESSAGE).hex() == KAT_E


@pytest.mark.parametrize("backend", BACKENDS, ids=ids)
def test_published_signature_verifies(backend) -> None:
    der = sm2.signature_to_der(sm2.KAT_R, sm2.KAT_S)
    sm2.sm2_verify(backend, sm2.KAT_PUBLIC, sm2.KAT_SIGN_MESSAGE, der)
    with pytest.raises(SignatureInvalid):
        sm2.sm2_verify(backend, sm2.KAT_PUBLIC, b"message digesT", der)
    with pytest.raises(SignatureInvalid):  # another user ID changes Z_A
        sm2.sm2_verify(backend, sm2.KAT_PUBLIC, sm2.KAT_SIGN_MESSAGE, der, uid=b"ALICE123@YAHOO.COM")


def test_fixed_k_signature_reproduces_the_example() -> None:
    # gmalg is the backend that lets the nonce be fixed; gmssl-pyx verifies the result above.
    backend = sm2.GmalgBackend(deterministic_k_for_testing=lambda bits: sm2.KAT_K)
    der = sm2.sm2_sign(backend, sm2.KAT_PRIVATE, sm2.KAT_SIGN_MESSAGE)
    assert sm2.signature_from_der(der) == (sm2.KAT_R, sm2.KAT_S)
    assert sm2.der_to_raw(der).hex().upper() == (
        "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
        "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
    )


def test_fixed_k_encryption_reproduces_the_example() -> None:
    backend = sm2.GmalgBackend(deterministic_k_for_testing=lambda bits: sm2.KAT_K)
    raw = sm2.sm2_encrypt(backend, sm2.KAT_PUBLIC, sm2.KAT_ENCRYPT_MESSAGE)
    assert raw == sm2.KAT_CIPHERTEXT_C1C3C2
    assert sm2.ciphertext_to_der(raw) == KAT_CIPHERTEXT_DER
    assert sm2.ciphertext_from_der(KAT_CIPHERTEXT_DER) == raw


@pytest.mark.parametrize("backend", BACKENDS, ids=ids)
def test_published_ciphertext_decrypts(backend) -> None:
    assert sm2.sm2_decrypt(backend, sm2.KAT_PRIVATE, sm2.KAT_CIPHERTEXT_C1C3C2) == sm2.KAT_ENCRYPT_MESSAGE
    old_order = sm2.c1c3c2_to_c1c2c3(sm2.KAT_CIPHERTEXT_C1C3C2)
    assert sm2.c1c2c3_to_c1c3c2(old_order) == sm2.KAT_CIPHERTEXT_C1C3C2
    with pytest.raises(WrongKey):  # the old order given where the new one is expected fails C3, it is not misread
        sm2.sm2_decrypt(backend, sm2.KAT_PRIVATE, old_order)


@pytest.mark.parametrize(("signer", "verifier"), PAIRS, ids=lambda b: b.name)
def test_cross_backend_signatures(signer, verifier) -> None:
    private, public = signer.generate_keypair()
    for message in (b"", b"a", b"bid" * 1000):
        der = sm2.sm2_sign(signer, private, message)
        sm2.sm2_verify(verifier, public, message, der)
        with pytest.raises(SignatureInvalid):
            sm2.sm2_verify(verifier, public, message + b"!", der)
    custom = sm2.sm2_sign(signer, private, b"m", uid=b"bidder@example")
    sm2.sm2_verify(verifier, public, b"m", custom, uid=b"bidder@example")
    with pytest.raises(SignatureInvalid):
        sm2.sm2_verify(verifier, public, b"m", custom)


@pytest.mark.parametrize(("encrypter", "decrypter"), PAIRS, ids=lambda b: b.name)
def test_cross_backend_encryption(encrypter, decrypter) -> None:
    private, public = encrypter.generate_keypair()
    for plaintext in (b"\x00", b"k" * 16, b"k" * 32, bytes(range(255))):
        ciphertext = sm2.sm2_encrypt(encrypter, public, plaintext)
        assert len(ciphertext) == 65 + 32 + len(plaintext)
        assert sm2.sm2_decrypt(decrypter, private, ciphertext) == plaintext


@settings(max_examples=25, deadline=None)
@given(message=st.binary(max_size=200), uid=st.binary(min_size=1, max_size=40))
def test_property_sign_with_one_verify_with_the_other(message: bytes, uid: bytes) -> None:
    fast, pure = BACKENDS
    private, public = pure.generate_keypair()
    sm2.sm2_verify(fast, public, message, sm2.sm2_sign(pure, private, message, uid=uid), uid=uid)
    sm2.sm2_verify(pure, public, message, sm2.sm2_sign(fast, private, message, uid=uid), uid=uid)


@pytest.mark.parametrize("backend", BACKENDS, ids=ids)
def test_decryption_refusals(backend) -> None:
    private, public = backend.generate_keypair()
    other, _ = backend.generate_keypair()
    ciphertext = sm2.sm2_encrypt(backend, public, b"content key 16 b")
    with pytest.raises(WrongKey):
        sm2.sm2_decrypt(backend, other, ciphertext)
    for position in (70, 100, len(ciphertext) - 1):  # C3, C2
        damaged = bytearray(ciphertext)
        damaged[position] ^= 1
        with pytest.raises(WrongKey):
            sm2.sm2_decrypt(backend, private, bytes(damaged))
    bad_c1 = bytearray(ciphertext)
    bad_c1[5] ^= 1  # C1 no longer on the curve
    with pytest.raises(WrongKey):
        sm2.sm2_decrypt(backend, private, bytes(bad_c1))
    with pytest.raises(WrongKey):
        sm2.sm2_decrypt(backend, private, ciphertext[:90])
    with pytest.raises(PlaintextTooLong):
        sm2.sm2_encrypt(backend, public, b"")
    with pytest.raises(PlaintextTooLong):
        sm2.sm2_encrypt(backend, public, b"x" * 256)


def test_public_key_encodings_and_validation() -> None:
    x, y = sm2.KAT_PUBLIC[1:33], sm2.KAT_PUBLIC[33:]
    compressed = bytes([2 + (y[-1] & 1)]) + x
    assert sm2.decode_public_key(compressed) == sm2.KAT_PUBLIC
    assert sm2.decode_public_key(x + y) == sm2.KAT_PUBLIC
    assert sm2.decode_public_key(sm2.KAT_PUBLIC.hex()) == sm2.KAT_PUBLIC
    off_curve = sm2.KAT_PUBLIC[:-1] + bytes([sm2.KAT_PUBLIC[-1] ^ 1])
    for bad in (off_curve, b"\x04" + bytes(64), b"\x05" + x + y, b"abc", "zz"):
        with pytest.raises(KeyInvalid):
            sm2.decode_public_key(bad)


def test_private_key_range() -> None:
    for bad in (bytes(32), (sm2.N - 1).to_bytes(32, "big"), b"\x01" * 31):
        with pytest.raises(KeyInvalid):
            sm2.check_private_key(bad)
    assert sm2.check_private_key((sm2.N - 2).to_bytes(32, "big")) == sm2.N - 2


def test_signature_encodings_are_strict() -> None:
    der = sm2.signature_to_der(sm2.KAT_R, sm2.KAT_S)
    raw = sm2.der_to_raw(der)
    assert len(raw) == 64
    assert sm2.raw_to_der(raw) == der
    small = sm2.signature_to_der(1, 2)
    assert sm2.signature_from_der(small) == (1, 2)
    assert sm2.der_to_raw(small) == (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
    for bad in (
        der + b"\x00",  # trailing data
        b"\x30\x08\x02\x02\x00\x01\x02\x02\x00\x02",  # non-minimal integers
        sm2.signature_to_der(0, 1),
        sm2.signature_to_der(1, sm2.N),
        b"",
        b"\x30\x00",
    ):
        with pytest.raises(SignatureInvalid):
            sm2.signature_from_der(bad)
    with pytest.raises(SignatureInvalid):
        sm2.signature_from_raw(b"\x01" * 63)


def test_uid_limits() -> None:
    with pytest.raises(AlgorithmUnsupported):
        sm2.z_a(sm2.KAT_PUBLIC, b"")


# --- selection ------------------------------------------------------------------------------------------------


def test_selection_prefers_gmssl_pyx_and_honours_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sm2.BACKEND_ENV_VAR, raising=False)
    assert sm2.select_sm2_backend().name == "gmssl-pyx"
    assert sm2.select_sm2_backend("gmalg").name == "gmalg"
    monkeypatch.setenv(sm2.BACKEND_ENV_VAR, "gmalg")
    assert sm2.select_sm2_backend().name == "gmalg"
    assert sm2.select_sm2_backend("gmssl-pyx").name == "gmssl-pyx"  # an explicit argument wins
    monkeypatch.setenv(sm2.BACKEND_ENV_VAR, "openssl")
    with pytest.raises(BackendUnavailable) as caught:
        sm2.select_sm2_backend()
    assert caught.value.code == "crypto.backend_unavailable"
    assert caught.value.status == 503


class _Broken(sm2.GmalgBackend):
    """A backend that accepts every signature: the self-test must catch it."""

    name = "broken"

    def verify(self, public, message, r, s, uid=sm2.DEFAULT_UID) -> bool:
        return True


class _Missing:
    name = "missing"

    def __init__(self) -> None:
        raise BackendUnavailable(backend="gmssl-pyx", reason="not importable")


def test_self_test_rejects_a_lying_backend() -> None:
    with pytest.raises(BackendUnavailable) as caught:
        sm2.self_test(_Broken())
    assert caught.value.details["reason"] == "self-test gave a wrong answer"


def test_fallback_to_gmalg_when_gmssl_pyx_is_missing_or_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sm2.BACKEND_ENV_VAR, raising=False)
    for replacement in (_Missing, _Broken):
        monkeypatch.setattr(sm2, "_FACTORIES", {"gmssl-pyx": replacement, "gmalg": sm2.GmalgBackend})
        monkeypatch.setattr(sm2, "_ready", {})
        monkeypatch.setattr(sm2, "_failed", {})
        assert sm2.select_sm2_backend().name == "gmalg"
        with pytest.raises(BackendUnavailable):  # asked for by name: no silent fallback
            sm2.select_sm2_backend("gmssl-pyx")
    monkeypatch.setattr(sm2, "_FACTORIES", {"gmssl-pyx": _Missing, "gmalg": _Missing})
    monkeypatch.setattr(sm2, "_ready", {})
    monkeypatch.setattr(sm2, "_failed", {})
    with pytest.raises(BackendUnavailable) as caught:
        sm2.select_sm2_backend()
    assert len(caught.value.details["tried"]) == 2

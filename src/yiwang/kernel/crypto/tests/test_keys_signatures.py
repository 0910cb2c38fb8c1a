"""Keys (generation, PEM/DER, key ids, OpenSSL interoperability) and the Signer/Verifier port."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from yiwang.kernel.crypto import sm2
from yiwang.kernel.crypto.errors import AlgorithmUnsupported, KeyInvalid, SignatureInvalid
from yiwang.kernel.crypto.keys import (
    EcP256PublicKey,
    RsaPrivateKey,
    RsaPublicKey,
    Sm2PrivateKey,
    Sm2PublicKey,
    generate_private_key,
    load_private_key,
    load_public_key,
)
from yiwang.kernel.crypto.signatures import signer_for, verifier_for, verify_signature

# A throw-away test key made with OpenSSL 3.0 (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2`),
# and a signature OpenSSL made with it over b"hello yiwang" (`pkeyutl -sign -rawin -digest sm3 -pkeyopt
# distid:1234567812345678`).
OPENSSL_SM2_PRIVATE_PEM = b"""-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgtkJ5N7gxtLrWQf2o
ObPBMKqLFwBN0w2x9ZNhr5x2IMehRANCAARyq9sd17z54QmqnY3BnmSWYUifKP5V
gY5X+puS9FfvKvHYMjLqWRLLREfL/qFP6fwfzexI91EWA3/QkhmhRgXO
-----END PRIVATE KEY-----
"""
OPENSSL_SM2_PUBLIC_PEM = b"""-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAEcqvbHde8+eEJqp2NwZ5klmFInyj+
VYGOV/qbkvRX7yrx2DIy6lkSy0RHy/6hT+n8H83sSPdRFgN/0JIZoUYFzg==
-----END PUBLIC KEY-----
"""
OPENSSL_SM2_SIGNATURE = bytes.fromhex(
    "3044022023040e96ddbcf7756df7fdd8d9859ca0b51f1f0da4d1f666cfb01db471afa0d0"
    "022024d9cf87b64cb8530913739c30d0f473d1830ac143a7e4f0f7bf9db0b8ae2a07"
)

KINDS = ["sm2", "ec-p256", "rsa"]


@pytest.fixture(scope="module")
def rsa_key() -> RsaPrivateKey:
    key = generate_private_key("rsa", rsa_bits=2048)
    assert isinstance(key, RsaPrivateKey)
    return key


def _key(kind: str, rsa_key: RsaPrivateKey):
    return rsa_key if kind == "rsa" else generate_private_key(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_pem_and_der_round_trips(kind: str, rsa_key: RsaPrivateKey) -> None:
    key = _key(kind, rsa_key)
    public = key.public_key
    assert key.kind == public.kind == kind
    for blob in (key.to_der(), key.to_pem(), key.to_pem().decode("ascii")):
        assert load_private_key(blob).public_key == public
    for blob in (public.to_der(), public.to_pem()):
        loaded = load_public_key(blob)
        assert loaded == public
        assert hash(loaded) == hash(public)
        assert loaded.key_id == public.key_id
    assert public.key_id.startswith("sm3:")
    assert len(public.key_id) == 68
    assert "PRIVATE" not in repr(key)
    assert key.to_der().hex() not in repr(key)


@pytest.mark.parametrize("kind", ["ec-p256", "rsa"])
def test_password_protected_private_keys(kind: str, rsa_key: RsaPrivateKey) -> None:
    key = _key(kind, rsa_key)
    protected = key.to_pem(b"correct horse")
    assert b"ENCRYPTED PRIVATE KEY" in protected
    assert load_private_key(protected, password=b"correct horse").public_key == key.public_key
    with pytest.raises(KeyInvalid):
        load_private_key(protected, password=b"wrong")


def test_sm2_keys_match_openssl_byte_for_byte() -> None:
    key = load_private_key(OPENSSL_SM2_PRIVATE_PEM)
    assert isinstance(key, Sm2PrivateKey)
    assert key.to_pem() == OPENSSL_SM2_PRIVATE_PEM
    assert key.public_key.to_pem() == OPENSSL_SM2_PUBLIC_PEM
    assert load_public_key(OPENSSL_SM2_PUBLIC_PEM) == key.public_key
    with pytest.raises(AlgorithmUnsupported):
        key.to_pem(b"password")


@pytest.mark.parametrize("backend", sm2.BACKEND_NAMES)
def test_sm2_signature_made_by_openssl_verifies(backend: str) -> None:
    public = load_public_key(OPENSSL_SM2_PUBLIC_PEM)
    verify_signature(public, "sm2-sm3", b"hello yiwang", OPENSSL_SM2_SIGNATURE, sm2_backend=backend)
    with pytest.raises(SignatureInvalid):
        verify_signature(public, "sm2-sm3", b"hello yiwang!", OPENSSL_SM2_SIGNATURE, sm2_backend=backend)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command")
def test_openssl_verifies_our_sm2_signature(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    assert openssl is not None
    key = generate_private_key("sm2")
    (tmp_path / "pub.pem").write_bytes(key.public_key.to_pem())
    (tmp_path / "msg").write_bytes(b"sealed bid receipt")
    (tmp_path / "sig").write_bytes(signer_for(key).sign(b"sealed bid receipt"))
    result = subprocess.run(
        [openssl, "pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin", "-inkey", "pub.pem",
         "-pkeyopt", "distid:1234567812345678", "-in", "msg", "-sigfile", "sig"],
        cwd=tmp_path, capture_output=True, check=False, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert b"Verified Successfully" in result.stdout


def test_sm2_raw_forms() -> None:
    key = Sm2PrivateKey.from_bytes(sm2.KAT_PRIVATE.hex())
    assert key.public_key.to_bytes() == sm2.KAT_PUBLIC
    assert Sm2PublicKey.from_bytes(sm2.KAT_PUBLIC[1:]) == key.public_key
    with pytest.raises(KeyInvalid):
        Sm2PrivateKey(sm2.KAT_PRIVATE, public=generate_private_key("sm2").public_key.to_bytes())
    with pytest.raises(KeyInvalid):
        Sm2PrivateKey.from_bytes("not hex")


def test_refused_keys(rsa_key: RsaPrivateKey) -> None:
    with pytest.raises(AlgorithmUnsupported):
        generate_private_key("dsa")
    with pytest.raises(KeyInvalid):
        generate_private_key("rsa", rsa_bits=1024)
    with pytest.raises(AlgorithmUnsupported):
        EcP256PublicKey(ec.generate_private_key(ec.SECP384R1()).public_key())
    with pytest.raises(KeyInvalid):
        RsaPublicKey(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())  # noqa: S505
    other_curve = ec.generate_private_key(ec.SECP384R1())
    pem = other_curve.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(AlgorithmUnsupported):
        load_public_key(pem)
    for junk in (b"", b"\x30\x03\x02\x01\x00", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"):
        with pytest.raises((KeyInvalid, AlgorithmUnsupported)):
            load_public_key(junk)
    with pytest.raises(KeyInvalid):
        load_private_key(rsa_key.public_key.to_pem())  # a PUBLIC KEY label where a private key is expected
    with pytest.raises(KeyInvalid):
        load_private_key(b"garbage")


# --- signatures ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_sign_and_verify_each_kind(kind: str, rsa_key: RsaPrivateKey) -> None:
    key = _key(kind, rsa_key)
    signer = signer_for(key)
    assert signer.algorithm == {"sm2": "sm2-sm3", "ec-p256": "ecdsa-p256-sha256", "rsa": "rsa-pss-sha256"}[kind]
    signature = signer.sign(b"tender 2026-001")
    verifier = verifier_for(key.public_key)
    verifier.verify(b"tender 2026-001", signature)
    with pytest.raises(SignatureInvalid) as caught:
        verifier.verify(b"tender 2026-002", signature)
    assert caught.value.details["algorithm"] == signer.algorithm
    other = generate_private_key("rsa", rsa_bits=2048) if kind == "rsa" else generate_private_key(kind)
    with pytest.raises(SignatureInvalid):  # another key of the same kind
        verifier_for(other.public_key).verify(b"tender 2026-001", signature)
    damaged = bytearray(signature)
    damaged[-1] ^= 1
    with pytest.raises(SignatureInvalid):
        verifier.verify(b"tender 2026-001", bytes(damaged))


@pytest.mark.parametrize("backend", sm2.BACKEND_NAMES)
def test_sm2_signer_backends_and_user_id(backend: str) -> None:
    key = generate_private_key("sm2", sm2_backend=backend)
    signer = signer_for(key, sm2_uid=b"ALICE123@YAHOO.COM", sm2_backend=backend)
    assert signer.sm2_uid == b"ALICE123@YAHOO.COM"
    signature = signer.sign(b"m")
    for other in sm2.BACKEND_NAMES:
        verify_signature(key.public_key, "sm2-sm3", b"m", signature, sm2_uid=b"ALICE123@YAHOO.COM", sm2_backend=other)
        with pytest.raises(SignatureInvalid):  # the default ID gives another Z_A
            verify_signature(key.public_key, "sm2-sm3", b"m", signature, sm2_backend=other)
    assert signer_for(key).sm2_uid == sm2.DEFAULT_UID
    with pytest.raises(AlgorithmUnsupported):
        signer_for(key, sm2_uid=b"")


def test_rsa_pkcs1v15_is_verification_only(rsa_key: RsaPrivateKey) -> None:
    legacy = rsa_key.key.sign(b"legacy CA", padding.PKCS1v15(), hashes.SHA256())
    verify_signature(rsa_key.public_key, "rsa-pkcs1v15-sha256", b"legacy CA", legacy)
    with pytest.raises(SignatureInvalid):
        verify_signature(rsa_key.public_key, "rsa-pss-sha256", b"legacy CA", legacy)
    with pytest.raises(AlgorithmUnsupported):
        signer_for(rsa_key, "rsa-pkcs1v15-sha256")


def test_algorithm_must_fit_the_key(rsa_key: RsaPrivateKey) -> None:
    with pytest.raises(AlgorithmUnsupported):
        signer_for(generate_private_key("sm2"), "ecdsa-p256-sha256")
    with pytest.raises(AlgorithmUnsupported):
        verifier_for(rsa_key.public_key, "sm2-sm3")
    with pytest.raises(AlgorithmUnsupported):
        verifier_for(rsa_key.public_key, "md5-rsa")


def test_ecdsa_signatures_must_be_strict_der() -> None:
    key = generate_private_key("ec-p256")
    signature = signer_for(key).sign(b"m")
    r, s = sm2.signature_from_der(signature, order=2**256)
    raw = sm2.signature_to_raw(r, s)
    assert sm2.raw_to_der(raw) == signature
    with pytest.raises(SignatureInvalid):
        verify_signature(key.public_key, "ecdsa-p256-sha256", b"m", signature + b"\x00")
    with pytest.raises(SignatureInvalid):
        verify_signature(key.public_key, "ecdsa-p256-sha256", b"m", raw)  # raw r‖s is not the wire format

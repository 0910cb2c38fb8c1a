"""Key wrapping (the "digital envelope" step): encrypt a content-encryption key (CEK) to a recipient's public key.

==============================================  ========  ======================================================
wrap algorithm id                               key kind  ``data``
==============================================  ========  ======================================================
``sm2-encrypt``                                 sm2       SM2 public-key encryption of the CEK, GM/T 0009
                                                          ``SM2Cipher`` DER (C1C3C2 order)
``ecdh-p256-hkdf-sha256-aes256kw``              ec-p256   ``E ‖ W``: E = ephemeral public point (65 bytes,
                                                          uncompressed); KEK = HKDF-SHA-256(ECDH(e, Q), salt =
                                                          E ‖ Q (both 65-byte points), info = the wrap id as
                                                          ASCII, 32 bytes); W = AES-256 key wrap (RFC 3394) of
                                                          the CEK under KEK
``rsa-oaep-sha256``                             rsa       RSAES-OAEP, SHA-256, MGF1-SHA-256, empty label
==============================================  ========  ======================================================

CEKs are 16, 24 or 32 bytes. Unwrapping with a key the CEK was not wrapped to — or a damaged ``data`` — raises
:class:`WrongKey`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from yiwang.kernel.crypto import sm2
from yiwang.kernel.crypto.errors import AlgorithmUnsupported, KeyInvalid, WrongKey
from yiwang.kernel.crypto.keys import (
    EcP256PrivateKey,
    EcP256PublicKey,
    PrivateKey,
    PublicKey,
    RsaPrivateKey,
    RsaPublicKey,
    Sm2PrivateKey,
    Sm2PublicKey,
)

WRAP_SM2 = "sm2-encrypt"
WRAP_ECDH_P256 = "ecdh-p256-hkdf-sha256-aes256kw"
WRAP_RSA_OAEP = "rsa-oaep-sha256"
WRAP_ALGORITHM_FOR_KIND: dict[str, str] = {"sm2": WRAP_SM2, "ec-p256": WRAP_ECDH_P256, "rsa": WRAP_RSA_OAEP}
CEK_SIZES = (16, 24, 32)


@dataclass(frozen=True)
class WrappedKey:
    """A CEK wrapped to one public key: the wrap algorithm, the recipient's ``key_id`` and the opaque ``data``."""

    algorithm: str
    key_id: str
    data: bytes


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=WRAP_ECDH_P256.encode("ascii")
    ).derive(shared)


def wrap_key(recipient: PublicKey, cek: bytes, *, sm2_backend: str | None = None) -> WrappedKey:
    """Wrap ``cek`` to ``recipient`` with the algorithm of its kind (table above)."""
    if not isinstance(cek, bytes) or len(cek) not in CEK_SIZES:
        raise KeyInvalid(reason="a content key is 16, 24 or 32 bytes")
    if isinstance(recipient, Sm2PublicKey):
        backend = sm2.select_sm2_backend(sm2_backend)
        data = sm2.ciphertext_to_der(sm2.sm2_encrypt(backend, recipient.point, cek))
        return WrappedKey(WRAP_SM2, recipient.key_id, data)
    if isinstance(recipient, EcP256PublicKey):
        ephemeral = ec.generate_private_key(ec.SECP256R1())
        e_point = _point(ephemeral.public_key())
        kek = _kek(ephemeral.exchange(ec.ECDH(), recipient.key), e_point, recipient.to_bytes())
        return WrappedKey(WRAP_ECDH_P256, recipient.key_id, e_point + aes_key_wrap(kek, cek))
    if isinstance(recipient, RsaPublicKey):
        return WrappedKey(WRAP_RSA_OAEP, recipient.key_id, recipient.key.encrypt(cek, _oaep()))
    raise AlgorithmUnsupported(type=type(recipient).__name__)


def unwrap_key(private_key: PrivateKey, wrapped: WrappedKey, *, sm2_backend: str | None = None) -> bytes:
    """The CEK inside ``wrapped``; :class:`WrongKey` unless it was wrapped to ``private_key`` and is intact."""
    public = private_key.public_key
    if wrapped.key_id != public.key_id:
        raise WrongKey(expected_key_id=wrapped.key_id, given_key_id=public.key_id)
    expected = WRAP_ALGORITHM_FOR_KIND[private_key.kind]
    if wrapped.algorithm != expected:
        raise AlgorithmUnsupported(algorithm=wrapped.algorithm, key_kind=private_key.kind)
    data = bytes(wrapped.data)
    if isinstance(private_key, Sm2PrivateKey):
        backend = sm2.select_sm2_backend(sm2_backend)
        cek = sm2.sm2_decrypt(backend, private_key.to_bytes(), sm2.ciphertext_from_der(data))
    elif isinstance(private_key, EcP256PrivateKey):
        if len(data) < 65 + 24:
            raise WrongKey(reason="wrapped key too short")
        try:
            ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data[:65])
            shared = private_key.key.exchange(ec.ECDH(), ephemeral)
            kek = _kek(shared, data[:65], private_key.public_key.to_bytes())
            cek = aes_key_unwrap(kek, data[65:])
        except (ValueError, InvalidUnwrap):
            raise WrongKey(reason="ECDH key unwrap failed") from None
    elif isinstance(private_key, RsaPrivateKey):
        try:
            cek = private_key.key.decrypt(data, _oaep())
        except ValueError:
            raise WrongKey(reason="RSA-OAEP decryption failed") from None
    else:  # pragma: no cover
        raise AlgorithmUnsupported(type=type(private_key).__name__)
    if len(cek) not in CEK_SIZES:
        raise WrongKey(reason="unwrapped key has an impossible size")
    return cek

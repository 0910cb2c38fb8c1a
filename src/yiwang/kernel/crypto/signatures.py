"""Digital signatures: one ``Signer`` / ``Verifier`` port over SM2, ECDSA P-256 and RSA.

Algorithm ids (strings that travel in documents):

=======================  =========  ===========================================================================
id                       key kind   what is signed / encoding
=======================  =========  ===========================================================================
``sm2-sm3``              sm2        ``SM3(Z_A ‖ M)``, Z_A with the user ID (default ``1234567812345678``);
                                    DER ``SEQUENCE{r,s}`` (GB/T 32918.2, GB/T 35276)
``ecdsa-p256-sha256``    ec-p256    ECDSA over SHA-256; DER ``SEQUENCE{r,s}``
``rsa-pss-sha256``       rsa        RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 bytes; raw signature bytes
``rsa-pkcs1v15-sha256``  rsa        RSASSA-PKCS1-v1_5 with SHA-256 — **verification only** (legacy CAs)
=======================  =========  ===========================================================================

:func:`signer_for` wraps a private key held here; anything else that can sign (a CA USB key through its
middleware, a mobile-certificate service) implements :class:`Signer` itself. Verification failures raise
:class:`SignatureInvalid`; they never return ``False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from yiwang.kernel.crypto import sm2
from yiwang.kernel.crypto.errors import AlgorithmUnsupported, SignatureInvalid
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

SIGNATURE_ALGORITHMS: tuple[str, ...] = ("sm2-sm3", "ecdsa-p256-sha256", "rsa-pss-sha256", "rsa-pkcs1v15-sha256")
SIGNING_ALGORITHMS: tuple[str, ...] = ("sm2-sm3", "ecdsa-p256-sha256", "rsa-pss-sha256")
DEFAULT_ALGORITHM: dict[str, str] = {"sm2": "sm2-sm3", "ec-p256": "ecdsa-p256-sha256", "rsa": "rsa-pss-sha256"}
_KIND_OF: dict[str, str] = {
    "sm2-sm3": "sm2",
    "ecdsa-p256-sha256": "ec-p256",
    "rsa-pss-sha256": "rsa",
    "rsa-pkcs1v15-sha256": "rsa",
}
PSS_SALT_LENGTH = 32


class Signer(Protocol):
    """Something that signs with one key and one algorithm.

    ``sm2_uid`` is the user ID that goes into Z_A for ``sm2-sm3`` (None for other algorithms); verifiers need it.
    """

    @property
    def algorithm(self) -> str: ...

    @property
    def public_key(self) -> PublicKey: ...

    @property
    def sm2_uid(self) -> bytes | None: ...

    def sign(self, message: bytes) -> bytes: ...


class Verifier(Protocol):
    @property
    def algorithm(self) -> str: ...

    @property
    def public_key(self) -> PublicKey: ...

    def verify(self, message: bytes, signature: bytes) -> None:
        """Return if ``signature`` is valid for ``message``; raise :class:`SignatureInvalid` otherwise."""
        ...


def _check_pair(kind: str, algorithm: str, allowed: tuple[str, ...]) -> None:
    if algorithm not in allowed:
        raise AlgorithmUnsupported(algorithm=algorithm, supported=list(allowed))
    if _KIND_OF[algorithm] != kind:
        raise AlgorithmUnsupported(algorithm=algorithm, key_kind=kind)


@dataclass(frozen=True, repr=False)
class KeySigner:
    """A :class:`Signer` over a private key held in this process."""

    private_key: PrivateKey
    algorithm: str
    sm2_uid: bytes | None = None
    sm2_backend: str | None = None

    @property
    def public_key(self) -> PublicKey:
        return self.private_key.public_key

    def sign(self, message: bytes) -> bytes:
        key = self.private_key
        if isinstance(key, Sm2PrivateKey):
            backend = sm2.select_sm2_backend(self.sm2_backend)
            uid = self.sm2_uid or sm2.DEFAULT_UID
            return sm2.sm2_sign(backend, key.to_bytes(), message, uid=uid, public=key.public_key.point)
        if isinstance(key, EcP256PrivateKey):
            return key.key.sign(message, ec.ECDSA(hashes.SHA256()))
        if isinstance(key, RsaPrivateKey):
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=PSS_SALT_LENGTH)
            return key.key.sign(message, pss, hashes.SHA256())
        raise AlgorithmUnsupported(type=type(key).__name__)  # pragma: no cover

    def __repr__(self) -> str:
        return f"<KeySigner {self.algorithm} {self.public_key.key_id[:20]}…>"


@dataclass(frozen=True)
class KeyVerifier:
    """A :class:`Verifier` over a public key."""

    public_key: PublicKey
    algorithm: str
    sm2_uid: bytes | None = None
    sm2_backend: str | None = None

    def verify(self, message: bytes, signature: bytes) -> None:
        key = self.public_key
        try:
            if isinstance(key, Sm2PublicKey):
                backend = sm2.select_sm2_backend(self.sm2_backend)
                sm2.sm2_verify(backend, key.point, message, signature, uid=self.sm2_uid or sm2.DEFAULT_UID)
            elif isinstance(key, EcP256PublicKey):
                sm2.signature_from_der(signature, order=_P256_ORDER)  # strict DER, no malleable encodings
                key.key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            elif isinstance(key, RsaPublicKey):
                if self.algorithm == "rsa-pss-sha256":
                    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
                    key.key.verify(signature, message, pss, hashes.SHA256())
                else:
                    key.key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            raise SignatureInvalid(algorithm=self.algorithm, key_id=key.key_id) from None
        except SignatureInvalid as exc:
            raise SignatureInvalid({**exc.details, "algorithm": self.algorithm, "key_id": key.key_id}) from None


_P256_ORDER = 0xFFFFFFFF_00000000_FFFFFFFF_FFFFFFFF_BCE6FAAD_A7179E84_F3B9CAC2_FC632551


def signer_for(
    private_key: PrivateKey,
    algorithm: str | None = None,
    *,
    sm2_uid: bytes = sm2.DEFAULT_UID,
    sm2_backend: str | None = None,
) -> KeySigner:
    """A signer for ``private_key``; ``algorithm`` defaults to the key kind's (``sm2-sm3`` for SM2 …)."""
    algorithm = algorithm or DEFAULT_ALGORITHM[private_key.kind]
    _check_pair(private_key.kind, algorithm, SIGNING_ALGORITHMS)
    if private_key.kind == "sm2":
        if not isinstance(sm2_uid, bytes) or not 1 <= len(sm2_uid) <= 8191:
            raise AlgorithmUnsupported(reason="the SM2 user ID must be 1 to 8191 bytes")
        return KeySigner(private_key, algorithm, sm2_uid, sm2_backend)
    return KeySigner(private_key, algorithm)


def verifier_for(
    public_key: PublicKey,
    algorithm: str | None = None,
    *,
    sm2_uid: bytes = sm2.DEFAULT_UID,
    sm2_backend: str | None = None,
) -> KeyVerifier:
    """A verifier for ``public_key`` and ``algorithm`` (default: the key kind's signing algorithm)."""
    algorithm = algorithm or DEFAULT_ALGORITHM[public_key.kind]
    _check_pair(public_key.kind, algorithm, SIGNATURE_ALGORITHMS)
    if public_key.kind == "sm2":
        return KeyVerifier(public_key, algorithm, sm2_uid, sm2_backend)
    return KeyVerifier(public_key, algorithm)


def verify_signature(
    public_key: PublicKey,
    algorithm: str,
    message: bytes,
    signature: bytes,
    *,
    sm2_uid: bytes = sm2.DEFAULT_UID,
    sm2_backend: str | None = None,
) -> None:
    """Raise :class:`SignatureInvalid` unless ``signature`` by ``public_key`` under ``algorithm`` covers ``message``."""
    verifier_for(public_key, algorithm, sm2_uid=sm2_uid, sm2_backend=sm2_backend).verify(message, signature)

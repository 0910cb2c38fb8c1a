"""Asymmetric keys: SM2, ECDSA P-256 and RSA, with one set of operations for all three.

Kinds (strings that travel in documents): ``"sm2"``, ``"ec-p256"``, ``"rsa"`` (2048 bits or more).

Serialisation:

- public keys as X.509 ``SubjectPublicKeyInfo`` (DER, or PEM ``PUBLIC KEY``). An SM2 key is
  ``id-ecPublicKey`` (1.2.840.10045.2.1) with the named curve ``1.2.156.10197.1.301`` and the point ``04‖x‖y`` —
  what GM/T 0015 certificates and OpenSSL 3 use — so certificates can carry it as is;
- private keys as PKCS#8 ``PrivateKeyInfo`` (DER, or PEM ``PRIVATE KEY``), an SM2 key holding an RFC 5915
  ``ECPrivateKey`` with the 32-byte scalar and the public point (again as OpenSSL 3 writes it). Password-protected
  PKCS#8 is supported for P-256 and RSA (through ``cryptography``); SM2 private keys belong in a token or an
  encrypted store, not in password-protected files, so ``password`` is refused for them;
- SM2 also raw: :meth:`Sm2PublicKey.from_bytes` (65/64/33 bytes or hex) and :meth:`Sm2PrivateKey.from_bytes`.

Every public key has a ``key_id``: ``"sm3:" + hex(SM3(SubjectPublicKeyInfo DER))``.
"""

from __future__ import annotations

from typing import ClassVar

from asn1crypto import core, keys, pem
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from yiwang.kernel.crypto import sm2
from yiwang.kernel.crypto.errors import AlgorithmUnsupported, KeyInvalid
from yiwang.kernel.crypto.hashing import sm3

KEY_KINDS: tuple[str, ...] = ("sm2", "ec-p256", "rsa")
MIN_RSA_BITS = 2048
DEFAULT_RSA_BITS = 3072


def key_id_of_spki(spki_der: bytes) -> str:
    return "sm3:" + sm3(spki_der).hex()


def _sm2_params() -> keys.ECDomainParameters:
    return keys.ECDomainParameters(name="named", value=sm2.SM2_CURVE_OID)


class _Pkcs8(core.Sequence):
    """``PrivateKeyInfo`` without asn1crypto's key-size hook (which does not know the SM2 curve)."""

    _fields = [
        ("version", core.Integer),
        ("algorithm", keys.PublicKeyAlgorithm),
        ("private_key", core.OctetString),
    ]


class _PublicBase:
    kind: ClassVar[str]

    def to_der(self) -> bytes:
        raise NotImplementedError

    def to_pem(self) -> bytes:
        return pem.armor("PUBLIC KEY", self.to_der())

    @property
    def key_id(self) -> str:
        return key_id_of_spki(self.to_der())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _PublicBase) and self.to_der() == other.to_der()

    def __hash__(self) -> int:
        return hash(self.to_der())

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key_id[:20]}…>"


class Sm2PublicKey(_PublicBase):
    kind = "sm2"

    def __init__(self, point: bytes | str):
        self.point = sm2.decode_public_key(point)  # 65 bytes, validated

    @classmethod
    def from_bytes(cls, data: bytes | str) -> Sm2PublicKey:
        """From ``04‖x‖y`` (65), ``x‖y`` (64), compressed (33) bytes, or those as hex."""
        return cls(data)

    def to_bytes(self) -> bytes:
        """65 bytes ``04 ‖ x ‖ y``."""
        return self.point

    def to_der(self) -> bytes:
        return keys.PublicKeyInfo(
            {"algorithm": {"algorithm": "ec", "parameters": _sm2_params()}, "public_key": self.point}
        ).dump()


class EcP256PublicKey(_PublicBase):
    kind = "ec-p256"

    def __init__(self, key: ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise AlgorithmUnsupported(reason="only the P-256 curve is supported", curve=key.curve.name)
        self.key = key

    def to_der(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def to_bytes(self) -> bytes:
        """65 bytes ``04 ‖ x ‖ y``."""
        return self.key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


class RsaPublicKey(_PublicBase):
    kind = "rsa"

    def __init__(self, key: rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise KeyInvalid(reason=f"RSA keys must have at least {MIN_RSA_BITS} bits", bits=key.key_size)
        self.key = key

    def to_der(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class _PrivateBase:
    kind: ClassVar[str]

    def to_der(self, password: bytes | None = None) -> bytes:
        raise NotImplementedError

    def to_pem(self, password: bytes | None = None) -> bytes:
        raise NotImplementedError

    def __repr__(self) -> str:  # never show key material
        return f"<{type(self).__name__} of {self.public_key!r}>"

    @property
    def public_key(self) -> PublicKey:
        raise NotImplementedError


class Sm2PrivateKey(_PrivateBase):
    kind = "sm2"

    def __init__(self, secret: bytes, public: bytes | None = None):
        sm2.check_private_key(secret)
        self._secret = bytes(secret)
        derived = sm2.public_key_from_private(self._secret)
        if public is not None and sm2.decode_public_key(public) != derived:
            raise KeyInvalid(reason="the public key does not belong to the private key")
        self._public = Sm2PublicKey(derived)

    @classmethod
    def from_bytes(cls, secret: bytes | str) -> Sm2PrivateKey:
        """From the 32-byte scalar or its hex."""
        if isinstance(secret, str):
            try:
                secret = bytes.fromhex(secret.strip())
            except ValueError:
                raise KeyInvalid(reason="not hex") from None
        return cls(secret)

    def to_bytes(self) -> bytes:
        """The 32-byte scalar."""
        return self._secret

    @property
    def public_key(self) -> Sm2PublicKey:
        return self._public

    def to_der(self, password: bytes | None = None) -> bytes:
        if password is not None:
            raise AlgorithmUnsupported(reason="password-protected SM2 private keys are not supported")
        inner = keys.ECPrivateKey(
            {
                "version": "ecPrivkeyVer1",
                "private_key": int.from_bytes(self._secret, "big"),
                "public_key": self._public.point,
            }
        )
        inner.set_key_size(32)
        return _Pkcs8(
            {
                "version": 0,
                "algorithm": {"algorithm": "ec", "parameters": _sm2_params()},
                "private_key": inner.dump(),
            }
        ).dump()

    def to_pem(self, password: bytes | None = None) -> bytes:
        return pem.armor("PRIVATE KEY", self.to_der(password))


class _CryptographyPrivate(_PrivateBase):
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    def _encryption(self, password: bytes | None) -> serialization.KeySerializationEncryption:
        return serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()

    def to_der(self, password: bytes | None = None) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, self._encryption(password)
        )

    def to_pem(self, password: bytes | None = None) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, self._encryption(password)
        )


class EcP256PrivateKey(_CryptographyPrivate):
    kind = "ec-p256"

    def __init__(self, key: ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise AlgorithmUnsupported(reason="only the P-256 curve is supported", curve=key.curve.name)
        self.key = key
        self._public = EcP256PublicKey(key.public_key())

    @classmethod
    def from_scalar(cls, secret: bytes) -> EcP256PrivateKey:
        value = int.from_bytes(secret, "big")
        try:
            return cls(ec.derive_private_key(value, ec.SECP256R1()))
        except ValueError:
            raise KeyInvalid(reason="P-256 private key out of range") from None

    def scalar_bytes(self) -> bytes:
        return self.key.private_numbers().private_value.to_bytes(32, "big")

    @property
    def public_key(self) -> EcP256PublicKey:
        return self._public


class RsaPrivateKey(_CryptographyPrivate):
    kind = "rsa"

    def __init__(self, key: rsa.RSAPrivateKey):
        self._public = RsaPublicKey(key.public_key())  # checks the size
        self.key = key

    @property
    def public_key(self) -> RsaPublicKey:
        return self._public


PublicKey = Sm2PublicKey | EcP256PublicKey | RsaPublicKey
PrivateKey = Sm2PrivateKey | EcP256PrivateKey | RsaPrivateKey


def generate_private_key(
    kind: str = "sm2", *, rsa_bits: int = DEFAULT_RSA_BITS, sm2_backend: str | None = None
) -> PrivateKey:
    """A new private key of ``kind`` (``"sm2"``, ``"ec-p256"``, ``"rsa"``). SM2 keys come from the selected backend."""
    if kind == "sm2":
        secret, public = sm2.select_sm2_backend(sm2_backend).generate_keypair()
        return Sm2PrivateKey(secret, public)
    if kind == "ec-p256":
        return EcP256PrivateKey(ec.generate_private_key(ec.SECP256R1()))
    if kind == "rsa":
        if rsa_bits < MIN_RSA_BITS:
            raise KeyInvalid(reason=f"RSA keys must have at least {MIN_RSA_BITS} bits", bits=rsa_bits)
        return RsaPrivateKey(rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits))
    raise AlgorithmUnsupported(kind=kind, supported=list(KEY_KINDS))


# --- loading --------------------------------------------------------------------------------------------------------


def _to_der(data: bytes | str, expected: tuple[str, ...]) -> tuple[bytes, str | None]:
    if isinstance(data, str):
        data = data.encode("ascii", "replace")
    data = bytes(data)
    if pem.detect(data):
        try:
            label, _headers, der = pem.unarmor(data)
        except ValueError:
            raise KeyInvalid(reason="malformed PEM") from None
        if label not in expected:
            raise KeyInvalid(reason=f"PEM label {label!r} is not one of {list(expected)}")
        return der, label
    return data, None


def _is_sm2_algorithm(algorithm: keys.PublicKeyAlgorithm) -> bool:
    oid = algorithm["algorithm"].dotted
    if oid == sm2.SM2_CURVE_OID:  # some tools put the curve OID in the algorithm field
        return True
    if algorithm["algorithm"].native != "ec":
        return False
    params = algorithm["parameters"]
    return (
        isinstance(params, keys.ECDomainParameters)
        and params.name == "named"
        and params.chosen.dotted == (sm2.SM2_CURVE_OID)
    )


def load_public_key(data: bytes | str) -> PublicKey:
    """A public key from a ``SubjectPublicKeyInfo`` in DER or PEM (``PUBLIC KEY``)."""
    der, _label = _to_der(data, ("PUBLIC KEY",))
    try:
        info = keys.PublicKeyInfo.load(der, strict=True)
        is_sm2 = _is_sm2_algorithm(info["algorithm"])
        point = info["public_key"].native if is_sm2 else None
    except (ValueError, TypeError, KeyError):
        raise KeyInvalid(reason="not a SubjectPublicKeyInfo") from None
    if is_sm2:
        return Sm2PublicKey(bytes(point))
    try:
        loaded = serialization.load_der_public_key(der)
    except UnsupportedAlgorithm:
        raise AlgorithmUnsupported(reason="unsupported public key algorithm") from None
    except ValueError:
        raise KeyInvalid(reason="malformed public key") from None
    if isinstance(loaded, ec.EllipticCurvePublicKey):
        return EcP256PublicKey(loaded)
    if isinstance(loaded, rsa.RSAPublicKey):
        return RsaPublicKey(loaded)
    raise AlgorithmUnsupported(reason="unsupported public key algorithm", type=type(loaded).__name__)


def load_private_key(data: bytes | str, password: bytes | None = None) -> PrivateKey:
    """A private key from PKCS#8 DER or PEM (``PRIVATE KEY``; ``ENCRYPTED PRIVATE KEY`` for P-256/RSA)."""
    der, label = _to_der(data, ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"))
    if label != "ENCRYPTED PRIVATE KEY" and password is None:
        sm2_key = _try_sm2_private(der)
        if sm2_key is not None:
            return sm2_key
    try:
        loaded = serialization.load_der_private_key(der, password=password)
    except UnsupportedAlgorithm:
        raise AlgorithmUnsupported(reason="unsupported private key algorithm or encryption") from None
    except (ValueError, TypeError):
        raise KeyInvalid(reason="malformed private key or wrong password") from None
    if isinstance(loaded, ec.EllipticCurvePrivateKey):
        return EcP256PrivateKey(loaded)
    if isinstance(loaded, rsa.RSAPrivateKey):
        return RsaPrivateKey(loaded)
    raise AlgorithmUnsupported(reason="unsupported private key algorithm", type=type(loaded).__name__)


def _try_sm2_private(der: bytes) -> Sm2PrivateKey | None:
    """The SM2 key in a PKCS#8 structure, or None if it is not an SM2 key."""
    try:
        info = _Pkcs8.load(der)
        if not _is_sm2_algorithm(info["algorithm"]):
            return None
    except (ValueError, TypeError, KeyError):
        return None  # not ours to judge: let cryptography parse (and refuse) it
    try:
        inner = keys.ECPrivateKey.load(info["private_key"].native, strict=True)
        secret = inner["private_key"].contents
        public = inner["public_key"].native if inner["public_key"].native is not None else None
    except (ValueError, TypeError, KeyError):
        raise KeyInvalid(reason="malformed SM2 PKCS#8 private key") from None
    secret = secret.rjust(32, b"\x00") if len(secret) <= 32 else secret
    return Sm2PrivateKey(bytes(secret), bytes(public) if public is not None else None)

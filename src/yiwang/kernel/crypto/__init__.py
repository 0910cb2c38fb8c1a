"""Cryptographic ports of Yiwang (pure Python: no Django).

- :mod:`.hashing` — ``sm3``, ``sha256``, ``new_hasher``, ``hash_by_name``, ``hash_stream``;
- :mod:`.aead` / :mod:`.chunked` — SM4-GCM and AES-256-GCM, one-shot (random nonces) and chunked for big files;
- :mod:`.sm2` — SM2 curve, encodings (DER/raw signatures, C1C3C2/C1C2C3/DER ciphertexts), the two backends
  (gmssl-pyx, gmalg) and :func:`select_sm2_backend`;
- :mod:`.keys` — SM2 / P-256 / RSA keys, generation, PEM/DER (de)serialisation, ``key_id``;
- :mod:`.signatures` — ``Signer`` / ``Verifier`` (``sm2-sm3``, ``ecdsa-p256-sha256``, ``rsa-pss-sha256``, and
  ``rsa-pkcs1v15-sha256`` for verification);
- :mod:`.wrap` — ``wrap_key`` / ``unwrap_key`` (digital-envelope key transport);
- :mod:`.shamir` — k-of-n secret sharing with checked shares;
- :mod:`.envelope` — the sealed-bid envelope v1 (``docs/trust/envelope.md``);
- :mod:`.errors` — the refusals (``crypto.*`` codes).
"""

from yiwang.kernel.crypto import envelope
from yiwang.kernel.crypto.aead import AES_256_GCM, SM4_GCM, Aead, aead_by_name
from yiwang.kernel.crypto.chunked import ChunkDecryptor, ChunkEncryptor, decrypt_chunked, encrypt_chunked
from yiwang.kernel.crypto.hashing import Hasher, hash_by_name, hash_stream, new_hasher, sha256, sm3
from yiwang.kernel.crypto.keys import (
    EcP256PrivateKey,
    EcP256PublicKey,
    PrivateKey,
    PublicKey,
    RsaPrivateKey,
    RsaPublicKey,
    Sm2PrivateKey,
    Sm2PublicKey,
    generate_private_key,
    load_private_key,
    load_public_key,
)
from yiwang.kernel.crypto.shamir import Share, combine_shares, split_secret
from yiwang.kernel.crypto.signatures import Signer, Verifier, signer_for, verifier_for, verify_signature
from yiwang.kernel.crypto.sm2 import DEFAULT_UID, Sm2Backend, select_sm2_backend
from yiwang.kernel.crypto.wrap import WrappedKey, unwrap_key, wrap_key

__all__ = [
    "AES_256_GCM",
    "DEFAULT_UID",
    "SM4_GCM",
    "Aead",
    "ChunkDecryptor",
    "ChunkEncryptor",
    "EcP256PrivateKey",
    "EcP256PublicKey",
    "Hasher",
    "PrivateKey",
    "PublicKey",
    "RsaPrivateKey",
    "RsaPublicKey",
    "Share",
    "Signer",
    "Sm2Backend",
    "Sm2PrivateKey",
    "Sm2PublicKey",
    "Verifier",
    "WrappedKey",
    "aead_by_name",
    "combine_shares",
    "decrypt_chunked",
    "encrypt_chunked",
    "envelope",
    "generate_private_key",
    "hash_by_name",
    "hash_stream",
    "load_private_key",
    "load_public_key",
    "new_hasher",
    "select_sm2_backend",
    "sha256",
    "signer_for",
    "sm3",
    "split_secret",
    "unwrap_key",
    "verifier_for",
    "verify_signature",
    "wrap_key",
]

"""The RSA key that signs the hub's ID tokens (RS256, what every OpenID Connect relying party understands).

The platform's own keys (``yiwang.platform.keys``) are SM2 or ECDSA P-256, which OpenID Connect libraries do
not all accept, so the provider keeps one RSA key of its own, stored the same way: a PKCS#8 PEM in a directory
of the data directory (``DATA_DIR/oidc/``, directory 0700, file 0600), made **once** on first use under an
exclusive ``flock`` so that two processes starting together never make two keys, never overwritten, never
committed. An operator who wants a key made elsewhere puts it there as ``rs256.pem`` before the first start.

This module is plain Python (no Django): settings reach it lazily (see ``OAUTH2_PROVIDER`` in settings).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_FILE = "rs256.pem"
KEY_BITS = 3072  # NIST SP 800-57: 128-bit security, valid beyond 2030

_cache: dict[Path, str] = {}
_cache_lock = threading.Lock()


@contextlib.contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _new_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _check(pem: str, path: Path) -> str:
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ValueError(f"{path.name} is not an RSA private key of at least 2048 bits")
    return pem


def signing_key_pem(directory: Path) -> str:
    """The PEM of the provider's signing key in ``directory``, made there on the first call ever."""
    directory = Path(directory)
    with _cache_lock:
        if directory in _cache:
            return _cache[directory]
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / KEY_FILE
        with _exclusive(directory):
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    out.write(_new_pem())
                    out.flush()
                    os.fsync(out.fileno())
            pem = _check(path.read_text(encoding="ascii"), path)
        _cache[directory] = pem
        return pem

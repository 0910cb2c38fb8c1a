"""Where the platform's private keys live: key stores (a port with two adapters here, an HSM adapter outside).

A store answers three questions, all in terms of the kernel's :class:`~yiwang.kernel.crypto.Signer`:

* ``load(key_id)`` — a signer for that key, or ``None`` if this store does not hold it;
* ``bootstrap(kind)`` — the platform's first key: the one already made, or a new one, made **once** even when
  several processes ask at the same moment;
* ``create(kind)`` — a new key (rotation); ``adopt(private_key)`` — take in a key made elsewhere.

Adapters:

* :class:`FileKeyStore` — PKCS#8 PEM files in ``DATA_DIR/keys/`` (directory 0700, files 0600), one per key,
  named by the hex part of the key id. The first key is made under an exclusive ``flock`` on ``.lock`` in that
  directory and recorded in ``bootstrap-key-id``, so two processes on one machine never make two keys.
* :class:`ConfiguredKeyFile` — the PEM file named by ``YIWANG_PLATFORM_SIGNING_KEY`` (production: a key made
  and kept by the operator, mounted read-only). It is consulted first; it cannot make keys.
* **HSM adapter (interface only).** A class named by ``YIWANG_PLATFORM_KEY_STORE`` (dotted path), constructed
  without arguments, implementing :class:`SigningKeyStore`, whose ``load`` returns a ``Signer`` that signs
  inside the device (PKCS#11 / SDF 密码机 API: ``sign(message)`` must produce a DER ``SEQUENCE{r,s}``
  over SM3(Z_A ‖ M) with the default user ID for SM2, exactly what ``signer_for`` produces), ``public_key``
  the device key's public half. It is consulted before the two adapters above. Nothing in the platform
  needs the private key's bytes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.kernel.crypto import PrivateKey, Signer, generate_private_key, load_private_key, signer_for
from yiwang.kernel.crypto.errors import CryptoError
from yiwang.kernel.errors import Conflict, ServiceUnavailable

KEY_KINDS = ("sm2", "ec-p256")
BOOTSTRAP_POINTER = "bootstrap-key-id"


class KeyStoreError(ServiceUnavailable):
    """The key store cannot give the key it must have (missing, unreadable, or another key under that name)."""


def _damaged(reason: str, **details: str) -> KeyStoreError:
    return KeyStoreError(
        "keys.store_damaged",
        f"平台密钥库异常：{reason}",
        f"the platform key store is damaged: {reason}",
        dict(details),
    )


class SigningKeyStore(Protocol):
    name: str

    def load(self, key_id: str) -> Signer | None: ...

    def bootstrap(self, kind: str) -> Signer: ...

    def create(self, kind: str) -> Signer: ...

    def adopt(self, private_key: PrivateKey) -> Signer: ...


def _file_name(key_id: str) -> str | None:
    prefix, _, digest = key_id.partition(":")
    if prefix != "sm3" or len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        return None
    return f"{digest}.pem"


def _write_private(path: Path, private_key: PrivateKey) -> None:
    """Write a PEM readable by the owner only; never overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, private_key.to_pem())
        os.fsync(fd)
    finally:
        os.close(fd)


class FileKeyStore:
    """Private keys as PEM files in one directory (0700), one file per key (0600)."""

    name = "file"

    def __init__(self, directory: Path | str):
        self.directory = Path(directory)

    def _ensure_directory(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._ensure_directory()
        fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def path_for(self, key_id: str) -> Path | None:
        name = _file_name(key_id)
        return self.directory / name if name else None

    def load(self, key_id: str) -> Signer | None:
        path = self.path_for(key_id)
        if path is None or not path.is_file():
            return None
        try:
            signer = signer_for(load_private_key(path.read_bytes()))
        except (OSError, CryptoError) as exc:
            raise _damaged(f"cannot read {path.name}: {exc}", key_id=key_id) from None
        if signer.public_key.key_id != key_id:
            raise _damaged(f"{path.name} holds another key", key_id=key_id)
        return signer

    def _store(self, private_key: PrivateKey) -> Signer:
        signer = signer_for(private_key)
        path = self.path_for(signer.public_key.key_id)
        assert path is not None
        if not path.exists():
            _write_private(path, private_key)
        return signer

    def create(self, kind: str) -> Signer:
        self._ensure_directory()
        return self._store(generate_private_key(kind))

    def adopt(self, private_key: PrivateKey) -> Signer:
        self._ensure_directory()
        return self._store(private_key)

    def bootstrap(self, kind: str) -> Signer:
        with self._locked():
            pointer = self.directory / BOOTSTRAP_POINTER
            if pointer.is_file():
                key_id = pointer.read_text().strip()
                signer = self.load(key_id)
                if signer is None:
                    raise _damaged(f"{BOOTSTRAP_POINTER} names {key_id[:24]}…, whose file is missing", key_id=key_id)
                return signer
            signer = self.create(kind)
            temporary = pointer.with_suffix(".tmp")
            temporary.write_text(signer.public_key.key_id + "\n")
            os.replace(temporary, pointer)
            return signer


class ConfiguredKeyFile:
    """The one key in the file ``YIWANG_PLATFORM_SIGNING_KEY`` names (read once per process)."""

    name = "configured-file"

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._signer: Signer | None = None

    def signer(self) -> Signer:
        if self._signer is None:
            try:
                self._signer = signer_for(load_private_key(self.path.read_bytes()))
            except (OSError, CryptoError) as exc:
                raise _damaged(f"cannot read the configured signing key: {exc}") from None
        return self._signer

    def load(self, key_id: str) -> Signer | None:
        signer = self.signer()
        return signer if signer.public_key.key_id == key_id else None

    def bootstrap(self, kind: str) -> Signer:
        return self.signer()

    def create(self, kind: str) -> Signer:
        raise Conflict(
            "keys.store_cannot_create",
            "配置的签名密钥文件不能生成新密钥：请在外部生成新密钥，再用 yiwang keys rotate --key-file 启用",
            "the configured signing key file cannot make keys: make one outside and use `yiwang keys rotate "
            "--key-file`",
        )

    def adopt(self, private_key: PrivateKey) -> Signer:
        return self.create(private_key.kind)


def key_directory() -> Path:
    return Path(getattr(settings, "YIWANG_PLATFORM_KEY_DIR", None) or Path(settings.DATA_DIR) / "keys")


def configured_stores() -> list[SigningKeyStore]:
    """The stores in the order they are asked: HSM adapter (if configured), configured file, key directory."""
    stores: list[SigningKeyStore] = []
    custom = getattr(settings, "YIWANG_PLATFORM_KEY_STORE", None)
    if custom:
        stores.append(import_string(custom)())
    path = getattr(settings, "YIWANG_PLATFORM_SIGNING_KEY", None)
    if path:
        stores.append(ConfiguredKeyFile(path))
    stores.append(FileKeyStore(key_directory()))
    return stores


def key_kind() -> str:
    kind = getattr(settings, "YIWANG_PLATFORM_KEY_ALGORITHM", "sm2")
    if kind not in KEY_KINDS:
        raise _damaged(f"YIWANG_PLATFORM_KEY_ALGORITHM must be one of {', '.join(KEY_KINDS)}", kind=str(kind))
    return kind

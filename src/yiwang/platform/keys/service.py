"""The platform key in use, its public keys, and signature checks (the implementation behind the package API).

Which key is current is a database fact (the :class:`~.models.PlatformKey` row with ``current`` set), read on
every :func:`platform_signer` call: rotation (a witnessed action) changes it for every process at the moment it
commits. Private keys come from the key stores (:mod:`.stores`) and are cached per process by key id; public
keys are cached by key id too (a key id names exactly one key, so these caches never go stale).

On first use, when no key is registered yet, the first store's bootstrap key is registered (``valid_from`` =
now) and the registration is witnessed: by the action ``keys.register_platform_key`` (from
:func:`platform_signer`, or the reference-data loader :func:`ensure_platform_key` run by
``yiwang seed-reference``), or — when the first use is a witness append itself — by an entry the append
writes ahead of the action's own (:func:`signer_for_append`).
"""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError

from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.crypto import PublicKey, Signer, verify_signature
from yiwang.kernel.crypto.errors import CryptoError
from yiwang.kernel.errors import Conflict, NotFound
from yiwang.platform.clock import now
from yiwang.platform.keys.document import ALGORITHM_OF_KIND, KeyRecord, KeyRing, build_document
from yiwang.platform.keys.models import PlatformKey
from yiwang.platform.keys.stores import (
    FileKeyStore,
    KeyStoreError,
    SigningKeyStore,
    configured_stores,
    key_directory,
    key_kind,
)

_lock = threading.Lock()
_signers: dict[str, Signer] = {}
_public: dict[str, tuple[PublicKey, str]] = {}
_stores: dict[tuple[Any, ...], list[SigningKeyStore]] = {}


def stores() -> list[SigningKeyStore]:
    """The configured key stores (built once per configuration and process)."""
    signature = (
        getattr(settings, "YIWANG_PLATFORM_KEY_STORE", None),
        str(getattr(settings, "YIWANG_PLATFORM_SIGNING_KEY", None) or ""),
        str(key_directory()),
    )
    with _lock:
        if signature not in _stores:
            _stores[signature] = configured_stores()
        return _stores[signature]


def creating_store() -> SigningKeyStore:
    """Where rotation makes or adopts keys: the HSM adapter if one is configured, else the key directory."""
    configured = stores()
    if getattr(settings, "YIWANG_PLATFORM_KEY_STORE", None):
        return configured[0]
    return next(s for s in configured if isinstance(s, FileKeyStore))


def _unavailable(key_id: str) -> KeyStoreError:
    return KeyStoreError(
        "keys.signing_key_unavailable",
        "找不到当前平台签名密钥的私钥（检查密钥目录或 YIWANG_PLATFORM_SIGNING_KEY）",
        "the private half of the current platform key is not available (check the key directory or "
        "YIWANG_PLATFORM_SIGNING_KEY)",
        {"key_id": key_id},
    )


def current_key_id() -> str | None:
    return PlatformKey.objects.filter(current=True).values_list("key_id", flat=True).first()


def signer_for_key(key_id: str) -> Signer:
    """The signer of a registered key from the stores (cached); ``keys.signing_key_unavailable`` if none has it."""
    signer = _signers.get(key_id)
    if signer is None:
        for store in stores():
            signer = store.load(key_id)
            if signer is not None:
                break
        if signer is None:
            raise _unavailable(key_id)
        _signers[key_id] = signer
    return signer


def record_of(signer: Signer, *, valid_from: datetime) -> KeyRecord:
    key = signer.public_key
    if key.kind not in ALGORITHM_OF_KIND or ALGORITHM_OF_KIND[key.kind] != signer.algorithm:
        raise Conflict(
            "keys.unsupported_kind",
            "平台签名密钥须为 SM2 或 ECDSA P-256",
            "a platform signing key is SM2 or ECDSA P-256",
            {"kind": key.kind},
        )
    return KeyRecord(
        key_id=key.key_id,
        kind=key.kind,
        algorithm=signer.algorithm,
        public_key_pem=key.to_pem().decode("ascii"),
        valid_from=valid_from,
    )


def row_of(record: KeyRecord) -> PlatformKey:
    return PlatformKey(
        key_id=record.key_id,
        kind=record.kind,
        algorithm=record.algorithm,
        public_key_pem=record.public_key_pem,
        valid_from=record.valid_from,
        retired_at=record.retired_at,
        current=True if record.retired_at is None else None,
        endorsed_by=record.endorsed_by,
        endorsement=record.endorsement,
    )


def record_from_row(row: PlatformKey) -> KeyRecord:
    return KeyRecord(
        key_id=row.key_id,
        kind=row.kind,
        algorithm=row.algorithm,
        public_key_pem=row.public_key_pem,
        valid_from=row.valid_from,
        retired_at=row.retired_at,
        endorsed_by=row.endorsed_by,
        endorsement=row.endorsement,
    )


def bootstrap_signer() -> Signer:
    """The first store's bootstrap key (made once, under a lock, if the store has none)."""
    return stores()[0].bootstrap(key_kind())


def registration_payload(record: KeyRecord, *, previous: str = "", reason: str = "") -> dict[str, Any]:
    """What the witness log records when a key becomes the platform key (first key or rotation)."""
    return {
        "key_id": record.key_id,
        "kind": record.kind,
        "algorithm": record.algorithm,
        "public_key_pem": record.public_key_pem,
        "valid_from": iso_utc(record.valid_from),
        "previous_key_id": previous,
        "endorsed_by": record.endorsed_by,
        "endorsement": record.endorsement,
        "reason": reason,
    }


def _no_current_key() -> KeyStoreError:
    return KeyStoreError(
        "keys.no_current_key",
        "没有当前平台签名密钥（全部已停用）：请运行 yiwang keys rotate",
        "there is no current platform key (all are retired): run `yiwang keys rotate`",
    )


def register_first_key() -> tuple[Signer, KeyRecord | None]:
    """Register the first store's bootstrap key as the platform key, in the caller's transaction.

    Returns the current key's signer and, if this call registered it, its record (the caller witnesses it).
    Another process (or host) may have registered a key meanwhile: the unique ``current`` keeps one."""
    signer = bootstrap_signer()
    _signers[signer.public_key.key_id] = signer
    record = record_of(signer, valid_from=now())
    registered = not PlatformKey.objects.filter(key_id=record.key_id).exists()
    PlatformKey.objects.bulk_create([row_of(record)], ignore_conflicts=True)
    key_id = current_key_id()
    if key_id is None:
        raise _no_current_key()
    return signer_for_key(key_id), (record if registered and key_id == record.key_id else None)


def signer_for_append() -> tuple[Signer, KeyRecord | None]:
    """For ``chain.append`` (head locked): the current signer, registering the first key if there is none —
    the append then witnesses the registration itself (it cannot run an action from inside one)."""
    key_id = current_key_id()
    if key_id is not None:
        return signer_for_key(key_id), None
    return register_first_key()


def platform_signer() -> Signer:
    key_id = current_key_id()
    if key_id is None:
        # first use: register the key by a witnessed action (nested in the caller's action, if any)
        from yiwang.kernel.actors import Actor
        from yiwang.platform.keys.actions import do_register_platform_key

        with contextlib.suppress(Conflict, IntegrityError):  # registered by someone else meanwhile
            do_register_platform_key(actor=Actor.system("keys"))
        key_id = current_key_id()
        if key_id is None:
            raise _no_current_key()
    return signer_for_key(key_id)


def platform_key_id() -> str:
    return platform_signer().public_key.key_id


def _known_key(key_id: str) -> tuple[PublicKey, str] | None:
    """A registered key's public key and algorithm (cached), or None."""
    if not isinstance(key_id, str):
        return None
    known = _public.get(key_id)
    if known is None:
        row = PlatformKey.objects.filter(key_id=key_id).first()
        if row is None:
            return None
        known = (record_from_row(row).public_key(), row.algorithm)
        _public[key_id] = known
    return known


def platform_public_key(key_id: str | None = None) -> PublicKey:
    if key_id is None:
        return platform_signer().public_key
    known = _known_key(key_id)
    if known is None:
        raise NotFound(
            "keys.unknown_key",
            "没有这个平台密钥",
            "no such platform key",
            {"key_id": str(key_id)[:100]},
        )
    return known[0]


def verify_platform_signature(message: bytes, signature: bytes, key_id: str) -> bool:
    if not isinstance(message, bytes) or not isinstance(signature, bytes):
        return False
    known = _known_key(key_id)
    if known is None:
        return False
    try:
        verify_signature(known[0], known[1], message, signature)
    except CryptoError:
        return False
    return True


def key_records() -> list[KeyRecord]:
    return [record_from_row(row) for row in PlatformKey.objects.order_by("valid_from", "key_id")]


def key_ring() -> KeyRing:
    """Every registered key (current and retired), for checking signatures in bulk."""
    return KeyRing(key_records())


def public_keys_document() -> dict[str, Any]:
    return build_document(
        key_records(),
        platform_code=getattr(settings, "YIWANG_PLATFORM_CODE", ""),
        platform_name=getattr(settings, "YIWANG_PLATFORM_NAME", ""),
    )


def ensure_platform_key() -> int:
    """Reference-data loader: register the platform key, witnessed, if none is registered yet (1 if it did)."""
    if PlatformKey.objects.exists():
        return 0
    from yiwang.kernel.actors import Actor
    from yiwang.platform.keys.actions import do_register_platform_key

    try:
        do_register_platform_key(actor=Actor.system("keys"))
    except Conflict:
        return 0
    return 1

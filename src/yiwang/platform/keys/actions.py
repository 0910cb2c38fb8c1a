"""Registering and rotating the platform key: witnessed actions (docs/adr/0007)."""

from __future__ import annotations

import base64
from dataclasses import replace

from yiwang.kernel.actors import Actor
from yiwang.kernel.crypto import PrivateKey
from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.platform.actions import action
from yiwang.platform.keys import service
from yiwang.platform.keys.document import KeyRecord, endorsement_bytes
from yiwang.platform.keys.models import PlatformKey
from yiwang.platform.keys.stores import KEY_KINDS, KeyStoreError, key_kind

REASON_MAX = 500


def do_register_platform_key(*, actor: Actor) -> KeyRecord:
    """Register the key store's first key as the platform key (once per installation)."""
    with action(actor, "keys.register_platform_key") as act:
        if PlatformKey.objects.select_for_update().exists():
            raise Conflict(
                "keys.already_registered",
                "平台签名密钥已登记；更换请用 yiwang keys rotate",
                "a platform key is already registered; use `yiwang keys rotate` to replace it",
            )
        signer = service.bootstrap_signer()
        record = service.record_of(signer, valid_from=act.now)
        row = service.row_of(record)
        row.save(force_insert=True)
        act.witness(row, service.registration_payload(record))
        act.emit("keys.platform_key_registered.v1", row, {"key_id": record.key_id, "algorithm": record.algorithm})
        return record


def do_rotate_platform_key(
    *, actor: Actor, kind: str | None = None, private_key: PrivateKey | None = None, reason: str = ""
) -> KeyRecord:
    """Make (or adopt) a new platform key, endorse it with the old one, retire the old one.

    The rotation's own witness entry is the first one signed by the new key; every entry before it was signed
    by an older key. If the old key's private half is lost, the new key is registered without an endorsement
    (and the witness entry says so): that is what rotation after a loss looks like.
    """
    if kind is not None and kind not in KEY_KINDS:
        raise InvalidInput(
            "keys.unsupported_kind",
            f"密钥类型须为 {' / '.join(KEY_KINDS)}",
            f"the key kind must be one of {', '.join(KEY_KINDS)}",
            {"kind": kind},
        )
    if not isinstance(reason, str) or len(reason) > REASON_MAX:
        raise InvalidInput(
            "keys.reason_too_long",
            f"轮换原因最长 {REASON_MAX} 字",
            f"the reason is at most {REASON_MAX} characters",
        )
    with action(actor, "keys.rotate_platform_key") as act:
        if service.current_key_id() is None:
            service.platform_signer()  # registers the first key (a rotation needs something to rotate)
        old = PlatformKey.objects.select_for_update().get(current=True)
        store = service.creating_store()
        signer = store.adopt(private_key) if private_key is not None else store.create(kind or key_kind())
        new_id = signer.public_key.key_id
        if PlatformKey.objects.filter(key_id=new_id).exists():
            raise Conflict(
                "keys.key_already_used",
                "这个密钥已经登记过，不能再次启用",
                "this key was registered before and cannot become current again",
                {"key_id": new_id},
            )
        record = service.record_of(signer, valid_from=act.now)
        try:
            old_signer = service.signer_for_key(old.key_id)
        except KeyStoreError:
            old_signer = None
        if old_signer is not None:
            endorsement = base64.b64encode(old_signer.sign(endorsement_bytes(record))).decode("ascii")
            record = replace(record, endorsed_by=old.key_id, endorsement=endorsement)
        old.current = None
        old.retired_at = act.now
        old.save(update_fields=["current", "retired_at"])
        row = service.row_of(record)
        row.save(force_insert=True)
        act.witness(row, service.registration_payload(record, previous=old.key_id, reason=reason))
        act.emit(
            "keys.platform_key_rotated.v1",
            row,
            {"key_id": new_id, "previous_key_id": old.key_id, "algorithm": record.algorithm},
        )
        return record

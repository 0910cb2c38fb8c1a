"""Rotating the platform key: witnessed, endorsed by the old key, and everything signed before still verifies."""

from __future__ import annotations

import base64
import json
import shutil
import stat
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from yiwang.kernel.actors import Actor
from yiwang.kernel.crypto import generate_private_key
from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.platform.audit import chain
from yiwang.platform.audit.format import entry_signing_bytes
from yiwang.platform.keys import (
    platform_key_id,
    platform_public_key,
    platform_signer,
    public_keys_document,
    service,
    verify_platform_signature,
)
from yiwang.platform.keys.actions import do_rotate_platform_key
from yiwang.platform.keys.document import KeyRing
from yiwang.platform.keys.models import PlatformKey
from yiwang.platform.keys.stores import FileKeyStore
from yiwang.platform.testing import do_touch_thing, log_state

pytestmark = pytest.mark.django_db

OPERATOR = Actor.system("keys-test")


@pytest.fixture
def key_dir(settings, tmp_path) -> Path:
    """This test's own key directory, holding a copy of the current key."""
    current = FileKeyStore(service.key_directory()).path_for(platform_key_id())
    target = tmp_path / "keys"
    target.mkdir(mode=0o700)
    shutil.copy(current, target / current.name)
    settings.YIWANG_PLATFORM_KEY_DIR = target
    return target


def _entry_signed_by(entry, key_id: str) -> bool:
    return entry.key_id == key_id and verify_platform_signature(
        entry_signing_bytes(entry.entry_hash), base64.b64decode(entry.signature), key_id
    )


def test_rotation_is_witnessed_endorsed_and_old_entries_still_verify(key_dir, clock, system, base):
    old_id = platform_key_id()
    do_touch_thing(actor=system, n=1)
    clock.advance(timedelta(minutes=5))
    out = StringIO()
    call_command("keys", "rotate", "--reason", "年度轮换", stdout=out)
    new_id = platform_key_id()
    assert new_id != old_id
    assert out.getvalue().strip() == f"rotated: {old_id} → {new_id} (sm2-sm3)"
    do_touch_thing(actor=system, n=2)

    old, new = PlatformKey.objects.get(key_id=old_id), PlatformKey.objects.get(key_id=new_id)
    assert (old.current, old.retired_at) == (None, clock.now())
    assert (new.current, new.retired_at, new.valid_from) == (True, None, clock.now())
    assert new.endorsed_by == old_id
    # the new key file is private to the owner
    assert stat.S_IMODE(FileKeyStore(key_dir).path_for(new_id).stat().st_mode) == 0o600

    touched, rotation, after = base.entries()
    assert _entry_signed_by(touched, old_id)
    assert rotation.fields.action == "keys.rotate_platform_key"
    assert _entry_signed_by(rotation, new_id)  # the rotation's own entry is the first by the new key
    payload = json.loads(rotation.payload_text)
    assert payload["previous_key_id"] == old_id
    assert payload["key_id"] == new_id
    assert payload["reason"] == "年度轮换"
    assert payload["public_key_pem"] == new.public_key_pem
    assert _entry_signed_by(after, new_id)
    assert [e.event_type for e in base.events()][-2] == "keys.platform_key_rotated.v1"

    # the retired key still verifies what it signed, through every door
    assert platform_public_key(old_id) != platform_public_key(new_id)
    report = chain.verify()
    assert report.ok, report.describe()
    assert report.signatures_checked == report.checked
    ring = KeyRing.from_document(json.loads(json.dumps(public_keys_document())))
    assert {old_id, new_id} <= set(ring.records)
    assert ring.records[old_id].retired_at == clock.now()
    assert ring.check_endorsements() == []


def test_rotate_to_p256_then_back_to_sm2(key_dir, system):
    first = platform_key_id()
    p256 = do_rotate_platform_key(actor=OPERATOR, kind="ec-p256")
    assert (p256.kind, p256.algorithm, p256.endorsed_by) == ("ec-p256", "ecdsa-p256-sha256", first)
    assert platform_signer().algorithm == "ecdsa-p256-sha256"
    do_touch_thing(actor=system, n=1)
    sm2 = do_rotate_platform_key(actor=OPERATOR, kind="sm2")
    assert sm2.endorsed_by == p256.key_id
    assert service.key_ring().check_endorsements() == []
    assert chain.verify().ok


def test_rotate_adopts_a_key_made_elsewhere(key_dir, tmp_path):
    made = generate_private_key("sm2")
    (tmp_path / "new.pem").write_bytes(made.to_pem())
    call_command("keys", "rotate", "--key-file", str(tmp_path / "new.pem"), stdout=StringIO())
    assert platform_key_id() == made.public_key.key_id
    adopted = FileKeyStore(key_dir).path_for(made.public_key.key_id)
    assert adopted.is_file()
    assert stat.S_IMODE(adopted.stat().st_mode) == 0o600


def test_a_refused_rotation_leaves_nothing_behind(key_dir):
    current = platform_key_id()
    before, rows = log_state(), list(PlatformKey.objects.values_list("key_id", "current", "retired_at"))
    again = FileKeyStore(key_dir).load(current)
    assert again is not None
    with pytest.raises(Conflict) as caught:
        do_rotate_platform_key(actor=OPERATOR, private_key=again.private_key)
    assert caught.value.code == "keys.key_already_used"
    with pytest.raises(InvalidInput) as bad_kind:
        do_rotate_platform_key(actor=OPERATOR, kind="rsa")
    assert bad_kind.value.code == "keys.unsupported_kind"
    with pytest.raises(InvalidInput) as long_reason:
        do_rotate_platform_key(actor=OPERATOR, reason="理由" * 300)
    assert long_reason.value.code == "keys.reason_too_long"
    assert log_state() == before
    assert list(PlatformKey.objects.values_list("key_id", "current", "retired_at")) == rows
    assert platform_key_id() == current


def test_a_retired_key_cannot_come_back(key_dir):
    first = FileKeyStore(key_dir).load(platform_key_id())
    do_rotate_platform_key(actor=OPERATOR)
    with pytest.raises(Conflict) as caught:
        do_rotate_platform_key(actor=OPERATOR, private_key=first.private_key)
    assert caught.value.code == "keys.key_already_used"


def test_rotating_after_the_old_key_was_lost_is_recorded_unendorsed(settings, tmp_path, base):
    lost = platform_key_id()
    settings.YIWANG_PLATFORM_KEY_DIR = tmp_path / "new-keys"
    service._signers.pop(lost, None)
    record = do_rotate_platform_key(actor=OPERATOR, reason="密钥丢失")
    assert (record.endorsed_by, record.endorsement) == ("", "")
    (entry,) = base.entries()
    assert json.loads(entry.payload_text)["endorsed_by"] == ""
    assert service.key_ring().check_endorsements() == [f"{record.key_id}: not endorsed by an earlier key"]


def test_rotating_a_fresh_installation_registers_the_first_key_then_rotates(settings, tmp_path):
    PlatformKey.objects.all().delete()
    settings.YIWANG_PLATFORM_KEY_DIR = tmp_path / "keys"
    record = do_rotate_platform_key(actor=OPERATOR)
    assert PlatformKey.objects.count() == 2
    assert PlatformKey.objects.get(current=True).key_id == record.key_id
    assert PlatformKey.objects.get(current__isnull=True).key_id == record.endorsed_by

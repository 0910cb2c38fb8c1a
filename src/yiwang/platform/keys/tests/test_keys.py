"""The platform key: one key, made once, kept 0600 in the data dir (or taken from the configured file); public
keys by id for ever; signatures checked without raising; the public keys document for offline verifiers."""

from __future__ import annotations

import json
import multiprocessing
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yiwang.kernel.crypto import generate_private_key, load_public_key, signer_for
from yiwang.kernel.errors import InvalidInput, NotFound
from yiwang.platform.audit import queries as witness
from yiwang.platform.keys import (
    platform_key_id,
    platform_public_key,
    platform_signer,
    public_keys_document,
    service,
    verify_platform_signature,
)
from yiwang.platform.keys.document import KeyRing
from yiwang.platform.keys.models import PlatformKey
from yiwang.platform.keys.stores import BOOTSTRAP_POINTER, FileKeyStore, KeyStoreError

pytestmark = pytest.mark.django_db

MESSAGE = b"yiwang.test.v1\x00hello"


@pytest.fixture
def fresh_install(settings, tmp_path) -> Path:
    """No key registered yet and an empty key directory (this test's own)."""
    PlatformKey.objects.all().delete()
    settings.YIWANG_PLATFORM_KEY_DIR = tmp_path / "keys"
    return tmp_path / "keys"


def test_the_installation_registered_one_sm2_key_witnessed():
    (row,) = PlatformKey.objects.all()
    assert row.current is True
    assert row.retired_at is None
    assert (row.kind, row.algorithm) == ("sm2", "sm2-sm3")
    assert platform_key_id() == row.key_id
    assert platform_signer().public_key == load_public_key(row.public_key_pem)
    (entry,) = witness.entries(action="keys.register_platform_key")
    assert entry.object_id == row.key_id
    assert json.loads(entry.payload_text)["public_key_pem"] == row.public_key_pem


def test_the_first_key_is_made_once_in_a_private_file(fresh_install, clock):
    signer = platform_signer()
    files = sorted(p.name for p in fresh_install.iterdir())
    assert files == sorted([".lock", BOOTSTRAP_POINTER, signer.public_key.key_id.split(":")[1] + ".pem"])
    (pem,) = fresh_install.glob("*.pem")
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh_install.stat().st_mode) == 0o700
    (row,) = PlatformKey.objects.all()
    assert row.key_id == signer.public_key.key_id
    assert row.valid_from == clock.now()
    # asked again: the same key, nothing new
    assert platform_signer().public_key == signer.public_key
    assert platform_key_id() == row.key_id
    assert len(list(fresh_install.glob("*.pem"))) == 1


def _bootstrap_in(directory: str, queue) -> None:
    queue.put(FileKeyStore(directory).bootstrap("sm2").public_key.key_id)


def test_two_processes_bootstrapping_at_once_make_one_key(tmp_path):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_bootstrap_in, args=(str(tmp_path / "k"), queue)) for _ in range(4)]
    for proc in procs:
        proc.start()
    ids = {queue.get(timeout=60) for _ in procs}
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    assert len(ids) == 1
    assert len(list((tmp_path / "k").glob("*.pem"))) == 1


def test_an_ec_p256_key_when_the_setting_asks(fresh_install, settings):
    settings.YIWANG_PLATFORM_KEY_ALGORITHM = "ec-p256"
    signer = platform_signer()
    assert (signer.public_key.kind, signer.algorithm) == ("ec-p256", "ecdsa-p256-sha256")
    assert verify_platform_signature(MESSAGE, signer.sign(MESSAGE), signer.public_key.key_id)
    assert PlatformKey.objects.get().algorithm == "ecdsa-p256-sha256"


def test_a_bad_algorithm_setting_is_refused(fresh_install, settings):
    settings.YIWANG_PLATFORM_KEY_ALGORITHM = "rsa"
    with pytest.raises(KeyStoreError) as caught:
        platform_signer()
    assert caught.value.code == "keys.store_damaged"
    assert not PlatformKey.objects.exists()


def test_the_configured_key_file_is_used_first(fresh_install, settings, tmp_path):
    key = generate_private_key("ec-p256")
    path = tmp_path / "platform.pem"
    path.write_bytes(key.to_pem())
    settings.YIWANG_PLATFORM_SIGNING_KEY = str(path)
    assert platform_key_id() == key.public_key.key_id
    assert not fresh_install.exists() or not list(fresh_install.glob("*.pem"))  # nothing generated
    assert PlatformKey.objects.get().key_id == key.public_key.key_id


def test_an_unreadable_configured_key_is_a_clear_error(fresh_install, settings, tmp_path):
    (tmp_path / "broken.pem").write_text("not a key")
    settings.YIWANG_PLATFORM_SIGNING_KEY = str(tmp_path / "broken.pem")
    with pytest.raises(KeyStoreError) as caught:
        platform_signer()
    assert caught.value.code == "keys.store_damaged"
    assert not PlatformKey.objects.exists()


def test_a_current_key_whose_private_half_is_gone_is_unavailable(settings, tmp_path):
    settings.YIWANG_PLATFORM_KEY_DIR = tmp_path / "empty"
    key_id = PlatformKey.objects.get(current=True).key_id
    service._signers.pop(key_id, None)
    with pytest.raises(KeyStoreError) as caught:
        platform_signer()
    assert (caught.value.code, caught.value.status) == ("keys.signing_key_unavailable", 503)
    assert caught.value.details == {"key_id": key_id}


def test_a_key_file_holding_another_key_is_refused(fresh_install):
    store = FileKeyStore(fresh_install)
    signer = store.create("sm2")
    other = store.create("sm2")
    store.path_for(signer.public_key.key_id).write_bytes(store.path_for(other.public_key.key_id).read_bytes())
    with pytest.raises(KeyStoreError):
        store.load(signer.public_key.key_id)
    assert store.load("not-a-key-id") is None


def test_public_keys_by_id_and_signature_checks():
    signer = platform_signer()
    key_id = signer.public_key.key_id
    signature = signer.sign(MESSAGE)
    assert platform_public_key() == signer.public_key == platform_public_key(key_id)
    assert verify_platform_signature(MESSAGE, signature, key_id) is True
    assert verify_platform_signature(MESSAGE + b"!", signature, key_id) is False
    assert verify_platform_signature(MESSAGE, signature[:-1] + bytes([signature[-1] ^ 1]), key_id) is False
    assert verify_platform_signature(MESSAGE, b"garbage", key_id) is False
    assert verify_platform_signature(MESSAGE, signature, "sm3:" + "0" * 64) is False
    assert verify_platform_signature("text", signature, key_id) is False  # type: ignore[arg-type]
    other = signer_for(generate_private_key("sm2"))
    assert verify_platform_signature(MESSAGE, other.sign(MESSAGE), key_id) is False
    with pytest.raises(NotFound) as caught:
        platform_public_key("sm3:" + "1" * 64)
    assert caught.value.code == "keys.unknown_key"


def test_the_public_keys_document_is_what_an_offline_verifier_reads(settings):
    signer = platform_signer()
    document = json.loads(json.dumps(public_keys_document()))
    assert document["type"] == "yiwang.platform.public_keys"
    assert document["platform"] == {"code": settings.YIWANG_PLATFORM_CODE, "name": settings.YIWANG_PLATFORM_NAME}
    (key,) = document["keys"]
    assert key["key_id"] == signer.public_key.key_id
    assert key["retired_at"] is None
    assert key["endorsed_by"] == ""
    ring = KeyRing.from_document(document)
    assert ring.verify(key["key_id"], MESSAGE, signer.sign(MESSAGE))
    assert not ring.verify(key["key_id"], MESSAGE + b"x", signer.sign(MESSAGE))
    assert not ring.verify("sm3:" + "2" * 64, MESSAGE, signer.sign(MESSAGE))
    assert ring.check_endorsements() == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: d.update(type="other"),
        lambda d: d.update(v=2),
        lambda d: d.update(sm2_user_id="someone"),
        lambda d: d["keys"][0].update(key_id="sm3:" + "3" * 64),
        lambda d: d["keys"][0].update(algorithm="ecdsa-p256-sha256"),
        lambda d: d["keys"][0].update(public_key_pem="-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
        lambda d: d["keys"][0].update(valid_from="yesterday"),
        lambda d: d["keys"][0].pop("retired_at"),
        lambda d: d["keys"].append(dict(d["keys"][0])),
        lambda d: d.update(keys="none"),
    ],
)
def test_a_doctored_keys_document_is_refused(mangle):
    document = json.loads(json.dumps(public_keys_document()))
    mangle(document)
    with pytest.raises(InvalidInput) as caught:
        KeyRing.from_document(document)
    assert caught.value.code == "keys.document_malformed"


def test_keys_show_and_export_public(tmp_path):
    from io import StringIO

    out = StringIO()
    call_command("keys", "show", stdout=out)
    assert platform_key_id() in out.getvalue()
    assert "current" in out.getvalue()
    call_command("keys", "export-public", "--out", str(tmp_path / "keys.json"), stdout=StringIO())
    ring = KeyRing.from_text((tmp_path / "keys.json").read_text())
    assert platform_key_id() in ring
    printed = StringIO()
    call_command("keys", "export-public", stdout=printed)
    assert json.loads(printed.getvalue()) == json.loads((tmp_path / "keys.json").read_text())


def test_keys_rotate_reports_errors_as_command_errors():
    with pytest.raises(CommandError, match=r"keys\.key_already_used"):
        call_command("keys", "rotate", "--key-file", str(_current_key_file()))


def _current_key_file() -> Path:
    return FileKeyStore(service.key_directory()).path_for(platform_key_id())

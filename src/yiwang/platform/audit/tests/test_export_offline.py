"""Export the log, then verify and prove offline — from the files alone, with no database at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import canonical_json
from yiwang.platform.audit import heads
from yiwang.platform.audit.models import SignedTreeHead
from yiwang.platform.keys import platform_key_id, service
from yiwang.platform.keys.actions import do_rotate_platform_key
from yiwang.platform.keys.stores import FileKeyStore
from yiwang.platform.testing import do_touch_thing

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[5]


@pytest.fixture
def exported(tmp_path, system, base) -> tuple[Path, Path]:
    """Twelve more actions, an archive of the whole log and the public keys document."""
    for n in range(12):
        do_touch_thing(actor=system, n=n, payload={"n": n, "投标人": f"公司{n}"})
    archive, keys = tmp_path / "witness.jsonl", tmp_path / "keys.json"
    call_command("witness", "export", "--out", str(archive), "--batch", "5", stdout=StringIO())
    call_command("keys", "export-public", "--out", str(keys), stdout=StringIO())
    return archive, keys


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines), encoding="utf-8")
    return path


def verify(archive: Path, keys: Path, *extra: str) -> str:
    out = StringIO()
    call_command(
        "witness", "verify", "--archive", str(archive), "--keys", str(keys), *extra, stdout=out, stderr=StringIO()
    )
    return out.getvalue()


def refused(archive: Path, keys: Path, *extra: str) -> str:
    with pytest.raises(CommandError) as caught:
        verify(archive, keys, *extra)
    return str(caught.value)


def test_an_export_verifies_offline_with_every_signature(exported, base):
    archive, keys = exported
    lines = lines_of(archive)
    size = base.witness + 12
    assert len(lines) == size + 2
    head = json.loads(lines[-1])
    assert head["type"] == "tree_head"
    assert head["tree_size"] == size
    assert head["key_id"] == platform_key_id()
    assert SignedTreeHead.objects.filter(tree_size=size).exists()  # the export's head is kept like any other
    assert all("signature" in json.loads(line) for line in lines[1:-1])
    text = verify(archive, keys)
    assert text.startswith(f"OK: {size} entries, chain intact")
    assert f"signature OK (key {platform_key_id()})" in text
    assert f"{size} entry signatures OK" in text


def test_export_upto_an_earlier_entry(tmp_path, exported, base):
    _, keys = exported
    partial = tmp_path / "partial.jsonl"
    call_command("witness", "export", "--out", str(partial), "--upto", "5", stdout=StringIO())
    assert len(lines_of(partial)) == 5 + 2
    assert verify(partial, keys).startswith("OK: 5 entries")
    with pytest.raises(CommandError, match=r"audit\.tree_size_out_of_range"):
        call_command("witness", "export", "--out", str(tmp_path / "x.jsonl"), "--upto", "99999", stdout=StringIO())
    assert not (tmp_path / "x.jsonl").exists()
    assert not (tmp_path / "x.jsonl.partial").exists()


def _line_of(seq: int) -> int:
    return seq  # index in the list of lines: line 0 is the header


def _edit(lines: list[str], at: int, **changes) -> list[str]:
    """Change fields of the entry line at position ``at`` (the entry numbered ``at`` in a clean archive)."""
    data = json.loads(lines[_line_of(at)])
    data.update(changes)
    return [*lines[: _line_of(at)], canonical_json(data).decode() + "\n", *lines[_line_of(at) + 1 :]]


def test_edited_removed_and_reordered_entries_are_found(tmp_path, exported):
    archive, keys = exported
    lines = lines_of(archive)
    n = len(lines) - 2
    k = n - 5
    cases = {
        "edited payload": (
            _edit(lines, k, payload_text='{"n":999}'),
            f"at entry {k} (line {k + 1}): payload_digest_mismatch",
        ),
        "edited actor": (_edit(lines, k, actor_ref="account:999"), f"at entry {k} (line {k + 1}): hash_mismatch"),
        "removed entry": ([*lines[:k], *lines[k + 1 :]], f"at entry {k}"),
        "reordered entries": (
            [*lines[:k], lines[k + 1], lines[k], *lines[k + 2 :]],
            f"at entry {k}",
        ),
        "reordered and renumbered": (
            _edit(_edit([*lines[:k], lines[k + 1], lines[k], *lines[k + 2 :]], k, seq=k), k + 1, seq=k + 1),
            f"at entry {k} (line {k + 1}): prev_link_mismatch",
        ),
        "signature of another entry": (
            _edit(lines, k, signature=json.loads(lines[k - 1])["signature"]),
            f"at entry {k} (line {k + 1}): entry_signature_invalid",
        ),
        "signature by an unknown key": (
            _edit(lines, k, key_id="sm3:" + "0" * 64),
            f"at entry {k} (line {k + 1}): entry_signature_invalid",
        ),
        "head re-signed by someone else": (
            [*lines[:-1], canonical_json({**json.loads(lines[-1]), "key_id": "sm3:" + "1" * 64}).decode() + "\n"],
            "signature_invalid",
        ),
    }
    for name, (doctored, expected) in cases.items():
        message = refused(write(tmp_path / "doctored.jsonl", doctored), keys)
        assert expected in message, f"{name}: {message}"
    removed = refused(write(tmp_path / "r.jsonl", [*lines[:k], *lines[k + 1 :]]), keys)
    assert "sequence_gap" in removed
    reordered = refused(write(tmp_path / "o.jsonl", [*lines[:k], lines[k + 1], lines[k], *lines[k + 2 :]]), keys)
    assert "sequence_gap" in reordered


def test_a_stripped_entry_signature_is_found_when_signatures_are_required(tmp_path, exported):
    archive, keys = exported
    lines = lines_of(archive)
    data = json.loads(lines[3])
    del data["signature"], data["key_id"]
    stripped = write(tmp_path / "s.jsonl", [*lines[:3], canonical_json(data).decode() + "\n", *lines[4:]])
    assert "1 entries unsigned" in verify(stripped, keys)  # the head still covers it
    assert "at entry 3 (line 4): entry_unsigned" in refused(stripped, keys, "--require-entry-signatures")


def test_without_the_keys_the_signatures_are_reported_unchecked(exported):
    archive, _ = exported
    out, err = StringIO(), StringIO()
    call_command("witness", "verify", "--archive", str(archive), stdout=out, stderr=err)
    assert "signature NOT checked" in out.getvalue()
    assert "signatures are NOT checked" in err.getvalue()


def test_a_keys_document_without_the_signing_key_fails(tmp_path, exported):
    archive, keys = exported
    document = json.loads(keys.read_text())
    document["keys"] = []
    other = tmp_path / "other-keys.json"
    other.write_text(json.dumps(document))
    assert "signature_invalid" in refused(archive, other)


def test_an_entry_is_proved_from_the_archive_alone(tmp_path, exported, base):
    archive, keys = exported
    seq = base.witness + 7
    proof_path = tmp_path / "proof.json"
    call_command(
        "witness",
        "prove",
        "--archive",
        str(archive),
        "--seq",
        str(seq),
        "--out",
        str(proof_path),
        "--keys",
        str(keys),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    document = json.loads(proof_path.read_text())
    assert document["type"] == "yiwang.witness.inclusion_proof"
    assert json.loads(document["entry"]["payload_text"]) == {"n": 6, "投标人": "公司6"}
    out = StringIO()
    call_command("witness", "verify-proof", str(proof_path), "--keys", str(keys), stdout=out, stderr=StringIO())
    assert out.getvalue().strip() == "inclusion proof OK; entry signature OK"
    # the same proof as the database gives against the same head
    db_proof = heads.prove_entry(seq, document["tree_head"]["tree_size"])
    assert db_proof.to_json() == document
    # a doctored proof is refused
    document["entry"]["payload_text"] = json.dumps({"n": 6, "投标人": "别的公司"}, ensure_ascii=False)
    proof_path.write_text(json.dumps(document, ensure_ascii=False))
    with pytest.raises(CommandError, match="payload_digest_mismatch"):
        call_command(
            "witness", "verify-proof", str(proof_path), "--keys", str(keys), stdout=StringIO(), stderr=StringIO()
        )
    with pytest.raises(CommandError, match=r"audit\.archive_entry_not_found"):
        call_command(
            "witness", "prove", "--archive", str(archive), "--seq", "100000", stdout=StringIO(), stderr=StringIO()
        )


def test_entries_signed_before_a_rotation_verify_with_the_retired_key(tmp_path, settings, system, base):
    current = FileKeyStore(service.key_directory()).path_for(platform_key_id())
    keydir = tmp_path / "keys"
    keydir.mkdir(mode=0o700)
    (keydir / current.name).write_bytes(current.read_bytes())
    settings.YIWANG_PLATFORM_KEY_DIR = keydir
    old = platform_key_id()
    do_touch_thing(actor=system, n=1)
    do_rotate_platform_key(actor=Actor.system("ops"), reason="test")
    do_touch_thing(actor=system, n=2)
    archive, keys = tmp_path / "a.jsonl", tmp_path / "k.json"
    call_command("witness", "export", "--out", str(archive), stdout=StringIO())
    call_command("keys", "export-public", "--out", str(keys), stdout=StringIO())
    key_ids = [json.loads(line).get("key_id") for line in lines_of(archive)[1:-1]]
    assert key_ids.count(old) == base.witness + 1
    assert key_ids[-2:] == [platform_key_id()] * 2
    assert "OK" in verify(archive, keys)
    retired_only = json.loads(keys.read_text())
    retired_only["keys"] = [k for k in retired_only["keys"] if k["key_id"] == old]
    (tmp_path / "old.json").write_text(json.dumps(retired_only))
    # with only the retired key, the head (signed by the new key) cannot be trusted
    assert "signature_invalid" in refused(archive, tmp_path / "old.json")


def _offline_env(tmp_path: Path) -> dict[str, str]:
    """An environment in which the database cannot be reached at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIWANG_")}
    env.update(
        YIWANG_PROFILE="production",
        YIWANG_DATABASE_URL="postgres://nobody:nothing@127.0.0.1:9/no_such_database",
        YIWANG_SECRET_KEY="offline-verification-only",
        YIWANG_DATA_DIR=str(tmp_path / "offline-data"),
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def _yiwang(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    code = "import sys; from yiwang.cli import main; main(sys.argv[1:])"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_the_offline_commands_need_no_database(tmp_path, exported, base):
    archive, keys = exported
    env = _offline_env(tmp_path)
    control = _yiwang(env, "witness", "verify")  # the database check really has no database here
    assert control.returncode != 0
    assert "no_such_database" in control.stderr or "connect" in control.stderr.lower()

    done = _yiwang(env, "witness", "verify", "--archive", str(archive), "--keys", str(keys))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OK: {base.witness + 12} entries")
    proof = tmp_path / "p.json"
    done = _yiwang(
        env, "witness", "prove", "--archive", str(archive), "--seq", "3", "--out", str(proof), "--keys", str(keys)
    )
    assert done.returncode == 0, done.stderr
    done = _yiwang(env, "witness", "verify-proof", str(proof), "--keys", str(keys))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "inclusion proof OK; entry signature OK"
    broken = write(tmp_path / "b.jsonl", _edit(lines_of(archive), 2, actor_label="别人"))
    done = _yiwang(env, "witness", "verify", "--archive", str(broken), "--keys", str(keys))
    assert done.returncode != 0
    assert "at entry 2 (line 3): hash_mismatch" in done.stderr

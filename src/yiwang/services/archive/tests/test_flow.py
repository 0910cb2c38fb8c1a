"""A project with stored documents and witnessed actions → archive → verify offline; re-export; tampering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from yiwang.kernel.errors import YiwangError
from yiwang.platform.keys.document import KeyRing
from yiwang.platform.testing import log_state
from yiwang.services.archive import actions, exports
from yiwang.services.archive.collectors import ArchiveItem, collectors_replaced, registered_collectors
from yiwang.services.archive.models import ArchiveVersion
from yiwang.services.archive.package.format import (
    ENTRIES_PATH,
    HEAD_PATH,
    KEYS_PATH,
    MANIFEST_PATH,
    SIGNATURE_PATH,
    Manifest,
    loads,
)
from yiwang.services.archive.package.verify import verify_package
from yiwang.services.archive.tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(project, staff, tmp_path):
    version = actions.do_create_archive(actor=staff, project_ref=project.ref, reason="项目结束归档", category="gp")
    return version, support.package_of(version, tmp_path / "archive.zip")


@pytest.fixture
def ring(tmp_path) -> KeyRing:
    return KeyRing.from_text(support.published_keys(tmp_path / "keys.json").read_bytes())


def _rewritten(tmp_path: Path, files: dict[str, bytes], name: str = "tampered.zip") -> Path:
    return support.rewrite(tmp_path / "unused", tmp_path / name, files)


def test_an_archived_project_verifies_offline_with_the_published_keys(archived, ring):
    version, package = archived
    report = verify_package(package, keys=ring)
    assert report.ok, report.describe()
    manifest = report.manifest
    assert manifest.project_ref == "tender.project:12"
    assert manifest.category == "gp"
    # two documents, one of them in two versions: three items, each with a witnessed digest
    assert len(manifest.items) == 3
    assert report.items_witnessed == 3
    assert report.items_unwitnessed == 0
    assert {i.kind for i in manifest.items} == {"document"}
    # the three steps on the project, two stores and one new version: six entries, each proved
    assert report.entries_checked == version.entry_count == 6
    assert report.keys_source == "given"
    assert not report.warnings
    names = set(support.members(package))
    assert {MANIFEST_PATH, SIGNATURE_PATH, KEYS_PATH, HEAD_PATH, ENTRIES_PATH} <= names
    assert sum(n.startswith("witness/proofs/") for n in names) == 6
    # the documents' bytes are in the package as they were stored
    files = support.members(package)
    texts = [files[i.path] for i in manifest.items if i.path.endswith(".txt")]
    assert sorted(texts) == sorted(["评标办法：综合评估法\n".encode(), "评标办法：综合评估法（修订）\n".encode()])


def test_without_keys_the_embedded_ones_are_used_with_a_clear_warning(archived):
    report = verify_package(archived[1])
    assert report.ok
    assert report.keys_source == "embedded"
    assert any("forger could embed keys" in w for w in report.warnings)
    assert "warning:" in report.describe()


def test_the_record_matches_the_package(archived):
    version, package = archived
    data = package.read_bytes()
    import hashlib

    assert version.package_sha256 == hashlib.sha256(data).hexdigest()
    assert version.package_size == len(data)
    assert support.members(package)[MANIFEST_PATH].decode() == version.manifest_text
    assert version.archive.document_id is not None
    assert version.document_version == 1


def test_a_re_export_of_the_same_inputs_is_byte_identical(archived, tmp_path):
    version, package = archived
    again = exports.reproduce_version(
        actor=support.SYSTEM, project_ref=version.archive.project_ref, number=1, out=tmp_path / "again.zip"
    )
    assert again.identical
    assert (tmp_path / "again.zip").read_bytes() == package.read_bytes()
    # an export at the same instant, by the same author, reuses the recorded signature: the same bytes again
    staff = support.staff()
    first = exports.export_package(
        actor=staff, project_ref=version.archive.project_ref, out=tmp_path / "a.zip", category="gp"
    )
    assert first.sha256 == version.package_sha256
    second = exports.export_package(
        actor=staff, project_ref=version.archive.project_ref, out=tmp_path / "b.zip", category="gp"
    )
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes() == package.read_bytes()
    assert second.sha256 == first.sha256


def test_a_re_export_after_a_change_differs_and_a_new_version_keeps_the_old(archived, staff, clock, tmp_path, ring):
    version, package = archived
    clock.advance(__import__("datetime").timedelta(days=3))
    support.store(staff, "中标通知书", support.PDF + b"% award\n", "中标通知书.pdf")
    second = actions.do_create_archive(actor=staff, project_ref=version.archive.project_ref, reason="补充归档")
    assert second.number == 2
    assert second.item_count == 4
    assert second.document_version == 2
    assert second.package_sha256 != version.package_sha256
    assert ArchiveVersion.objects.filter(archive=version.archive).count() == 2
    assert support.package_of(version, tmp_path / "old.zip").read_bytes() == package.read_bytes()
    assert verify_package(support.package_of(second, tmp_path / "new.zip"), keys=ring).ok
    again = exports.reproduce_version(
        actor=support.SYSTEM, project_ref=version.archive.project_ref, number=1, out=tmp_path / "r.zip"
    )
    assert again.identical  # version 1's items and entries, as of its tree head, are unchanged
    assert (tmp_path / "r.zip").read_bytes() == package.read_bytes()


# -- tampering ------------------------------------------------------------------------------------------------------


def _item_path(package: Path, suffix: str) -> str:
    manifest = Manifest.from_bytes(support.members(package)[MANIFEST_PATH])
    return next(i.path for i in manifest.items if i.path.endswith(suffix))


def test_a_modified_file_fails(archived, ring, tmp_path):
    files = support.members(archived[1])
    path = _item_path(archived[1], ".pdf")
    files[path] = files[path].replace(b"notice", b"NOTICE")
    report = verify_package(_rewritten(tmp_path, files), keys=ring)
    assert report.reason == "archive.file_modified"
    assert report.problems[0].path == path


def test_a_removed_file_fails(archived, ring, tmp_path):
    files = support.members(archived[1])
    path = _item_path(archived[1], ".pdf")
    del files[path]
    report = verify_package(_rewritten(tmp_path, files), keys=ring)
    assert report.reason == "archive.file_missing"
    assert report.problems[0].path == path


def test_an_added_file_fails(archived, ring, tmp_path):
    files = support.members(archived[1])
    files["items/extra/补充说明.txt"] = "后来加入的文件".encode()
    report = verify_package(_rewritten(tmp_path, files), keys=ring)
    assert report.codes == ["archive.extra_file"]


def test_an_edited_manifest_fails_its_signature(archived, ring, tmp_path):
    files = support.members(archived[1])
    files[MANIFEST_PATH] = files[MANIFEST_PATH].replace(b'"years": 15', b'"years": 1')
    report = verify_package(_rewritten(tmp_path, files), keys=ring)
    assert report.codes == ["archive.manifest_signature_invalid"]
    assert verify_package(_rewritten(tmp_path, files, "b.zip")).reason == "archive.manifest_signature_invalid"


def test_a_manifest_re_signed_with_another_key_fails_against_the_published_keys(archived, ring, tmp_path):
    files = support.members(archived[1])
    files[MANIFEST_PATH] = files[MANIFEST_PATH].replace(b'"years": 15', b'"years": 1')
    forged = support.resign(files, support.forger())
    tampered = _rewritten(tmp_path, forged)
    against_published = verify_package(tampered, keys=ring)
    assert against_published.reason == "archive.manifest_signature_invalid"
    assert "not among the given keys" in against_published.problems[0].detail
    assert any("embedded keys differ" in w for w in against_published.warnings)
    # with only the embedded keys, the forger's key is not part of the platform's endorsed rotation chain
    embedded_only = verify_package(tampered)
    assert embedded_only.reason == "archive.keys_unendorsed"
    assert "archive.manifest_signature_invalid" not in embedded_only.codes


def test_a_modified_witness_entry_fails_its_proof(archived, ring, tmp_path):
    files = support.members(archived[1])
    lines = files[ENTRIES_PATH].decode().splitlines()
    entry = json.loads(lines[0])
    proof_name = f"witness/proofs/{entry['seq']:012d}.json"
    proof = loads(files[proof_name])
    proof["entry"]["actor_label"] = "别人"
    entry["actor_label"] = "别人"
    lines[0] = json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    files[ENTRIES_PATH] = ("\n".join(lines) + "\n").encode()
    files[proof_name] = json.dumps(proof, ensure_ascii=False).encode()
    report = verify_package(_rewritten(tmp_path, files), keys=ring)
    assert "archive.file_modified" in report.codes
    proof_problem = next(p for p in report.problems if p.code == "archive.proof_invalid")
    assert proof_problem.path == proof_name
    assert proof_problem.detail.startswith("hash_mismatch")
    # even re-listed and re-signed by a forger, the entry's proof still fails
    forged = verify_package(_rewritten(tmp_path, support.resign(files, support.forger()), "f.zip"), keys=ring)
    assert "archive.proof_invalid" in forged.codes


def test_a_broken_audit_path_fails(archived, ring, tmp_path):
    files = support.members(archived[1])
    name = next(n for n in files if n.startswith("witness/proofs/") and loads(files[n])["audit_path"])
    proof = loads(files[name])
    proof["audit_path"][0] = "0" * 64
    files[name] = json.dumps(proof).encode()
    report = verify_package(_rewritten(tmp_path, files), keys=ring)
    assert {"archive.file_modified", "archive.proof_invalid"} <= set(report.codes)
    assert next(p for p in report.problems if p.code == "archive.proof_invalid").detail.startswith("inclusion_failed")


def test_a_forged_tree_head_fails_its_signature(archived, ring, tmp_path):
    files = support.members(archived[1])
    head = loads(files[HEAD_PATH])
    head["timestamp"] = "2030-01-01T00:00:00.000000Z"
    files[HEAD_PATH] = json.dumps(head).encode()
    report = verify_package(_rewritten(tmp_path, files), keys=ring)
    assert "archive.head_signature_invalid" in report.codes


def test_a_swapped_document_is_caught_even_when_the_manifest_is_re_signed(archived, ring, tmp_path):
    files = support.members(archived[1])
    path = _item_path(archived[1], ".pdf")
    files[path] = support.PDF + b"% a different notice altogether\n"
    forged = support.resign(files, support.forger())
    for keys in (ring, None):  # against the published keys, and trusting the forger's embedded ones
        report = verify_package(_rewritten(tmp_path, forged, f"s{keys is None}.zip"), keys=keys)
        problem = next(p for p in report.problems if p.code == "archive.digest_not_witnessed")
        assert problem.path == path
        assert "does not record" in problem.detail


def test_a_claim_dropped_from_the_manifest_is_reported_in_strict_mode(archived, ring, tmp_path):
    files = support.members(archived[1])
    raw = loads(files[MANIFEST_PATH])
    raw["items"][0]["witnessed_by"] = None
    files[MANIFEST_PATH] = json.dumps(raw, ensure_ascii=False).encode()
    report = verify_package(_rewritten(tmp_path, support.resign(files, support.forger())), require_witnessed=True)
    assert "archive.digest_not_witnessed" in report.codes


def test_garbage_and_unsafe_names_are_refused_without_raising(tmp_path, ring):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip at all")
    assert verify_package(junk, keys=ring).reason == "archive.malformed"
    evil = support.rewrite(tmp_path / "x", tmp_path / "evil.zip", {"../etc/passwd": b"x"})
    assert verify_package(evil, keys=ring).reason == "archive.unsafe_path"
    empty = support.rewrite(tmp_path / "x", tmp_path / "empty.zip", {"readme.txt": b"x"})
    assert verify_package(empty, keys=ring).reason == "archive.manifest_missing"
    bad = support.rewrite(
        tmp_path / "x",
        tmp_path / "bad.zip",
        {MANIFEST_PATH: b'{"type": "yiwang.archive.package", "format_version": 9}'},
    )
    assert verify_package(bad, keys=ring).reason == "archive.unsupported_version"


# -- collectors -----------------------------------------------------------------------------------------------------


def test_other_contexts_plug_in_through_the_collector_port(project, staff, ring, tmp_path):
    def records(project_ref: str):
        assert project_ref == "tender.project:12"
        yield ArchiveItem.of_json(
            key="opening:1",
            kind="opening_record",
            title="开标记录",
            value={"bidders": 3, "opened_at": "2026-03-02T01:00:00Z"},
            witness_refs=[("tender.project", "12")],
        )

    with collectors_replaced({**dict(registered_collectors()), "bidbox.opening": records}):
        version = actions.do_create_archive(actor=staff, project_ref=project.ref, reason="归档")
    report = verify_package(support.package_of(version, tmp_path / "p.zip"), keys=ring)
    assert report.ok, report.describe()
    item = next(i for i in report.manifest.items if i.collector == "bidbox.opening")
    assert item.kind == "opening_record"
    assert item.witnessed_by is None
    assert item.file.media_type == "application/json"
    assert report.items_unwitnessed == 1


def test_a_false_witness_claim_or_a_failing_collector_refuses_the_archive(project, staff):
    def liar(project_ref: str):
        yield ArchiveItem(
            key="x",
            kind="document",
            title="伪造",
            filename="x.txt",
            media_type="text/plain",
            data=b"never witnessed",
            witness_refs=(("tender.project", "12"),),
            witnessed_digest=True,
        )

    def broken(project_ref: str):
        raise RuntimeError("database of the notices is down")

    before = log_state()
    for collector, code in ((liar, "archive.digest_not_witnessed"), (broken, "archive.collector_failed")):
        with collectors_replaced({"test": collector}), pytest.raises(YiwangError) as caught:
            actions.do_create_archive(actor=staff, project_ref=project.ref, reason="归档")
        assert caught.value.code == code
    assert log_state() == before
    assert not ArchiveVersion.objects.exists()


def test_a_damaged_blob_stops_the_archive(project, staff, blob_root):
    version = project.documents[0].versions.get(number=1)
    blob = next(p for p in blob_root.rglob("*") if p.is_file() and version.sha256 in p.name)
    blob.write_bytes(blob.read_bytes()[:-1] + b"!")  # same size, different bytes (bit rot)
    before = log_state()
    with pytest.raises(YiwangError) as caught:
        actions.do_create_archive(actor=staff, project_ref=project.ref, reason="归档")
    assert caught.value.code == "archive.item_corrupted"
    assert log_state() == before


def test_nothing_known_about_a_project_is_refused(db, clock, staff):
    before = log_state()
    with pytest.raises(YiwangError) as caught:
        actions.do_create_archive(actor=staff, project_ref="tender.project:999", reason="归档")
    assert caught.value.code == "archive.nothing_to_archive"
    assert log_state() == before


def test_documents_of_other_owners_and_archive_packages_are_not_collected(project, staff, tmp_path):
    support.store(staff, "别的项目", b"other project\n", "other.txt", owner=support.Owner("tender.project", "13"))
    first = actions.do_create_archive(actor=staff, project_ref=project.ref, reason="归档")
    second = actions.do_create_archive(actor=staff, project_ref=project.ref, reason="再次归档")
    assert first.item_count == second.item_count == 3
    manifest = Manifest.from_bytes(second.manifest_text.encode())
    assert all(i.metadata["owner"] == "tender.project/12" for i in manifest.items)  # never the packages

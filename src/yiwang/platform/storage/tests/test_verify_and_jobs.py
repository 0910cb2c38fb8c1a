"""``yiwang storage verify``, ``yiwang storage sweep``, the clock job, the upload bound and the settings check."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yiwang.platform.clock import due_jobs
from yiwang.platform.storage import queries
from yiwang.platform.storage.actions import Owner, do_store_document
from yiwang.platform.storage.blobs import get_blob_store
from yiwang.platform.storage.checks import check_storage_settings
from yiwang.platform.storage.uploads import BoundedUploadHandler

from .conftest import MiB, pdf_bytes

pytestmark = pytest.mark.django_db

OWNER = Owner("services.archive", "archive:2026-001")


def store(actor, text: str):
    return do_store_document(
        actor=actor, owner=OWNER, title="归档", kind="archive", stream=io.BytesIO(pdf_bytes(text)), filename="a.pdf"
    )


def test_verify_passes_on_a_healthy_store(blob_root, uploader, capsys):
    store(uploader, "one")
    store(uploader, "two")
    call_command("storage", "verify")
    assert "OK: checked 2 blob(s)" in capsys.readouterr().out


def test_verify_detects_a_corrupted_and_a_missing_blob(blob_root, uploader, capsys):
    good = store(uploader, "good")
    bad = store(uploader, "bad")
    gone = store(uploader, "gone")
    blobs = get_blob_store()
    path = blobs.path(bad.sha256)
    path.chmod(0o640)
    path.write_bytes(path.read_bytes().replace(b"bad", b"BAD"))
    blobs.path(gone.sha256).unlink()
    assert queries.verify_version(good).ok
    assert queries.verify_version(bad).status == "corrupted"
    assert queries.verify_version(gone).status == "missing"
    with pytest.raises(CommandError, match="2 version"):
        call_command("storage", "verify")
    out = capsys.readouterr().out
    assert f"CORRUPTED: document {bad.document_id} version 1" in out
    assert f"MISSING: document {gone.document_id} version 1" in out
    assert good.sha256 not in out


def test_the_sweep_command_and_the_clock_job(blob_root, uploader, clock, capsys):
    orphan = get_blob_store().put(io.BytesIO(b"nobody refers to me"))
    clock.advance(timedelta(days=2))
    assert "storage.sweep_orphans" in {job.name for job in due_jobs()}
    call_command("storage", "sweep")
    assert "swept 1" in capsys.readouterr().out
    assert not get_blob_store().exists(orphan.sha256)


def test_the_upload_handler_keeps_at_most_the_largest_limit_plus_one(blob_root, settings):
    settings.YIWANG_STORAGE = {
        **settings.YIWANG_STORAGE,
        "KINDS": {name: {"max_bytes": MiB, "types": ["application/pdf"]} for name in ("archive", "sealed_bid")},
    }
    handler = BoundedUploadHandler()
    assert handler.keep == 200 * MiB + 1  # the default tender_document kind is now the largest
    handler.keep = MiB + 1
    handler.new_file("file", "a.pdf", "application/pdf", None)
    for _ in range(3):
        handler.receive_data_chunk(b"x" * MiB, 0)
    uploaded = handler.file_complete(0)
    try:
        assert uploaded.size == MiB + 1
    finally:
        uploaded.close()


def test_the_system_check(blob_root, settings):
    assert check_storage_settings() == []
    settings.YIWANG_STORAGE = {**settings.YIWANG_STORAGE, "BACKEND": "yiwang.platform.storage.blobs.S3BlobStore"}
    [problem] = check_storage_settings()
    assert problem.id == "storage.E001"
    settings.YIWANG_STORAGE = {"KINDS": {"broken": {"max_bytes": 0, "types": []}}}
    assert [p.id for p in check_storage_settings()] == ["storage.E001"]

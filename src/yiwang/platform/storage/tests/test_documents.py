"""Documents and versions through the actions: stored, witnessed, announced; every refusal leaves nothing."""

from __future__ import annotations

import io
import json
import os
from datetime import timedelta

import pytest

from yiwang.kernel.errors import PreconditionFailed, YiwangError
from yiwang.platform.audit import chain
from yiwang.platform.outbox import feed
from yiwang.platform.storage import queries
from yiwang.platform.storage.actions import (
    UPLOADS,
    Owner,
    do_add_version,
    do_attach_document,
    do_store_document,
)
from yiwang.platform.storage.blobs import get_blob_store
from yiwang.platform.storage.domain.sniff import SEALED_ENVELOPE_MAGIC
from yiwang.platform.storage.models import Document, DocumentVersion
from yiwang.platform.storage.scanning import (
    EicarTestScanner,
    UnavailableScanner,
    eicar_test_bytes,
    use_virus_scanner,
)
from yiwang.platform.storage.sweep import sweep_everything

from .conftest import CountingStream, FailingStream, MiB, pdf_bytes, png_bytes, snapshot

pytestmark = pytest.mark.django_db

BID = Owner("trading.tender", "bid:42")


def store_pdf(actor, *, title="招标文件", content=None, filename="招标文件.pdf", **kwargs):
    return do_store_document(
        actor=actor,
        owner=kwargs.pop("owner", BID),
        title=title,
        kind=kwargs.pop("kind", "tender_document"),
        stream=io.BytesIO(content if content is not None else pdf_bytes()),
        filename=filename,
        **kwargs,
    )


def test_storing_a_document_records_its_first_version(blob_root, uploader, clock):
    witness_before, feed_before = chain.head()[0], feed.last_seq()
    content = pdf_bytes("第一版")
    version = store_pdf(uploader, content=content, note="初稿")
    document = version.document
    assert (document.owner_context, document.owner_ref) == ("trading.tender", "bid:42")
    assert (document.title, document.kind, document.current_version, document.public) == (
        "招标文件",
        "tender_document",
        1,
        False,
    )
    assert document.created_by == "account:7"
    assert document.created_at == clock.now()
    assert (version.number, version.size, version.mime_type, version.filename, version.note) == (
        1,
        len(content),
        "application/pdf",
        "招标文件.pdf",
        "初稿",
    )
    assert get_blob_store().exists(version.sha256)
    with queries.open_version(version) as stream:
        assert stream.read() == content

    [entry] = chain.entries(after=witness_before)
    assert entry.fields.action == "storage.store_document"
    assert (entry.fields.object_type, entry.fields.object_id) == ("storage.document", str(document.pk))
    payload = json.loads(entry.payload_text)
    assert payload["sha256"] == version.sha256
    assert payload["sm3"] == version.sm3
    assert payload["size"] == len(content)
    assert payload["mime_type"] == "application/pdf"
    assert payload["filename"] == "招标文件.pdf"
    assert payload["owner"] == "trading.tender/bid:42"
    assert "第一版" not in entry.payload_text  # never the content

    [event] = feed.read(feed_before, 10).events
    assert event.event_type == "storage.document_stored.v1"
    assert event.visibility == "restricted"
    assert event.data["sha256"] == version.sha256
    assert event.witness_seq == entry.fields.seq


def test_public_documents_are_announced_publicly(blob_root, uploader):
    before = feed.last_seq()
    store_pdf(uploader, kind="notice", public=True)
    [event] = feed.read(before, 10).events
    assert event.visibility == "public"


def test_a_new_upload_becomes_version_two_and_version_one_stays_readable(blob_root, uploader, clock):
    first = store_pdf(uploader, content=pdf_bytes("v1"))
    clock.advance(timedelta(days=1))
    second = do_add_version(
        actor=uploader, document=first.document, stream=io.BytesIO(pdf_bytes("v2")), filename="修订.pdf", note="澄清"
    )
    document = Document.objects.get()
    assert (second.number, document.current_version, document.updated_at) == (2, 2, clock.now())
    assert [v.number for v in queries.versions_of(document)] == [1, 2]
    assert queries.get_version(document).pk == second.pk
    with queries.open_version(queries.get_version(document, 1)) as stream:
        assert stream.read() == pdf_bytes("v1")
    assert [e.fields.action for e in chain.entries(after=0)][-1] == "storage.add_version"
    assert feed.read(0, 100).events[-1].event_type == "storage.version_added.v1"


def test_adding_a_version_with_a_stale_expected_version_is_refused(blob_root, uploader):
    document = store_pdf(uploader).document
    do_add_version(actor=uploader, document=document.pk, stream=io.BytesIO(pdf_bytes("2")), filename="b.pdf")
    before = snapshot(blob_root)
    with pytest.raises(PreconditionFailed):
        do_add_version(
            actor=uploader,
            document=document.pk,
            stream=io.BytesIO(pdf_bytes("3")),
            filename="c.pdf",
            expected_version=1,
        )
    assert snapshot(blob_root) == before


def test_identical_uploads_share_one_blob(blob_root, uploader, stranger):
    a = store_pdf(uploader)
    b = store_pdf(stranger, owner=Owner("trading.tender", "bid:43"))
    assert a.sha256 == b.sha256
    assert a.document_id != b.document_id
    assert list(get_blob_store().iter_digests()) == [a.sha256]


# -- refusals: a specific code each, and nothing stored ------------------------------------------------------------
def refused(blob_root, code: str, call) -> YiwangError:
    before = snapshot(blob_root)
    with pytest.raises(YiwangError) as caught:
        call()
    assert caught.value.code == code, caught.value
    assert snapshot(blob_root) == before, "a refused upload left something behind"
    return caught.value


def test_an_empty_file_is_refused(blob_root, uploader):
    refused(blob_root, "storage.empty_file", lambda: store_pdf(uploader, content=b""))


def test_an_oversized_file_is_refused_while_streaming(blob_root, uploader, settings):
    settings.YIWANG_STORAGE = {
        **settings.YIWANG_STORAGE,
        "KINDS": {"qualification_scan": {"max_bytes": 2 * MiB, "types": ["application/octet-stream"]}},
    }
    source = CountingStream(b"\x00")
    error = refused(
        blob_root,
        "storage.too_large",
        lambda: do_store_document(
            actor=uploader, owner=BID, title="资质", kind="qualification_scan", stream=source, filename="a.bin"
        ),
    )
    assert error.status == 413
    assert error.details == {"limit_bytes": 2 * MiB, "kind": "qualification_scan"}
    assert source.read_bytes == 2 * MiB + 1  # stopped at the limit + 1 byte


def test_a_type_the_kind_does_not_accept_is_refused(blob_root, uploader):
    error = refused(
        blob_root,
        "storage.type_not_allowed",
        lambda: store_pdf(uploader, kind="notice", content=png_bytes(), filename="公告.png"),
    )
    assert error.status == 415
    assert error.details["detected"] == "image/png"


def test_an_extension_contradicting_the_content_is_refused(blob_root, uploader):
    error = refused(
        blob_root,
        "storage.type_mismatch",
        lambda: store_pdf(uploader, kind="qualification_scan", content=png_bytes(), filename="营业执照.pdf"),
    )
    assert error.details == {"filename": "营业执照.pdf", "detected": "image/png"}


def test_opaque_blobs_go_only_where_the_kind_allows_them(blob_root, uploader):
    blob = os.urandom(4096)
    version = do_store_document(
        actor=uploader, owner=BID, title="投标文件", kind="sealed_bid", stream=io.BytesIO(blob), filename="bid.dat"
    )
    assert version.mime_type == "application/octet-stream"
    envelope = do_store_document(
        actor=uploader,
        owner=BID,
        title="投标文件",
        kind="sealed_bid",
        stream=io.BytesIO(SEALED_ENVELOPE_MAGIC + blob),
        filename="投标文件.ywenv",
    )
    assert envelope.mime_type == "application/vnd.yiwang.sealed-envelope"
    refused(
        blob_root,
        "storage.type_not_allowed",
        lambda: store_pdf(uploader, kind="tender_document", content=blob, filename="bid.dat"),
    )
    # and an unencrypted PDF is not a sealed bid
    refused(blob_root, "storage.type_not_allowed", lambda: store_pdf(uploader, kind="sealed_bid"))


def test_an_infected_file_is_refused(blob_root, uploader):
    content = b"some text before\n" + eicar_test_bytes() + b"\n"
    with use_virus_scanner(EicarTestScanner()):
        error = refused(
            blob_root,
            "storage.infected",
            lambda: store_pdf(uploader, kind="attachment", content=content, filename="readme.txt"),
        )
        assert error.details["signature"] == "EICAR-Test-File"
        # the same scanner lets clean files through
        assert store_pdf(uploader, kind="attachment", content=b"clean text\n", filename="ok.txt").number == 1


def test_an_unavailable_scanner_refuses_rather_than_storing_unscanned(blob_root, uploader):
    with use_virus_scanner(UnavailableScanner()):
        error = refused(blob_root, "storage.scan_unavailable", lambda: store_pdf(uploader))
    assert error.status == 503


def test_the_scanner_is_chosen_by_settings(blob_root, uploader, settings):
    settings.YIWANG_STORAGE = {
        **settings.YIWANG_STORAGE,
        "VIRUS_SCANNER": "yiwang.platform.storage.scanning.EicarTestScanner",
    }
    refused(
        blob_root,
        "storage.infected",
        lambda: store_pdf(uploader, kind="attachment", content=eicar_test_bytes(), filename="eicar.txt"),
    )


def test_a_name_with_nothing_left_after_cleaning_is_refused(blob_root, uploader):
    refused(blob_root, "storage.filename_invalid", lambda: store_pdf(uploader, filename="../.."))


def test_a_path_in_the_declared_name_is_dropped(blob_root, uploader):
    assert store_pdf(uploader, filename="../../etc/招标文件.pdf").filename == "招标文件.pdf"


def test_unknown_kind_and_bad_title_are_refused_before_reading(blob_root, uploader):
    source = CountingStream()
    refused(
        blob_root,
        "storage.unknown_kind",
        lambda: do_store_document(actor=uploader, owner=BID, title="x", kind="nonsense", stream=source, filename="x"),
    )
    refused(
        blob_root,
        "storage.title_invalid",
        lambda: do_store_document(
            actor=uploader, owner=BID, title="  ", kind="attachment", stream=source, filename="x"
        ),
    )
    refused(blob_root, "storage.note_invalid", lambda: store_pdf(uploader, note="长" * 501))
    assert source.read_bytes == 0


def test_a_client_disconnecting_mid_upload_leaves_nothing(blob_root, uploader):
    before = snapshot(blob_root)
    with pytest.raises(ConnectionResetError):
        do_store_document(
            actor=uploader,
            owner=BID,
            title="投标文件",
            kind="sealed_bid",
            stream=FailingStream(good=3 * MiB),
            filename="bid.bin",
        )
    assert snapshot(blob_root) == before


def test_versions_of_an_unknown_document_are_refused(blob_root, uploader):
    refused(
        blob_root,
        "storage.document_not_found",
        lambda: do_add_version(
            actor=uploader,
            document="00000000-0000-0000-0000-000000000000",
            stream=io.BytesIO(pdf_bytes()),
            filename="a.pdf",
        ),
    )


# -- orphans ----------------------------------------------------------------------------------------------------
def test_a_failed_action_leaves_an_orphan_blob_that_the_sweep_removes_after_the_grace_period(
    blob_root, uploader, clock, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away after the blob was committed")

    monkeypatch.setattr(DocumentVersion.objects, "create", broken)
    with pytest.raises(RuntimeError):
        store_pdf(uploader, content=pdf_bytes("orphan"))
    monkeypatch.undo()
    assert Document.objects.count() == 0
    [_orphan] = get_blob_store().iter_digests()
    kept = store_pdf(uploader, content=pdf_bytes("kept")).sha256

    assert sweep_everything(clock.now()) == 0  # within the grace period: untouched
    clock.advance(timedelta(days=1, seconds=1))
    assert sweep_everything(clock.now()) == 1
    assert list(get_blob_store().iter_digests()) == [kept]  # referenced blobs are never swept


def test_a_deduplicated_write_protects_an_old_orphan_from_the_sweep(blob_root, uploader, clock, monkeypatch):
    """An orphan from long ago that a new upload deduplicates onto must survive until that upload commits."""
    store = get_blob_store()
    ref = store.put(io.BytesIO(pdf_bytes("old orphan")))
    clock.advance(timedelta(days=3))
    staged = store.stage(io.BytesIO(pdf_bytes("old orphan")))
    staged.commit()  # the upload's blob is committed; its action has not committed yet
    assert sweep_everything(clock.now()) == 0
    assert store.exists(ref.sha256)


def test_the_sweep_removes_stale_temporary_files(blob_root, uploader, clock):
    store = get_blob_store()
    leftover = blob_root / "tmp" / "put-crashed.part"
    leftover.write_bytes(b"half an upload")
    old = (clock.now() - timedelta(days=2)).timestamp()
    os.utime(leftover, (old, old))
    assert sweep_everything(clock.now(), store=store) == 1
    assert not leftover.exists()


# -- attaching uploads ----------------------------------------------------------------------------------------
def test_an_upload_is_attached_to_an_owner_once(blob_root, uploader, stranger):
    upload = store_pdf(uploader, owner=Owner.upload_of(uploader.ref)).document
    assert upload.owner_context == UPLOADS
    refused(blob_root, "storage.not_attachable", lambda: do_attach_document(actor=stranger, document=upload, owner=BID))
    attached = do_attach_document(actor=uploader, document=upload.pk, owner=BID)
    assert (attached.owner_context, attached.owner_ref) == ("trading.tender", "bid:42")
    assert queries.get_owned_document(BID, upload.pk).pk == upload.pk
    assert [d.pk for d in queries.list_documents_of(BID)] == [upload.pk]
    refused(blob_root, "storage.not_attachable", lambda: do_attach_document(actor=uploader, document=upload, owner=BID))
    with pytest.raises(YiwangError) as caught:
        queries.get_owned_document(Owner("trading.tender", "bid:43"), upload.pk)
    assert caught.value.code == "storage.document_not_found"


# -- who may read metadata -------------------------------------------------------------------------------------
def test_metadata_is_visible_to_the_uploader_staff_and_auditors_only(blob_root, uploader, stranger, staff, auditor):
    document = store_pdf(uploader, owner=Owner(UPLOADS, uploader.ref)).document
    for reader in (uploader, staff, auditor):
        assert queries.get_document_for(reader, document.pk).pk == document.pk
    with pytest.raises(YiwangError) as caught:
        queries.get_document_for(stranger, document.pk)
    assert (caught.value.code, caught.value.status) == ("storage.document_not_found", 404)
    assert queries.can_add_version(uploader, document)
    assert not queries.can_add_version(staff, document)
    with pytest.raises(YiwangError):
        queries.get_document_for(uploader, "not-a-uuid")


def test_documents_owned_by_a_context_are_not_served_by_the_generic_api(blob_root, uploader, staff, auditor):
    """A sealed bid in its box, an archive of a project: only the owning context decides who sees them (the
    generic door would otherwise tell staff which bidders submitted before the opening)."""
    document = store_pdf(uploader).document  # owned by the tender context (BID)
    for reader in (uploader, staff, auditor):
        with pytest.raises(YiwangError) as caught:
            queries.get_document_for(reader, document.pk)
        assert caught.value.code == "storage.document_not_found"


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_to_one_document_get_consecutive_numbers(blob_root, uploader):
    import threading

    from django.db import connection

    document = store_pdf(uploader, content=pdf_bytes("v1")).document
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def add(i: int) -> None:
        try:
            start.wait(timeout=10)
            do_add_version(
                actor=uploader, document=document.pk, stream=io.BytesIO(pdf_bytes(f"t{i}")), filename=f"{i}.pdf"
            )
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert [v.number for v in queries.versions_of(Document.objects.get())] == [1, 2, 3, 4, 5]
    assert Document.objects.get().current_version == 5
    assert chain.verify().ok

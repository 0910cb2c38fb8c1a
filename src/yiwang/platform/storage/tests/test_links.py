"""Signed, time-limited download links and the download view."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
from datetime import timedelta
from urllib.parse import unquote

import pytest

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError
from yiwang.platform.audit import chain
from yiwang.platform.storage.actions import Owner, do_store_document
from yiwang.platform.storage.blobs import get_blob_store
from yiwang.platform.storage.links import download_url, make_link, read_link

from .conftest import MiB, pdf_bytes

pytestmark = pytest.mark.django_db

BID = Owner("trading.tender", "bid:42")


@pytest.fixture
def version(blob_root, uploader, clock):
    return do_store_document(
        actor=uploader,
        owner=BID,
        title="招标文件",
        kind="tender_document",
        stream=io.BytesIO(pdf_bytes("正文")),
        filename="招标文件（第2版）.pdf",
    )


def body(response) -> bytes:
    """The streamed body (consuming it lets the test client close the file, as a server would)."""
    return b"".join(response.streaming_content)


def status(response) -> int:
    body(response)
    return response.status_code


def test_a_link_downloads_the_version_with_safe_headers(client, version, uploader):
    url = download_url(uploader, version, 300)
    assert url.startswith("/files/")
    response = client.get(url)
    assert response.status_code == 200
    assert body(response) == pdf_bytes("正文")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == str(version.size)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="______2__.pdf"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "招标文件（第2版）.pdf"


def test_a_view_link_is_inline(client, version, uploader):
    response = client.get(download_url(uploader, version, purpose="view"))
    assert response["Content-Disposition"].startswith("inline; ")
    body(response)


def test_downloads_of_restricted_documents_are_witnessed(client, version, uploader):
    before = chain.head()[0]
    body(client.get(download_url(uploader, version)))
    [entry] = chain.entries(after=before)
    assert (entry.fields.action, entry.fields.actor_ref) == ("storage.download", "account:7")
    assert json.loads(entry.payload_text) == {
        "version": 1,
        "sha256": version.sha256,
        "size": version.size,
        "purpose": "download",
        "via": "signed_link",
    }


def test_downloads_of_public_documents_are_not_witnessed(client, blob_root, uploader, clock):
    public = do_store_document(
        actor=uploader,
        owner=Owner("services.notices", "notice:1"),
        title="招标公告",
        kind="notice",
        stream=io.BytesIO(pdf_bytes("公告")),
        filename="公告.pdf",
        public=True,
    )
    before = chain.head()[0]
    assert status(client.get(download_url(Actor.anonymous(), public))) == 200
    assert chain.head()[0] == before


def test_a_link_expires(client, version, uploader, clock):
    link = make_link(uploader, version, 60)
    assert link.expires_at == clock.now() + timedelta(seconds=60)
    clock.advance(timedelta(seconds=59))
    assert status(client.get(link.url)) == 200
    clock.advance(timedelta(seconds=1))
    before = chain.head()[0]
    response = client.get(link.url, headers={"Accept": "application/json"})
    assert response.status_code == 410
    assert response.json()["code"] == "storage.link_expired"
    assert chain.head()[0] == before  # a refused download is not witnessed
    page = client.get(link.url)
    assert page.status_code == 410
    assert "下载链接已过期" in page.content.decode()
    assert page["X-Yiwang-Error"] == "storage.link_expired"


def test_a_tampered_link_is_refused(client, version, uploader):
    token = make_link(uploader, version).token
    payload, signature = token.split(":", 1)
    other_payload = make_link(uploader, version, 900).token.split(":", 1)[0]  # validly signed elsewhere
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]  # the first character, always changed
    for bad in (f"{payload}x:{signature}", f"{payload}:{flipped}", f"{other_payload}:{signature}", "garbage"):
        response = client.get(f"/files/{bad}", headers={"Accept": "application/json"})
        assert response.status_code == 403, bad
        assert response.json()["code"] == "storage.link_invalid"


def test_a_link_signed_with_another_key_is_refused(client, version, uploader, settings):
    settings.SECRET_KEY = "another-key-" * 5
    token = make_link(uploader, version).token
    settings.SECRET_KEY = "the-real-key-" * 5
    with pytest.raises(YiwangError) as caught:
        read_link(token)
    assert caught.value.code == "storage.link_invalid"


def test_link_lifetime_is_bounded(version, uploader):
    for ttl in (0, -5, 86401):
        with pytest.raises(YiwangError) as caught:
            make_link(uploader, version, ttl)
        assert caught.value.code == "storage.link_ttl"
    assert make_link(uploader, version, timedelta(hours=24)).token


def test_a_corrupted_small_blob_is_not_sent(client, version, uploader, caplog):
    path = get_blob_store().path(version.sha256)
    path.chmod(0o640)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01  # same size, different content
    path.write_bytes(bytes(data))
    before = chain.head()[0]
    with caplog.at_level(logging.ERROR, logger="yiwang.storage"):
        response = client.get(download_url(uploader, version), headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json()["code"] == "storage.blob_corrupted"
    assert chain.head()[0] == before
    assert "failed its check" in caplog.text


def test_a_missing_blob_is_reported(client, version, uploader, caplog):
    get_blob_store().path(version.sha256).unlink()
    with caplog.at_level(logging.ERROR, logger="yiwang.storage"):
        response = client.get(download_url(uploader, version), headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.json()["code"] == "storage.blob_missing"


def test_a_large_blob_is_hashed_while_sent(client, blob_root, uploader, clock, settings, caplog):
    settings.YIWANG_STORAGE = {**settings.YIWANG_STORAGE, "VERIFY_ON_READ_MAX_BYTES": 1 * MiB}
    data = os.urandom(3 * MiB)
    big = do_store_document(
        actor=uploader, owner=BID, title="投标文件", kind="sealed_bid", stream=io.BytesIO(data), filename="bid.bin"
    )
    response = client.get(download_url(uploader, big))
    assert hashlib.sha256(body(response)).hexdigest() == big.sha256
    # bit rot after the upload: the bytes still go out (they were on their way), and the mismatch is logged
    path = get_blob_store().path(big.sha256)
    path.chmod(0o640)
    rotten = bytearray(data)
    rotten[MiB] ^= 0xFF
    path.write_bytes(bytes(rotten))
    with caplog.at_level(logging.ERROR, logger="yiwang.storage"):
        assert body(client.get(download_url(uploader, big))) == bytes(rotten)
    assert "failed its SHA-256 check while being sent" in caplog.text


def test_only_get_and_head_are_allowed(client, version, uploader):
    url = download_url(uploader, version)
    assert client.post(url).status_code == 405
    head = client.head(url)
    assert status(head) == 200
    assert head["Content-Length"] == str(version.size)

"""The files API: multipart upload with Idempotency-Key, metadata, versions, signed links, refusals."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import NotAuthenticated
from yiwang.platform.api import auth
from yiwang.platform.storage.models import Document

from .conftest import MiB, pdf_bytes, png_bytes, snapshot

pytestmark = pytest.mark.django_db


class FakeResolver:
    """Bearer tokens named after the actors of these tests (the platform tier cannot use identity's)."""

    def __init__(self, actors: dict[str, Actor]):
        self.actors = actors

    def from_bearer(self, request, token: str) -> Actor:
        if token not in self.actors:
            raise NotAuthenticated("auth.invalid_token", "令牌无效", "invalid token")
        return self.actors[token]

    def from_session(self, request) -> Actor:
        return Actor.anonymous()


@pytest.fixture
def tokens(monkeypatch, uploader, stranger, staff, auditor):
    actors = {"uploader": uploader, "stranger": stranger, "staff": staff, "auditor": auditor}
    resolver = FakeResolver(actors)
    monkeypatch.setattr(auth, "resolver", lambda: resolver)
    return actors


def bearer(name: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {name}", **extra}


def upload(client, who="uploader", *, content=None, name="招标文件.pdf", headers=None, **fields):
    data = {"title": "招标文件", "kind": "tender_document", **fields}
    data["file"] = SimpleUploadedFile(name, pdf_bytes() if content is None else content)
    return client.post("/api/v1/files", data, headers={**bearer(who), **(headers or {})})


def test_upload_read_add_version_and_link(client, blob_root, tokens, clock):
    created = upload(client, note="第一版")
    assert created.status_code == 201, created.content
    doc = created.json()
    assert created["Location"] == f"/api/v1/files/{doc['id']}"
    assert created["ETag"] == '"1"'
    assert (doc["owner_context"], doc["owner_ref"], doc["current_version"]) == ("storage.uploads", "account:7", 1)
    [v1] = doc["versions"]
    assert v1["sha256"] == hashlib.sha256(pdf_bytes()).hexdigest()
    assert v1["mime_type"] == "application/pdf"
    assert v1["filename"] == "招标文件.pdf"
    assert v1["note"] == "第一版"
    assert v1["uploaded_by"] == "account:7"

    read = client.get(f"/api/v1/files/{doc['id']}", headers=bearer("uploader"))
    assert read.status_code == 200
    assert read["ETag"] == '"1"'
    assert read.json()["id"] == doc["id"]

    second = client.post(
        f"/api/v1/files/{doc['id']}/versions",
        {"file": SimpleUploadedFile("修订版.pdf", pdf_bytes("v2")), "note": "澄清修改"},
        headers=bearer("uploader", **{"If-Match": '"1"'}),
    )
    assert second.status_code == 201, second.content
    assert second["ETag"] == '"2"'
    assert [v["number"] for v in second.json()["versions"]] == [1, 2]

    stale = client.post(
        f"/api/v1/files/{doc['id']}/versions",
        {"file": SimpleUploadedFile("再改.pdf", pdf_bytes("v3"))},
        headers=bearer("uploader", **{"If-Match": '"1"'}),
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition.failed"

    version_id = second.json()["versions"][1]["id"]
    link = client.post(
        f"/api/v1/files/versions/{version_id}/link",
        {"ttl_seconds": 120},
        content_type="application/json",
        headers=bearer("uploader"),
    )
    assert link.status_code == 200, link.content
    assert link.json()["url"].startswith("/files/")
    download = client.get(link.json()["url"])
    assert b"".join(download.streaming_content) == pdf_bytes("v2")


def test_replaying_an_upload_with_the_same_idempotency_key_creates_nothing(client, blob_root, tokens):
    key = {"Idempotency-Key": "upload-0001"}
    first = upload(client, headers=key)
    assert first.status_code == 201
    before = snapshot(blob_root)
    again = upload(client, headers=key)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert snapshot(blob_root) == before
    different = upload(client, headers=key, content=pdf_bytes("another file"))
    assert different.status_code == 422
    assert different.json()["code"] == "idempotency.key_reused"


def test_a_multi_megabyte_upload_through_the_api(client, blob_root, tokens):
    content = os.urandom(5 * MiB)
    created = upload(client, content=content, name="投标文件.bin", kind="sealed_bid", title="投标文件")
    assert created.status_code == 201, created.content
    [version] = created.json()["versions"]
    assert version["size"] == 5 * MiB
    assert version["sha256"] == hashlib.sha256(content).hexdigest()
    assert version["mime_type"] == "application/octet-stream"


@pytest.mark.parametrize(
    ("fields", "content", "name", "status", "code"),
    [
        ({}, b"", "空.pdf", 422, "storage.empty_file"),
        ({"kind": "notice"}, png_bytes(), "图.png", 415, "storage.type_not_allowed"),
        ({"kind": "qualification_scan"}, png_bytes(), "执照.pdf", 422, "storage.type_mismatch"),
        ({"kind": "no-such-kind"}, pdf_bytes(), "a.pdf", 422, "storage.unknown_kind"),
        ({"title": ""}, pdf_bytes(), "a.pdf", 422, "storage.title_invalid"),
    ],
)
def test_refused_uploads_answer_with_their_code_and_store_nothing(
    client, blob_root, tokens, fields, content, name, status, code
):
    before = snapshot(blob_root)
    response = upload(client, content=content, name=name, headers={"Idempotency-Key": "k1"}, **fields)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert snapshot(blob_root) == before


def test_an_oversized_upload_is_refused_through_the_api(client, blob_root, tokens, settings):
    settings.YIWANG_STORAGE = {
        **settings.YIWANG_STORAGE,
        "KINDS": {"tender_document": {"max_bytes": 1 * MiB, "types": ["application/pdf"]}},
    }
    before = snapshot(blob_root)
    response = upload(client, content=pdf_bytes() + b"0" * MiB)
    assert response.status_code == 413
    assert response.json()["code"] == "storage.too_large"
    assert snapshot(blob_root) == before


def test_metadata_and_links_are_for_the_uploader_staff_and_auditors(client, blob_root, tokens):
    doc = upload(client).json()
    version_id = doc["versions"][0]["id"]
    for who in ("uploader", "staff", "auditor"):
        assert client.get(f"/api/v1/files/{doc['id']}", headers=bearer(who)).status_code == 200
    hidden = client.get(f"/api/v1/files/{doc['id']}", headers=bearer("stranger"))
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "storage.document_not_found"
    no_link = client.post(
        f"/api/v1/files/versions/{version_id}/link", {}, content_type="application/json", headers=bearer("stranger")
    )
    assert no_link.status_code == 404
    assert no_link.json()["code"] == "storage.version_not_found"
    # staff may read, not add versions through the generic API
    denied = client.post(
        f"/api/v1/files/{doc['id']}/versions",
        {"file": SimpleUploadedFile("x.pdf", pdf_bytes("x"))},
        headers=bearer("staff"),
    )
    assert denied.status_code == 403
    assert denied.json()["code"] == "storage.forbidden"
    assert Document.objects.get().current_version == 1
    anonymous = client.get(f"/api/v1/files/{doc['id']}")
    assert anonymous.status_code == 401


def test_link_lifetime_is_checked_at_the_edge(client, blob_root, tokens):
    version_id = upload(client).json()["versions"][0]["id"]
    too_long = client.post(
        f"/api/v1/files/versions/{version_id}/link",
        {"ttl_seconds": 10**6},
        content_type="application/json",
        headers=bearer("uploader"),
    )
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "storage.link_ttl"

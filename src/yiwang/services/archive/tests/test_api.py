"""The archive API: shapes, codes, permissions, Idempotency-Key, downloads through signed links."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from yiwang.platform.audit import queries as witness
from yiwang.platform.testing import log_state
from yiwang.services.archive.models import Archive, ArchiveVersion
from yiwang.services.archive.tests import support

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yiwang.services.archive.tests.urls")]


@pytest.fixture
def people(test_actors, api):
    test_actors.update(
        staff=support.staff(),
        regulator=support.regulator(),
        auditor=support.auditor(),
        bidder=support.bidder(),
    )
    return {name: api.with_token(name) for name in test_actors}


def _create(client, key: str = "a-1", **body):
    data = {"project_ref": support.PROJECT, "reason": "项目结束归档", "category": "gp", **body}
    return client.post("/archive/archives", data, headers={"Idempotency-Key": key})


def test_public_counts_and_closed_lists(api, people, project):
    r = api.get("/archive/stats")
    assert r.status_code == 200
    assert r.json() == {"archives": 0, "versions": 0, "disposed_versions": 0, "archives_on_hold": 0}
    assert api.get("/archive/archives").status_code == 401
    r = people["bidder"].get("/archive/archives")
    assert r.status_code == 403
    assert r.json()["code"] == "archive.forbidden"


def test_create_read_manifest_and_download(people, project, client):
    staff = people["staff"]
    r = _create(staff)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert r["Location"] == f"/api/v1/archive/archives/{body['id']}"
    assert body["project_ref"] == support.PROJECT
    assert body["current_version"] == 1
    version = body["versions"][0]
    assert version["item_count"] == 3
    assert version["entry_count"] == 6
    assert version["retention_years"] == 15
    assert version["status"] == "kept"
    assert version["disposable_now"] is False
    again = _create(staff)  # the same key: the first answer again, nothing new
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert ArchiveVersion.objects.count() == 1

    for reader in ("staff", "regulator", "auditor"):
        got = people[reader].get(f"/archive/archives/{body['id']}")
        assert got.status_code == 200
        assert got.json()["versions"][0]["package_sha256"] == version["package_sha256"]
    listing = people["auditor"].get("/archive/archives", {"project": "tender.project:"}).json()
    assert listing["total"] == 1

    manifest = people["regulator"].get(f"/archive/archives/{body['id']}/versions/1/manifest").json()
    assert manifest["manifest"]["project"]["ref"] == support.PROJECT
    assert manifest["signature"]["manifest_sha256"] == manifest["manifest_sha256"]

    link = people["auditor"].get(f"/archive/archives/{body['id']}/versions/1/download")
    assert link.status_code == 200
    downloaded = client.get(link.json()["url"])
    assert downloaded.status_code == 200
    content = b"".join(downloaded.streaming_content)
    assert hashlib.sha256(content).hexdigest() == version["package_sha256"]
    document = Archive.objects.get().document_id
    assert witness.entries_about(("storage.document", str(document)))[-1].action == "storage.download"

    assert people["bidder"].get(f"/archive/archives/{body['id']}").status_code == 403
    assert people["bidder"].get(f"/archive/archives/{body['id']}/versions/1/download").status_code == 403


def test_refusals_have_codes_and_leave_nothing(people, project):
    before = log_state()
    r = _create(people["staff"], project_ref="项目12")
    assert r.status_code == 422
    assert r.json()["code"] == "archive.project_ref_invalid"
    r = _create(people["staff"], key="a-2", reason=" ")
    assert r.status_code == 422
    assert r.json()["code"] == "archive.reason_required"
    r = _create(people["regulator"], key="a-3")
    assert r.status_code == 403
    assert r.json()["code"] == "archive.forbidden"
    r = _create(people["staff"], key="a-4", project_ref="tender.project:404")
    assert r.status_code == 409
    assert r.json()["code"] == "archive.nothing_to_archive"
    assert log_state() == before
    assert not Archive.objects.exists()
    assert people["staff"].get("/archive/archives/999").status_code == 404


def test_holds_and_disposal(people, project, clock):
    archive_id = _create(people["staff"]).json()["id"]
    r = people["regulator"].post(
        "/archive/holds", {"project_ref": support.PROJECT, "reason": "案件调查"}, headers={"Idempotency-Key": "h-1"}
    )
    assert r.status_code == 201
    hold = r.json()
    assert hold["active"] is True
    assert people["auditor"].post("/archive/holds", {"project_ref": support.PROJECT, "reason": "x"}).status_code == 403

    clock.advance(timedelta(days=366 * 16))
    r = people["staff"].post(f"/archive/archives/{archive_id}/dispose", {"reason": "保存期满"})
    assert r.status_code == 409
    assert r.json()["code"] == "archive.legal_hold_active"
    assert people["staff"].get("/archive/disposal-candidates").json() == []

    r = people["regulator"].post(f"/archive/holds/{hold['id']}/release", {"reason": "调查结束"})
    assert r.status_code == 200
    assert r.json()["active"] is False
    r = people["regulator"].post(f"/archive/holds/{hold['id']}/release", {"reason": "再次"})
    assert r.status_code == 409
    assert r.json()["code"] == "archive.hold_released"
    candidates = people["staff"].get("/archive/disposal-candidates").json()
    assert [c["disposable_versions"] for c in candidates] == [[1]]

    r = people["regulator"].post(f"/archive/archives/{archive_id}/dispose", {"reason": "保存期满"})
    assert r.status_code == 403
    r = people["staff"].post(f"/archive/archives/{archive_id}/dispose", {"reason": "保存期满，经鉴定销毁"})
    assert r.status_code == 200
    version = r.json()["versions"][0]
    assert version["status"] == "disposed"
    assert version["disposal_reason"] == "保存期满，经鉴定销毁"
    r = people["staff"].get(f"/archive/archives/{archive_id}/versions/1/download")
    assert r.status_code == 409
    assert r.json()["code"] == "archive.version_disposed"
    assert people["staff"].get(f"/archive/archives/{archive_id}/versions/1/manifest").status_code == 200
    stats = people["bidder"].get("/archive/stats").json()
    assert stats["disposed_versions"] == 1

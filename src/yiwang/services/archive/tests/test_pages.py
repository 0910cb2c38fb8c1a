"""The archive pages: who sees them, the list with retention and hold status, the actions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.services.archive import actions
from yiwang.services.archive.models import ArchiveVersion, LegalHold, VersionStatus
from yiwang.services.archive.tests import support

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yiwang.services.archive.tests.urls")]


@pytest.fixture
def people(test_actors):
    test_actors.update(staff=support.staff(), regulator=support.regulator(), bidder=support.bidder())
    return test_actors


def _as(client, who: str):
    client.defaults["HTTP_X_TEST_ACTOR"] = who
    return client


def test_readers_only(client, people, project):
    assert client.get("/archive/").status_code == 302  # to the sign-in page
    assert _as(client, "bidder").get("/archive/").status_code == 403
    assert _as(client, "regulator").get("/archive/").status_code == 200


def test_archive_hold_release_and_dispose_through_the_pages(client, people, project, clock):
    staff = _as(client, "staff")
    page = staff.get("/archive/new/")
    assert page.status_code == 200
    assert "生成电子档案" in page.content.decode()
    r = staff.post("/archive/new/", {"project_ref": "项目", "reason": "归档"})
    assert r.status_code == 200
    assert "archive.project_ref_invalid" in r.content.decode()
    r = staff.post("/archive/new/", {"project_ref": support.PROJECT, "category": "gp", "reason": "项目结束归档"})
    version = ArchiveVersion.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/archive/{version.archive_id}/"
    listing = staff.get("/archive/").content.decode()
    assert support.PROJECT in listing
    assert "保存中" in listing
    detail = staff.get(f"/archive/{version.archive_id}/").content.decode()
    assert version.package_sha256 in detail
    assert "下载档案包" in detail
    assert staff.get(f"/archive/{version.archive_id}/v1/download").status_code == 302
    manifest = staff.get(f"/archive/{version.archive_id}/v1/manifest.json").json()
    assert manifest["manifest_sha256"] == version.manifest_sha256

    regulator = _as(client, "regulator")
    r = regulator.post("/archive/holds/new/", {"project_ref": support.PROJECT, "reason": "案件调查"})
    assert r.status_code == 302
    assert "保全中" in regulator.get("/archive/?hold=1").content.decode()
    clock.advance(timedelta(days=366 * 16))
    staff = _as(client, "staff")
    r = staff.post(f"/archive/{version.archive_id}/dispose/", {"reason": "保存期满"}, follow=True)
    assert "不得处置" in r.content.decode()
    assert ArchiveVersion.objects.get().status == VersionStatus.KEPT
    hold = LegalHold.objects.get()
    regulator = _as(client, "regulator")
    r = regulator.post(f"/archive/{version.archive_id}/holds/{hold.pk}/release/", {"reason": "调查结束"}, follow=True)
    assert "已解除法律保全" in r.content.decode()
    staff = _as(client, "staff")
    assert "可处置" in staff.get("/archive/").content.decode()
    r = staff.post(f"/archive/{version.archive_id}/dispose/", {"reason": "保存期满，经鉴定销毁"}, follow=True)
    assert "已处置" in r.content.decode()
    assert ArchiveVersion.objects.get().status == VersionStatus.DISPOSED
    detail = staff.get(f"/archive/{version.archive_id}/").content.decode()
    assert "下载档案包" not in detail
    assert "清单与签名" in detail


def test_a_new_version_from_the_detail_page(client, people, project, staff):
    version = actions.do_create_archive(actor=staff, project_ref=project.ref, reason="归档", category="gp")
    r = _as(client, "staff").post(f"/archive/{version.archive_id}/versions/", {"reason": "补充归档"}, follow=True)
    assert "已生成第 2 版" in r.content.decode()
    assert ArchiveVersion.objects.filter(archive_id=version.archive_id, number=2, category="gp").exists()
    r = _as(client, "regulator").post(f"/archive/{version.archive_id}/versions/", {"reason": "x"}, follow=True)
    assert "archive.forbidden" in r.content.decode()

"""On-site record pages and API: staff record with photos, corrections, supervision's list, permissions, codes."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.platform.storage import actions as storage
from yiwang.services.witness import actions
from yiwang.services.witness.models import OnsiteRecord
from yiwang.services.witness.tests import support

pytestmark = pytest.mark.django_db


@pytest.fixture
def browse(test_actors, client, clock):
    def as_actor(actor=None):
        headers = {}
        if actor is not None:
            key = f"page-{actor.ref}-{len(test_actors)}"
            test_actors[key] = actor
            headers["X-Test-Actor"] = key

        class Browser:
            def get(self, url, data=None, **extra):
                return client.get(url, data or {}, headers=headers, **extra)

            def post(self, url, data=None, **extra):
                return client.post(url, data or {}, headers=headers, **extra)

        return Browser()

    return as_actor


@pytest.fixture
def as_(test_actors, api):
    def client(actor=None):
        if actor is None:
            return api.with_token(None)
        token = f"t-{actor.ref}-{len(test_actors)}"
        test_actors[token] = actor
        return api.with_token(token)

    return client


def html(r) -> str:
    return r.content.decode()


def test_staff_record_with_photos_and_correct_on_pages(browse, staff):
    page = browse(staff)
    assert page.get("/onsite/new/").status_code == 200
    r = page.post(
        "/onsite/new/",
        {
            "kind": "irregularity",
            "region_code": "310112",
            "description": "评标专家擅自离开隔离区，已登记并报告监督人员",
            "place": "闵行交易大厅 评标室1",
            "owner_ref": "tender.section:12",
            "files": [SimpleUploadedFile("现场1.png", support.PNG), SimpleUploadedFile("现场2.png", support.PNG)],
        },
    )
    assert r.status_code == 302, html(r)
    record = OnsiteRecord.objects.get()
    assert len(record.attachments) == 2
    assert record.flagged
    detail = html(page.get(f"/onsite/{record.pk}/"))
    assert "现场1.png" in detail
    assert "/files/" in detail  # signed download links
    assert "已报送监管" in detail
    bad = page.post(
        "/onsite/new/",
        {
            "kind": "other",
            "region_code": "310112",
            "description": "x",
            "files": [SimpleUploadedFile("a.exe", b"MZ\x90\x00" * 20)],
        },
    )
    assert bad.status_code == 422
    assert "storage." in html(bad)
    assert OnsiteRecord.objects.count() == 1
    fixed = page.post(
        f"/onsite/{record.pk}/correct/",
        {
            "kind": "irregularity",
            "description": "评标专家经批准离开隔离区如厕，已陪同",
            "reason": "核实情况",
            "keep_attachments": "on",
        },
    )
    assert fixed.status_code == 302
    old = html(page.get(f"/onsite/{record.pk}/"))
    assert 'data-testid="corrected"' in old
    listing = html(page.get("/onsite/"))
    assert "已更正" in listing
    assert "更正记录" in listing


def test_who_sees_the_pages(browse, staff, clock):
    actions.do_record_onsite_event(
        actor=staff, kind="onsite_objection", description="投标人现场提出异议", region_code="310112"
    )
    assert browse().get("/onsite/").status_code == 302
    assert browse(support.agency()).get("/onsite/").status_code == 403
    assert browse(support.regulator()).get("/onsite/new/").status_code == 403
    listing = html(browse(support.regulator()).get("/onsite/irregularities/"))
    assert "投标人现场提出异议" in listing
    assert "投标人现场提出异议" not in html(browse(support.regulator("320000")).get("/onsite/irregularities/"))


def test_api_records_corrections_and_irregularities(as_, staff, clock):
    upload = storage.do_store_document(
        actor=staff,
        owner=storage.Owner.upload_of(staff.ref),
        title="照片",
        kind="attachment",
        stream=io.BytesIO(support.PNG),
        filename="p.png",
    )
    api = as_(staff)
    r = api.post(
        "/onsite/records",
        {
            "kind": "equipment_failure",
            "description": "开标室1 投影设备故障，改用备用设备",
            "region_code": "310112",
            "booking_ref": "venues.booking:7",
            "document_ids": [str(upload.document.pk)],
        },
        headers={"Idempotency-Key": "rec-1"},
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["flagged"] is False
    assert body["attachments"][0]["filename"] == "p.png"
    assert r.headers["Location"].endswith(f"/onsite/records/{body['id']}")
    assert (
        api.post("/onsite/records", {"kind": "x", "description": "y", "region_code": "310112"}).json()["code"]
        == "onsite.kind_invalid"
    )
    assert (
        as_(support.agency())
        .post("/onsite/records", {"kind": "other", "description": "y", "region_code": "310112"})
        .status_code
        == 403
    )
    assert as_().get("/onsite/records").status_code == 401
    fix = api.post(
        f"/onsite/records/{body['id']}/corrections",
        {"reason": "补充", "description": "开标室1 投影设备故障 10 分钟，改用备用设备", "report": True},
    )
    assert fix.status_code == 201
    assert fix.json()["corrects_id"] == body["id"]
    again = api.post(f"/onsite/records/{body['id']}/corrections", {"reason": "x", "description": "y"})
    assert again.status_code == 409
    assert again.json()["code"] == "onsite.already_corrected"
    period = {"region": "310000", "start": "2026-03-01T00:00:00+08:00", "end": "2026-03-03T00:00:00+08:00"}
    found = as_(support.regulator()).get("/onsite/irregularities", period).json()
    assert [x["id"] for x in found] == [fix.json()["id"]]
    assert as_(support.regulator("320000")).get("/onsite/irregularities", period).status_code == 403
    assert api.get(f"/onsite/records/{body['id']}").json()["corrected_by_id"] == fix.json()["id"]
    assert as_(support.regulator("320000")).get(f"/onsite/records/{body['id']}").status_code == 404

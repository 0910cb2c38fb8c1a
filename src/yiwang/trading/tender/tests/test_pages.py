"""The pages: each actor sees what the secrecy rules allow, the forms drive the same actions."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from yiwang.kernel.periods import SHANGHAI
from yiwang.trading.tender.models import Project, TenderDocument
from yiwang.trading.tender.tests import support
from yiwang.trading.tender.tests.support import T0

pytestmark = [pytest.mark.django_db]


def _local(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def test_an_agency_creates_uploads_and_publishes_through_the_pages(world, clock, client):
    client.force_login(world.agency.account)
    page = client.get("/tender/new/")
    assert page.status_code == 200
    assert "新建招标（采购）项目" in page.content.decode()
    response = client.post("/tender/new/", {
        "procedure": "tender.open", "subject": "works", "name": "页面新建的道路工程", "region_code": "310112",
        "owner": str(world.agency.entity_id), "tenderer_entity_id": str(world.tenderer.entity_id),
        "section_name": "第1标段", "estimate_yuan": "50000000", "deposit_yuan": "100000", "duration_text": "300日历天",
        "evaluation_method": "lowest_evaluated_price", "acceleration": "1",
    })  # fmt: skip
    project = Project.objects.get(name="页面新建的道路工程")
    assert response.status_code == 302
    assert project.agency_entity_id == world.agency.entity_id
    assert project.tenderer_entity_id == world.tenderer.entity_id
    upload = io.BytesIO(support.PDF)
    upload.name = "招标文件.pdf"
    client.post(
        f"/tender/projects/{project.pk}/documents/", {"kind": "tender_documents", "title": "招标文件", "file": upload}
    )
    assert TenderDocument.objects.filter(project=project).count() == 1
    # too short a bid period: refused with the rule
    response = client.post(f"/tender/projects/{project.pk}/publish/", {
        "doc_get_end": _local(T0 + timedelta(days=6)), "bid_deadline": _local(T0 + timedelta(days=10)),
        "opening_key": str(world.key_id),
    }, follow=True)  # fmt: skip
    assert "tender.bid_period_min" in response.content.decode()
    response = client.post(f"/tender/projects/{project.pk}/publish/", {
        "doc_get_end": _local(T0 + timedelta(days=6)), "bid_deadline": _local(T0 + timedelta(days=21)),
        "opening_key": str(world.key_id), "opening_address": "线上开标",
    }, follow=True)  # fmt: skip
    project.refresh_from_db()
    assert project.status == "published"
    assert "公告已发布" in response.content.decode()


def test_a_bidder_fetches_documents_and_bids_through_the_pages(world, clock, client):
    project, section = support.ready_project(world)
    doc = TenderDocument.objects.get(project=project, kind="tender_documents")
    client.force_login(world.a.account)
    page = client.get(f"/tender/projects/{project.pk}/").content.decode()
    assert "获取" in page
    assert "已获取招标文件的单位" not in page  # a bidder learns nothing about the others
    response = client.get(f"/tender/documents/{doc.pk}/download/?entity={world.a.entity_id}")
    assert response.status_code == 200
    assert response["X-Content-SHA256"] == doc.sha256
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    support.pay_deposit(section, world.a)
    sealed = io.BytesIO(support.seal(section, world.a, 4_800_000_000))
    sealed.name = "投标文件.ywenv"
    response = client.post(f"/tender/sections/{section.pk}/bid/", {"entity_id": str(world.a.entity_id), "file": sealed})
    assert response.status_code == 302
    assert "/bidbox/submissions/" in response["Location"]
    section_page = client.get(f"/tender/sections/{section.pk}/").content.decode()
    assert "回执" in section_page
    # the agency sees the count only; the staff page too
    client.force_login(world.agency.account)
    page = client.get(f"/tender/projects/{project.pk}/").content.decode()
    assert "已收到投标文件 <strong>1</strong>" in page
    assert world.a.name not in page
    client.force_login(world.staff)
    assert client.get("/tender/staff/").status_code == 200
    hall = client.get(f"/tender/sections/{section.pk}/hall/status/").content.decode()
    assert "投标文件 <strong>1</strong>" in hall


def test_public_pages_and_refusals(world, clock, client):
    project, section = support.ready_project(world)
    draft = support.create_project(world, name="尚未发布的项目")
    assert client.get("/tender/").status_code == 200
    assert project.name in client.get("/tender/").content.decode()
    assert "尚未发布的项目" not in client.get("/tender/").content.decode()
    assert client.get(f"/tender/projects/{draft.pk}/").status_code == 404
    public = client.get(f"/tender/projects/{project.pk}/").content.decode()
    assert "招标公告" in public
    assert client.get(f"/tender/sections/{section.pk}/").status_code == 200
    hall_page = client.get(f"/tender/sections/{section.pk}/hall/")
    assert hall_page.status_code == 200
    assert "/live/bidbox.box:" in hall_page.content.decode()  # the hall listens to its bid box's live channel
    # anonymous posts go to the sign-in page; a bidder cannot publish
    assert client.post(f"/tender/sections/{section.pk}/award/").status_code == 302
    client.force_login(world.a.account)
    assert client.get(f"/tender/projects/{draft.pk}/publish/").status_code == 404
    response = client.post(f"/tender/sections/{section.pk}/award/", follow=True)
    assert "tender.forbidden" in response.content.decode()


def test_the_manager_runs_the_later_stages_through_the_pages(world, clock, client):
    _project, section = support.ready_project(world)
    prices = {world.a: 4_800_000_000, world.b: 4_700_000_000, world.c: 4_900_000_000}
    support.open_and_hand_over(world, clock, section, prices)
    client.force_login(world.agency.account)
    report = io.BytesIO(support.PDF + b"report")
    report.name = "评标报告.pdf"
    client.post(f"/tender/sections/{section.pk}/result/", {
        "first": str(world.b.entity_id), "first_price": "47000000", "second": str(world.a.entity_id),
        "second_price": "48000000", "report": report,
    })  # fmt: skip
    section.refresh_from_db()
    assert section.status == "evaluated"
    client.post(f"/tender/sections/{section.pk}/candidates/")
    section.refresh_from_db()
    assert section.status == "publicity"
    page = client.post(f"/tender/sections/{section.pk}/award/", follow=True).content.decode()
    assert "tender.candidate_publicity_period_min" in page
    support.go(clock, section.publicity_end)
    client.post(f"/tender/sections/{section.pk}/award/")
    section.refresh_from_db()
    assert section.status == "awarded"
    client.post(f"/tender/sections/{section.pk}/contract/", {"amount_yuan": "47000000"})
    section.refresh_from_db()
    assert section.status == "contracted"
    client.post(
        f"/tender/sections/{section.pk}/performance/", {"kind": "acceptance", "text": "验收合格", "final": "on"}
    )
    section.refresh_from_db()
    assert section.status == "completed"
    public = client.get(f"/tender/sections/{section.pk}/").content.decode()
    assert world.b.name in public


def test_qualification_conditions_on_the_form_become_the_committees_qualification_review(world, clock, client):
    client.force_login(world.agency.account)
    response = client.post("/tender/new/", {
        "procedure": "tender.open", "subject": "works", "name": "资格后审的道路工程", "region_code": "310112",
        "owner": str(world.agency.entity_id), "tenderer_entity_id": str(world.tenderer.entity_id),
        "section_name": "第1标段", "estimate_yuan": "50000000", "deposit_yuan": "0",
        "evaluation_method": "comprehensive", "price_weight": "40", "acceleration": "1",
        "qualification_text": "具备市政公用工程施工总承包二级及以上资质\n\n  项目经理具备一级注册建造师执业资格  \n",
    })  # fmt: skip
    assert response.status_code == 302
    section = Project.objects.get(name="资格后审的道路工程").sections.get()
    assert section.qualification_text == "具备市政公用工程施工总承包二级及以上资质\n项目经理具备一级注册建造师执业资格"
    assert section.evaluation_config == {
        "price_weight": 40,
        "requirements": [
            {"code": "q1", "text": "具备市政公用工程施工总承包二级及以上资质"},
            {"code": "q2", "text": "项目经理具备一级注册建造师执业资格"},
        ],
    }


def test_an_accelerated_committee_meets_no_sooner_than_the_configured_lead(settings):
    from datetime import UTC, datetime

    from yiwang.trading.tender.evaluation_gateway import app_request

    config = {
        "procedure": "tender.open", "method": "comprehensive", "family": "tender", "subject": "works",
        "candidates_max": 3, "acceleration": 864_000, "committee": {"min_size": 5}, "section_code": "X" * 23,
        "method_settings": {"price_weight": 40},
    }  # fmt: skip
    moment = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    start = app_request(config, [], title="t", region_code="310112", now=moment)["committee_request"]["meeting_start"]
    assert datetime.fromisoformat(start) == moment + timedelta(seconds=2)  # 60 min ÷ 864,000, at least 2 s
    settings.YIWANG_TENDER = {**settings.YIWANG_TENDER, "EVALUATION_MIN_LEAD_SECONDS": 15}
    start = app_request(config, [], title="t", region_code="310112", now=moment)["committee_request"]["meeting_start"]
    assert datetime.fromisoformat(start) == moment + timedelta(seconds=15)

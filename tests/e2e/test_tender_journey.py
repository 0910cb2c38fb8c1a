"""A works tender from the notice to the award, through the pages: the agency registers and publishes the project,
three bidders fetch the documents and upload their sealed envelopes, the deadline passes (the clock job runs here,
as the clock process would), the opening hall shows the envelopes, each bidder decrypts its own, the agency
closes the opening, records the committee's result (the recorded-result gateway), publishes the candidates and
awards; a visitor then finds the award on the public project and section pages.

The project is test data with an acceleration of ×864,000 (a legal day lasts 0.1 s), so the legal periods of
days pass in seconds on the real clock that the live server reads.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from yiwang.identity import actions as identity
from yiwang.identity.ca import actions as ca
from yiwang.identity.ca.tests.support import Pki
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.crypto import envelope
from yiwang.kernel.periods import SHANGHAI
from yiwang.services.bidbox import actions as bidbox
from yiwang.trading.tender.models import Section
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db(transaction=True)

ACCELERATION = 864_000
PRICES = {"tn-a": 48_300_000_00, "tn-b": 47_600_000_00, "tn-c": 49_100_000_00}  # fen


@pytest.fixture
def tender_settings(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_TENDER = {**getattr(settings, "YIWANG_TENDER", {}), "EVALUATION_GATEWAY": "recorded"}


def _world() -> dict:
    """People, entities with certificates valid now, basic accounts, an opening key (test-side setup)."""
    system = Actor.system("test")
    moment = datetime.now(UTC)
    staff = support.make_account("tn-staff", "交易中心工作人员")
    identity.do_grant_role(actor=system, role=Role.STAFF, account=staff, region="310000", admin=True)
    staff_actor = support.actor_for_account(staff)
    pki = Pki("sm2", label="浏览器测试", start=moment - timedelta(days=30))
    ca.do_register_ca(actor=staff_actor, certificate=pki.root.cert.der, mapping="demo", crl_policy="fail")
    ca.do_register_ca(actor=staff_actor, certificate=pki.sub.cert.der, crl_policy="fail")
    for of in ("root", "sub"):
        ca.do_import_crl(
            actor=staff_actor,
            crl=pki.crl(of, this_update=moment - timedelta(hours=1), next_update=moment + timedelta(days=30)),
        )
    tenderer = support.make_party("tn-tenderer", support.XUHUI, ["tenderer"], None)
    agency = support.make_party("tn-agency", support.SHENCHENG, ["tender_agency"], None)
    identity.do_grant_role(
        actor=system, role=Role.AGENCY, account=agency.account, entity_id=agency.entity_id, admin=True
    )
    bidders = {}
    for username, uscc, number in (
        ("tn-a", support.PUJIANG, "6222020200112345671"),
        ("tn-b", support.MINHANG, "6222020200112345689"),
        ("tn-c", support.SONGJIANG, "6222020200112345697"),
    ):
        party = support.make_party(username, uscc, ["bidder"], None, number)
        party.issued = pki.issue(entity=uscc, name=party.name, not_before=moment - timedelta(days=1))
        ca.do_bind_certificate(actor=party.actor, certificate=party.issued.cert.der)
        bidders[username] = party
    ceremony = bidbox.do_run_key_ceremony(
        actor=staff_actor, threshold=2, custodians=["保管人甲", "保管人乙", "保管人丙"], label="浏览器测试开标密钥"
    )
    return {"tenderer": tenderer, "agency": agency, "bidders": bidders, "key_id": ceremony.key.pk}


@pytest.fixture
def contexts() -> Iterator[list]:
    """Browser contexts the test opens for other people; closed at the end, so no page of theirs keeps polling
    the live server after the test (the opening hall refreshes itself)."""
    opened: list = []
    yield opened
    for context in opened:
        context.close()


def _signed_in(browser, live_server, username: str, contexts: list):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", support.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")
    return page


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")


def _clock_until(done: Callable[[], bool], *, limit: float = 20.0) -> None:
    """Run the clock's due jobs (as ``yiwang clock`` does, once a tick) until ``done()``; bounded."""
    end = time.monotonic() + limit
    while not done():
        assert time.monotonic() < end, "the clock did not move the section on"
        support.run_clock()
        time.sleep(0.2)


def _alert(page) -> str:
    return page.locator("[role=alert]").first.inner_text()


def test_a_works_tender_from_the_notice_to_the_award_through_the_pages(
    browser, live_server, page, tender_settings, contexts
):
    started = time.monotonic()
    world = _world()
    agency, tenderer, bidders = world["agency"], world["tenderer"], world["bidders"]

    # the agency registers the project (test data, accelerated), uploads the documents and publishes
    office = _signed_in(browser, live_server, "tn-agency", contexts)
    office.goto("/tender/new/")
    office.select_option("#id_procedure", "tender.open")
    office.select_option("#id_subject", "works")
    office.fill("#id_name", "闵行区浦江镇道路改建工程")
    office.fill("#id_region_code", "310112")
    office.select_option("#id_owner", str(agency.entity_id))
    office.fill("#id_tenderer_entity_id", str(tenderer.entity_id))
    office.fill("#id_section_name", "第1标段（施工）")
    office.fill("#id_estimate_yuan", "50000000")
    office.fill("#id_deposit_yuan", "100000")
    office.select_option("#id_evaluation_method", "lowest_evaluated_price")
    office.check("#id_is_test_data")
    office.fill("#id_acceleration", str(ACCELERATION))
    office.get_by_role("button", name="登记项目").click()
    office.wait_for_url(re.compile(r".*/tender/projects/\d+/$"))
    project_id = int(office.url.rstrip("/").rsplit("/", 1)[1])
    assert "招标项目编号" in _alert(office)
    office.fill("#id_title", "招标文件")
    office.set_input_files(
        "#id_file", {"name": "招标文件.pdf", "mimeType": "application/pdf", "buffer": support.PDF + b"journey"}
    )
    office.get_by_role("button", name="上传文件").click()
    assert "已上传" in _alert(office)
    office.goto(f"/tender/projects/{project_id}/publish/")
    now = datetime.now(UTC)
    deadline = (now + timedelta(seconds=30)).replace(microsecond=0)
    # the server reads seconds; the browser's datetime-local widget steps by the minute unless told otherwise
    office.evaluate("document.querySelectorAll('input[type=datetime-local]').forEach(i => i.step = 1)")
    office.fill("#id_doc_get_end", _local(deadline - timedelta(seconds=3)))
    office.fill("#id_bid_deadline", _local(deadline))
    office.fill("#id_opening_key", str(world["key_id"]))
    office.fill("#id_opening_address", "开标室（线上）")
    office.get_by_role("button", name="发布", exact=True).click()
    office.wait_for_url(f"**/tender/projects/{project_id}/")
    assert "公告已发布" in _alert(office)
    section = Section.objects.get(project_id=project_id)
    assert section.status == "bidding"

    # a visitor reads the notice on the public project page
    page.goto(f"/tender/projects/{project_id}/")
    assert "闵行区浦江镇道路改建工程" in page.locator("main").inner_text()
    assert page.locator("main a[href^='/notices/']").count() >= 1

    # each bidder pays its deposit (the bank's notice), fetches the documents and uploads its sealed envelope
    envelopes = {}
    for username, bidder in bidders.items():
        support.pay_deposit(section, bidder)
        desk = _signed_in(browser, live_server, username, contexts)
        desk.goto(f"/tender/projects/{project_id}/")
        with desk.expect_download() as download:
            desk.get_by_role("button", name="获取").first.click()
        assert download.value.suggested_filename.endswith(".pdf"), _alert(desk)
        sealed = support.seal(section, bidder, PRICES[username])
        envelopes[username] = (desk, sealed)
        desk.goto(f"/tender/sections/{section.pk}/")
        desk.set_input_files(
            "#id_file", {"name": "投标文件.ywenv", "mimeType": "application/octet-stream", "buffer": sealed}
        )
        desk.get_by_role("button", name="递交").click()
        desk.wait_for_url("**/bidbox/submissions/**")
        assert "回执" in desk.locator("main").inner_text()

    # before the deadline the agency sees the count only
    office.goto(f"/tender/sections/{section.pk}/")
    assert re.search(r"已收到投标文件\s*3\s*份", office.locator("main").inner_text())
    assert datetime.now(UTC) < deadline, "the three bids took longer than the (30 s) bid period"

    # the deadline: the clock opens the box; the hall shows three envelopes awaiting decryption
    time.sleep(max((deadline - datetime.now(UTC)).total_seconds(), 0))
    _clock_until(lambda: Section.objects.get(pk=section.pk).status == "opening")
    section.refresh_from_db()
    page.goto(f"/tender/sections/{section.pk}/hall/")
    assert page.locator("main").inner_text()
    for username, (desk, sealed) in envelopes.items():
        key = envelope.unwrap_content_key(sealed, private_key=bidders[username].issued.key)
        desk.goto(f"/bidbox/{section.box_id}/hall/")
        desk.locator("input[name=content_key]").fill(key.hex())
        desk.get_by_role("button", name="解密").click()
        assert "解密成功" in _alert(desk)

    # the agency closes the opening and records the committee's result, then the candidates' publicity
    office.goto(f"/tender/sections/{section.pk}/")
    office.get_by_role("button", name="结束开标（全部解密后）").click()
    assert "开标结束" in _alert(office)
    ranking = sorted(bidders.items(), key=lambda item: PRICES[item[0]])
    for field, (username, bidder) in zip(("first", "second", "third"), ranking, strict=True):
        office.fill(f"#id_{field}", str(bidder.entity_id))
        office.fill(f"#id_{field}_price", str(PRICES[username] // 100))
    office.set_input_files(
        "#id_report", {"name": "评标报告.pdf", "mimeType": "application/pdf", "buffer": support.PDF + b"report"}
    )
    office.get_by_role("button", name="提交评标结果").click()
    assert "评标结果已录入" in _alert(office)
    office.get_by_role("button", name="发布中标候选人公示").click()
    assert "中标候选人已公示" in _alert(office)
    _clock_until(lambda: Section.objects.get(pk=section.pk).status == "awardable")
    office.goto(f"/tender/sections/{section.pk}/")
    office.get_by_role("button", name="定标并发出中标通知书").click()
    assert "已定标" in _alert(office)

    # a visitor finds the award on the public pages
    winner = ranking[0][1]
    page.goto(f"/tender/sections/{section.pk}/")
    assert f"中标人：{winner.name}" in page.locator("main").inner_text()
    page.goto(f"/tender/projects/{project_id}/")
    notices = page.locator("main").inner_text()
    assert "中标" in notices
    assert Section.objects.get(pk=section.pk).status == "awarded"
    assert time.monotonic() - started < 90

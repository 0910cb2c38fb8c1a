"""A works tender from the notice to the award, through the pages: the agency registers and publishes the project
(资格后审 conditions included), three bidders fetch the documents and upload their sealed envelopes, the deadline
passes (the clock job runs here, as the clock process would), the opening hall shows the envelopes, each bidder
decrypts its own, the agency closes the opening and the platform hands the section to the evaluation app, which
draws a committee of five from the expert pool. The experts sign in and confirm on their task page; staff check
them in and convene; each expert reviews qualification and compliance on screen and scores the bids; the chair
sees the outlier highlighted, closes each stage, and every member signs the report (the signing input read off
the page and signed with the member's own certificate, as the signing tool does); the chair confirms it. The
clock reads the signed outcome back into the section, the agency publishes the candidates and awards; a visitor
then finds the award on the public project and section pages.

The project is test data with an acceleration of ×864,000 (a legal day lasts 0.1 s), so the legal periods of
days pass in seconds on the real clock that the live server reads.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from tests.e2e.people import signed_in

from yiwang.identity import actions as identity
from yiwang.identity.ca import actions as ca
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.crypto import envelope
from yiwang.kernel.ids import make_resident_id
from yiwang.kernel.periods import SHANGHAI
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.experts import actions as experts
from yiwang.trading.tender.models import EvaluationRecord, Section
from yiwang.trading.tender.tests import support

pytestmark = pytest.mark.django_db(transaction=True)

ACCELERATION = 864_000
PRICES = {"tn-a": 48_300_000_00, "tn-b": 47_600_000_00, "tn-c": 49_100_000_00}  # fen
TIMEOUT_MS = 45_000  # per browser step: the machine is shared, a loaded live server answers slowly
EXPERTS = 6  # the pool: a committee of five (tender.committee_min_size) and one reserve
CONDITIONS = ("具备市政公用工程施工总承包二级及以上资质", "项目经理具备市政公用工程一级注册建造师执业资格")


@pytest.fixture
def tender_settings(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.YIWANG_TENDER = {
        **getattr(settings, "YIWANG_TENDER", {}),
        "EVALUATION_GATEWAY": "app",
        # the committee meets 15 s after the hand-over: time for the drawn experts to confirm on their task page
        "EVALUATION_MIN_LEAD_SECONDS": 15,
    }


def _world() -> dict:
    """People, entities with certificates valid now, basic accounts, an opening key (test-side setup)."""
    system = Actor.system("test")
    live = support.live_world("tn", "浏览器测试")
    moment, staff_actor, pki = live.moment, live.staff_actor, live.pki
    tenderer, agency = live.tenderer, live.agency
    identity.do_grant_role(
        actor=system, role=Role.AGENCY, account=agency.account, entity_id=agency.entity_id, admin=True
    )
    bidders = {}
    for username, uscc, number in (
        ("tn-a", support.PUJIANG, "6222020200112345671"),
        ("tn-b", support.MINHANG, "6222020200112345689"),
        ("tn-c", support.SONGJIANG, "6222020200112345697"),
    ):
        bidders[username] = live.certified_bidder(username, uscc, number)
    ceremony = bidbox.do_run_key_ceremony(
        actor=staff_actor, threshold=2, custodians=["保管人甲", "保管人乙", "保管人丙"], label="浏览器测试开标密钥"
    )
    pool = {}
    for n in range(1, EXPERTS + 1):
        username, name = f"tn-expert{n}", f"评标专家{n}"
        account = support.make_account(username, name)
        identity.do_grant_role(actor=system, role=Role.EXPERT, account=account, region="310000")
        person = make_resident_id("310104", date(1966, 3, 1) + timedelta(days=41 * n), 2 * n + 1)
        issued = pki.issue(person=person, name=name, not_before=moment - timedelta(days=1))
        ca.do_bind_certificate(actor=staff_actor, certificate=issued.cert.der, account_id=account.pk)
        experts.do_enrol_expert(
            actor=staff_actor,
            data={
                "name": name,
                "id_number": person,
                "title": "高级工程师",
                "title_level": "senior",
                "kinds": ["works"],
                "region_code": "310112",
                "practice_since": "2004-07-01",
                "phone": f"1390000{n:04d}",
                "employer_name": "退休",
                "specialties": [{"code": "A080101", "main": True}],
                "account_id": account.pk,
            },
        )
        pool[username] = issued
    return {"tenderer": tenderer, "agency": agency, "bidders": bidders, "key_id": ceremony.key.pk, "experts": pool}


@pytest.fixture
def contexts() -> Iterator[list]:
    """Browser contexts the test opens for other people; closed at the end, so no page of theirs keeps polling
    the live server after the test (the opening hall refreshes itself)."""
    opened: list = []
    yield opened
    for context in opened:
        context.close()


def _signed_in(browser, live_server, username: str, contexts: list):
    return signed_in(browser, live_server, username, support.PASSWORD, contexts, timeout_ms=TIMEOUT_MS)


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")


def _clock_until(done: Callable[[], bool], *, limit: float = 20.0) -> None:
    """Run the clock's due jobs (as ``yiwang clock`` does, once a tick) until ``done()``; bounded."""
    end = time.monotonic() + limit
    while not done():
        assert time.monotonic() < end, "the clock did not move the section on"
        support.run_clock()
        time.sleep(0.2)


def _wait_for(done: Callable[[], bool], what: str, *, limit: float = 20.0) -> None:
    end = time.monotonic() + limit
    while not done():
        assert time.monotonic() < end, f"waited {limit:g} s for {what}"
        time.sleep(0.1)


def record_meeting_start(evaluation_id: str) -> datetime:
    from yiwang.trading.tender.evaluation.models import Evaluation

    return Evaluation.objects.get(pk=int(evaluation_id)).meeting_start


def _alert(page) -> str:
    return page.locator("[role=alert]").first.inner_text()


def test_a_works_tender_from_the_notice_to_the_award_through_the_pages(
    browser, live_server, page, tender_settings, contexts
):
    started = time.monotonic()
    page.set_default_timeout(TIMEOUT_MS)
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
    office.select_option("#id_evaluation_method", "comprehensive")
    office.fill("#id_price_weight", "40")
    office.fill("#id_qualification_text", "\n".join(CONDITIONS))
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

    # while the bid period runs out, the experts and the centre's staff sign in (their own browsers)
    desks = {username: _signed_in(browser, live_server, username, contexts) for username in world["experts"]}
    staff = _signed_in(browser, live_server, "tn-staff", contexts)

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

    # the agency closes the opening: the platform hands the section to the evaluation app (no result to type in)
    office.goto(f"/tender/sections/{section.pk}/")
    office.get_by_role("button", name="结束开标（全部解密后）").click()
    assert "开标结束" in _alert(office)
    assert "评标进行中（评标系统）" in office.locator("main").inner_text()
    assert office.locator("#id_first").count() == 0  # nothing to record by hand
    record = EvaluationRecord.objects.get(section_id=section.pk)
    assert record.gateway == "app", "the evaluation app did not take the section"
    assert record.evaluation_id
    evaluation = f"/evaluation/{record.evaluation_id}/"

    # the drawn experts sign in and confirm on their task page; the one not drawn (the reserve) has nothing to do
    members = {}
    for username, issued in world["experts"].items():
        desk = desks[username]
        desk.goto("/experts/tasks/")
        confirm = desk.get_by_role("button", name="确认参加")
        if confirm.count():
            confirm.first.click()
            desk.wait_for_load_state()
            members[username] = (desk, issued)
    assert len(members) == 5, f"{len(members)} experts were asked to sit on the committee"

    # staff (交易中心) see the five seats, check each expert in at the meeting, convene and record the chair
    staff.goto("/evaluation/")
    assert "闵行区浦江镇道路改建工程" in staff.locator("main").inner_text()
    staff.goto(evaluation)
    assert staff.locator("[data-testid=seat]").count() == 5
    for _ in range(5):
        staff.locator("[data-testid=seat] button", has_text="签到").first.click()
        staff.wait_for_load_state()
    assert staff.locator("[data-testid=seat] button", has_text="签到").count() == 0
    _wait_for(lambda: datetime.now(UTC) >= record_meeting_start(record.evaluation_id), "the meeting start")
    staff.locator("[data-testid=convene]").click()
    assert "评标开始" in _alert(staff)
    staff.get_by_role("button", name="记录主任").click()  # the first member, as the committee elected
    staff.wait_for_load_state()

    # each member sees the committee and their own task panel, not staff's, and finds the chair; reviews on screen
    chair = None
    for desk, _ in members.values():
        desk.goto("/evaluation/")
        assert "我的评标任务" in desk.locator("main").inner_text()
        desk.goto(evaluation)
        text = desk.locator("main").inner_text()
        assert text.count("评标专家") >= 5  # the committee sits together: the members know each other
        assert "现场组织" not in text  # staff's panel is staff's
        if "您是评标委员会主任" in text:
            chair = desk
    assert chair is not None, "no member sees that they chair the committee"
    for stage, rows in (("qualification", len(CONDITIONS)), ("compliance", 7)):
        for desk, _ in members.values():
            desk.goto(f"{evaluation}review/{stage}/")
            assert desk.locator("[data-testid=review-bid]").count() == 3
            if stage == "qualification":
                assert CONDITIONS[0] in desk.locator("main").inner_text()
            assert desk.locator("input[type=radio][value=ok]").count() == 3 * rows
            for radio in desk.locator("input[type=radio][value=ok]").all():
                radio.check()
            desk.locator("[data-testid=submit]").click()
            desk.wait_for_url(f"**{evaluation}")
        chair.goto(evaluation)
        assert chair.locator("[data-testid=progress]").count() == 5
        chair.locator("[data-testid=close-stage]").click()
        chair.wait_for_load_state()
    chair.goto(evaluation)
    assert "价格核对" in chair.locator("[data-testid=status]").inner_text()
    assert chair.locator("[data-testid=price-form]").count() == 3  # all three bids passed both reviews
    chair.locator("[data-testid=close-stage]").click()
    chair.wait_for_load_state()

    # scoring: each member scores technical and commercial; the price points come from the formula; the fifth
    # member marks the dearest bid far below the others, and the chair sees it highlighted before closing
    names = {bidder.name: username for username, bidder in bidders.items()}
    for n, (desk, _) in enumerate(members.values(), 1):
        desk.goto(f"{evaluation}scoring/")
        assert "价格分（40 分）由系统按评标办法的公式计算" in desk.locator("main").inner_text()
        rows = desk.locator("[data-testid=score-bid]")
        assert rows.count() == 3
        for row in rows.all():
            dearest = names[next(name for name in names if name in row.inner_text())] == "tn-c"
            inputs = row.locator("input")
            inputs.nth(0).fill("20" if dearest and n == 5 else "40")  # 技术部分, of 50
            inputs.nth(1).fill("8")  # 商务部分, of 10
        desk.locator("[data-testid=submit]").click()
        desk.wait_for_url(f"**{evaluation}")
    chair.goto(evaluation)
    assert "评分偏离提示" in chair.locator("[data-testid=outliers]").inner_text()
    chair.locator("[data-testid=close-stage]").click()
    chair.wait_for_load_state()

    # every member signs the report with their own certificate; the chair confirms it
    for desk, issued in members.values():
        desk.goto(f"{evaluation}report/")
        assert desk.locator("[data-testid=candidate]").count() == 3
        message = desk.locator("[data-testid=signing-input]").text_content().encode()  # exactly, newlines too
        desk.fill("#certificate", issued.pem)
        desk.fill("#signature", base64.b64encode(issued.sign(message)).decode())
        desk.get_by_role("button", name="签署", exact=True).click()
        assert "已签署评标报告" in _alert(desk)
    chair.goto(f"{evaluation}report/")
    chair.locator("[data-testid=finalise]").click()
    assert "评标报告已确认" in _alert(chair)
    chair.goto(f"{evaluation}report/")
    ranking = sorted(bidders.items(), key=lambda item: PRICES[item[0]])  # equal marks: the price decides
    candidates = chair.locator("[data-testid=candidate]").all_inner_texts()
    assert [c.split("（")[0] for c in candidates] == [bidder.name for _, bidder in ranking]

    # the clock reads the signed outcome back; the agency sees the candidates and publishes them
    _clock_until(lambda: Section.objects.get(pk=section.pk).status == "evaluated")
    office.goto(f"/tender/sections/{section.pk}/")
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
    assert time.monotonic() - started < 300, "the journey ran away (about 60 s on an idle machine)"

"""Journeys of the roles that had none yet, in the browser, each asserting what the person sees:

- a member of the public searches from the home page and reads the notice found;
- a regulator of 闵行 handles the seeded collusion alert from the dashboard: assigns it to themself, investigates,
  confirms it with a reason, and sees the history;
- the same regulator answers a bidder's complaint: finds it in the complaints list with its legal time limit,
  accepts it and decides it with a reason, which the complaint page then shows;
- trading-centre staff of 闵行 book an evaluation room for tomorrow afternoon (the form says the time is free
  before they submit) and see the booking with its check-in code;
- a bidder pays the deposit of a lot: sees the lot's virtual sub-account and amount due on 我的保证金与退款,
  transfers the amount from the demo's simulated bank, and sees the deposit settled (已足额);
- a visitor switches the portal to English and back (the default is Chinese).

With ``YIWANG_SCREENSHOTS=1`` each journey saves its key page to ``docs/screenshots/<journey>.png`` (Chinese, the
viewport only, PNG under 300 KB); normal runs leave the tree alone (docs/portal.md, "Screenshots").
"""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from yiwang.identity import queries as identity_queries
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor
from yiwang.platform.clock import now
from yiwang.portal.demo import DEMO_PASSWORD
from yiwang.registry import actions as registry
from yiwang.services.finance import actions as finance
from yiwang.services.notices.tests import support as notices
from yiwang.services.venues import actions as venues
from yiwang.supervision.complaints import actions as complaints
from yiwang.supervision.redflags.demo import seed_collusion_scenario

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_BYTES = 300 * 1024


def screenshot(page, journey: str) -> None:
    """The key page of a journey, kept in docs/ when asked for (``YIWANG_SCREENSHOTS=1``)."""
    if os.environ.get("YIWANG_SCREENSHOTS") != "1":
        return
    assert page.locator("html").get_attribute("lang") == "zh-hans"  # every kept screenshot is the Chinese page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{journey}.png"
    page.screenshot(path=str(target), full_page=False)
    assert target.stat().st_size <= MAX_BYTES, f"{target.name}: {target.stat().st_size} bytes"


def _sign_in(page, username: str) -> None:
    page.set_default_timeout(60_000)  # a loaded two-core machine
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")


def test_a_visitor_searches_from_the_home_page_and_reads_the_notice(page):
    notice = notices.tender_notice(Actor.system("journey"))
    page.set_default_timeout(60_000)  # a loaded two-core machine
    page.goto("/")
    page.get_by_role("searchbox", name="搜索公告和项目").fill("道路 招标")
    page.get_by_role("button", name="一网尽览").click()
    page.wait_for_url("**/search/?q=*")
    hits = page.get_by_test_id("search-hits")
    hits.get_by_role("link", name=notice.title).wait_for()
    assert "共 1 条结果" in page.get_by_test_id("search-total").inner_text()
    screenshot(page, "visitor-search")

    hits.get_by_role("link", name=notice.title).click()
    page.wait_for_url(f"**/notices/{notice.pk}/")
    body = page.locator("main").inner_text()
    assert notice.title in body
    assert notice.number in body
    assert "2026-03-25 09:30" in body  # the bid deadline, in Shanghai time
    assert notice.data_sha256 in body  # the digest a reader can check
    screenshot(page, "visitor-notice")


@pytest.fixture
def collusion(live_server):
    call_command("seed_demo", stdout=io.StringIO())
    run = seed_collusion_scenario()
    assert run.alerts_raised == 1


def test_a_regulator_handles_the_collusion_alert_from_the_dashboard(page, collusion):
    _sign_in(page, "regulator-mh")
    page.goto("/supervision/")
    assert page.get_by_test_id("open-alerts").inner_text() == "1"
    page.get_by_test_id("alert-list").get_by_role("link", name="闵行区某道路综合改造工程施工", exact=False).click()
    page.wait_for_url("**/supervision/alerts/*/")
    page.get_by_role("link", name="处置此预警 ›").click()
    page.wait_for_url("**/supervision/redflags/*/")

    page.get_by_role("button", name="分派").click()  # to themself (the assignee left empty)
    page.get_by_role("button", name="开始核查").click()
    page.get_by_label("确认问题的理由（必填）").fill(
        "两家投标人使用同一台机器编制投标文件、同一账户缴纳保证金，移交稽查。"
    )
    page.get_by_role("button", name="确认问题").click()
    page.get_by_text("处理结论理由：两家投标人使用同一台机器").wait_for()
    history = page.locator("#history").locator("xpath=..").inner_text()
    for step in ("分派", "开始核查", "确认问题"):
        assert step in history, step
    assert "闵行区发改委监管员" in page.locator("main").inner_text()  # the assignee, by name
    assert page.get_by_role("button", name="办结").is_visible()  # the next step offered
    screenshot(page, "regulator-alert")

    page.get_by_label("办结的理由（必填）").fill("已移交稽查部门处理。")
    page.get_by_role("button", name="办结").click()
    page.get_by_text("办结理由：已移交稽查部门处理。").wait_for()
    page.goto("/supervision/")
    assert page.get_by_test_id("open-alerts").inner_text() == "0"  # handled: off the regulator's screen


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", stdout=io.StringIO())


def test_a_regulator_answers_a_complaint(page, demo):
    bidder = actor_for_account(identity_queries.find_account("pujiang"))
    (entity_id,) = bidder.entity_ids()
    known_on = (now() - timedelta(days=2)).astimezone(SHANGHAI).date()
    complaint = complaints.do_file_complaint(
        actor=bidder,
        data={
            "track": "works",
            "matter": "process",
            "complainant_entity_id": entity_id,
            "respondent": "上海申城工程咨询有限公司",
            "procedure_ref": "tender.section:demo-complaint",
            "procedure_title": "闵行区某道路综合改造工程施工（一标段）",
            "region_code": "310112",
            "facts": "招标代理机构在开标前向他人透露了已获取招标文件的潜在投标人名单。",
            "claims": "责令改正，依法处理。",
            "anchor_on": f"{known_on:%Y-%m-%d}",
        },
    )

    _sign_in(page, "regulator-mh")
    page.goto("/supervision/")  # the one-screen dashboard: its complaints panel
    panel = page.get_by_test_id("complaint-board")
    filed = int(panel.get_by_test_id("complaints-filed").inner_text())
    assert filed >= 1
    handling = int(panel.get_by_test_id("complaints-handling").inner_text())
    item = panel.get_by_role("listitem").filter(has_text="闵行区某道路综合改造工程施工（一标段）")
    assert "待受理" in item.inner_text()
    assert "受理期限" in item.inner_text()  # the time limit that runs, with its days left
    assert "剩" in item.get_by_test_id("complaint-due").inner_text()
    screenshot(page, "regulator-dashboard")
    item.get_by_role("link", name="闵行区某道路综合改造工程施工（一标段）").click()
    page.wait_for_url(f"**/complaints/{complaint.pk}/")
    body = page.locator("main").inner_text()
    assert "待受理" in body
    assert "受理期限" in body
    assert "《中华人民共和国招标投标法实施条例》" in body  # the rule behind the time limit

    page.get_by_label("办理").select_option("accept")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("已受理", exact=True).wait_for()
    page.get_by_label("办理").select_option("decide")
    page.get_by_label("处理结果（作出决定时）").select_option("upheld")
    page.get_by_label("理由 / 决定内容").fill("投诉事项成立，责令招标代理机构改正，并依法予以处理。")
    page.get_by_role("button", name="提交").click()
    page.get_by_text("已处理", exact=True).wait_for()
    body = page.locator("main").inner_text()
    assert "投诉成立" in body  # the outcome
    assert "投诉事项成立，责令招标代理机构改正" in body
    assert "上海浦江数智建设工程有限公司" in body  # the complainant
    screenshot(page, "regulator-complaint")

    page.goto("/supervision/")  # decided: off the regulator's panel
    panel = page.get_by_test_id("complaint-board")
    assert int(panel.get_by_test_id("complaints-filed").inner_text()) == filed - 1
    assert int(panel.get_by_test_id("complaints-handling").inner_text()) == handling
    assert "闵行区某道路综合改造工程施工（一标段）" not in panel.inner_text()


def test_staff_book_an_evaluation_room(page, demo):
    account = identity_queries.find_account("staff-mh")
    staff = actor_for_account(account)
    (organisation_id,) = {g.organisation_id for g in staff.grants if g.organisation_id}
    site = venues.do_create_site(
        actor=staff, organisation_id=organisation_id, name="闵行交易大厅", region_code="310112", address="沪闵路 1 号"
    )
    room = venues.do_create_room(
        actor=staff,
        site_id=site.pk,
        data={"code": "P1", "name": "评标室1", "kind": "evaluation_room", "capacity": 9, "recording": True},
    )
    venues.do_add_seats(
        actor=staff, room_id=room.pk, seats=[{"number": f"E{i:02d}", "camera_id": f"cam-E{i:02d}"} for i in range(1, 8)]
    )
    tomorrow = (now() + timedelta(days=1)).astimezone(SHANGHAI).date()

    _sign_in(page, "staff-mh")
    page.goto("/venues/bookings/new/")
    page.get_by_label("房间").select_option(str(room.pk))
    page.get_by_label("用途").select_option("evaluation")
    page.get_by_label("开始时间（北京时间）").fill(f"{tomorrow:%Y-%m-%d}T14:00")
    page.get_by_label("结束时间（北京时间）").fill(f"{tomorrow:%Y-%m-%d}T17:00")
    page.get_by_label("席位/座位数").fill("5")
    page.get_by_label("席位/座位数").dispatch_event("change")
    assert "该时段可以预约" in page.get_by_test_id("free").inner_text()  # checked before submitting
    page.get_by_label("业务对象引用").fill("tender.section:demo-1")
    page.get_by_label("项目名称", exact=True).fill("闵行区某道路综合改造工程施工（一标段）评标")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/venues/bookings/*/")
    body = page.locator("main").inner_text()
    assert "场地申请已预约。" in body
    assert page.get_by_test_id("status").inner_text() == "审核通过"  # its own centre's room: approved at once
    assert "闵行区某道路综合改造工程施工（一标段）评标" in body
    assert "评标室1" in body
    assert page.get_by_test_id("code").inner_text().strip()  # the on-site check-in code
    screenshot(page, "staff-booking")


def test_a_bidder_pays_a_deposit(page, demo):
    system = Actor.system("journey")
    bidder = actor_for_account(identity_queries.find_account("pujiang"))
    (entity_id,) = bidder.entity_ids()
    basic_account = "1001200300400501"
    registry.do_set_basic_account(
        actor=system,
        entity_id=entity_id,
        expected_version=None,
        data={
            "bank_name": "中国工商银行",
            "branch_name": "上海分行",
            "account_name": "上海浦江数智建设工程有限公司",
            "account_number": basic_account,
        },
    )
    lot = finance.do_set_deposit_requirement(
        actor=system,
        lot_ref="tender.section:demo-deposit",
        regime="works",
        opening_at=now() + timedelta(days=20),
        amount_fen=10_000_000,
        rate=None,
        base_fen=1_000_000_000,
        title="闵行区某道路综合改造工程施工（一标段）",
    )
    deposit = finance.do_open_deposit_account(actor=bidder, lot_ref=lot.ref, entity_id=entity_id)

    _sign_in(page, "pujiang")
    page.goto("/finance/mine/")
    card = page.locator(".card", has_text="闵行区某道路综合改造工程施工（一标段）")
    assert "待缴纳" in card.inner_text()
    assert deposit.virtual_account in card.inner_text()
    assert "¥100,000.00" in card.inner_text()  # the amount due

    page.goto("/finance/simbank/")  # the demonstration's stand-in for the bidder's bank
    page.get_by_label("收款虚拟子账号").fill(deposit.virtual_account)
    page.get_by_label("金额（元）").fill("100,000.00")
    page.get_by_label("付款账号").fill(basic_account)
    page.get_by_label("付款户名").fill("上海浦江数智建设工程有限公司")
    page.get_by_role("button", name="转账").click()
    page.get_by_text("模拟银行已转账").wait_for()

    page.goto("/finance/mine/")
    card = page.locator(".card", has_text="闵行区某道路综合改造工程施工（一标段）")
    text = card.inner_text()
    assert "已足额" in text
    assert "¥100,000.00（当前留存 ¥100,000.00）" in text
    assert "不一致" not in text  # paid from the registered basic account
    screenshot(page, "bidder-deposit")


def test_a_visitor_switches_to_english_and_back(page):
    page.set_default_timeout(60_000)
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    nav = page.get_by_role("navigation", name="主导航")
    assert nav.get_by_role("link", name="首页").is_visible()
    nav.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    nav = page.get_by_role("navigation", name="Main navigation")
    assert nav.get_by_role("link", name="Home").is_visible()
    assert "Trading categories" in page.get_by_test_id("stats").inner_text()
    page.goto("/search/")  # remembered on the next page
    assert page.get_by_role("button", name="Search", exact=True).is_visible()
    page.get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_role("button", name="搜索", exact=True).is_visible()

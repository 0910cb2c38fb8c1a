"""English beyond the chrome: under the switch the workbench, the search page, a notice, the 一屏管交易 dashboard
and the complaint pages read in English: their headings, labels, buttons, table heads, to-do labels and the
states and kinds shown. What people entered or the catalogues hold stays as written (names, titles, region and
category names, legal citations) and is named in each test. Without the switch the same pages are Chinese."""

from __future__ import annotations

import re

import pytest

from yiwang.identity.actions import do_create_account, do_grant_role
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.ids import make_uscc
from yiwang.platform.web.testing import CHROME, PageText, chinese_left, use_english
from yiwang.registry import actions as registry
from yiwang.services.notices.tests import support as notices
from yiwang.supervision.complaints import actions as complaints
from yiwang.supervision.stats import queries as stats

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
TITLE = "闵行某道路工程施工（一标段）"
COMPANY = "上海申城建设有限公司"


def _company() -> int:
    return registry.do_register_entity(
        actor=SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": make_uscc("9", "1", "310112", "MA0ENGL1"),
            "name": COMPANY,
            "legal_rep_name": "李明",
            "legal_rep_id_number": "310117198001011230",
            "region_code": "310112",
            "address": "上海市闵行区沪闵路 2 号",
            "contact_name": "李明",
            "contact_phone": "13800000002",
            "registered_capital_fen": 100_000_000,
            "established_on": "2003-05-06",
            "enterprise_nature": "1",
            "business_scope": "建筑工程施工。",
            "roles": ["bidder"],
        },
    ).pk


def _complaint(entity_id: int):
    user = Actor(ActorKind.ACCOUNT, "601", "主体用户", (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=entity_id),))
    return complaints.do_file_complaint(
        actor=user,
        data={
            "track": "works",
            "matter": "process",
            "complainant_entity_id": entity_id,
            "respondent": "上海某招标代理有限公司",
            "procedure_ref": "tender.section:english-1",
            "procedure_title": TITLE,
            "region_code": "310112",
            "facts": "招标代理机构在开标后泄露投标人名单。",
            "claims": "责令改正并依法处理。",
            "anchor_on": "2026-02-27",
        },
    )


@pytest.fixture
def regulator(client, clock):
    person = do_create_account(actor=SYSTEM, username="mh-reg", display_name="闵行监管员", password="Lang-test-2026")
    do_grant_role(actor=SYSTEM, role=Role.REGULATOR, account=person, region="310112")
    client.force_login(person)
    return person


def test_the_workbench_in_english(client, clock):
    person = do_create_account(actor=SYSTEM, username="many", display_name="多角色", password="Lang-test-2026")
    do_grant_role(actor=SYSTEM, role=Role.STAFF, account=person, region="310112", admin=False)
    do_grant_role(actor=SYSTEM, role=Role.REGULATOR, account=person, region="310112")
    do_grant_role(actor=SYSTEM, role=Role.AUDITOR, account=person, region="310000")
    _complaint(_company())
    client.force_login(person)
    chinese = client.get("/workbench/").content.decode()
    assert "交易中心工作人员" in chinese
    assert "投诉待受理" in chinese

    use_english(client)
    html = client.get("/workbench/").content.decode()
    for english in ("Trading-centre staff", "Regulator", "Auditor", "To do", "Complaints", "Messages"):
        assert english in html, english
    assert f"Complaint to accept (tendering): {TITLE}" in html
    witness_actors = ("主体用户", "系统")  # the regulator's panel lists recent witness entries with their actors
    assert chinese_left(html, "多角色", TITLE, *witness_actors, "中文") == []


def test_the_dashboard_in_english(client, regulator):
    _complaint(_company())
    chinese = client.get("/supervision/").content.decode()
    assert "一屏管交易" in chinese
    assert "受理期限" in chinese

    use_english(client)
    html = client.get("/supervision/").content.decode()
    for english in ("One-screen supervision", "Complaints", "Acceptance deadline", "Indicators", "Savings rate"):
        assert english in html, english
    for english in ("Deal value (CNY 10k)", "Trades published"):  # the charts' series, drawn by the script
        assert english in html, english
    categories = stats.category_names().values()  # the trading catalogue's names, in the category filter
    assert chinese_left(html, "闵行监管员", TITLE, "闵行区", *categories, "中文") == []


def test_the_complaint_pages_in_english(client, regulator):
    c = _complaint(_company())
    assert "受理期限" in client.get(f"/complaints/{c.pk}/").content.decode()

    use_english(client)
    html = client.get(f"/complaints/{c.pk}/").content.decode()
    for english in ("Awaiting acceptance", "Acceptance deadline", "Complainant", "Submit"):
        assert english in html, english
    data = (
        "闵行监管员",
        TITLE,
        COMPANY,
        "上海某招标代理有限公司",
        "招标代理机构在开标后泄露投标人名单。",
        "责令改正并依法处理。",
    )
    sources = {c.rules[k]["source"] for k in ("filing", "acceptance", "decision")}
    assert chinese_left(html, *data, *sources, "中文") == []
    index = client.get("/complaints/").content.decode()
    assert "Complaints and their handling" in index
    assert chinese_left(index, "闵行监管员", TITLE, COMPANY, "中文") == []


def test_the_filing_form_in_english(client, clock):
    person = do_create_account(actor=SYSTEM, username="filer", display_name="投诉人", password="Lang-test-2026")
    client.force_login(person)
    use_english(client)
    html = client.get("/complaints/new/").content.decode()
    assert "File a complaint" in html
    assert chinese_left(html, "投诉人", "中文") == []


def test_the_search_page_and_a_notice_in_english(client, clock):
    notice = notices.tender_notice(SYSTEM)
    assert "公告编号" in client.get(f"/notices/{notice.pk}/").content.decode()

    use_english(client)
    search = client.get("/search/", {"q": "道路"}).content.decode()
    for english in ("Search · full text", "Filters", "By relevance", "Newest first", ">Notice<"):
        assert english in search, english
    # the hits, and the region, category and stage names of the filters, are data: the chrome is checked
    example = ("闵行", "施工招标")  # the search box's example keywords stay Chinese: the notices are
    assert chinese_left(search, *example, "中文", only=CHROME) == []
    html = client.get(f"/notices/{notice.pk}/").content.decode()
    for english in ("Notice number", "Published", "Download PDF"):
        assert english in html, english
    body = PageText()
    body.feed(notice.body_html)  # the notice's own text, as its publisher wrote it
    category, region = "工程建设项目招标投标", "闵行区"  # the catalogue's names
    money = re.findall(r"[\d,.]+ 元", html)  # amounts as the notices context formats them (a value, not a label)
    data = (notice.title, *body.parts, "上海市闵行区建设和管理委员会", category, region, *money)
    assert chinese_left(html, *data, "中文") == []

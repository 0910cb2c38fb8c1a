"""A sub-platform operator checks its data-quality report (issue 11, item 2; docs/exchange.md §8).

The demo installation's operator of the works sub-platform (``sp-operator``) signs in. The sub-platform was
registered and, last month, pushed a works tender out of order (the result before any notice, opening or
candidate publicity, and a result sent before its opening took place) and the same tender project twice under
two codes. The workbench shows a to-do for the failed month; the report names the failing measures and the
records; another sub-platform's report does not exist for the operator (404).

With ``YIWANG_SCREENSHOTS=1`` the report page is saved to ``docs/screenshots/subplatform-quality.png`` (Chinese,
the viewport only, under 300 KB; docs/portal.md, "Screenshots").
"""

from __future__ import annotations

import io
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from yiwang.exchange.subplatform import actions
from yiwang.exchange.subplatform.tests import support as sp
from yiwang.identity import queries as identity_queries
from yiwang.identity.auth import actor_for_account
from yiwang.identity.ca.tests.support import Pki
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.clock import ManualClock
from yiwang.platform.clock import now, use_clock
from yiwang.portal.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MAX_BYTES = 300 * 1024
OTHER = sp.GP  # the GP sub-platform: registered too, not the operator's


def screenshot(page, journey: str) -> None:
    if os.environ.get("YIWANG_SCREENSHOTS") != "1":
        return
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{journey}.png"
    page.screenshot(path=str(target), full_page=False)
    assert target.stat().st_size <= MAX_BYTES, f"{target.name}: {target.stat().st_size} bytes"


def _last_month() -> datetime:
    today = now().astimezone(SHANGHAI)
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return datetime(year, month, 10, 9, 0, tzinfo=SHANGHAI)


def _push_last_month() -> str:
    """Register the works and GP sub-platforms and push last month's records of the works one; the month."""
    admin = actor_for_account(identity_queries.find_account("admin"))
    pki = Pki("sm2")
    platform, _client = sp.register(admin, None, None, pki)
    sp.register(admin, None, None, pki, code=OTHER, client_id="sp-gp")
    moment = _last_month()
    ts = moment.strftime("%Y%m%d%H%M%S")
    day = moment.strftime("%Y%m%d")
    machine = Actor(ActorKind.CLIENT, "sp-works", "sp-works", (RoleGrant(Role.SUBPLATFORM_CLIENT, region="310000"),))
    common = {"DATA_TIMESTAMP": ts}
    with use_clock(ManualClock(moment)):
        actions.do_push_records(
            actor=machine,
            pusher=actions.Pusher(platform, "journey", "journey-nonce-0001"),
            items=[
                ("PROJECT", sp.project(**common)),
                ("TENDER_PROJECT", sp.tender_project(**common)),
                ("SECTION", sp.section(**common)),
                ("WIN_RESULT_ANNO", sp.result(**common, NOTICE_SEND_TIME=f"{day}084500")),
                ("TENDER_ANN_QUA_INQUERY_ANN", sp.tender_notice(**common, NOTICE_SEND_TIME=f"{day}080000")),
                ("BID_OPENING_RECORD", sp.opening(**common, BID_OPENING_TIME=f"{day}085000")),
                ("TENDER_PROJECT", sp.tender_project(**common, TENDER_PROJECT_CODE="E3101120001000009")),
            ],
            channel="batch",
        )
    return moment.strftime("%Y-%m")


@pytest.fixture
def seeded(live_server) -> str:
    call_command("seed_demo", stdout=io.StringIO())
    return _push_last_month()


def test_a_subplatform_operator_checks_its_data_quality_report(page, seeded):
    month = seeded
    page.set_default_timeout(60_000)  # a loaded two-core machine
    page.goto("/accounts/login/")
    page.fill("#id_username", "sp-operator")
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")

    todos = page.get_by_test_id("todos-subplatform_operator")
    todo = todos.get_by_role("link").filter(has_text=f"上月（{month}）数据质量未达标")
    assert "环节顺序一致率" in todo.inner_text()
    assert "重复数据率" in todo.inner_text()
    todo.click()
    page.wait_for_url(f"**/exchange/quality/mine/?month={month}")

    main = page.locator("main")
    assert f"数据质量月报 · {month}" in main.inner_text()
    assert sp.WORKS in main.inner_text()
    consistency = page.get_by_test_id("measure-consistency")
    assert "环节顺序一致率" in consistency.inner_text()
    assert page.get_by_test_id("value-consistency").inner_text() == "85.71%"  # 6 of the 7 new records
    assert page.get_by_test_id("verdict-consistency").inner_text() == "未达标"
    assert "本中心自定" in consistency.inner_text()  # the threshold's source says whose figure it is
    assert page.get_by_test_id("verdict-duplicates").inner_text() == "未达标"
    assert page.get_by_test_id("verdict-acceptance").inner_text() == "达标"
    findings = page.get_by_test_id("findings-consistency").inner_text()
    assert "quality.stage_missing" in findings
    assert "WIN_RESULT_ANNO E3101120001000001001" in findings  # the record named
    assert "中标候选人公示" in findings  # and the stage it lacked
    assert "quality.stage_order" in findings
    duplicates = page.get_by_test_id("findings-duplicates").inner_text()
    assert "E3101120001000009" in duplicates
    assert "E3101120001000001" in duplicates  # the original named with it
    screenshot(page, "subplatform-quality")

    with page.expect_download() as download:
        page.get_by_test_id("csv").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "quality.duplicate_content" in text

    other = page.goto(f"/exchange/quality/{OTHER}/?month={month}")
    assert other.status == 404  # another sub-platform's report does not exist for this operator
    assert page.goto("/exchange/records/").status == 403  # nor are the centre's exchange pages theirs

"""一屏管交易 in the browser: after ``seed-demo`` and the seeded collusion scenario (two bidders sharing a machine
code and a deposit account, prices in progression, 闵行), the demo regulator of 闵行 signs in, opens the
dashboard, sees the alert with its explanation, drills down to the section it is about and to the witness
entries; the dashboard is usable at phone width; a market participant is refused."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from yiwang.portal.demo import DEMO_PASSWORD
from yiwang.supervision.redflags.demo import MACHINE_MAC, seed_collusion_scenario

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(live_server):
    call_command("seed_demo", stdout=io.StringIO())
    run = seed_collusion_scenario()
    assert run.alerts_raised == 1


def _sign_in(page, username: str) -> None:
    page.set_default_timeout(60_000)  # a loaded two-core machine
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")


def test_the_regulator_sees_the_collusion_alert_and_drills_down(page, seeded):
    _sign_in(page, "regulator-mh")
    page.goto("/supervision/")
    assert page.locator("h1").first.inner_text() == "一屏管交易"
    assert page.get_by_test_id("open-alerts").inner_text() == "1"
    alerts = page.get_by_test_id("alert-list")
    link = alerts.get_by_role("link", name="闵行区某道路综合改造工程施工（一标段）", exact=False)
    assert link.is_visible()
    assert "同一机器制作投标文件" in alerts.inner_text()  # the explanation, by indicator names
    # the charts were drawn by the vendored ECharts (SVG renderer), the district tiles name 闵行
    page.locator("#chart-trend svg").first.wait_for()
    tiles = page.get_by_test_id("district-tiles")
    assert "闵行区" in tiles.inner_text()
    assert "预警 1" in tiles.inner_text()

    link.click()
    page.wait_for_url("**/supervision/alerts/*/")
    body = page.locator("main").inner_text()
    assert "为什么预警" in body
    assert page.get_by_test_id("finding-CN-40-1").is_visible()
    assert MACHINE_MAC.replace("-", "") in body  # the shared machine code (normalised)
    assert "6222****8899" in body  # the shared deposit account
    assert "浦江" in body or "绿源" in body  # the bidders, by name
    # the section it is about: the snapshot's section, and the witness entries of the alert and its run
    subject = page.get_by_test_id("external-subject")
    assert "tender.section:demo-collusion-1" in subject.inner_text()
    witness = page.get_by_test_id("witness").inner_text()
    assert "redflags.run_screens" in witness
    # on to the red-flag workflow page for the same alert
    page.get_by_role("link", name="处置此预警 ›").click()
    page.wait_for_url("**/supervision/redflags/*/")


def test_the_dashboard_works_at_phone_width(phone, seeded):
    _sign_in(phone, "regulator-mh")
    phone.goto("/supervision/")
    phone.get_by_test_id("alert-list").wait_for()
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert phone.get_by_test_id("totals").is_visible()


def test_a_market_participant_never_sees_the_dashboard(page, seeded):
    _sign_in(page, "pujiang")
    response = page.goto("/supervision/")
    assert response.status == 403
    assert "闵行区某道路" not in page.content()

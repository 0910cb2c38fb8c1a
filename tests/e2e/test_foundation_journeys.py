"""What people see: a visitor reads the catalogue, a company registers once, staff see their workbench."""

from __future__ import annotations

import pytest

from yiwang.identity.actions import do_create_account, do_grant_role
from yiwang.kernel.actors import Actor, Role

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Journey-test-2026"


def test_a_visitor_reads_the_catalogue_and_a_rule_with_its_source(page):
    page.goto("/")
    assert page.locator("h1").first.inner_text() == "上海市公共资源“一网交易”"
    categories = page.get_by_test_id("categories")
    assert categories.get_by_text("工程建设", exact=False).first.is_visible()
    page.get_by_role("link", name="查看完整目录 ›").click()
    page.wait_for_url("**/catalog/lists/trading/")
    assert "交易目录" in page.locator("h1").inner_text()
    page.goto("/catalog/lists/rules/")
    body = page.locator("main").inner_text()
    assert "tender.bid_period_min" in body or "投标" in body
    assert "招标投标法" in body  # every legal number shows the document it comes from


def test_the_home_page_works_at_phone_width(phone):
    phone.goto("/")
    toggler = phone.locator(".navbar-toggler")
    assert toggler.is_visible()
    toggler.click()
    phone.get_by_role("navigation", name="主导航").get_by_role("link", name="目录清单").wait_for(state="visible")
    # nothing is wider than the screen
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


def test_the_navigation_reaches_every_system(page):
    """One portal: the trading, service and supervision systems are a click away from any page."""
    nav = page.get_by_role("navigation", name="主导航")
    for menu, item, url in (
        ("交易", "招标投标与政府采购", "**/tender/"),
        ("交易", "碳排放权交易", "**/orderbook/"),
        ("服务", "信用信息", "**/credit/"),
    ):
        page.goto("/")
        nav.get_by_role("button", name=menu, exact=True).click()
        nav.get_by_role("link", name=item, exact=True).click()
        page.wait_for_url(url)
        assert page.locator("h1").first.is_visible()
    page.goto("/")
    nav.get_by_role("link", name="投诉", exact=True).click()
    page.wait_for_url("**/complaints/")


def test_a_company_signs_up_registers_once_and_becomes_its_administrator(page):
    page.goto("/accounts/signup/")
    page.fill("#id_username", "pujiang-bid")
    page.fill("#id_display_name", "浦江投标员")
    page.fill("#id_mobile", "13912345678")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.get_by_role("button", name="注册").click()
    page.wait_for_url("**/workbench/")
    assert "登记市场主体" in page.locator("main").inner_text()

    page.goto("/registry/register/")
    page.fill("input[name=uscc]", "91310115MA1FL2X37F")
    page.locator("input[name=uscc]").dispatch_event("change")  # htmx fetches the official record (零提供)
    page.get_by_test_id("lookup-found").wait_for()
    assert page.locator("input[name=name]").input_value() == "上海浦江数智建设工程有限公司"
    page.fill("input[name=contact_name]", "浦江投标员")
    page.fill("input[name=contact_phone]", "13912345678")
    page.locator("input[name=roles][value=bidder]").check()
    page.get_by_role("button", name="提交登记").click()
    page.wait_for_url("**/registry/*/")
    assert "上海浦江数智建设工程有限公司" in page.locator("main").inner_text()

    page.goto("/workbench/")
    panel = page.get_by_test_id("panel-market_entity_user")
    assert "上海浦江数智建设工程有限公司" in panel.inner_text()

    # one registration for every platform: a second registration of the same code is refused, pointing to it
    page.goto("/registry/register/")
    page.fill("input[name=uscc]", "91310115MA1FL2X37F")
    page.locator("input[name=uscc]").dispatch_event("change")
    page.get_by_test_id("lookup-existing").wait_for()


def test_a_bad_credit_code_is_explained_next_to_the_field(page):
    do_create_account(actor=Actor.system("test"), username="checker", display_name="核对员", password=PASSWORD)
    page.goto("/accounts/login/")
    page.fill("#id_username", "checker")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")
    page.goto("/registry/register/")
    page.fill("input[name=uscc]", "91310115MA1FL2X37G")  # wrong check character
    page.locator("input[name=uscc]").dispatch_event("change")
    warning = page.get_by_test_id("lookup-error")
    warning.wait_for()
    assert "uscc.check_digit" in warning.inner_text()


def test_staff_see_their_region_and_the_catalogue_tasks(page):
    system = Actor.system("test")
    staff = do_create_account(actor=system, username="mh-staff", display_name="闵行工作人员", password=PASSWORD)
    do_grant_role(actor=system, role=Role.STAFF, account=staff, region="310112")
    page.goto("/accounts/login/")
    page.fill("#id_username", "mh-staff")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")
    panel = page.get_by_test_id("panel-staff")
    assert "310112" in panel.inner_text()
    assert "2027 年节假日安排为暂定数据" in panel.inner_text()

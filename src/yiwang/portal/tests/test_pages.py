"""The public home page and the workbench, as people see them."""

from __future__ import annotations

import pytest

from yiwang.identity.actions import do_create_account, do_grant_role
from yiwang.kernel.actors import Actor, Role

pytestmark = pytest.mark.django_db

PASSWORD = "Portal-test-2026"


def test_home_lists_the_trading_catalogue_and_platforms(client):
    page = client.get("/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "一网交易" in text
    assert "工程建设" in text  # a category of the Shanghai trading catalogue
    assert "应进必进" in text
    assert "能进则进" in text
    assert "上海市公共资源交易平台（" in text
    assert "分平台）" in text
    assert 'lang="zh-hans"' in text
    assert "cdn" not in text.lower()


def test_workbench_needs_a_signed_in_person(client):
    response = client.get("/workbench/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_workbench_shows_a_panel_per_role(client, clock):
    system = Actor.system("test")
    person = do_create_account(actor=system, username="multi", display_name="多角色", password=PASSWORD)
    do_grant_role(actor=system, role=Role.STAFF, account=person, region="310112", admin=False)
    do_grant_role(actor=system, role=Role.REGULATOR, account=person, region="310000")
    client.force_login(person)
    text = client.get("/workbench/").content.decode()
    assert 'data-testid="panel-staff"' in text
    assert "310112" in text
    assert 'data-testid="panel-regulator"' in text
    assert 'data-testid="panel-expert"' not in text


def test_workbench_without_roles_points_to_entity_registration(client, clock):
    person = do_create_account(actor=Actor.anonymous(), username="newbie", display_name="新用户", password=PASSWORD)
    client.force_login(person)
    text = client.get("/workbench/").content.decode()
    assert "登记市场主体" in text


def test_pages_fit_a_phone(client):
    text = client.get("/").content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in text
    assert "navbar-toggler" in text

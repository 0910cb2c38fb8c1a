"""The registry's pages under the English switch: the search results and filters, an entity's page (with its
timeline), registration with the authoritative prefill, 我的主体 and the pages that keep a registration up to
date read in English. What people entered and the catalogues hold stays as written (names, addresses, business
scope, region names, the authoritative source's name) and is named in each test. Without the switch the same
pages are Chinese."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.platform.web.testing import chinese_left, use_english
from yiwang.registry import queries
from yiwang.registry.tests.support import MINHANG, admin_of, person, staff

pytestmark = pytest.mark.django_db

SWITCH = "中文"  # the language switch's own label


@pytest.fixture
def visit(client, test_actors):
    """``visit(actor)`` → the test client acting as ``actor`` (the registry tests' made-up actors)."""

    def as_actor(actor):
        test_actors[actor.ref] = actor
        client.defaults["HTTP_X_TEST_ACTOR"] = actor.ref
        return client

    return as_actor


def _data(entity) -> tuple[str, ...]:
    """What the demo company's pages show as entered or fetched: names, address, scope, source, regions."""
    view = queries.get_entity_for(admin_of(entity.pk), entity.pk)
    regions = tuple(label for _, label in queries.region_choices())  # children indented with U+3000
    return (
        view.name,
        view.address,
        view.legal_rep_name,
        view.business_scope,
        view.verified_source or "",
        view.region_name,
        "中国银行",
        "陈建华",
        "沪131000001",
        "刘敏",  # the contact person
        "张三",  # people by their names: the registrant, the administrator, a centre's staff member
        "主体管理员100",
        "交易中心200",
        *regions,
    )


def test_search_results_and_the_entity_page_in_english(client, company):
    assert "共 1 个主体" in client.get(reverse("registry:search"), {"q": "浦江"}).content.decode()

    use_english(client)
    html = client.get(reverse("registry:search"), {"q": "浦江"}).content.decode()
    for english in ("1 entities", "Legal person", "Bidder", "All roles"):
        assert english in html, english
    assert chinese_left(html, *_data(company), SWITCH) == []
    none = client.get(reverse("registry:search"), {"q": "没有这家"}, headers={"HX-Request": "true"})
    assert "No entity matches" in none.content.decode()

    public = client.get(reverse("registry:detail", args=[company.pk])).content.decode()
    for english in ("Registration data", "Qualifications", "Key personnel", "Basic deposit account", "Active"):
        assert english in public, english
    assert chinese_left(public, *_data(company), SWITCH) == []


def test_the_entity_page_with_its_timeline_for_staff_in_english(visit, company):
    client = visit(staff())
    assert "变更记录" in client.get(reverse("registry:detail", args=[company.pk])).content.decode()

    use_english(client)
    html = client.get(reverse("registry:detail", args=[company.pk])).content.decode()
    for english in ("Change history", "Entity status (trading centre)", "Change the status", "Registration"):
        assert english in html, english
    assert "Category: Project manager" in html  # a timeline value, by its catalogue label
    assert chinese_left(html, *_data(company), SWITCH) == []


def test_registration_and_mine_in_english(visit, company):
    client = visit(person(1))  # 测试用户1, named in the navigation
    assert "市场主体登记" in client.get(reverse("registry:register")).content.decode()

    use_english(client)
    html = client.get(reverse("registry:register")).content.decode()
    for english in ("Market entity registration", "Unified social credit code", "Submit the registration"):
        assert english in html, english
    assert chinese_left(html, *_data(company), "测试用户1", SWITCH) == []
    lookup = client.get(reverse("registry:lookup"), {"uscc": MINHANG}).content.decode()
    assert "nothing to provide or upload again" in lookup
    minhang = queries.lookup_official_record(MINHANG)
    fetched = (minhang.name, minhang.source, minhang.address, minhang.legal_rep_name, minhang.business_scope)
    assert chinese_left(lookup, *fetched, *_data(company)) == []
    bad = client.get(reverse("registry:lookup"), {"uscc": "91310115MA1FL2X37G"}).content.decode()
    assert "uscc.check_digit" in bad
    assert chinese_left(bad, *_data(company)) == []

    mine = visit(admin_of(company.pk)).get(reverse("registry:mine")).content.decode()
    assert "My entities" in mine or "My entity" in mine
    assert chinese_left(mine, *_data(company), SWITCH) == []


def test_the_registration_upkeep_pages_in_english(visit, company):
    client = visit(admin_of(company.pk))
    pages = ("edit", "qualifications", "personnel", "bank_account")
    assert "基本存款账户" in client.get(reverse("registry:bank_account", args=[company.pk])).content.decode()

    use_english(client)
    for name in pages:
        html = client.get(reverse(f"registry:{name}", args=[company.pk])).content.decode()
        assert "Basic deposit account" in html, name
        assert chinese_left(html, *_data(company), SWITCH) == [], name
    wrong = client.post(
        reverse("registry:personnel", args=[company.pk]),
        {"name": "王工", "id_document_type": "resident_id", "id_number": "310115198506154567"},
    )
    assert wrong.status_code == 422
    assert "(id.check_digit)" in wrong.content.decode() or "check_digit" in wrong.content.decode()
    assert chinese_left(wrong.content.decode(), *_data(company), "王工", SWITCH) == []

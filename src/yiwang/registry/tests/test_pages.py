"""The registry pages render the right content for the right person, and show each error next to its field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from yiwang.registry.models import Entity
from yiwang.registry.tests.support import (
    MINHANG,
    PUJIANG,
    admin_of,
    person,
    staff,
)


@pytest.fixture
def browse(test_actors, client, db, clock):
    """``browse(actor)`` → a function doing GET/POST as ``actor`` (``None`` = anonymous)."""

    def as_actor(actor=None):
        headers = {}
        if actor is not None:
            key = f"page-{actor.ref}-{len(test_actors)}"
            test_actors[key] = actor
            headers["X-Test-Actor"] = key

        class Browser:
            def get(self, url, data=None, **extra):
                return client.get(url, data or {}, headers={**headers, **extra.pop("headers", {})}, **extra)

            def post(self, url, data=None, **extra):
                return client.post(url, data or {}, headers={**headers, **extra.pop("headers", {})}, **extra)

        return Browser()

    return as_actor


def html(response) -> str:
    return response.content.decode()


def test_search_page(browse, company):
    response = browse().get(reverse("registry:search"), {"q": "浦江"})
    assert response.status_code == 200
    page = html(response)
    assert "市场主体查询" in page
    assert "上海浦江数智建设工程有限公司" in page
    assert "共 1 个主体" in page
    partial = browse().get(reverse("registry:search"), {"q": "不存在的公司"}, headers={"HX-Request": "true"})
    assert "<html" not in html(partial)
    assert "没有符合条件的主体" in html(partial)
    by_region = browse().get(reverse("registry:search"), {"region": "310112"})
    assert "共 0 个主体" in html(by_region)


def test_public_entity_page_is_masked(browse, company):
    page = html(browse().get(reverse("registry:detail", args=[company.pk])))
    assert "上海浦江数智建设工程有限公司" in page
    assert PUJIANG in page
    assert "310***********4568" in page
    assert "310115198506154568" not in page
    assert "****6789" in page
    assert "45635123456789" not in page
    assert "13812345678" not in page  # contact phone
    assert "变更记录" not in page
    assert "D231000001" in page
    assert "变更登记" not in page


def test_own_entity_page_shows_everything(browse, company):
    page = html(browse(admin_of(company.pk)).get(reverse("registry:detail", args=[company.pk])))
    assert "310115198506154568" in page
    assert "45635123456789" in page
    assert "13812345678" in page
    assert "变更记录" in page
    assert "主体登记" in page
    assert "基本存款账户" in page
    assert "变更登记" in page  # management links
    assert "project_manager" not in page  # code values appear by their labels, in the timeline too
    assert "类别：项目负责人（项目经理）" in page
    assert "主体状态（交易中心）" not in page
    staff_page = html(browse(staff()).get(reverse("registry:detail", args=[company.pk])))
    assert "主体状态（交易中心）" in staff_page


def test_unknown_entity_page(browse, db):
    assert browse().get(reverse("registry:detail", args=[999])).status_code == 404


def test_registration_needs_sign_in(browse, db):
    response = browse().get(reverse("registry:register"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_registration_page_prefills_from_the_authoritative_source(browse):
    someone = browse(person(1))
    page = html(someone.get(reverse("registry:register")))
    assert "市场主体登记" in page
    assert 'hx-get="/registry/lookup/"' in page
    partial = html(someone.get(reverse("registry:lookup"), {"uscc": PUJIANG.lower(), "contact_name": "刘敏"}))
    assert "<html" not in partial
    assert "零提供" in partial
    assert 'value="上海浦江数智建设工程有限公司"' in partial
    assert 'value="刘敏"' in partial  # what the person typed is kept
    assert 'value="310115" selected' in partial
    bad = html(someone.get(reverse("registry:lookup"), {"uscc": "91310115MA1FL2X37G"}))
    assert "统一社会信用代码校验位错误" in bad
    assert "uscc.check_digit" in bad
    direct = html(someone.get(reverse("registry:register"), {"uscc": MINHANG}))
    assert 'value="上海闵行绿源环保科技有限公司"' in direct


def _form(**overrides):
    data = {
        "kind": "legal_person",
        "uscc": PUJIANG,
        "contact_name": "刘敏",
        "contact_phone": "13812345678",
        "roles": ["bidder"],
        "id_document_type": "resident_id",
        "legal_rep_id_type": "resident_id",
    }
    data.update(overrides)
    return data


def test_registration_errors_appear_next_to_their_fields(browse):
    response = browse(person(1)).post(reverse("registry:register"), _form(contact_phone="110", contact_email="x@"))
    assert response.status_code == 422
    page = html(response)
    assert "电话号码格式不正确" in page
    assert 'data-field="contact_phone"' in page
    assert "registry.phone_format" in page
    assert 'data-field="contact_email"' in page
    assert not Entity.objects.exists()


def test_registration_mismatch_and_capital_in_yuan(browse):
    response = browse(person(1)).post(reverse("registry:register"), _form(registered_capital="100.00"))
    assert response.status_code == 422
    page = html(response)
    assert "与权威登记信息不一致" in page
    assert 'data-field="registered_capital"' in page


def test_registration_through_the_page(browse):
    someone = browse(person(1))
    response = someone.post(reverse("registry:register"), _form(registered_capital="50,000,000.00"))
    assert response.status_code == 302
    entity = Entity.objects.get(uscc=PUJIANG)
    assert response["Location"] == reverse("registry:detail", args=[entity.pk])
    assert entity.registered_capital_fen == 5_000_000_000
    again = someone.post(reverse("registry:register"), _form())
    assert again.status_code == 409
    assert "已登记" in html(again)
    assert reverse("registry:detail", args=[entity.pk]) in html(again)


def test_natural_person_through_the_page(browse):
    response = browse(person(1)).post(
        reverse("registry:register"),
        {
            "kind": "natural_person",
            "id_document_type": "resident_id",
            "id_number": "310112199001011234",
            "name": "赵小明",
            "region_code": "310112",
            "contact_name": "赵小明",
            "contact_phone": "13912345678",
            "roles": ["transferee"],
        },
    )
    assert response.status_code == 422
    assert "身份证号码校验位错误" in html(response)
    assert 'data-field="id_number"' in html(response)


def test_edit_pages_are_for_the_entity_administrators(browse, company):
    for name in ("registry:edit", "registry:qualifications", "registry:personnel", "registry:bank_account"):
        url = reverse(name, args=[company.pk])
        assert browse().get(url).status_code == 302
        assert browse(admin_of(company.pk + 1)).get(url).status_code == 403
        assert browse(person(9)).get(url).status_code == 403
        assert browse(admin_of(company.pk)).get(url).status_code == 200
    assert (
        browse(admin_of(company.pk + 1))
        .post(reverse("registry:edit", args=[company.pk]), {"contact_name": "黑客"})
        .status_code
        == 403
    )


def test_edit_profile_with_stale_version(browse, company):
    admin = browse(admin_of(company.pk))
    url = reverse("registry:edit", args=[company.pk])
    page = html(admin.get(url))
    assert 'value="刘敏"' in page
    form = {
        "version": str(company.version),
        "name": company.name,
        "legal_rep_name": company.legal_rep_name,
        "region_code": company.region_code,
        "contact_name": "李四",
        "contact_phone": "13812345678",
        "registered_capital": "50000000.00",
        "established_on": "2015-06-18",
        "enterprise_nature": "5",
        "roles": ["bidder"],
        "address": company.address,
        "business_scope": company.business_scope,
    }
    assert admin.post(url, form).status_code == 302
    company.refresh_from_db()
    assert company.contact_name == "李四"
    stale = admin.post(url, {**form, "contact_name": "王五"})
    assert stale.status_code == 412
    assert "资源已被他人修改" in html(stale)


def test_qualification_personnel_and_account_pages(browse, company):
    admin = browse(admin_of(company.pk))
    quals = reverse("registry:qualifications", args=[company.pk])
    assert "即将到期" not in html(admin.get(quals))
    bad = admin.post(
        quals,
        {
            "qualification_type": "construction_general",
            "certificate_no": "X",
            "valid_from": "2026-01-01",
            "valid_to": "2025-01-01",
        },
    )
    assert bad.status_code == 422
    assert "有效期截止日不能早于起始日" in html(bad)
    ok = admin.post(quals, {"qualification_type": "safety_licence", "certificate_no": "AQ-1", "valid_to": "2026-03-10"})
    assert ok.status_code == 302
    assert "即将到期" in html(admin.get(quals))
    people = reverse("registry:personnel", args=[company.pk])
    wrong = admin.post(
        people,
        {
            "name": "王工",
            "id_document_type": "resident_id",
            "id_number": "310115198506154567",
            "personnel_role": "technical_lead",
        },
    )
    assert wrong.status_code == 422
    assert "身份证号码校验位错误" in html(wrong)
    account = reverse("registry:bank_account", args=[company.pk])
    company.refresh_from_db()
    mismatch = admin.post(
        account,
        {
            "version": str(company.version),
            "bank_name": "中国银行",
            "account_name": "别人",
            "account_number": "45635123450000",
        },
    )
    assert mismatch.status_code == 422
    assert "与主体名称" in html(mismatch)
    assert "45635123456789" in html(admin.get(account))


def test_mine_page(browse, company):
    page = html(browse(admin_of(company.pk)).get(reverse("registry:mine")))
    assert "上海浦江数智建设工程有限公司" in page
    assert "尚未关联" in html(browse(person(3)).get(reverse("registry:mine")))

"""The finance pages: 我的保证金与退款, staff reconciliation and lot view, the public fee schedule, the
simulated bank."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.services.finance import actions
from yiwang.services.finance.models import BankNotice, NoticeStatus
from yiwang.services.finance.tests import support

pytestmark = pytest.mark.django_db


def _get(client, url, who=None):
    return client.get(url, headers={"X-Test-Actor": who} if who else {})


def test_my_deposits_page(client, test_actors, clock, bidders, lot):
    a, b = bidders
    test_actors.update({"a": a.actor, "b": b.actor})
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    support.pay(deposit, lot.required_fen, "6222000011112222")
    page = _get(client, "/finance/mine/", "a")
    assert page.status_code == 200
    text = page.content.decode()
    assert deposit.virtual_account in text
    assert "已足额" in text
    assert "付款账户与本单位登记的基本存款账户不一致" in text
    other = _get(client, "/finance/mine/", "b").content.decode()
    assert deposit.virtual_account not in other
    assert _get(client, "/finance/mine/").status_code == 302  # sign in first


def test_staff_pages(client, test_actors, clock, bidders, lot):
    a = bidders[0]
    test_actors.update({"staff": support.staff(), "a": a.actor})
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    support.pay(deposit, lot.required_fen, a.basic_account)
    received = support.pay(deposit, 300, a.basic_account, virtual_account="95000000000000")
    page = _get(client, "/finance/staff/", "staff")
    assert page.status_code == 200
    assert "账实相符" in page.content.decode()
    assert _get(client, "/finance/staff/", "a").status_code == 403
    lot_page = _get(client, f"/finance/staff/lots/{lot.ref}/", "staff").content.decode()
    assert "开标前不显示" in lot_page
    assert a.name not in lot_page
    posted = client.post(
        f"/finance/staff/suspense/{received.notice.pk}/assign/",
        {"lot_ref": lot.ref, "entity_id": a.entity_id, "note": "核实"},
        headers={"X-Test-Actor": "staff"},
    )
    assert posted.status_code == 302
    assert BankNotice.objects.get(pk=received.notice.pk).status == NoticeStatus.ASSIGNED
    clock.advance(timedelta(days=21))
    after = _get(client, f"/finance/staff/lots/{lot.ref}/", "staff").content.decode()
    assert a.name in after


def test_fee_schedule_page_is_public(client, clock):
    page = _get(client, "/finance/fees/?code=agency.reference.works&base=3000000")
    assert page.status_code == 200
    text = page.content.decode()
    assert "保证金收取与退还" in text
    assert "¥24,000.00" in text


def test_simulated_bank_page(client, test_actors, clock, bidders, lot):
    a = bidders[0]
    test_actors["a"] = a.actor
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    form = {
        "virtual_account": deposit.virtual_account,
        "amount": "100,000.00",
        "payer_account": a.basic_account,
        "payer_name": a.name,
    }
    done = client.post("/finance/simbank/", form, headers={"X-Test-Actor": "a"})
    assert done.status_code == 302
    assert BankNotice.objects.get().status == NoticeStatus.POSTED
    bad = client.post("/finance/simbank/", {**form, "amount": "-1"}, headers={"X-Test-Actor": "a"})
    assert bad.status_code == 200
    assert "金额应为正数" in bad.content.decode()

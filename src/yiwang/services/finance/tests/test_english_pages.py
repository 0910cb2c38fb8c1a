"""English under the switch for the finance pages beyond 我的保证金与退款's chrome and the simulated bank (those
are in portal/tests/test_english_bidder_pages.py): the labels 我的保证金与退款 shows (deposit and refund states,
regimes, refund reasons, guarantee forms and states, invoice kinds), staff reconciliation and a lot's deposits,
guarantee verification, the issuer's workbench, guarantee issuers, the application form, settlements and the
fee schedule. What people entered or the catalogues hold stays as written (names of entities and banks, lot and
deal titles, payers, the fee catalogue's items) and is named in each test. Without the switch the pages are
Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.platform.web.testing import CHROME, chinese_left, use_english
from yiwang.services.finance import actions, bank
from yiwang.services.finance.tests import support
from yiwang.services.finance.tests.test_guarantee_api_pages import env  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
# banks, the insurer and the tenderer (the beneficiary): names of entities, data
OTHERS = ("中国工商银行", "上海浦江银行股份有限公司", "上海徐汇财产保险股份有限公司", "上海申城工程咨询有限公司")


def _get(client, url: str, who: str | None = None) -> str:
    response = client.get(url, headers={"X-Test-Actor": who} if who else {})
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _bank_names() -> list[str]:
    """The escrow banks' names the pages show beside a virtual account (data)."""
    return [bank.bank_name(code) for code in bank.banks()]


def test_deposits_and_staff_pages_in_english(client, test_actors, clock, bidders, lot):
    a = bidders[0]
    test_actors.update({"staff": support.staff(), "a": a.actor})
    deposit = actions.do_open_deposit_account(actor=a.actor, lot_ref=lot.ref, entity_id=a.entity_id)
    support.pay(deposit, lot.required_fen, "6222000011112222")
    support.pay(deposit, 300, a.basic_account, virtual_account="95000000000000")
    chinese = _get(client, "/finance/mine/", "a")
    assert "已足额" in chinese
    assert "工程施工招标" in chinese
    assert "保证金对账" in _get(client, "/finance/staff/", "staff")
    use_english(client)
    data = [lot.title, a.name, "中文", "测试用户", "交易中心工作人员", "付款人", *OTHERS, *_bank_names()]
    html = _get(client, "/finance/mine/", "a")
    for english in ("Paid in full", "Works tender", "My deposits and refunds"):
        assert english in html, english
    assert chinese_left(html, *data) == []

    html = _get(client, "/finance/staff/", "staff")
    for english in ("Trial balance", "Bank escrow account", "Suspense items", "Assign and post", "Open alerts"):
        assert english in html, english
    assert "The paying account is not the registered basic account" in html  # an alert's kind
    assert chinese_left(html, *data) == []

    html = _get(client, f"/finance/staff/lots/{lot.ref}/", "staff")
    assert "Bidders and their payments are not shown before the bid opening." in html
    assert chinese_left(html, *data) == []
    clock.advance(timedelta(days=21))
    html = _get(client, f"/finance/staff/lots/{lot.ref}/", "staff")
    assert "Paid in full" in html
    assert chinese_left(html, *data) == []

    html = _get(client, "/finance/fees/?code=agency.reference.works&base=3000000")
    for english in ("Fee items and how they are computed", "Try it", "Base (yuan)"):
        assert english in html, english
    assert chinese_left(html, "中文", only=tuple(t for t in CHROME if t not in ("td", "th"))) == []


def test_guarantee_and_settlement_pages_in_english(client, env, clock):  # noqa: F811  (the imported fixture)
    g = env.guarantee()
    buyer, seller = env.bidders
    s = actions.do_create_settlement(
        actor=support.SYSTEM,
        deal_ref="auction.deal:en1",
        regime="land",
        buyer_entity_id=buyer.entity_id,
        seller_entity_id=seller.entity_id,
        price_fen=1_000_000,
        contract_effective_at=clock.now(),
        due_at=clock.now() + timedelta(days=10),
        title="某地块国有建设用地使用权",
    )
    chinese = _get(client, f"/finance/guarantees/verify/?no={g.number}")
    assert "开标前不公开" in chinese
    assert "电子保函" in chinese
    use_english(client)
    names = [
        buyer.name,
        seller.name,
        env.lot.title,
        s.title,
        *OTHERS,
        "中文",
        "测试用户",
        "交易中心工作人员",
        *_bank_names(),
    ]
    html = _get(client, f"/finance/guarantees/verify/?no={g.number}")
    for english in ("Verify an e-guarantee (policy)", "Not public before the bid opening", "E-guarantee", "Valid"):
        assert english in html, english
    assert chinese_left(html, *names) == []

    html = _get(client, "/finance/mine/", "a")
    assert "E-guarantee" in html
    assert chinese_left(html, *names) == []
    for url, who, english in (
        ("/finance/issuer/", "bank", "Guarantee issuer's workbench"),
        ("/finance/staff/issuers/", "staff", "Register an issuer"),
        (f"/finance/guarantees/apply/?lot={env.lot.ref}", "b", "Apply for an e-guarantee"),
        ("/finance/settlements/", "a", "Deal price"),
        (f"/finance/settlements/{s.deal_ref}/", "staff", "Confirm the transfer and pay out the price"),
    ):
        html = _get(client, url, who)
        assert english in html, url
        assert chinese_left(html, *names) == [], url
    assert "Insurer" in _get(client, "/finance/staff/issuers/", "staff")
    assert "Guarantee insurance policy" in _get(client, f"/finance/guarantees/apply/?lot={env.lot.ref}", "b")
    assert "Land use right transfer" in _get(client, "/finance/settlements/", "a")

    done = client.post(
        f"/finance/settlements/{s.deal_ref}/confirm/", {"note": "过户完成"}, headers={"X-Test-Actor": "staff"}
    )
    assert done.status_code == 302
    html = _get(client, f"/finance/settlements/{s.deal_ref}/", "staff")
    assert "Transfer confirmed; the price will be paid out to the seller" in html
    assert chinese_left(html, *names) == []

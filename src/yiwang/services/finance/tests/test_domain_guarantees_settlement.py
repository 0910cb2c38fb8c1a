"""Pure rules: the guarantee document (canonical, typed, refused field by field), the settlement plan against
the equity rules at their exact boundaries, Civil-Code year periods, payment allocation and the tax split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.errors import InvalidInput, RuleViolation
from yiwang.services.finance.domain import invoices, settlement
from yiwang.services.finance.domain.guarantees import GuaranteeDocument, GuaranteeForm, normalise_number, parse_document

SH = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
RULES = settlement.InstalmentRules(
    settlement.RuleRef("equity.down_payment_min", Decimal(30), "percent", "32号令 第二十八条"),
    settlement.RuleRef("equity.instalment_period_max", Decimal(1), "year", "32号令 第二十八条"),
)


def _doc(**changes) -> GuaranteeDocument:
    values = {
        "number": "BH2026000001",
        "form": GuaranteeForm.LETTER,
        "application_no": "YWGA0000000000000001",
        "lot_ref": "tender.section:1",
        "lot_title": "标段",
        "beneficiary": "上海申城工程咨询有限公司",
        "beneficiary_code": "91310000132260947A",
        "applicant": "上海浦江数智建设工程有限公司",
        "applicant_code": "91310115MA1FL2X37F",
        "insurer": "某银行",
        "insurer_code": "91310112MA1G8K4P1Q",
        "amount_fen": 10_000_000,
        "begin_at": T,
        "end_at": T + timedelta(days=120),
        "letter_time": T,
        "md5": "0" * 32,
        "sha256": "f" * 64,
        "cost_fen": 15_000,
        "rate": Decimal("0.15"),
    }
    values.update(changes)
    return GuaranteeDocument(**values)


def test_document_round_trip():
    doc = _doc()
    raw = doc.to_bytes()
    parsed = parse_document(raw)
    assert parsed == doc
    data = canonical_json(doc.as_json())
    assert data == raw
    assert doc.as_json()["GUARANTEE_AMOUNT"] == "100000.00"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: {**d, "GUARANTEE_AMOUNT": "99999.99"}, "GUARANTEE_AMOUNT"),
        (lambda d: {**d, "GUARANTEE_FORM": "cheque"}, "GUARANTEE_FORM"),
        (lambda d: {**d, "BENEFICIARY_CODE": "91310000132260947B"}, "BENEFICIARY_CODE"),
        (lambda d: {**d, "END_TIME": d["BEGIN_TIME"]}, "END_TIME"),
        (lambda d: {**d, "GUARANTEE_MD5": "xyz"}, "GUARANTEE_MD5"),
        (lambda d: {**d, "EXTRA": 1}, "EXTRA"),
        (lambda d: {**d, "spec": "v0"}, "spec"),
        (lambda d: {**d, "GUARANTEE_TYPE": "performance"}, "GUARANTEE_TYPE"),
    ],
)
def test_document_refused_field_by_field(mutate, field):
    with pytest.raises(InvalidInput) as err:
        parse_document(canonical_json(mutate(_doc().as_json())))
    assert err.value.code == "finance.guarantee_document_invalid"
    assert err.value.details["field"] == field


def test_document_must_be_canonical():
    raw = _doc().to_bytes()
    with pytest.raises(InvalidInput) as err:
        parse_document(raw.replace(b",", b", ", 1))
    assert err.value.details["field"] == "document"


@pytest.mark.parametrize("number", ["BH-1", "BH 2026 01", "保函2026000001", "BH/2026/0001", "x" * 65])
def test_bad_numbers(number):
    with pytest.raises(InvalidInput):
        normalise_number(number)


def test_down_payment_boundary_is_exactly_thirty_percent():
    start = datetime(2026, 3, 2, 9, tzinfo=SH)
    ok = settlement.plan_instalments(
        price_fen=1001,
        schedule=[(start, 301), (start + timedelta(days=30), 700)],  # 30 % of 1001 = 300.3 → at least 301
        anchor_at=start,
        regime="state_assets",
        rules=RULES,
        interest_rate=None,
        secured=True,
    )
    assert [p.principal_fen for p in ok] == [301, 700]
    with pytest.raises(RuleViolation) as low:
        settlement.plan_instalments(
            price_fen=1001,
            schedule=[(start, 300), (start + timedelta(days=30), 701)],
            anchor_at=start,
            regime="state_assets",
            rules=RULES,
            interest_rate=None,
            secured=True,
        )
    assert low.value.details["min_fen"] == 301


def test_one_year_from_a_leap_day_ends_on_the_last_day_of_february():
    start = datetime(2028, 2, 29, 15, tzinfo=SH)
    assert settlement.add_calendar_period(start, 1, "year") == datetime(2029, 3, 1, 0, tzinfo=SH)
    assert settlement.add_calendar_period(datetime(2026, 1, 31, tzinfo=SH), 1, "month") == datetime(
        2026, 3, 1, tzinfo=SH
    )


@given(
    owed=st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 10**6)), min_size=1, max_size=6),
    amount=st.integers(0, 10**7),
)
def test_allocation_never_over_applies(owed, amount):
    items = [settlement.Owed(i + 1, total, min(paid, total)) for i, (total, paid) in enumerate(owed)]
    applied, excess = settlement.allocate(items, amount)
    assert sum(applied.values()) + excess == amount
    for item in items:
        assert applied.get(item.seq, 0) <= item.outstanding_fen
    if excess:
        assert sum(applied.values()) == sum(i.outstanding_fen for i in items)


@given(gross=st.integers(-(10**9), 10**9), rate=st.sampled_from(["0", "1", "3", "6", "9", "13"]))
def test_tax_split_adds_up(gross, rate):
    net, tax = invoices.split_tax(gross, Decimal(rate))
    assert net + tax == gross
    assert abs(tax) <= abs(gross)

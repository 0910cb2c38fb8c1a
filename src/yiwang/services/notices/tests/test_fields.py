"""Structured fields per notice type: required, kinds, order, lists — with specific codes (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.errors import InvalidInput
from yiwang.kernel.ids import make_uscc
from yiwang.services.notices.domain import fields as F
from yiwang.services.notices.tests.support import CANDIDATE_FIELDS, TENDER_FIELDS


def refused(notice_type: str, values: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        F.validate_fields(notice_type, values)
    return caught.value


def test_a_tender_notice_is_normalised():
    out = F.validate_fields("tender_notice", TENDER_FIELDS)
    assert out["DOC_GET_END_TIME"] == "2026-03-09T17:00:00+08:00"  # no offset: Shanghai wall time
    assert out["BID_OPEN_TIME"] == "2026-03-25T09:30:00+08:00"
    assert out["CONTRACT_RECKON_PRICE"] == 1_250_000_000
    assert F.amount_of("tender_notice", out) == 1_250_000_000
    utc = F.validate_fields("tender_notice", {**TENDER_FIELDS, "BID_OPEN_TIME": "2026-03-25T01:30:00Z"})
    assert utc["BID_OPEN_TIME"] == "2026-03-25T09:30:00+08:00"


@pytest.mark.parametrize(
    "missing", ["DOC_GET_START_TIME", "DOC_GET_END_TIME", "BID_DOC_REFER_END_TIME", "BID_OPEN_TIME"]
)
def test_each_required_field_of_a_tender_notice(missing):
    values = {k: v for k, v in TENDER_FIELDS.items() if k != missing}
    error = refused("tender_notice", values)
    assert (error.code, error.details["field"]) == ("notices.field_required", missing)
    assert error.message_zh.startswith("缺少必填字段")
    assert refused("tender_notice", {**TENDER_FIELDS, missing: "  "}).code == "notices.field_required"


@pytest.mark.parametrize(
    ("notice_type", "field"),
    [
        ("candidates", "PUBLICITY_START_TIME"),
        ("candidates", "PUBLICITY_END_TIME"),
        ("candidates", "OBJECTION_METHOD"),
        ("candidates", "CANDIDATES"),
    ],
)
def test_candidate_notice_requires_its_publicity_fields(notice_type, field):
    values = {k: v for k, v in CANDIDATE_FIELDS.items() if k != field}
    assert refused(notice_type, values).details["field"] == field


@pytest.mark.parametrize(
    ("notice_type", "required"),
    [
        ("award_result", {"WIN_BIDDER_NAME", "BID_AMOUNT"}),
        ("contract", {"CONTRACT_NAME", "CONTRACT_SIGN_TIME", "CONTRACT_PRICE", "BIDDER_NAME"}),
        ("gp_notice", {"DOC_GET_START_TIME", "DOC_GET_END_TIME", "BID_CLOSING_TIME", "PROGRAM_BUDGET"}),
        ("land_sale_notice", {"SUPPLY_TYPE", "LISTING_TYPE", "LISTING_START_TIME", "LISTING_DEADLINE"}),
        ("auction_notice", {"AUCTION_START_TIME", "START_PRICE"}),
        ("listing_notice", {"PROJECT_PRICE", "LISTING_START_TIME", "LISTING_DEADLINE"}),
        ("deal_result", {"TRADE_VALUE", "TRADE_DATE", "BUYER_NAME"}),
        ("termination", {"ABNORMITY_REASON"}),
        ("opening_record", {"BID_OPENING_TIME"}),
        ("complaint_decision", {"HANDLE_RESULT", "HANDLE_DATE"}),
    ],
)
def test_required_fields_per_type(notice_type, required):
    schema = F.schema_for(notice_type)
    assert {f.name for f in schema.fields if f.required} == required
    assert refused(notice_type, {}).code == "notices.field_required"


def test_kinds_are_checked():
    for name, value in [
        ("BID_OPEN_TIME", "明天上午"),
        ("BID_OPEN_TIME", 20260325),
        ("CONTRACT_RECKON_PRICE", "1250000"),
        ("CONTRACT_RECKON_PRICE", -1),
        ("CONTRACT_RECKON_PRICE", True),
        ("CONTRACT_RECKON_PRICE", 12.5),
        ("SYNDICATED_FLAG", "yes"),
        ("BID_SECTION_CODES", "A-1"),
        ("TENDERER_NAME", 12),
        ("TENDERER_NAME", "含控制字符\x00"),
    ]:
        error = refused("tender_notice", {**TENDER_FIELDS, name: value})
        assert (error.code, error.details["field"]) == ("notices.field_invalid", name), (name, value)


def test_unknown_fields_and_non_objects_are_refused():
    error = refused("tender_notice", {**TENDER_FIELDS, "BID_OPENTIME": "2026-03-25T09:30:00+08:00"})
    assert (error.code, error.details["field"]) == ("notices.field_unknown", "BID_OPENTIME")
    assert "BID_OPEN_TIME" in error.details["allowed"]
    assert refused("tender_notice", ["BID_OPEN_TIME"]).code == "notices.fields_invalid"
    bad_entry = {**CANDIDATE_FIELDS, "CANDIDATES": [{"WIN_CANDIDATE_ORDER": 1, "WIN_CANDIDATE_NAME": "甲", "SCORE": 9}]}
    assert refused("candidates", bad_entry).details["field"] == "CANDIDATES[0].SCORE"


def test_times_must_be_in_order():
    error = refused("tender_notice", {**TENDER_FIELDS, "DOC_GET_END_TIME": "2026-03-02T17:00:00+08:00"})
    assert (error.code, error.details["field"], error.details["earlier"]) == (
        "notices.field_order",
        "DOC_GET_END_TIME",
        "DOC_GET_START_TIME",
    )
    error = refused("candidates", {**CANDIDATE_FIELDS, "PUBLICITY_END_TIME": "2026-03-01T17:00:00+08:00"})
    assert error.code == "notices.field_order"


def test_candidates_are_ranked_and_checked():
    out = F.validate_fields("candidates", CANDIDATE_FIELDS)
    assert [c["WIN_CANDIDATE_ORDER"] for c in out["CANDIDATES"]] == [1, 2]
    assert out["CANDIDATES"][0]["WIN_CANDIDATE_NAME"] == "上海甲建设集团有限公司"
    gap = {
        **CANDIDATE_FIELDS,
        "CANDIDATES": [
            {"WIN_CANDIDATE_ORDER": 1, "WIN_CANDIDATE_NAME": "甲"},
            {"WIN_CANDIDATE_ORDER": 3, "WIN_CANDIDATE_NAME": "丙"},
        ],
    }
    assert refused("candidates", gap).code == "notices.candidate_ranks"
    missing_name = {**CANDIDATE_FIELDS, "CANDIDATES": [{"WIN_CANDIDATE_ORDER": 1}]}
    error = refused("candidates", missing_name)
    assert (error.code, error.details["field"]) == ("notices.field_required", "CANDIDATES[0].WIN_CANDIDATE_NAME")
    uscc = make_uscc("9", "1", "310112", "MA1G5R3X")
    good = {
        **CANDIDATE_FIELDS,
        "CANDIDATES": [{"WIN_CANDIDATE_ORDER": 1, "WIN_CANDIDATE_NAME": "甲", "WIN_CANDIDATE_CODE": uscc}],
    }
    assert F.validate_fields("candidates", good)["CANDIDATES"][0]["WIN_CANDIDATE_CODE"] == uscc
    bad = {
        **CANDIDATE_FIELDS,
        "CANDIDATES": [
            {
                "WIN_CANDIDATE_ORDER": 1,
                "WIN_CANDIDATE_NAME": "甲",
                "WIN_CANDIDATE_CODE": uscc[:-1] + ("0" if uscc[-1] != "0" else "1"),
            }
        ],
    }
    error = refused("candidates", bad)
    assert (error.code, error.details["cause"]) == ("notices.field_invalid", "uscc.check_digit")


def test_a_field_required_by_another():
    base = {"CLARIFY_TIME": "2026-03-05T10:00:00+08:00", "IS_POSTPONE": False}
    assert F.validate_fields("clarification", base) == {
        "CLARIFY_TIME": "2026-03-05T10:00:00+08:00",
        "IS_POSTPONE": False,
    }
    error = refused("clarification", {**base, "IS_POSTPONE": True})
    assert (error.code, error.details["field"]) == ("notices.field_required", "BID_DOC_REFER_END_TIME")


def test_text_length():
    error = refused("tender_notice", {**TENDER_FIELDS, "TENDERER_NAME": "甲" * 201})
    assert (error.code, error.details["max"]) == ("notices.field_too_long", 200)


def test_publicity_period_and_summary():
    start, end = F.publicity_period("candidates", F.validate_fields("candidates", CANDIDATE_FIELDS))
    assert start == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert end > start
    assert "上海甲建设集团有限公司" in F.summary_text("candidates", F.validate_fields("candidates", CANDIDATE_FIELDS))


values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-5, max_value=10**18), st.floats(allow_nan=True),
    st.text(max_size=30), st.sampled_from(["2026-03-25T09:30:00+08:00", "2026-03-25 09:30", "2026-03-25", "x"]),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)  # fmt: skip
names = st.sampled_from([f.name for f in F.SCHEMAS["tender_notice"].all_fields] + ["NOPE"])


@given(st.sampled_from(sorted(F.SCHEMAS)), st.dictionaries(names, values, max_size=8))
def test_anything_is_either_accepted_or_refused_with_a_notices_code(notice_type, raw):
    error = None
    try:
        out = F.validate_fields(notice_type, raw)
    except InvalidInput as exc:
        error = exc
    if error is not None:
        assert error.code.startswith("notices.")
        assert error.message_zh
        assert error.message_en
    else:
        assert set(out) <= {f.name for f in F.schema_for(notice_type).all_fields}

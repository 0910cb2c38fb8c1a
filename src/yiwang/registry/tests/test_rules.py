"""The pure rules of the registry: contact formats, bank accounts, names, masking, qualification status and
the comparison with the authoritative record."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.errors import InvalidInput
from yiwang.registry.domain.official import OfficialRecord, differences, merge_prefill, mismatch_error
from yiwang.registry.domain.rules import (
    EXPIRING_WITHIN_DAYS,
    FieldErrors,
    QualificationStatus,
    check_account_name,
    check_capital,
    is_in_force,
    mask_account_number,
    mask_id_number,
    mask_phone,
    normalise_name,
    parse_date,
    qualification_status,
    validate_account_number,
    validate_document_number,
    validate_email,
    validate_permit_number,
    validate_phone,
)


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as info:
        call(*args, **kwargs)
    return info.value.code


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-13812345678", "13812345678"),
        ("021-64581234", "021-64581234"),
        ("02164581234", "02164581234"),
        ("(021)64581234", "021-64581234"),
        ("021-64581234-808", "021-64581234-808"),
        ("0512-6512345", "0512-6512345"),
        ("400-820-1234", "400-820-1234"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits typed with a Chinese IME
    ],
)
def test_phone_numbers_accepted(given_, expected):
    assert validate_phone(given_) == expected


@pytest.mark.parametrize("bad", ["12812345678", "1381234567", "138123456789", "64581234", "021-0458123", "abc", ""])
def test_phone_numbers_refused(bad):
    with pytest.raises(InvalidInput) as info:
        validate_phone(bad)
    assert info.value.code == "registry.phone_format"
    assert info.value.details["field"] == "contact_phone"


def test_email():
    assert validate_email(" Li.Min@Example.COM ") == "Li.Min@example.com"
    for bad in ("limin", "li@", "@example.com", "li min@example.com", "li@example", "li..min@example.com", ".li@a.cn"):
        assert code_of(validate_email, bad) == "registry.email_format"


def test_account_number_strips_spaces_and_hyphens():
    assert validate_account_number("6222 0212 3456 7890 123") == "6222021234567890123"
    assert validate_account_number("31050-1234-5678") == "3105012345678"
    for bad in ("1234567", "1" * 33, "6222A0212345", "62220212345x"):
        assert code_of(validate_account_number, bad) == "registry.account_number_format"


def test_permit_number():
    assert validate_permit_number(" j2900012345678 ") == "J2900012345678"
    for bad in ("J290001234567", "K2900012345678", "J29000123456789", "2900012345678"):
        assert code_of(validate_permit_number, bad) == "registry.account_permit_format"


def test_document_numbers_of_other_types():
    assert validate_document_number("e1234 5678") == "E12345678"
    assert code_of(validate_document_number, "E1") == "registry.id_number_format"
    assert code_of(validate_document_number, "护照123456") == "registry.id_number_format"


def test_names_compare_across_parentheses_and_spaces():
    assert normalise_name("上海某某有限公司(浦东)") == normalise_name("上海某某 有限公司（浦东）")
    check_account_name("上海某某有限公司（浦东）", "上海某某有限公司(浦东)")
    assert code_of(check_account_name, "上海某某贸易有限公司", "上海某某有限公司") == "registry.account_name_mismatch"


def test_capital_and_dates():
    assert check_capital(None) is None
    assert check_capital(0) == 0
    assert code_of(check_capital, -1) == "registry.capital_negative"
    assert code_of(check_capital, True) == "registry.type"
    assert parse_date("2020-02-29", field="d", label_zh="日期", label_en="date") == date(2020, 2, 29)
    assert code_of(parse_date, "2021-02-29", field="d", label_zh="日期", label_en="date") == "registry.date_format"


@given(st.text(alphabet="0123456789X", min_size=10, max_size=32))
def test_masked_id_numbers_keep_length_and_reveal_at_most_seven_characters(number):
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert masked[-4:] == number[-4:]
    assert masked[:3] == number[:3]
    assert sum(1 for char in masked if char != "*") <= 7


@given(st.text(alphabet="0123456789ABC", min_size=1, max_size=9))
def test_short_numbers_are_masked_too(number):
    masked = mask_id_number(number)
    assert len(masked) == len(number)
    assert sum(1 for char in masked if char != "*") <= 2


@given(st.text(alphabet="0123456789", min_size=8, max_size=32))
def test_masked_account_numbers_show_the_last_four_digits_only(number):
    masked = mask_account_number(number)
    assert masked == "****" + number[-4:]


def test_phone_masking():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""


TODAY = date(2026, 3, 2)


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "status"),
    [
        (date(2020, 1, 1), date(2027, 1, 1), QualificationStatus.VALID),
        (date(2020, 1, 1), None, QualificationStatus.VALID),
        (None, None, QualificationStatus.VALID),
        (date(2020, 1, 1), TODAY + timedelta(days=EXPIRING_WITHIN_DAYS), QualificationStatus.EXPIRING),
        (date(2020, 1, 1), TODAY + timedelta(days=EXPIRING_WITHIN_DAYS + 1), QualificationStatus.VALID),
        (date(2020, 1, 1), TODAY, QualificationStatus.EXPIRING),  # the last day still counts
        (date(2020, 1, 1), TODAY - timedelta(days=1), QualificationStatus.EXPIRED),
        (TODAY + timedelta(days=1), None, QualificationStatus.NOT_YET_VALID),
    ],
)
def test_qualification_status_follows_the_dates(valid_from, valid_to, status):
    assert qualification_status(valid_from, valid_to, TODAY) is status


def test_withdrawn_qualification_never_counts():
    status = qualification_status(None, None, TODAY, withdrawn=True)
    assert status is QualificationStatus.WITHDRAWN
    assert not is_in_force(status)
    assert is_in_force(QualificationStatus.EXPIRING)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)), st.integers(0, 4000))
def test_status_is_in_force_exactly_within_the_validity_period(start, length):
    end = start + timedelta(days=length)
    for day in (start - timedelta(days=1), start, end, end + timedelta(days=1)):
        inside = start <= day <= end
        assert is_in_force(qualification_status(start, end, day)) is inside


RECORD = OfficialRecord(
    uscc="91310115MA1FL2X37F",
    name="上海浦江数智建设工程有限公司",
    kind="legal_person",
    legal_rep_name="王建国",
    region_code="310115",
    established_on=date(2015, 6, 18),
    registered_capital_fen=5_000_000_000,
    enterprise_nature="5",
    source="演示",
)


def test_differences_with_the_authoritative_record():
    assert differences({"name": "上海浦江数智建设工程有限公司 ", "legal_rep_name": "王 建国"}, RECORD) == []
    diffs = differences({"name": "上海浦江建设有限公司", "registered_capital_fen": 1, "address": "x"}, RECORD)
    assert [d.field for d in diffs] == ["name", "registered_capital_fen"]
    error = mismatch_error(diffs, RECORD)
    assert error.code == "registry.authoritative_mismatch"
    assert error.details["differences"][1] == {
        "field": "registered_capital_fen",
        "given": 1,
        "official": 5_000_000_000,
    }
    assert "名称" in error.message_zh


def test_prefill_fills_only_what_is_missing():
    merged = merge_prefill({"name": "", "contact_name": "刘敏", "region_code": None}, RECORD)
    assert merged["name"] == RECORD.name
    assert merged["region_code"] == "310115"
    assert merged["contact_name"] == "刘敏"
    assert merged["established_on"] == date(2015, 6, 18)


def test_field_errors_collects_every_field_once():
    errors = FieldErrors()
    errors.run("a", validate_phone, "1")
    errors.run("a", validate_phone, "2")
    errors.run("b", validate_email, "x")
    assert errors.run("c", validate_email, "ok@example.com") == "ok@example.com"
    with pytest.raises(InvalidInput) as info:
        errors.raise_if_any()
    assert info.value.code == "registry.phone_format"
    assert [e["field"] for e in info.value.details["errors"]] == ["a", "b"]

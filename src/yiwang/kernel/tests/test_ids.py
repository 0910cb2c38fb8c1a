"""Identifier validation: USCC, organisation code, resident ID, unified deal code, region codes."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from yiwang.kernel.errors import InvalidInput
from yiwang.kernel.ids import (
    MOD37_2_ALPHABET,
    PROVINCE_CODES,
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    DealCode,
    describe_uscc,
    make_deal_code,
    make_resident_id,
    make_uscc,
    mod37_2_check_char,
    orgcode_check_char,
    region_covers,
    region_level,
    ric_check_char,
    uscc_check_char,
    validate_deal_code,
    validate_orgcode,
    validate_region_code_format,
    validate_resident_id,
    validate_uscc,
)

KNOWN_USCC = "91110000600037341L"
KNOWN_RIC = "11010519491231002X"
PLATFORM = KNOWN_USCC


def refused(call, *args, **kwargs) -> InvalidInput:
    with pytest.raises(InvalidInput) as excinfo:
        call(*args, **kwargs)
    return excinfo.value


# independent statements of each check, straight from the standards ------------------------------------------


def uscc_weighted_sum(code: str) -> int:
    """GB 32100: Σ value·3^i over the 17 characters plus the check's value is ≡ 0 (mod 31)."""
    return (sum(USCC_ALPHABET.index(c) * 3**i for i, c in enumerate(code[:17])) + USCC_ALPHABET.index(code[17])) % 31


def ric_weighted_sum(number: str) -> int:
    """GB 11643: Σ a_i·2^(i−1) over all 18 positions counted from the right (X = 10) is ≡ 1 (mod 11)."""
    return sum((10 if c == "X" else int(c)) * 2**i for i, c in enumerate(reversed(number))) % 11


def orgcode_weighted_sum(code9: str) -> int:
    """GB 11714: Σ value·weight over the body plus the check's value (X = 10, 0 for 11) is ≡ 0 (mod 11)."""
    body = sum(int(c, 36) * w for c, w in zip(code9[:8], (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return (body + (10 if code9[8] == "X" else int(code9[8]))) % 11


def iso7064_pure_checksum(text: str) -> int:
    """ISO 7064 pure system, radix 2, modulus 37: Σ a_i·2^(i−1) counted from the right; valid iff ≡ 1."""
    return sum(MOD37_2_ALPHABET.index(c) * 2**i for i, c in enumerate(reversed(text))) % 37


# strategies -------------------------------------------------------------------------------------------------

regions = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(PROVINCE_CODES),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(USCC_AUTHORITIES)))
    category = draw(st.sampled_from(sorted(USCC_AUTHORITIES[authority].categories)))
    body = draw(st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8))
    return make_uscc(authority, category, draw(regions), body)


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
    return make_resident_id(draw(regions), birth, draw(st.integers(min_value=0, max_value=999)))


deal_codes = st.builds(
    make_deal_code,
    usccs(),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=0, max_value=999_999),
)


# USCC ------------------------------------------------------------------------------------------------------


def test_known_uscc() -> None:
    assert validate_uscc(KNOWN_USCC, strict=True) == KNOWN_USCC
    assert validate_uscc(" 91110000600037341l ") == KNOWN_USCC
    assert uscc_check_char(KNOWN_USCC[:17]) == "L"
    assert uscc_weighted_sum(KNOWN_USCC) == 0
    assert make_uscc("9", "1", "110000", "60003734") == KNOWN_USCC
    info = describe_uscc(KNOWN_USCC)
    assert (info.authority, info.authority_name_zh, info.category, info.category_name_zh) == (
        "9",
        "市场监督管理（原工商）",
        "1",
        "企业",
    )
    assert (info.region_code, info.orgcode) == ("110000", "60003734-1")


# Real-looking codes across authorities 1, 5, 9, A, N, Y (bodies in the styles actually issued: old
# organisation codes, and the MA…/MB… style of codes issued since 2015).
MADE_USCCS = [
    (("1", "1", "310000", "00246130"), "11310000002461302P"),
    (("1", "2", "310104", "42500381"), "12310104425003813X"),
    (("5", "1", "310000", "50131295"), "513100005013129505"),
    (("5", "2", "310112", "MJ4A2N1B"), "52310112MJ4A2N1B6N"),
    (("5", "3", "310000", "MJ3F0K7L"), "53310000MJ3F0K7LX6"),
    (("9", "1", "310115", "MA1FL2AB"), "91310115MA1FL2AB6Q"),
    (("9", "2", "310101", "MA1G7X2Y"), "92310101MA1G7X2Y27"),
    (("9", "3", "310230", "MA1HXL4C"), "93310230MA1HXL4C57"),
    (("A", "1", "110000", "MB0L3A0P"), "A1110000MB0L3A0P86"),
    (("N", "2", "310117", "N2M6B8CQ"), "N2310117N2M6B8CQ1K"),
    (("N", "3", "330106", "N3P1K5D7"), "N3330106N3P1K5D78E"),
    (("Y", "1", "440300", "MB2C9K8F"), "Y1440300MB2C9K8F2B"),
    (("Y", "9", "510100", "07713102"), "Y9510100077131025C"),
]


@pytest.mark.parametrize(("parts", "expected"), MADE_USCCS)
def test_made_usccs(parts: tuple[str, str, str, str], expected: str) -> None:
    code = make_uscc(*parts)
    assert code == expected
    assert validate_uscc(code, strict=True) == code
    assert uscc_weighted_sum(code) == 0
    assert orgcode_weighted_sum(code[8:17]) == 0
    info = describe_uscc(code)
    assert info.authority == parts[0]
    assert info.category == parts[1]
    assert info.region_code == parts[2]
    assert info.orgcode == f"{parts[3]}-{code[16]}"
    assert info.category_name_zh == USCC_AUTHORITIES[parts[0]].categories[parts[1]]


def test_authority_table() -> None:
    expected = {
        "1": "1239",
        "2": "19",
        "3": "123459",
        "4": "19",
        "5": "1239",
        "6": "129",
        "7": "129",
        "8": "19",
        "9": "123",
        "A": "19",
        "N": "1239",
        "Y": "123456789",
    }
    assert {code: "".join(sorted(a.categories)) for code, a in USCC_AUTHORITIES.items()} == expected
    assert all(a.name_zh and all(a.categories.values()) for a in USCC_AUTHORITIES.values())
    with pytest.raises(TypeError):
        USCC_AUTHORITIES["Z"] = USCC_AUTHORITIES["Y"]  # type: ignore[index]


def test_uscc_check_digit_message() -> None:
    error = refused(validate_uscc, "91110000600037341K")
    assert error.code == "uscc.check_digit"
    assert error.message_zh == "统一社会信用代码校验位错误：应为 L，实为 K"
    assert error.message_en == "USCC check character is wrong: expected L, got K"
    assert error.details == {"value": "91110000600037341K", "expected": "L", "given": "K"}
    assert error.status == 422


@pytest.mark.parametrize(
    ("value", "code", "details"),
    [
        ("", "uscc.empty", {}),
        ("   ", "uscc.empty", {}),
        ("91110000600037341", "uscc.length", {"length": 17, "expected": 18}),
        ("91110000600037341LL", "uscc.length", {"length": 19}),
        ("9111 0000600037341L", "uscc.charset", {"position": 5, "char": " "}),
        ("91110000600037341I", "uscc.charset", {"position": 18, "char": "I"}),
        ("9111000060003734OL", "uscc.charset", {"position": 17, "char": "O"}),
        ("B1110000600037341L", "uscc.authority", {"given": "B"}),
        ("01110000600037341L", "uscc.authority", {"given": "0"}),
        ("94110000600037341L", "uscc.category", {"authority": "9", "given": "4"}),
        ("99110000600037341L", "uscc.category", {"authority": "9", "given": "9"}),
        ("A2110000600037341L", "uscc.category", {"authority": "A", "given": "2"}),
        ("911A0000600037341L", "uscc.region_format", {"given": "1A0000"}),
    ],
)
def test_uscc_refusals(value: str, code: str, details: dict) -> None:
    error = refused(validate_uscc, value)
    assert error.code == code
    assert details.items() <= error.details.items()
    assert error.message_zh.startswith("统一社会信用代码")


def test_uscc_strict_checks_the_embedded_orgcode() -> None:
    first17 = "91110000600037342"  # organisation-code check 2 instead of 1
    code = first17 + uscc_check_char(first17)
    assert validate_uscc(code) == code
    error = refused(validate_uscc, code, strict=True)
    assert error.code == "uscc.orgcode_check_digit"
    assert (error.details["expected"], error.details["given"]) == ("1", "2")


def test_uscc_non_string_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        validate_uscc(None)  # type: ignore[arg-type]


@given(usccs())
def test_made_usccs_validate(code: str) -> None:
    assert validate_uscc(code, strict=True) == code
    assert validate_uscc(code.lower()) == code
    assert uscc_weighted_sum(code) == 0
    assert orgcode_weighted_sum(code[8:17]) == 0


@given(usccs(), st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_uscc_single_substitution_is_caught(code: str, position: int, char: str) -> None:
    assume(code[position] != char)
    mutated = code[:position] + char + code[position + 1 :]
    assert uscc_check_char(mutated[:17]) != mutated[17]  # the check character alone catches it
    refused(validate_uscc, mutated)


@given(usccs(), st.integers(min_value=0, max_value=16))
def test_uscc_adjacent_transposition_is_caught(code: str, position: int) -> None:
    assume(code[position] != code[position + 1])
    mutated = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert uscc_check_char(mutated[:17]) != mutated[17]


# organisation code ----------------------------------------------------------------------------------------


def test_orgcode() -> None:
    # 6·3 + 3·5 + 7·8 + 3·4 + 4·2 = 109 ≡ 10 (mod 11) → C = 11 − 10 = 1
    assert orgcode_check_char("60003734") == "1"
    assert validate_orgcode("60003734-1") == "60003734-1"
    assert validate_orgcode("600037341") == "60003734-1"
    assert validate_orgcode(" ma1fl2ab-6 ") == "MA1FL2AB-6"


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("00000001", "9"),  # Σ = 1·2 = 2 → 9
        ("00000010", "7"),  # Σ = 1·4 = 4 → 7
        ("10000000", "8"),  # Σ = 1·3 = 3 → 8
        ("00010000", "1"),  # Σ = 1·10 = 10 → 1
        ("00000006", "X"),  # Σ = 6·2 = 12 ≡ 1 → 10, written X
        ("00000019", "0"),  # Σ = 1·4 + 9·2 = 22 ≡ 0 → 11, written 0
        ("00100001", "0"),  # Σ = 1·9 + 1·2 = 11 ≡ 0 → 0
        ("0000000A", "2"),  # A = 10: Σ = 10·2 = 20 ≡ 9 → 2
        ("Z0000000", "5"),  # Z = 35: Σ = 35·3 = 105 ≡ 6 → 5
    ],
)
def test_orgcode_check_values(body: str, check: str) -> None:
    assert orgcode_check_char(body) == check
    assert orgcode_weighted_sum(body + check) == 0
    assert validate_orgcode(body + check) == f"{body}-{check}"


@pytest.mark.parametrize(
    ("value", "code", "details"),
    [
        ("", "orgcode.length", {}),
        ("60003734", "orgcode.length", {"length": 8}),
        ("60003734-12", "orgcode.length", {"length": 11}),
        ("6000373-41", "orgcode.length", {"length": 10}),
        ("6000373*-1", "orgcode.charset", {"position": 8, "char": "*"}),
        ("60003734-A", "orgcode.charset", {"position": 9, "char": "A"}),
        ("60003734-2", "orgcode.check_digit", {"expected": "1", "given": "2"}),
    ],
)
def test_orgcode_refusals(value: str, code: str, details: dict) -> None:
    error = refused(validate_orgcode, value)
    assert error.code == code
    assert details.items() <= error.details.items()


# resident ID ----------------------------------------------------------------------------------------------


def test_known_resident_id() -> None:
    rid = validate_resident_id(KNOWN_RIC)
    assert rid.number == KNOWN_RIC
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "female"  # sequence 002 is even
    assert rid.region_code == "110105"
    assert rid.converted_from_15 is False
    assert ric_check_char(KNOWN_RIC[:17]) == "X"
    assert ric_weighted_sum(KNOWN_RIC) == 1
    assert validate_resident_id("11010519491231002x").number == KNOWN_RIC


def test_fifteen_digit_conversion() -> None:
    rid = validate_resident_id("110105491231002")
    assert rid.number == KNOWN_RIC
    assert rid.converted_from_15 is True
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "female"


def test_make_resident_id() -> None:
    number = make_resident_id("310115", date(1990, 5, 17), 123)
    assert number[:17] == "31011519900517123"
    assert ric_weighted_sum(number) == 1
    rid = validate_resident_id(number)
    assert (rid.sex, rid.birth_date, rid.region_code) == ("male", date(1990, 5, 17), "310115")
    with pytest.raises(ValueError, match="seq3"):
        make_resident_id("310115", date(1990, 5, 17), 1000)
    assert refused(make_resident_id, "990115", date(1990, 5, 17), 1).code == "region.province"


@pytest.mark.parametrize(
    ("value", "code", "details"),
    [
        ("", "ric.empty", {}),
        ("1101051949123100", "ric.length", {"length": 16}),
        ("1101051949123100AX", "ric.charset", {"position": 17, "char": "A"}),
        ("11010519491231002Y", "ric.charset", {"position": 18, "char": "Y"}),
        ("11010549123100X", "ric.charset", {"position": 15, "char": "X"}),
        ("99010519491231002X", "ric.province", {"given": "99"}),
        ("10010519491231002X", "ric.province", {"given": "10"}),
        ("110105194902300028", "ric.birth_date", {"given": "19490230"}),
        ("110105189912310021", "ric.birth_date", {"given": "18991231"}),
        ("110105194912310021", "ric.check_digit", {"expected": "X", "given": "1"}),
    ],
)
def test_resident_id_refusals(value: str, code: str, details: dict) -> None:
    error = refused(validate_resident_id, value)
    assert error.code == code
    assert details.items() <= error.details.items()


def test_resident_id_birth_date_not_after_today() -> None:
    number = make_resident_id("310115", date(2024, 6, 1), 2)
    assert validate_resident_id(number, today=date(2024, 6, 1)).birth_date == date(2024, 6, 1)
    error = refused(validate_resident_id, number, today=date(2024, 5, 31))
    assert error.code == "ric.birth_date"
    assert error.details["today"] == "2024-05-31"


def test_resident_id_check_digit_message() -> None:
    error = refused(validate_resident_id, "110105194912310021")
    assert error.message_zh == "身份证号码校验位错误：应为 X，实为 1"
    assert error.message_en == "resident ID check character is wrong: expected X, got 1"


@given(resident_ids())
def test_made_resident_ids_validate(number: str) -> None:
    rid = validate_resident_id(number)
    assert rid.number == number
    assert ric_weighted_sum(number) == 1
    assert rid.sex == ("male" if int(number[16]) % 2 else "female")


@given(resident_ids(), st.integers(min_value=0, max_value=17), st.sampled_from("0123456789X"))
def test_resident_id_single_substitution_is_caught(number: str, position: int, char: str) -> None:
    assume(number[position] != char)
    assume(char != "X" or position == 17)
    mutated = number[:position] + char + number[position + 1 :]
    assert ric_check_char(mutated[:17]) != mutated[17]
    refused(validate_resident_id, mutated)


# unified deal code ----------------------------------------------------------------------------------------


def test_mod37_2_published_example() -> None:
    assert mod37_2_check_char("G123498654321") == "H"  # ISO 7064 example
    assert iso7064_pure_checksum("G123498654321H") == 1


def test_deal_code_round_trip() -> None:
    code = make_deal_code(PLATFORM, date(2025, 3, 1), 1)
    assert code == f"{PLATFORM}-20250301-000001-" + mod37_2_check_char(f"{PLATFORM}20250301000001")
    assert len(code) == 36
    deal = validate_deal_code(code)
    assert deal == DealCode(PLATFORM, date(2025, 3, 1), 1, code[-1])
    assert str(deal) == code
    assert validate_deal_code(" " + code.lower() + " ") == deal


def test_deal_code_with_star_check() -> None:
    # About one sequence in 37 gets the check character "*", which must survive validation.
    code = next(c for seq in range(1000) if (c := make_deal_code(PLATFORM, date(2025, 3, 1), seq)).endswith("*"))
    assert validate_deal_code(code).check == "*"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "deal_code.format"),
        (f"{PLATFORM}20250301-000001-X", "deal_code.format"),
        (f"{PLATFORM}-2025031-000001-X", "deal_code.format"),
        (f"{PLATFORM}-20250301-0000001-X", "deal_code.format"),
        (f"{PLATFORM}-20250301-000001-XY", "deal_code.format"),
        ("91110000600037341K-20250301-000001-X", "deal_code.platform_code"),
        (f"{PLATFORM}-20250230-000001-X", "deal_code.date"),
        (f"{PLATFORM}-2025030A-000001-X", "deal_code.date"),
        (f"{PLATFORM}-20250301-00000A-X", "deal_code.sequence"),
    ],
)
def test_deal_code_refusals(value: str, code: str) -> None:
    assert refused(validate_deal_code, value).code == code


def test_deal_code_platform_error_carries_the_uscc_error() -> None:
    error = refused(validate_deal_code, "91110000600037341K-20250301-000001-X")
    assert error.details["cause"]["code"] == "uscc.check_digit"
    assert error.details["cause"]["details"]["expected"] == "L"
    assert refused(make_deal_code, "9111", date(2025, 3, 1), 1).code == "deal_code.platform_code"


def test_deal_code_check_digit() -> None:
    good = make_deal_code(PLATFORM, date(2025, 3, 1), 42)
    wrong = "0" if good[-1] != "0" else "1"
    error = refused(validate_deal_code, good[:-1] + wrong)
    assert error.code == "deal_code.check_digit"
    assert (error.details["expected"], error.details["given"]) == (good[-1], wrong)
    assert error.message_zh == f"统一交易标识码校验位错误：应为 {good[-1]}，实为 {wrong}"


def test_make_deal_code_arguments() -> None:
    assert refused(make_deal_code, PLATFORM, date(2025, 3, 1), 1_000_000).code == "deal_code.sequence"
    assert refused(make_deal_code, PLATFORM, date(2025, 3, 1), -1).code == "deal_code.sequence"
    with pytest.raises(TypeError):
        make_deal_code(PLATFORM, "2025-03-01", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alphabet"):
        mod37_2_check_char("ABC-1")


@given(st.text(alphabet=MOD37_2_ALPHABET, min_size=1, max_size=40))
def test_mod37_2_makes_the_pure_checksum_one(text: str) -> None:
    assert iso7064_pure_checksum(text + mod37_2_check_char(text)) == 1


@given(st.text(alphabet=MOD37_2_ALPHABET, min_size=1, max_size=40), st.data())
def test_mod37_2_catches_adjacent_transpositions(text: str, data: st.DataObject) -> None:
    full = text + mod37_2_check_char(text)
    position = data.draw(st.integers(min_value=0, max_value=len(full) - 2))
    assume(full[position] != full[position + 1])
    swapped = full[:position] + full[position + 1] + full[position] + full[position + 2 :]
    assert iso7064_pure_checksum(swapped) != 1
    assert mod37_2_check_char(swapped[:-1]) != swapped[-1]


@given(deal_codes)
def test_made_deal_codes_validate(code: str) -> None:
    deal = validate_deal_code(code)
    assert str(deal) == code
    assert iso7064_pure_checksum(code.replace("-", "")) == 1


@given(deal_codes, st.data())
def test_deal_code_single_substitution_is_caught(code: str, data: st.DataObject) -> None:
    position = data.draw(st.sampled_from([i for i, c in enumerate(code) if c != "-"]))
    char = data.draw(st.sampled_from(MOD37_2_ALPHABET).filter(lambda c: c != code[position]))
    mutated = code[:position] + char + code[position + 1 :]
    compact = mutated.replace("-", "")
    assert mod37_2_check_char(compact[:-1]) != compact[-1]
    refused(validate_deal_code, mutated)


@given(deal_codes, st.data())
def test_deal_code_adjacent_transposition_is_caught(code: str, data: st.DataObject) -> None:
    pairs = [i for i in range(len(code) - 1) if "-" not in code[i : i + 2] and code[i] != code[i + 1]]
    position = data.draw(st.sampled_from(pairs))
    mutated = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    refused(validate_deal_code, mutated)


# region codes ---------------------------------------------------------------------------------------------


def test_region_codes() -> None:
    assert validate_region_code_format(" 310115 ") == "310115"
    assert [region_level(c) for c in ("310000", "310100", "310115", "419001")] == [
        "province",
        "prefecture",
        "county",
        "county",
    ]
    assert region_covers("310000", "310115")
    assert region_covers("310000", "310000")
    assert region_covers("310100", "310101")
    assert region_covers("310100", "310100")
    assert not region_covers("310100", "310000")
    assert not region_covers("310100", "310200")
    assert region_covers("310115", "310115")
    assert not region_covers("310115", "310116")
    assert not region_covers("320000", "310115")
    assert len(PROVINCE_CODES) == 35  # 34 province-level divisions + 83 (Taiwan residence permits)
    assert {"11", "15", "23", "37", "46", "54", "65", "71", "81", "82", "83"} <= set(PROVINCE_CODES)
    assert not {"10", "16", "20", "24", "38", "47", "55", "66", "72", "84"} & set(PROVINCE_CODES)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "region.format"),
        ("31011", "region.format"),
        ("31011A", "region.format"),
        ("３１００００", "region.format"),
        ("990000", "region.province"),
        ("000000", "region.province"),
    ],
)
def test_region_refusals(value: str, code: str) -> None:
    assert refused(validate_region_code_format, value).code == code
    assert refused(region_covers, "310000", value).code == code

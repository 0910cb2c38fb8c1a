"""Money: exact construction, arithmetic, rounding, allocation and the Chinese renderings."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.errors import InvalidInput
from yiwang.kernel.money import Money, parse_fen

amounts = st.integers(min_value=-(10**15), max_value=10**15).map(Money)


def refusal(excinfo: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, dict]:
    return excinfo.value.code, excinfo.value.details


# construction ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1,234.50", 123450),
        ("12", 1200),
        ("0.5", 50),
        ("0.05", 5),
        ("-1.05", -105),
        ("+7", 700),
        ("¥1,000", 100000),
        ("-¥12,345.67", -1234567),
        (" 3.1 ", 310),
        ("1,234,567,890.12", 123456789012),
        ("007", 700),
    ],
)
def test_from_yuan_text(text: str, fen: int) -> None:
    assert Money.from_yuan(text) == Money(fen)
    assert parse_fen(text) == fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [(7, 700), (-2, -200), (Decimal("0.05"), 5), (Decimal("1.230"), 123), (Decimal("1E+3"), 100000)],
)
def test_from_yuan_int_and_decimal(value: int | Decimal, fen: int) -> None:
    assert Money.from_yuan(value).fen == fen


@pytest.mark.parametrize("value", ["1.234", "1.230", "0.001", Decimal("1.234"), Decimal("1E-3"), Decimal("1E-99")])
def test_from_yuan_too_precise(value: str | Decimal) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Money.from_yuan(value)
    code, details = refusal(excinfo)
    assert code == "money.too_precise"
    assert details["max_places"] == 2


@pytest.mark.parametrize(
    "value",
    [
        *("", "  ", "abc", "1,23.00", "12,34", "1,2345", "1.2.3", "1e5", ".5", "5.", "NaN", "1 000", "--1"),
        *("１２", "9" * 80, Decimal("NaN"), Decimal("Infinity"), Decimal("1E+99"), Decimal("1" * 5000)),
    ],
)
def test_from_yuan_invalid(value: str | Decimal) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        Money.from_yuan(value)
    assert excinfo.value.code == "money.invalid"
    assert excinfo.value.message_zh.startswith("金额")


def test_floats_and_bools_are_refused() -> None:
    with pytest.raises(TypeError):
        Money(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True)
    with pytest.raises(TypeError):
        Money.from_yuan(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_fen(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(100) * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(100).percent(2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(100).allocate([0.5, 0.5])  # type: ignore[list-item]


def test_currency_code() -> None:
    assert Money(1).currency == "CNY"
    assert Money(1, "USD").currency == "USD"
    with pytest.raises(InvalidInput) as excinfo:
        Money(1, "cny")
    assert excinfo.value.code == "money.invalid_currency"


def test_frozen_and_hashable() -> None:
    money = Money(100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        money.fen = 5  # type: ignore[misc]
    assert {Money(100), Money(100), Money(100, "USD")} == {Money(100), Money(100, "USD")}
    assert Money(100) != Money(100, "USD")
    assert Money(100) != 100


# arithmetic ------------------------------------------------------------------------------------------------


def test_arithmetic() -> None:
    assert Money(150) + Money(50) == Money(200)
    assert Money(150) - Money(200) == Money(-50)
    assert -Money(5) == Money(-5)
    assert abs(Money(-5)) == Money(5)
    assert Money(5) * 3 == Money(15) == 3 * Money(5)
    assert Money(2) < Money(3) <= Money(3) < Money(4)
    assert Money(4) > Money(3) >= Money(3)
    assert min(Money(3), Money(-1), Money(2)) == Money(-1)
    assert max(Money(3), Money(-1), Money(2)) == Money(3)
    assert not Money(0)
    assert Money(-1)
    assert Money(0).is_zero
    assert not Money(1).is_zero


def test_sum() -> None:
    items = [Money(100), Money(250), Money(-50)]
    assert sum(items) == Money(300)
    assert Money.sum(items) == Money(300)
    assert Money.sum([]) == Money(0)
    assert Money.sum([], "USD") == Money(0, "USD")
    with pytest.raises(TypeError):
        Money.sum([Money(1), 5])  # type: ignore[list-item]


def test_currency_mismatch() -> None:
    for operation in (
        lambda: Money(1) + Money(1, "USD"),
        lambda: Money(1) - Money(1, "USD"),
        lambda: Money(1) < Money(1, "USD"),
        lambda: Money(1) >= Money(1, "USD"),
        lambda: Money.sum([Money(1, "USD")]),
    ):
        with pytest.raises(InvalidInput) as excinfo:
            operation()
        assert excinfo.value.code == "money.currency_mismatch"
        assert excinfo.value.details == {"left": "CNY", "right": "USD"}


def test_percent() -> None:
    assert Money(1234567).percent(Decimal("2")) == Money(24691)  # 246.9134 yuan
    assert Money(1234567).percent("2") == Money(24691)
    assert Money(1234567).percent(2) == Money(24691)
    assert Money(1).percent("50") == Money(1)  # 0.5 fen rounds half up
    assert Money(1).percent("50", rounding="down") == Money(0)
    assert Money(-1).percent("50") == Money(-1)  # halves away from zero
    assert Money(-1).percent("50", rounding="down") == Money(0)
    assert Money(99).percent("0.5") == Money(0)  # 0.495
    assert Money(10_000_000).percent("0.015") == Money(1500)
    assert Money(100, "USD").percent(10).currency == "USD"
    with pytest.raises(InvalidInput) as excinfo:
        Money(100).percent("1E-999999999")
    assert excinfo.value.code == "money.invalid"
    with pytest.raises(InvalidInput) as excinfo:
        Money(100).percent("two")
    assert excinfo.value.code == "money.invalid"
    assert excinfo.value.details["field"] == "rate"
    with pytest.raises(ValueError, match="rounding"):
        Money(100).percent("2", rounding="up")  # type: ignore[arg-type]


def test_allocate() -> None:
    assert Money(100).allocate([1, 1, 1]) == [Money(34), Money(33), Money(33)]
    assert Money(101).allocate([1, 0, 1]) == [Money(51), Money(0), Money(50)]
    assert Money(-100).allocate([1, 1, 1]) == [Money(-34), Money(-33), Money(-33)]
    assert Money(5).allocate([3, 7]) == [Money(2), Money(3)]  # 1.5 / 3.5: ties go to the earlier part
    assert Money(1000).allocate([70, 20, 10]) == [Money(700), Money(200), Money(100)]
    for weights in ([], [0, 0], [1, -1]):
        with pytest.raises(InvalidInput) as excinfo:
            Money(100).allocate(weights)
        assert excinfo.value.code == "money.invalid_weights"


# rendering -------------------------------------------------------------------------------------------------


def test_to_yuan_and_format() -> None:
    assert Money(1234567).to_yuan() == Decimal("12345.67")
    assert str(Money(5).to_yuan()) == "0.05"
    assert str(Money(-5).to_yuan()) == "-0.05"
    assert str(Money(0).to_yuan()) == "0.00"
    assert Money(1234567).format_yuan() == "12,345.67"
    assert Money(1234567).format_yuan(symbol=True) == "¥12,345.67"
    assert Money(-300).format_yuan(symbol=True) == "-¥3.00"
    assert Money(1200, "USD").format_yuan(symbol=True) == "USD 12.00"
    assert str(Money(1234567)) == "¥12,345.67"
    assert str(Money(0)) == "¥0.00"


def test_format_wan() -> None:
    assert Money(1234567).format_wan() == "1.2346"
    assert Money(1234567).format_wan(2) == "1.23"
    assert Money(1234567).format_wan(2, with_unit=True) == "1.23万元"
    assert Money(1234567).format_wan(0) == "1"
    assert Money(1_000_000).format_wan() == "1.0000"
    assert Money(123_456_789_000).format_wan() == "123,456.7890"
    assert Money(50).format_wan() == "0.0001"  # 0.00005 万元 rounds half up
    assert Money(49).format_wan() == "0.0000"
    assert Money(-50).format_wan() == "-0.0001"
    assert Money(-49).format_wan() == "0.0000"
    with pytest.raises(ValueError, match="places"):
        Money(1).format_wan(-1)
    with pytest.raises(InvalidInput) as excinfo:
        Money(1, "USD").format_wan(with_unit=True)
    assert excinfo.value.code == "money.currency_mismatch"


UPPER_CASES = [
    ("0", "零元整"),
    ("0.01", "壹分"),
    ("0.10", "壹角"),
    ("0.50", "伍角"),
    ("0.55", "伍角伍分"),
    ("1", "壹元整"),
    ("3.05", "叁元零伍分"),
    ("10", "壹拾元整"),
    ("10.05", "壹拾元零伍分"),
    ("15", "壹拾伍元整"),
    ("20.50", "贰拾元伍角"),
    ("101", "壹佰零壹元整"),
    ("110", "壹佰壹拾元整"),
    ("1,001", "壹仟零壹元整"),
    ("1,010.00", "壹仟零壹拾元整"),
    ("1,680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("10,000", "壹万元整"),
    ("10,001", "壹万零壹元整"),
    ("12,345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("100,000", "壹拾万元整"),
    ("100,010", "壹拾万零壹拾元整"),
    ("107,000.53", "壹拾万柒仟元伍角叁分"),
    ("600,000", "陆拾万元整"),
    ("1,000,000", "壹佰万元整"),
    ("1,000,100", "壹佰万零壹佰元整"),
    ("1,004,000.00", "壹佰万肆仟元整"),
    ("10,000,000.10", "壹仟万元壹角"),
    ("100,000,000.01", "壹亿元零壹分"),
    ("100,000,001", "壹亿零壹元整"),
    ("101,000,000", "壹亿零壹佰万元整"),
    ("110,000,000", "壹亿壹仟万元整"),
    ("1,000,010,000", "壹拾亿零壹万元整"),
    ("2,000,000,000.00", "贰拾亿元整"),
    ("2,000,001,000", "贰拾亿零壹仟元整"),
    ("12,000,000,000", "壹佰贰拾亿元整"),
    ("30,405,060,708.09", "叁佰零肆亿零伍佰零陆万零柒佰零捌元零玖分"),
    ("500,000,000,500", "伍仟亿零伍佰元整"),
    ("900,000,000,000", "玖仟亿元整"),
    ("999,999,999,999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("1,000,000,000,000", "壹万亿元整"),
    ("1,000,100,000,000", "壹万零壹亿元整"),
    ("-3", "负叁元整"),
    ("-0.50", "负伍角"),
]


@pytest.mark.parametrize(("yuan", "upper"), UPPER_CASES)
def test_to_chinese_upper_table(yuan: str, upper: str) -> None:
    assert Money.from_yuan(yuan).to_chinese_upper() == upper


def test_to_chinese_upper_limits() -> None:
    assert Money(10**18 - 1).to_chinese_upper().startswith("玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿")
    with pytest.raises(InvalidInput) as excinfo:
        Money(10**18).to_chinese_upper()
    assert excinfo.value.code == "money.out_of_range"
    with pytest.raises(InvalidInput) as excinfo:
        Money(100, "USD").to_chinese_upper()
    assert excinfo.value.code == "money.currency_mismatch"


_UPPER_DIGIT_VALUES = {char: value for value, char in enumerate("零壹贰叁肆伍陆柒捌玖")}


def _read_below_wan(text: str) -> int:
    total, digit = 0, 0
    for char in text:
        if char in _UPPER_DIGIT_VALUES:
            digit = _UPPER_DIGIT_VALUES[char]
        else:
            total += digit * {"拾": 10, "佰": 100, "仟": 1000}[char]
            digit = 0
    return total + digit


def _read_integer(text: str) -> int:
    if "亿" in text:
        high, low = text.rsplit("亿", 1)
        return _read_integer(high) * 10**8 + _read_integer(low)
    if "万" in text:
        high, low = text.split("万")
        return _read_below_wan(high) * 10**4 + _read_below_wan(low)
    return _read_below_wan(text)


def read_chinese_upper(text: str) -> int:
    """An independent reader of 大写 amounts (fen), used to check the writer."""
    if text.startswith("负"):
        return -read_chinese_upper(text[1:])
    text = text.removesuffix("整")
    yuan_text, _, cents_text = text.rpartition("元")
    fen = _read_integer(yuan_text) * 100
    for value, unit in ((10, "角"), (1, "分")):
        if unit in cents_text:
            fen += _UPPER_DIGIT_VALUES[cents_text[cents_text.index(unit) - 1]] * value
    return fen


@given(st.integers(min_value=-(10**14), max_value=10**14))
def test_to_chinese_upper_properties(fen: int) -> None:
    upper = Money(fen).to_chinese_upper()
    assert "零零" not in upper
    assert not upper.endswith("零")
    assert upper.endswith(("整", "角", "分"))
    assert not upper.lstrip("负").startswith(("拾", "零")) or fen == 0
    assert read_chinese_upper(upper) == fen


# properties ------------------------------------------------------------------------------------------------


@given(amounts)
def test_yuan_round_trips(money: Money) -> None:
    assert Money.from_yuan(money.to_yuan()) == money
    assert Money.from_yuan(money.format_yuan()) == money
    assert Money.from_yuan(str(money)) == money


@given(amounts, st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12))
def test_allocate_conserves_the_total(money: Money, weights: list[int]) -> None:
    if sum(weights) == 0:
        weights[0] = 1
    parts = money.allocate(weights)
    assert len(parts) == len(weights)
    assert Money.sum(parts) == money
    for part, weight in zip(parts, weights, strict=True):
        exact = Decimal(money.fen) * weight / sum(weights)
        assert abs(part.fen - exact) < 1
        if weight == 0:
            assert part.is_zero


@given(amounts, amounts, amounts)
def test_addition_is_associative_and_commutative(a: Money, b: Money, c: Money) -> None:
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert a - b == -(b - a)

"""Money: an exact amount of 分 (fen) in one currency.

Amounts are integers of the smallest unit, never floats: a bid of 12,345.67 yuan is ``Money(1234567)``. Every
conversion from text or :class:`~decimal.Decimal` is exact or refused, and every operation that has to round
(percentages, 万元 display) says how. Amounts in different currencies never mix silently.

The renderings Chinese documents need are here too: ``12,345.67``, ``¥12,345.67``, ``1.2346`` 万元 and the
大写 amount written on cheques and contracts (``壹万贰仟叁佰肆拾伍元陆角柒分``).

Pure Python: standard library and :mod:`yiwang.kernel.errors` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from yiwang.kernel.errors import InvalidInput

DEFAULT_CURRENCY = "CNY"

Rounding = Literal["down", "half_up"]

_FEN_PER_YUAN = 100
_FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 yuan = 1,000,000 fen
_CURRENCY_RE = re.compile(r"[A-Z]{3}")
# Optional sign, optional yuan sign, digits either plain or correctly grouped by commas, optional fraction.
_AMOUNT_RE = re.compile(r"([+-]?)[¥￥]?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?", re.ASCII)
_MAX_TEXT_LENGTH = 64  # longer "amounts" are junk; refusing them early keeps parsing cheap
_MAX_DECIMAL_SIZE = 40  # Decimals with more digits or larger exponents are junk, not money

_UPPER_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UPPER_SMALL_UNITS = ("", "拾", "佰", "仟")
_UPPER_LIMIT_YUAN = 10**16  # 9999万亿 is the largest amount with a conventional 大写 form


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _round_div(numerator: int, denominator: int, rounding: Rounding) -> int:
    """``numerator / denominator`` rounded to an integer (denominator > 0).

    ``down`` truncates towards zero; ``half_up`` rounds halves away from zero (四舍五入, also for negatives).
    """
    if rounding not in ("down", "half_up"):
        raise ValueError(f"rounding must be 'down' or 'half_up', not {rounding!r}")
    quotient, remainder = divmod(abs(numerator), denominator)
    if rounding == "half_up" and 2 * remainder >= denominator:
        quotient += 1
    return -quotient if numerator < 0 else quotient


def _invalid(value: object, reason_zh: str, reason_en: str, *, is_rate: bool = False) -> InvalidInput:
    noun_zh, noun_en = ("比例", "rate") if is_rate else ("金额", "amount")
    return InvalidInput(
        "money.invalid",
        f"{noun_zh}“{value}”无法识别：{reason_zh}",
        f"{noun_en} {value!r} cannot be read: {reason_en}",
        {"value": str(value), "field": noun_en},
    )


def _too_precise(value: object) -> InvalidInput:
    return InvalidInput(
        "money.too_precise",
        f"金额“{value}”超过两位小数（最小单位为分）",
        f"amount {value!r} has more than two decimal places (the smallest unit is the fen)",
        {"value": str(value), "max_places": 2},
    )


def _decimal_parts(value: Decimal, original: object, *, is_rate: bool = False) -> tuple[int, int]:
    """A finite Decimal as ``(coefficient, exponent)`` with the sign on the coefficient.

    More than 40 digits, or an exponent that would make a huge integer (above 40; below −40 for rates), is
    refused (``money.invalid``); tiny non-zero amounts are refused as too precise by the caller instead.
    """
    if not value.is_finite():
        raise _invalid(original, "不是有限数值", "not a finite number", is_rate=is_rate)
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, so never 'n', 'N' or 'F'
    if len(digits) > _MAX_DECIMAL_SIZE:
        raise _invalid(original, "位数过多", "too many digits", is_rate=is_rate)
    coefficient = int("".join(map(str, digits)))
    if coefficient and (exponent > _MAX_DECIMAL_SIZE or (is_rate and exponent < -_MAX_DECIMAL_SIZE)):
        raise _invalid(original, "数量级超出范围", "magnitude out of range", is_rate=is_rate)
    return (-coefficient if sign else coefficient), exponent


def _decimal_to_fen(value: Decimal, original: object) -> int:
    """Exact fen of a Decimal yuan amount; trailing zeros (``Decimal("1.230")``) are fine, real 厘 are not."""
    coefficient, exponent = _decimal_parts(value, original)
    if not coefficient:
        return 0
    shift = exponent + 2  # yuan → fen
    if shift >= 0:
        return coefficient * 10**shift
    if -shift > len(str(abs(coefficient))):  # every digit lies below the fen
        raise _too_precise(original)
    fen, rest = divmod(abs(coefficient), 10**-shift)
    if rest:
        raise _too_precise(original)
    return -fen if coefficient < 0 else fen


def _text_to_fen(text: str) -> int:
    """Parse ``"1,234.50"``, ``"-12"``, ``"¥3.5"``. At most two decimals are written: ``"1.230"`` is refused
    because in many locales it means one thousand two hundred and thirty."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > _MAX_TEXT_LENGTH:
        raise _invalid(text, "应为形如 1,234.50 的数字", "expected a number such as 1,234.50")
    match = _AMOUNT_RE.fullmatch(cleaned)
    if match is None:
        raise _invalid(text, "应为形如 1,234.50 的数字", "expected a number such as 1,234.50")
    sign, whole, fraction = match.groups()
    fraction = fraction or ""
    if len(fraction) > 2:
        raise _too_precise(text)
    fen = int(whole.replace(",", "")) * _FEN_PER_YUAN + int(fraction.ljust(2, "0"))
    return -fen if sign == "-" else fen


def parse_fen(value: str | int | Decimal) -> int:
    """The exact number of fen in a yuan amount (text, int or Decimal); see :meth:`Money.from_yuan`."""
    if isinstance(value, float):
        raise TypeError("floats are never accepted for money; pass a str or Decimal")
    if isinstance(value, str):
        return _text_to_fen(value)
    if isinstance(value, Decimal):
        return _decimal_to_fen(value, value)
    if _is_int(value):
        return value * _FEN_PER_YUAN
    raise TypeError(f"cannot read a yuan amount from {type(value).__name__}")


def _upper_integer(yuan: int) -> str:
    """The 大写 digits and units of a positive whole number of yuan (without 元).

    Zeros: a run of zeros inside the number is written as one 零; zeros at the end of a 4-digit group are
    not written, and the group unit (万, 亿) stands right after the last non-zero digit. A run of zeros
    that starts a group after a unit gets its 零: 100,010 → 壹拾万零壹拾; 1,004,000 → 壹佰万肆仟;
    1,000,000,001 → 壹拾亿零壹.
    """
    digits = str(yuan)
    parts: list[str] = []
    pending_zero = False
    group_has_digit = False
    for index, char in enumerate(digits):
        position = len(digits) - 1 - index  # power of ten of this digit
        digit = int(char)
        if digit:
            if pending_zero:
                parts.append("零")
            parts.append(_UPPER_DIGITS[digit] + _UPPER_SMALL_UNITS[position % 4])
            pending_zero = False
            group_has_digit = True
        elif parts:
            pending_zero = True
        if position and position % 4 == 0:
            # 亿 always follows a written higher part; 万 only a group that has a digit (so 1亿 is not 1亿万).
            if position % 8 == 0:
                parts.append("亿")
                pending_zero = False
            elif group_has_digit:
                parts.append("万")
                pending_zero = False
            group_has_digit = False
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact, immutable amount: ``fen`` (an ``int``, may be negative) in ``currency`` (ISO 4217, CNY by
    default).

    ``Money(1234567)`` is 12,345.67 yuan. Build from yuan with :meth:`from_yuan`. Floats are refused
    everywhere (``TypeError``): binary fractions cannot hold 0.10 yuan exactly.
    """

    fen: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if not _is_int(self.fen):
            raise TypeError(
                f"Money needs an integer number of fen, not {type(self.fen).__name__}; "
                "use Money.from_yuan for yuan amounts"
            )
        if not isinstance(self.currency, str):
            raise TypeError(f"currency must be a str, not {type(self.currency).__name__}")
        if not _CURRENCY_RE.fullmatch(self.currency):
            raise InvalidInput(
                "money.invalid_currency",
                f"币种代码“{self.currency}”无效，应为三位大写字母（如 CNY）",
                f"currency code {self.currency!r} is not valid: expected three capital letters such as CNY",
                {"value": self.currency},
            )

    # construction

    @classmethod
    def from_yuan(cls, value: str | int | Decimal, currency: str = DEFAULT_CURRENCY) -> Money:
        """Exact amount from yuan: ``"1,234.50"``, ``"¥12"``, ``12``, ``Decimal("0.05")``.

        Refusals: ``money.too_precise`` (more than two decimal places, i.e. below one fen) and
        ``money.invalid`` (not a number, badly grouped digits, NaN, infinity). Floats raise ``TypeError``.
        """
        return cls(parse_fen(value), currency)

    @classmethod
    def sum(cls, items: Iterable[Money], currency: str = DEFAULT_CURRENCY) -> Money:
        """Total of ``items``; an empty iterable gives zero in ``currency``."""
        total = cls(0, currency)
        for item in items:
            total = total + item
        return total

    # arithmetic

    def _check_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput(
                "money.currency_mismatch",
                f"币种不一致：{self.currency} 与 {other.currency} 不能直接运算或比较",
                f"currencies differ: {self.currency} and {other.currency} cannot be combined or compared",
                {"left": self.currency, "right": other.currency},
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return Money(self.fen + other.fen, self.currency)

    def __radd__(self, other: object) -> Money:
        # Built-in sum() starts from the integer 0; that is the only non-Money addend accepted.
        if _is_int(other) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return Money(self.fen - other.fen, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.fen, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.fen), self.currency)

    def __mul__(self, factor: object) -> Money:
        if not _is_int(factor):
            return NotImplemented
        return Money(self.fen * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return self.fen < other.fen

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return self.fen <= other.fen

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return self.fen > other.fen

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return self.fen >= other.fen

    def __bool__(self) -> bool:
        return self.fen != 0

    @property
    def is_zero(self) -> bool:
        return self.fen == 0

    def percent(self, rate: Decimal | str | int, rounding: Rounding = "half_up") -> Money:
        """``rate`` per cent of this amount, rounded to the fen.

        ``Money(1234567).percent("2")`` is 2 % of 12,345.67 = 246.9134 → 246.91. ``rounding="down"`` truncates
        towards zero (e.g. for caps that must not be exceeded); ``"half_up"`` rounds halves away from zero.
        The product is computed exactly before the single rounding.
        """
        if isinstance(rate, float):
            raise TypeError("floats are never accepted for rates; pass a str or Decimal")
        if isinstance(rate, str):
            try:
                rate_value = Decimal(rate.strip())
            except ArithmeticError:
                raise _invalid(
                    rate,
                    "应为百分数数值（如 2 表示 2%）",
                    "expected a percentage such as 2 for 2 %",
                    is_rate=True,
                ) from None
        elif isinstance(rate, Decimal):
            rate_value = rate
        elif _is_int(rate):
            rate_value = Decimal(rate)
        else:
            raise TypeError(f"cannot use {type(rate).__name__} as a rate")
        coefficient, exponent = _decimal_parts(rate_value, rate, is_rate=True)
        numerator = self.fen * coefficient * 10 ** max(exponent, 0)
        denominator = 100 * 10 ** max(-exponent, 0)
        return Money(_round_div(numerator, denominator, rounding), self.currency)

    def allocate(self, weights: Sequence[int]) -> list[Money]:
        """Split into parts proportional to ``weights`` without losing or creating a fen.

        Largest-remainder method: each part gets the floor of its exact share, then the fen left over go one
        each to the parts with the largest remainders (earlier parts first on ties). A part of weight 0 gets
        nothing. Negative amounts are split like their absolute value. ``Money(100).allocate([1, 1, 1])`` is
        34, 33, 33 fen.
        """
        weights = list(weights)
        if any(not _is_int(weight) for weight in weights):
            raise TypeError("allocation weights must be integers")
        if not weights or any(weight < 0 for weight in weights) or sum(weights) == 0:
            raise InvalidInput(
                "money.invalid_weights",
                "分摊权重必须为非负整数且至少有一个大于零",
                "allocation weights must be non-negative integers, at least one of them positive",
                {"weights": weights},
            )
        total = abs(self.fen)
        weight_sum = sum(weights)
        shares = [total * weight // weight_sum for weight in weights]
        remainders = [total * weight % weight_sum for weight in weights]
        left_over = total - sum(shares)  # fewer than len(weights), and all go to parts with a remainder > 0
        for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left_over]:
            shares[index] += 1
        sign = -1 if self.fen < 0 else 1
        return [Money(sign * share, self.currency) for share in shares]

    # rendering

    def _require_cny(self, what: str) -> None:
        if self.currency != "CNY":
            raise InvalidInput(
                "money.currency_mismatch",
                f"{what}只适用于人民币金额，本金额币种为 {self.currency}",
                f"this rendering applies to CNY amounts only; this amount is in {self.currency}",
                {"expected": "CNY", "given": self.currency},
            )

    def to_yuan(self) -> Decimal:
        """The amount in yuan as a Decimal with exactly two places (``Decimal("12345.67")``)."""
        digits = tuple(int(char) for char in str(abs(self.fen)).rjust(3, "0"))
        return Decimal((1 if self.fen < 0 else 0, digits, -2))

    def format_yuan(self, symbol: bool = False) -> str:
        """``"12,345.67"``; with ``symbol=True`` ``"¥12,345.67"`` (other currencies: ``"USD 12,345.67"``)."""
        whole, cents = divmod(abs(self.fen), _FEN_PER_YUAN)
        prefix = "-" if self.fen < 0 else ""
        if symbol:
            prefix += "¥" if self.currency == "CNY" else f"{self.currency} "
        return f"{prefix}{whole:,}.{cents:02d}"

    def format_wan(self, places: int = 4, *, with_unit: bool = False) -> str:
        """The amount in 万元 rounded half-up to ``places`` decimals, trailing zeros kept.

        ``Money(1234567).format_wan()`` is ``"1.2346"``; ``format_wan(2, with_unit=True)`` is ``"1.23万元"``.
        Thousands are grouped like :meth:`format_yuan` (``"12,345.6789"``).
        """
        if not _is_int(places) or places < 0:
            raise ValueError(f"places must be a non-negative integer, not {places!r}")
        if with_unit:
            self._require_cny("万元表示")
        scaled = _round_div(self.fen * 10**places, _FEN_PER_WAN, "half_up")
        whole, fraction = divmod(abs(scaled), 10**places)
        text = f"{'-' if scaled < 0 else ''}{whole:,}"
        if places:
            text += f".{fraction:0{places}d}"
        return text + ("万元" if with_unit else "")

    def to_chinese_upper(self) -> str:
        """The 大写 amount as written on cheques and contracts.

        Digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿 and 元角分; 整 when there are no 角 and 分; 壹拾 is
        written in full; one 零 stands for a run of zeros (none at the end of a group before 万/亿/元, none
        between 元 and 角); a zero 角 before a non-zero 分 is written 零. Examples:
        1,004,000.00 → 壹佰万肆仟元整; 10.05 → 壹拾元零伍分; 0.50 → 伍角; 0 → 零元整; -3 → 负叁元整.
        Amounts from 1 万亿 up use 万亿 (壹万亿元整); 1 亿亿 yuan and more raise ``money.out_of_range``.
        """
        self._require_cny("中文大写金额")
        if self.fen < 0:
            return "负" + (-self).to_chinese_upper()
        yuan, cents = divmod(self.fen, _FEN_PER_YUAN)
        if yuan >= _UPPER_LIMIT_YUAN:
            raise InvalidInput(
                "money.out_of_range",
                "金额过大，无法写成中文大写（须小于一亿亿元）",
                "amount too large for a Chinese upper-case rendering (the limit is below 10^16 yuan)",
                {"value": self.format_yuan()},
            )
        jiao, fen = divmod(cents, 10)
        text = _upper_integer(yuan) + "元" if yuan else ""
        if not cents:
            return (text or "零元") + "整"
        if jiao:
            text += _UPPER_DIGITS[jiao] + "角"
        elif yuan:
            text += "零"
        if fen:
            text += _UPPER_DIGITS[fen] + "分"
        return text

    def __str__(self) -> str:
        return self.format_yuan(symbol=True)

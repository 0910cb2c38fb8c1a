"""Chinese identifiers and their check characters.

- 统一社会信用代码 USCC (GB 32100-2015), including the authority codes A (military), N (agriculture) and
  Y (other) that python-stdnum's validator wrongly refuses;
- 组织机构代码 organisation code (GB 11714), also embedded in a USCC as characters 9–17;
- 居民身份证号码 resident identity number (GB 11643-1999), with conversion of 15-digit legacy numbers;
- the unified deal code (统一交易标识码, UNIFIED_DEAL_CODE) with an ISO 7064 MOD 37-2 check character;
- the format of GB/T 2260 region codes (whether a code exists is the catalogue's business, not ours).

Every validator normalises (strips surrounding white space, upper-cases) and returns the canonical form, or
raises :class:`~yiwang.kernel.errors.InvalidInput` with a stable code, e.g. ``uscc.check_digit`` with
``details={"value": ..., "expected": "L", "given": "K"}``. Non-string input is a programming error
(``TypeError``).

Pure Python: standard library and :mod:`yiwang.kernel.errors` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

from yiwang.kernel.errors import InvalidInput

_ASCII_DIGITS = frozenset("0123456789")
_UPPER_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Province-level codes of GB/T 2260 (and of resident identity numbers): 71 台湾, 81 香港, 82 澳门; 83 is used
# by residence permits of Taiwan residents.
PROVINCE_CODES: tuple[str, ...] = (
    *map(str, range(11, 16)),
    *map(str, range(21, 24)),
    *map(str, range(31, 38)),
    *map(str, range(41, 47)),
    *map(str, range(50, 55)),
    *map(str, range(61, 66)),
    "71",
    "81",
    "82",
    "83",
)
_PROVINCES = frozenset(PROVINCE_CODES)


def _clean(value: str, empty_code: str, name_zh: str, name_en: str) -> str:
    """Strip and upper-case ``value``; refuse an empty one with ``empty_code``."""
    if not isinstance(value, str):
        raise TypeError(f"{name_en} must be a str, not {type(value).__name__}")
    text = value.strip().upper()
    if not text:
        raise InvalidInput(empty_code, f"{name_zh}不能为空", f"{name_en} is empty", {"value": value})
    return text


def _is_digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` would also accept full-width and other Unicode digits)."""
    return bool(text) and all(char in _ASCII_DIGITS for char in text)


def _parse_yyyymmdd(text: str) -> date | None:
    if len(text) != 8 or not _is_digits(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _yyyymmdd(day: date) -> str:
    """``day`` as 8 digits (``strftime("%Y")`` does not zero-pad years before 1000 on every platform)."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _check_digit_error(code: str, name_zh: str, name_en: str, value: str, expected: str, given: str):
    return InvalidInput(
        code,
        f"{name_zh}校验位错误：应为 {expected}，实为 {given}",
        f"{name_en} check character is wrong: expected {expected}, got {given}",
        {"value": value, "expected": expected, "given": given},
    )


# ---------------------------------------------------------------------------------------------------------
# 组织机构代码 (GB 11714)

_ORGCODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORGCODE_BODY_CHARS = frozenset("0123456789" + _UPPER_LETTERS)
_ORGCODE_CHECK_CHARS = frozenset("0123456789X")


def _orgcode_charset_error(value: str, position: int, char: str) -> InvalidInput:
    return InvalidInput(
        "orgcode.charset",
        f"组织机构代码第 {position} 位字符“{char}”不合法（本体代码为数字或大写字母，校验码为数字或 X）",
        f"organisation code character {position} ({char!r}) is not allowed "
        "(body: digits or capital letters; check: a digit or X)",
        {"value": value, "position": position, "char": char},
    )


def orgcode_check_char(body8: str) -> str:
    """GB 11714 check character of an 8-character body: values 0–9, A=10 … Z=35; weights 3,7,9,10,5,8,4,2;
    C = 11 − Σ mod 11, written ``X`` for 10 and ``0`` for 11. ``orgcode_check_char("60003734") == "1"``."""
    body = _clean(body8, "orgcode.length", "组织机构代码", "organisation code")
    if len(body) != 8:
        raise InvalidInput(
            "orgcode.length",
            f"组织机构代码本体应为 8 位，实为 {len(body)} 位",
            f"organisation code body must have 8 characters, not {len(body)}",
            {"value": body, "length": len(body), "expected": 8},
        )
    for position, char in enumerate(body, start=1):
        if char not in _ORGCODE_BODY_CHARS:
            raise _orgcode_charset_error(body, position, char)
    total = sum(int(char, 36) * weight for char, weight in zip(body, _ORGCODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_orgcode(value: str) -> str:
    """Validate an organisation code written ``XXXXXXXX-X`` or as 9 characters; return ``XXXXXXXX-X``.

    Codes: ``orgcode.length`` (also for an empty value or a misplaced hyphen), ``orgcode.charset``,
    ``orgcode.check_digit``.
    """
    code = _clean(value, "orgcode.length", "组织机构代码", "organisation code")
    if len(code) == 10 and code[8] == "-":
        body, check = code[:8], code[9]
    elif len(code) == 9:
        body, check = code[:8], code[8]
    else:
        raise InvalidInput(
            "orgcode.length",
            "组织机构代码应为 9 位（8 位本体代码加 1 位校验码，可写作 XXXXXXXX-X）",
            "an organisation code has 9 characters (8 + check, optionally written XXXXXXXX-X)",
            {"value": code, "length": len(code), "expected": 9},
        )
    if check not in _ORGCODE_CHECK_CHARS:
        raise _orgcode_charset_error(code, 9, check)
    expected = orgcode_check_char(body)
    if check != expected:
        raise _check_digit_error("orgcode.check_digit", "组织机构代码", "organisation code", code, expected, check)
    return f"{body}-{check}"


# ---------------------------------------------------------------------------------------------------------
# 统一社会信用代码 USCC (GB 32100-2015)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, S, V, Z
_USCC_VALUES = {char: value for value, char in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, …


@dataclass(frozen=True)
class UsccAuthority:
    """A registering authority (登记管理部门, USCC character 1) and its entity classes (机构类别, char 2)."""

    code: str
    name_zh: str
    categories: Mapping[str, str]


# GB 32100-2015 table of registering authorities and their entity classes, with the later additions A and N.
_AUTHORITY_TABLE: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("1", "机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    ("2", "外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    (
        "3",
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    ("4", "文化", {"1": "外国在华文化中心", "9": "其他"}),
    ("5", "民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    (
        "6",
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    ("7", "宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    ("8", "工会", {"1": "基层工会", "9": "其他"}),
    ("9", "市场监督管理（原工商）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    ("A", "中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    (
        "N",
        "农业农村",
        {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    ),
    ("Y", "其他", {str(n): "其他" for n in range(1, 10)}),
)

USCC_AUTHORITIES: Mapping[str, UsccAuthority] = MappingProxyType(
    {code: UsccAuthority(code, name_zh, MappingProxyType(classes)) for code, name_zh, classes in _AUTHORITY_TABLE}
)


@dataclass(frozen=True)
class UsccInfo:
    """What a USCC says about its holder. ``orgcode`` is the embedded 组织机构代码 as ``XXXXXXXX-X``;
    ``region_code`` is the registrar's region when the code was issued (it may no longer exist)."""

    authority: str
    authority_name_zh: str
    category: str
    category_name_zh: str
    region_code: str
    orgcode: str


def _uscc_charset_check(text: str) -> None:
    for position, char in enumerate(text, start=1):
        if char not in _USCC_VALUES:
            raise InvalidInput(
                "uscc.charset",
                f"统一社会信用代码第 {position} 位字符“{char}”不合法（只能是数字和除 I、O、S、V、Z 以外的大写字母）",
                f"USCC character {position} ({char!r}) is not allowed "
                "(digits and capital letters except I, O, S, V, Z)",
                {"value": text, "position": position, "char": char},
            )


def _uscc_length_error(text: str, expected: int) -> InvalidInput:
    return InvalidInput(
        "uscc.length",
        f"统一社会信用代码应为 {expected} 位，实为 {len(text)} 位",
        f"a USCC has {expected} characters, this one {len(text)}",
        {"value": text, "length": len(text), "expected": expected},
    )


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of the first 17 characters: weights 3^i mod 31; the check is the character
    whose value makes the weighted sum ≡ 0 (mod 31)."""
    text = _clean(first17, "uscc.empty", "统一社会信用代码", "USCC")
    _uscc_charset_check(text)
    if len(text) != 17:
        raise _uscc_length_error(text, 17)
    total = sum(_USCC_VALUES[char] * weight for char, weight in zip(text, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[-total % 31]


def validate_uscc(value: str, *, strict: bool = False) -> str:
    """Validate a 统一社会信用代码 and return it normalised (stripped, upper-case).

    Checks, in order: ``uscc.empty``; ``uscc.charset`` (which position; internal spaces included);
    ``uscc.length``; ``uscc.authority`` (character 1); ``uscc.category`` (character 2 for that authority);
    ``uscc.region_format`` (characters 3–8 six digits — deliberately not checked against today's region list,
    since they name the registrar's region at issue); ``uscc.check_digit``. With ``strict=True`` also
    ``uscc.orgcode_check_digit``: the GB 11714 check of the embedded organisation code (characters 9–17).
    It is opt-in because the USCC's own check character already guards the whole code.
    """
    code = _clean(value, "uscc.empty", "统一社会信用代码", "USCC")
    _uscc_charset_check(code)
    if len(code) != 18:
        raise _uscc_length_error(code, 18)
    authority = USCC_AUTHORITIES.get(code[0])
    if authority is None:
        raise InvalidInput(
            "uscc.authority",
            f"统一社会信用代码第 1 位“{code[0]}”不是登记管理部门代码",
            f"USCC character 1 ({code[0]!r}) is not a registering-authority code",
            {"value": code, "given": code[0], "allowed": sorted(USCC_AUTHORITIES)},
        )
    if code[1] not in authority.categories:
        raise InvalidInput(
            "uscc.category",
            f"统一社会信用代码第 2 位“{code[1]}”不是{authority.name_zh}登记的机构类别",
            f"USCC character 2 ({code[1]!r}) is not an entity class of registering authority {authority.code}",
            {
                "value": code,
                "authority": authority.code,
                "given": code[1],
                "allowed": sorted(authority.categories),
            },
        )
    if not _is_digits(code[2:8]):
        raise InvalidInput(
            "uscc.region_format",
            f"统一社会信用代码第 3–8 位应为 6 位数字的行政区划码，实为“{code[2:8]}”",
            f"USCC characters 3–8 must be a six-digit region code, not {code[2:8]!r}",
            {"value": code, "given": code[2:8]},
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise _check_digit_error("uscc.check_digit", "统一社会信用代码", "USCC", code, expected, code[17])
    if strict:
        expected_org = orgcode_check_char(code[8:16])
        if code[16] != expected_org:
            raise InvalidInput(
                "uscc.orgcode_check_digit",
                f"统一社会信用代码内含的组织机构代码校验位错误：应为 {expected_org}，实为 {code[16]}",
                f"the organisation code inside the USCC has a wrong check character: "
                f"expected {expected_org}, got {code[16]}",
                {"value": code, "expected": expected_org, "given": code[16]},
            )
    return code


def describe_uscc(code: str) -> UsccInfo:
    """Validate ``code`` (not strictly) and say what its parts mean."""
    valid = validate_uscc(code)
    authority = USCC_AUTHORITIES[valid[0]]
    return UsccInfo(
        authority=authority.code,
        authority_name_zh=authority.name_zh,
        category=valid[1],
        category_name_zh=authority.categories[valid[1]],
        region_code=valid[2:8],
        orgcode=f"{valid[8:16]}-{valid[16]}",
    )


def make_uscc(authority: str, category: str, region6: str, orgcode8: str) -> str:
    """Build a USCC from its parts, computing the organisation-code check (character 17) and the USCC check
    (character 18); the result passes ``validate_uscc(strict=True)``. For tests and demo data."""
    first16 = f"{authority}{category}{region6}{orgcode8}".upper()
    first17 = first16 + orgcode_check_char(orgcode8)
    return validate_uscc(first17 + uscc_check_char(first17), strict=True)


# ---------------------------------------------------------------------------------------------------------
# 居民身份证号码 (GB 11643-1999)

# 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2
_RIC_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_RIC_CHECK_CHARS = "10X98765432"
_RIC_EARLIEST_BIRTH = date(1900, 1, 1)
_SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class ResidentId:
    """A validated resident identity number. ``number`` is always the 18-character form."""

    number: str
    birth_date: date
    sex: Literal["male", "female"]
    region_code: str
    converted_from_15: bool


def _ric_charset_check(text: str, digits_only_up_to: int) -> None:
    for position, char in enumerate(text, start=1):
        if char not in _ASCII_DIGITS and not (position > digits_only_up_to and char == "X"):
            raise InvalidInput(
                "ric.charset",
                f"身份证号码第 {position} 位字符“{char}”不合法（前 17 位为数字，第 18 位为数字或 X）",
                f"resident ID character {position} ({char!r}) is not allowed (17 digits then a digit or X)",
                {"value": text, "position": position, "char": char},
            )


def ric_check_char(first17: str) -> str:
    """GB 11643 check character of the first 17 digits: weights 2^(17−i) mod 11,
    check = ``"10X98765432"[Σ mod 11]``."""
    text = _clean(first17, "ric.empty", "身份证号码", "resident ID")
    if len(text) != 17:
        raise InvalidInput(
            "ric.length",
            f"身份证号码本体应为 17 位，实为 {len(text)} 位",
            f"the resident ID body has 17 digits, not {len(text)}",
            {"value": text, "length": len(text), "expected": 17},
        )
    _ric_charset_check(text, 17)
    return _RIC_CHECK_CHARS[sum(int(char) * w for char, w in zip(text, _RIC_WEIGHTS, strict=True)) % 11]


def validate_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Validate a 居民身份证号码 (18 characters, or a legacy 15-digit number) and describe it.

    A 15-digit number is converted: ``19`` is inserted before its two-digit birth year and the check computed
    (110105491231002 → 11010519491231002X). A lower-case ``x`` is accepted and normalised. ``today``
    (default: today in Shanghai) bounds the birth date. Codes: ``ric.empty``, ``ric.length``, ``ric.charset``,
    ``ric.province``, ``ric.birth_date`` (not a real date, before 1900-01-01 or after ``today``),
    ``ric.check_digit``. The address code is only checked at province level (see :data:`PROVINCE_CODES`).
    """
    number = _clean(value, "ric.empty", "身份证号码", "resident ID")
    if len(number) not in (15, 18):
        raise InvalidInput(
            "ric.length",
            f"身份证号码应为 18 位（或旧版 15 位），实为 {len(number)} 位",
            f"a resident ID has 18 characters (legacy: 15), this one {len(number)}",
            {"value": number, "length": len(number), "expected": 18},
        )
    _ric_charset_check(number, 17 if len(number) == 18 else 15)
    if number[:2] not in _PROVINCES:
        raise InvalidInput(
            "ric.province",
            f"身份证号码前两位“{number[:2]}”不是省级行政区划代码",
            f"resident ID digits 1–2 ({number[:2]}) are not a province-level region code",
            {"value": number, "given": number[:2]},
        )
    converted = len(number) == 15
    if converted:
        first17 = number[:6] + "19" + number[6:]
        number = first17 + ric_check_char(first17)
    birth = _parse_yyyymmdd(number[6:14])
    if today is None:
        today = datetime.now(_SHANGHAI).date()
    if birth is None or not _RIC_EARLIEST_BIRTH <= birth <= today:
        raise InvalidInput(
            "ric.birth_date",
            f"身份证号码中的出生日期“{number[6:14]}”无效（须为 1900-01-01 至 {today.isoformat()} 之间的真实日期）",
            f"the birth date {number[6:14]} in the resident ID is not a real date "
            f"between 1900-01-01 and {today.isoformat()}",
            {"value": value.strip().upper(), "given": number[6:14], "today": today.isoformat()},
        )
    expected = ric_check_char(number[:17])
    if number[17] != expected:
        raise _check_digit_error("ric.check_digit", "身份证号码", "resident ID", number, expected, number[17])
    return ResidentId(
        number=number,
        birth_date=birth,
        sex="male" if int(number[16]) % 2 else "female",
        region_code=number[:6],
        converted_from_15=converted,
    )


def make_resident_id(region6: str, birth: date, seq3: int) -> str:
    """Build a valid 18-character number from an address code, a birth date and a sequence 0–999 (odd for
    men, even for women). For tests and demo data."""
    if isinstance(seq3, bool) or not isinstance(seq3, int) or not 0 <= seq3 <= 999:
        raise ValueError(f"seq3 must be an integer 0–999, not {seq3!r}")
    first17 = f"{validate_region_code_format(region6)}{_yyyymmdd(birth)}{seq3:03d}"
    return validate_resident_id(first17 + ric_check_char(first17)).number


# ---------------------------------------------------------------------------------------------------------
# Unified deal code (统一交易标识码): <platform USCC>-<yyyyMMdd>-<6-digit sequence>-<ISO 7064 MOD 37-2 check>

MOD37_2_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_MOD37_VALUES = {char: value for value, char in enumerate(MOD37_2_ALPHABET)}


def mod37_2_check_char(text: str) -> str:
    """ISO 7064 MOD 37-2 (pure system, radix 2) check character of ``text`` over ``0-9A-Z*``.

    p starts at 0; for each character p = 2(p + value) mod 37; the check has the value (1 − p) mod 37, so the
    whole string (text + check) has the pure-system checksum 1. It catches every single substitution and
    every transposition of adjacent characters. ``mod37_2_check_char("G123498654321") == "H"``.
    Raises ``ValueError`` for a character outside the alphabet (hyphens included: pass the compact form).
    """
    total = 0
    for char in text:
        if char not in _MOD37_VALUES:
            raise ValueError(f"{char!r} is not in the ISO 7064 MOD 37-2 alphabet 0-9A-Z*")
        total = (total + _MOD37_VALUES[char]) * 2 % 37
    return MOD37_2_ALPHABET[(1 - total) % 37]


@dataclass(frozen=True)
class DealCode:
    """A validated unified deal code; ``str(code)`` gives the canonical text."""

    platform_uscc: str
    day: date
    seq: int
    check: str

    def __str__(self) -> str:
        return f"{self.platform_uscc}-{_yyyymmdd(self.day)}-{self.seq:06d}-{self.check}"


def _deal_sequence_error(value: str, given: object) -> InvalidInput:
    return InvalidInput(
        "deal_code.sequence",
        f"统一交易标识码的流水号应为 6 位数字（000000–999999），实为“{given}”",
        f"the deal code sequence must be six digits (000000–999999), not {given!r}",
        {"value": value, "given": str(given)},
    )


def make_deal_code(platform_uscc: str, day: date, seq: int) -> str:
    """The deal code for the ``seq``-th deal of ``day`` on the platform run by ``platform_uscc``."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError("day must be a date (not a datetime)")
    try:
        uscc = validate_uscc(platform_uscc)
    except InvalidInput as error:
        raise _platform_code_error(platform_uscc, error) from error
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= 999_999:
        raise _deal_sequence_error(str(platform_uscc), seq)
    compact = f"{uscc}{_yyyymmdd(day)}{seq:06d}"
    return str(DealCode(uscc, day, seq, mod37_2_check_char(compact)))


def _platform_code_error(value: str, cause: InvalidInput) -> InvalidInput:
    return InvalidInput(
        "deal_code.platform_code",
        f"统一交易标识码中的平台统一社会信用代码无效：{cause.message_zh}",
        f"the platform USCC in the deal code is not valid: {cause.message_en}",
        {"value": value, "cause": cause.as_dict()},
    )


def validate_deal_code(value: str) -> DealCode:
    """Validate ``<USCC>-<yyyyMMdd>-<nnnnnn>-<check>`` (36 characters).

    Codes: ``deal_code.format`` (empty, wrong shape), ``deal_code.platform_code`` (the USCC part fails; the
    USCC error is in ``details["cause"]``), ``deal_code.date``, ``deal_code.sequence``,
    ``deal_code.check_digit`` (MOD 37-2 over the code without hyphens).
    """
    code = _clean(value, "deal_code.format", "统一交易标识码", "deal code")
    parts = code.split("-")
    if [len(part) for part in parts] != [18, 8, 6, 1]:
        raise InvalidInput(
            "deal_code.format",
            "统一交易标识码格式应为“18 位统一社会信用代码-8 位日期-6 位流水号-1 位校验码”",
            "a deal code has the form <18-character USCC>-<yyyyMMdd>-<6-digit sequence>-<check character>",
            {"value": code},
        )
    uscc_part, date_part, seq_part, check = parts
    try:
        uscc = validate_uscc(uscc_part)
    except InvalidInput as error:
        raise _platform_code_error(code, error) from error
    day = _parse_yyyymmdd(date_part)
    if day is None:
        raise InvalidInput(
            "deal_code.date",
            f"统一交易标识码中的日期“{date_part}”不是有效日期（yyyyMMdd）",
            f"the date {date_part!r} in the deal code is not a real date (yyyyMMdd)",
            {"value": code, "given": date_part},
        )
    if not _is_digits(seq_part):
        raise _deal_sequence_error(code, seq_part)
    expected = mod37_2_check_char(uscc + date_part + seq_part)
    if check != expected:
        raise _check_digit_error("deal_code.check_digit", "统一交易标识码", "deal code", code, expected, check)
    return DealCode(uscc, day, int(seq_part), check)


# ---------------------------------------------------------------------------------------------------------
# GB/T 2260 region codes (format only; existence and validity dates live in the catalogue)

RegionLevel = Literal["province", "prefecture", "county"]


def validate_region_code_format(value: str) -> str:
    """Six ASCII digits (else ``region.format``) starting with a province-level code (else
    ``region.province``); returns the code stripped."""
    code = _clean(value, "region.format", "行政区划代码", "region code")
    if len(code) != 6 or not _is_digits(code):
        raise InvalidInput(
            "region.format",
            f"行政区划代码应为 6 位数字，实为“{code}”",
            f"a region code has six digits, not {code!r}",
            {"value": code},
        )
    if code[:2] not in _PROVINCES:
        raise InvalidInput(
            "region.province",
            f"行政区划代码前两位“{code[:2]}”不是省级行政区划代码",
            f"region code digits 1–2 ({code[:2]}) are not a province-level code",
            {"value": code, "given": code[:2]},
        )
    return code


def region_level(code: str) -> RegionLevel:
    """``310000`` → province, ``310100`` → prefecture, ``310112`` → county (by the code's shape)."""
    valid = validate_region_code_format(code)
    if valid.endswith("0000"):
        return "province"
    if valid.endswith("00"):
        return "prefecture"
    return "county"


def region_covers(scope: str, code: str) -> bool:
    """Does the region ``scope`` include ``code``? 310000 covers every 31xxxx; 310100 covers 3101xx; a
    county-level code covers only itself."""
    scope_code = validate_region_code_format(scope)
    target = validate_region_code_format(code)
    prefix_length = {"province": 2, "prefecture": 4, "county": 6}[region_level(scope_code)]
    return target[:prefix_length] == scope_code[:prefix_length]

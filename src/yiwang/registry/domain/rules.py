"""Pure rules of the entity registry: contact formats, bank accounts, names, masking, qualification status.

Every check raises :class:`~yiwang.kernel.errors.InvalidInput` with a stable ``registry.*`` code and says which
field it is about (``details["field"]``), so a form can put the message next to the field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from yiwang.kernel.errors import InvalidInput, YiwangError

# -- field errors ---------------------------------------------------------------------------------------------


def required(field: str, label_zh: str, label_en: str) -> InvalidInput:
    return InvalidInput(
        "registry.required",
        f"请填写{label_zh}",
        f"{label_en} is required",
        {"field": field},
    )


def too_long(field: str, label_zh: str, label_en: str, limit: int, length: int) -> InvalidInput:
    return InvalidInput(
        "registry.too_long",
        f"{label_zh}最多 {limit} 个字符，实为 {length} 个",
        f"{label_en} may have at most {limit} characters, not {length}",
        {"field": field, "limit": limit, "length": length},
    )


def clean_text(value: Any, *, field: str, label_zh: str, label_en: str, limit: int, needed: bool = False) -> str:
    """Strip ``value`` (``None`` → ``""``), refuse it when empty and ``needed``, or longer than ``limit``."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise InvalidInput(
            "registry.type",
            f"{label_zh}应为文本",
            f"{label_en} must be text",
            {"field": field},
        )
    if needed and not text:
        raise required(field, label_zh, label_en)
    if len(text) > limit:
        raise too_long(field, label_zh, label_en, limit, len(text))
    return text


class FieldErrors:
    """Collects the errors of several fields so a form can show them all at once.

    ``raise_if_any()`` raises the first error, with ``details["errors"]`` listing every error (field, code and
    both messages); an API client that checks one field at a time just reads the top-level code.
    """

    def __init__(self) -> None:
        self.errors: list[YiwangError] = []

    def __bool__(self) -> bool:
        return bool(self.errors)

    def run(self, field: str, check: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``check(*args, **kwargs)``; on a refusal remember it (located at ``field``) and return None."""
        try:
            return check(*args, **kwargs)
        except YiwangError as exc:
            exc.details["field"] = field
            self.add(exc)
            return None

    def add(self, error: YiwangError) -> None:
        if not any(e.details.get("field") == error.details.get("field") for e in self.errors):
            self.errors.append(error)

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        first = self.errors[0]
        if len(self.errors) > 1:
            first.details["errors"] = [
                {
                    "field": e.details.get("field"),
                    "code": e.code,
                    "message_zh": e.message_zh,
                    "message_en": e.message_en,
                }
                for e in self.errors
            ]
        raise first


# -- contact formats --------------------------------------------------------------------------------------------

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Landline: area code 0 + 2–3 digits, number of 7–8 digits, optional extension; or a 400/800 service number.
_LANDLINE = re.compile(r"^0\d{2,3}-?[1-9]\d{6,7}(?:-\d{1,6})?$")
_SERVICE = re.compile(r"^[48]00-?\d{3}-?\d{4}$")
_EMAIL_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
_EMAIL_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_EMAIL_LOCAL}@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+$")


def validate_phone(value: str, *, field: str = "contact_phone") -> str:
    """A mainland mobile (11 digits starting 1[3-9]), a landline ``021-12345678`` (extension ``-123``
    allowed) or a 400/800 number. ``+86``/``0086`` and spaces are dropped. Code ``registry.phone_format``."""
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "").replace("（", "(").replace("）", ")")
    text = re.sub(r"^\((0\d{2,3})\)", r"\1-", text)
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text = text[len(prefix) :].lstrip("-")
    if _MOBILE.match(text) or _LANDLINE.match(text) or _SERVICE.match(text):
        return text
    raise InvalidInput(
        "registry.phone_format",
        "电话号码格式不正确：应为 11 位手机号码，或“区号-号码”形式的固定电话（如 021-12345678）",
        "not a valid phone number: expected an 11-digit mobile number or a landline such as 021-12345678",
        {"field": field, "value": value},
    )


def validate_email(value: str, *, field: str = "contact_email") -> str:
    """A plain ``name@domain.tld`` address (ASCII), lower-cased domain. Code ``registry.email_format``."""
    text = value.strip()
    if len(text) <= 254 and _EMAIL.match(text):
        local, _, domain = text.rpartition("@")
        if ".." not in local and not local.startswith(".") and not local.endswith("."):
            return f"{local}@{domain.lower()}"
    raise InvalidInput(
        "registry.email_format",
        "电子邮箱格式不正确（应形如 name@example.com）",
        "not a valid e-mail address (expected name@example.com)",
        {"field": field, "value": value},
    )


# -- names ------------------------------------------------------------------------------------------------------


def normalise_name(value: str) -> str:
    """The comparable form of an organisation or person name: NFKC (full-width letters and digits become
    ASCII), parentheses unified to the full-width form used in registered Chinese names, white space removed.
    ``上海某某有限公司(浦东)`` and ``上海某某有限公司（浦东）`` compare equal."""
    text = unicodedata.normalize("NFKC", value)
    text = text.replace("(", "（").replace(")", "）")
    return "".join(text.split())


def same_name(a: str, b: str) -> bool:
    return normalise_name(a) == normalise_name(b)


# -- bank accounts ---------------------------------------------------------------------------------------------

_ACCOUNT_DIGITS = re.compile(r"^\d{8,32}$")
_PERMIT = re.compile(r"^J\d{13}$")


def validate_account_number(value: str, *, field: str = "account_number") -> str:
    """8–32 digits; spaces (and hyphens, as printed on passbooks) are dropped. Code
    ``registry.account_number_format``."""
    text = unicodedata.normalize("NFKC", value).strip()
    digits = text.replace(" ", "").replace("-", "")
    if _ACCOUNT_DIGITS.match(digits) and digits.isascii():
        return digits
    raise InvalidInput(
        "registry.account_number_format",
        "银行账号应为 8–32 位数字",
        "a bank account number has 8–32 digits",
        {"field": field, "value": value},
    )


def validate_permit_number(value: str, *, field: str = "permit_number") -> str:
    """基本存款账户编号 / 开户许可证核准号: ``J`` followed by 13 digits. Code ``registry.account_permit_format``."""
    text = unicodedata.normalize("NFKC", value).strip().upper().replace(" ", "")
    if _PERMIT.match(text) and text.isascii():
        return text
    raise InvalidInput(
        "registry.account_permit_format",
        "基本存款账户编号（开户许可证核准号）应为字母 J 加 13 位数字",
        "a basic-account permit number is the letter J followed by 13 digits",
        {"field": field, "value": value},
    )


def check_account_name(account_name: str, entity_name: str, *, field: str = "account_name") -> None:
    """The basic account must be held in the entity's own registered name (code
    ``registry.account_name_mismatch``)."""
    if not same_name(account_name, entity_name):
        raise InvalidInput(
            "registry.account_name_mismatch",
            f"基本存款账户户名“{account_name}”与主体名称“{entity_name}”不一致",
            f"the basic account is held by {account_name!r}, not by the entity {entity_name!r}",
            {"field": field, "given": account_name, "expected": entity_name},
        )


# -- identity numbers of other document types --------------------------------------------------------------------

_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9()-]{3,31}$")


def validate_document_number(value: str, *, field: str = "id_number") -> str:
    """A passport or permit number: 4–32 capital letters, digits, hyphens or parentheses (the document
    issuer's own check cannot be verified here). Code ``registry.id_number_format``."""
    text = unicodedata.normalize("NFKC", value).strip().upper().replace(" ", "")
    if _DOCUMENT_NUMBER.match(text) and text.isascii():
        return text
    raise InvalidInput(
        "registry.id_number_format",
        "证件号码格式不正确（应为 4–32 位字母或数字）",
        "not a valid document number (4–32 letters or digits)",
        {"field": field, "value": value},
    )


# -- masking ------------------------------------------------------------------------------------------------------


def mask_id_number(value: str) -> str:
    """Hide an identity number from people who may not see it: keep the first 3 and last 4 characters of
    numbers of 10 or more characters (``110***********002X``), the last 2 of shorter ones; same length."""
    if not value:
        return ""
    if len(value) >= 10:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    keep = min(2, max(len(value) - 2, 0))
    return "*" * (len(value) - keep) + value[len(value) - keep :]


def mask_account_number(value: str) -> str:
    """A bank account number shown as ``****1234`` (only the last 4 digits)."""
    if not value:
        return ""
    return "****" + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; other numbers keep their last 4 characters."""
    if len(value) == 11 and value.isdigit():
        return value[:3] + "****" + value[-4:]
    return mask_id_number(value) if value else ""


# -- qualification status -------------------------------------------------------------------------------------------


class QualificationStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    WITHDRAWN = "withdrawn"


QUALIFICATION_STATUS_LABELS: Mapping[QualificationStatus, str] = {
    QualificationStatus.VALID: "有效",
    QualificationStatus.EXPIRING: "即将到期",
    QualificationStatus.EXPIRED: "已过期",
    QualificationStatus.NOT_YET_VALID: "未生效",
    QualificationStatus.WITHDRAWN: "已撤回",
}

# A display threshold for reminding holders, not a legal limit: 30 days before the end of validity.
EXPIRING_WITHIN_DAYS = 30


def qualification_status(
    valid_from: date | None, valid_to: date | None, on: date, *, withdrawn: bool = False
) -> QualificationStatus:
    """The status of a certificate on day ``on``. ``valid_to`` is the last day of validity (inclusive);
    ``None`` means no end date (长期有效). Within :data:`EXPIRING_WITHIN_DAYS` days of the end it is still
    valid but shown as 即将到期."""
    if withdrawn:
        return QualificationStatus.WITHDRAWN
    if valid_from is not None and on < valid_from:
        return QualificationStatus.NOT_YET_VALID
    if valid_to is None:
        return QualificationStatus.VALID
    if on > valid_to:
        return QualificationStatus.EXPIRED
    if (valid_to - on).days <= EXPIRING_WITHIN_DAYS:
        return QualificationStatus.EXPIRING
    return QualificationStatus.VALID


def is_in_force(status: QualificationStatus) -> bool:
    """Valid for tendering on that day (有效 or 即将到期)."""
    return status in (QualificationStatus.VALID, QualificationStatus.EXPIRING)


def check_validity_dates(valid_from: date | None, valid_to: date | None, *, field: str = "valid_to") -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise InvalidInput(
            "registry.validity_dates",
            "有效期截止日不能早于起始日",
            "the end of validity cannot be before its start",
            {"field": field, "valid_from": valid_from.isoformat(), "valid_to": valid_to.isoformat()},
        )


# -- amounts and dates ----------------------------------------------------------------------------------------------


def check_capital(fen: int | None, *, field: str = "registered_capital_fen") -> int | None:
    if fen is None:
        return None
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise InvalidInput(
            "registry.type", "注册资本应为整数（分）", "capital must be an integer (fen)", {"field": field}
        )
    if fen < 0:
        raise InvalidInput(
            "registry.capital_negative",
            "注册资本不能为负数",
            "registered capital cannot be negative",
            {"field": field, "value": fen},
        )
    return fen


def parse_date(value: Any, *, field: str, label_zh: str, label_en: str) -> date | None:
    """A ``date`` or an ISO ``YYYY-MM-DD`` string; ``None``/``""`` → None. Code ``registry.date_format``."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(
        "registry.date_format",
        f"{label_zh}应为日期（如 2020-01-31）",
        f"{label_en} must be a date such as 2020-01-31",
        {"field": field, "value": str(value)},
    )


def check_not_future(day: date | None, today: date, *, field: str, label_zh: str, label_en: str) -> None:
    if day is not None and day > today:
        raise InvalidInput(
            "registry.date_in_future",
            f"{label_zh}不能晚于今天（{today.isoformat()}）",
            f"{label_en} cannot be after today ({today.isoformat()})",
            {"field": field, "value": day.isoformat(), "today": today.isoformat()},
        )


@dataclass(frozen=True)
class Difference:
    """One field where what was given differs from the authoritative record."""

    field: str
    given: Any
    official: Any

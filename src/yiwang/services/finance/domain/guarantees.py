"""E-guarantees (电子保函) and guarantee insurance policies (保证保险): the signed document and its checks.

A bid guarantee replaces a cash deposit: an issuer registered with the platform (a bank, an insurer or a
guarantee company) promises to pay the beneficiary (the tenderer/purchaser/seller of the lot) up to the
guaranteed amount if the bidder forfeits its deposit. Two **forms**:

- ``letter`` — 投标保函 (银行保函, 担保保函), issued by a bank or a guarantee company;
- ``policy`` — 投标保证保险保单, issued by an insurer, with the policy number as its number.

**The guarantee document** is canonical JSON (``yiwang.kernel.canonical``: sorted keys, no spaces, UTF-8) with
the LETTER_OF_GUARANTEE fields of the national data spec (GUARANTEE_FORM/TYPE/NO/STATUS, BENEFICIARY, INSURER,
GUARANTEE_AMOUNT/COST, BEGIN/END_TIME, LETTER_TIME, RATE, GUARANTEE_URL, GUARANTEE_MD5; DB3401/T 308—2023 names
the same data), the codes (USCC) of the parties, the platform's application number and lot reference, and the
**MD5 and SHA-256 of the letter file** (the human-readable PDF/OFD the issuer also sends). The issuer signs the
document's bytes as a detached document signature (identity.ca, ``yiwang-document-v1``); since the document
carries the file's digests, the signature covers the file too.

Amounts appear twice, as the spec's yuan text (``GUARANTEE_AMOUNT`` ``"100000.00"``) and as integer fen
(``GUARANTEE_AMOUNT_FEN``); both must agree. Times are RFC 3339 instants with an offset.

Pure Python: standard library and :mod:`yiwang.kernel` only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput
from yiwang.kernel.ids import validate_uscc
from yiwang.kernel.money import Money

SPEC = "yiwang-guarantee-v1"
BID = "bid"  # GUARANTEE_TYPE: 投标保证金保函 (the only type handled so far)
MAX_NUMBER = 64
MAX_DOCUMENT = 64 * 1024


class IssuerKind(StrEnum):
    BANK = "bank"
    INSURER = "insurer"
    GUARANTOR = "guarantor"


ISSUER_KIND_LABELS: dict[IssuerKind, str] = {
    IssuerKind.BANK: "银行",
    IssuerKind.INSURER: "保险公司",
    IssuerKind.GUARANTOR: "担保公司",
}


class GuaranteeForm(StrEnum):
    LETTER = "letter"
    POLICY = "policy"


FORM_LABELS: dict[GuaranteeForm, str] = {
    GuaranteeForm.LETTER: "电子保函",
    GuaranteeForm.POLICY: "保证保险保单",
}

# Which issuers may issue which form.
FORM_ISSUERS: dict[GuaranteeForm, frozenset[IssuerKind]] = {
    GuaranteeForm.LETTER: frozenset({IssuerKind.BANK, IssuerKind.GUARANTOR}),
    GuaranteeForm.POLICY: frozenset({IssuerKind.INSURER}),
}


class GuaranteeStatus(StrEnum):
    APPLIED = "applied"  # 已申请: waiting for the issuer
    VALID = "valid"  # 有效: issued, verified and accepted; counts as the deposit
    CLAIMING = "claiming"  # 索赔中: a claim was instructed, the issuer has not paid yet
    CLAIMED = "claimed"  # 已赔付: the issuer paid the claim
    RELEASED = "released"  # 已释放: the bidder's obligation ended (award, contract, termination)
    EXPIRED = "expired"  # 已失效: its validity ended before it was released
    CANCELLED = "cancelled"  # 已撤销: the application was withdrawn before issue


STATUS_LABELS: dict[GuaranteeStatus, str] = {
    GuaranteeStatus.APPLIED: "已申请待出具",
    GuaranteeStatus.VALID: "有效",
    GuaranteeStatus.CLAIMING: "索赔中",
    GuaranteeStatus.CLAIMED: "已赔付",
    GuaranteeStatus.RELEASED: "已释放",
    GuaranteeStatus.EXPIRED: "已失效",
    GuaranteeStatus.CANCELLED: "已撤销",
}

# Statuses in which the guarantee still stands behind the bidder (counts for the bid gate while VALID only).
OPEN_STATUSES = frozenset({GuaranteeStatus.VALID, GuaranteeStatus.CLAIMING})


def require_form(value: str) -> GuaranteeForm:
    try:
        return GuaranteeForm(value)
    except ValueError:
        raise InvalidInput(
            "finance.guarantee_form_unknown",
            f"保函形式“{value}”无法识别（letter 电子保函 / policy 保证保险）",
            f"unknown guarantee form {value!r} (letter or policy)",
            {"field": "form", "allowed": [f.value for f in GuaranteeForm]},
        ) from None


def require_issuer_kind(value: str) -> IssuerKind:
    try:
        return IssuerKind(value)
    except ValueError:
        raise InvalidInput(
            "finance.issuer_kind_unknown",
            f"出具机构类别“{value}”无法识别",
            f"unknown issuer kind {value!r}",
            {"field": "kind", "allowed": [k.value for k in IssuerKind]},
        ) from None


def check_form_for_issuer(form: GuaranteeForm, kind: IssuerKind) -> None:
    if kind not in FORM_ISSUERS[form]:
        raise Conflict(
            "finance.guarantee_form_mismatch",
            f"{ISSUER_KIND_LABELS[kind]}不能出具{FORM_LABELS[form]}",
            f"an issuer of kind {kind.value} cannot issue the form {form.value}",
            {"form": form.value, "issuer_kind": kind.value},
        )


# -- the document ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuaranteeDocument:
    """The signed guarantee document (fields of LETTER_OF_GUARANTEE and what ties it to this platform)."""

    number: str  # GUARANTEE_NO (保函编号 / 保单号)
    form: GuaranteeForm  # GUARANTEE_FORM
    application_no: str  # the platform's application number (APPLICATION_NO)
    lot_ref: str  # LOT_REF
    lot_title: str  # LOT_TITLE
    beneficiary: str  # BENEFICIARY (name)
    beneficiary_code: str  # BENEFICIARY_CODE (USCC)
    applicant: str  # APPLICANT (the bidder's name)
    applicant_code: str  # APPLICANT_CODE (USCC)
    insurer: str  # INSURER (承保人/出具人 name)
    insurer_code: str  # INSURER_CODE (USCC)
    amount_fen: int  # GUARANTEE_AMOUNT_FEN (= GUARANTEE_AMOUNT in yuan)
    begin_at: datetime  # BEGIN_TIME
    end_at: datetime  # END_TIME
    letter_time: datetime  # LETTER_TIME (出具时间)
    md5: str  # GUARANTEE_MD5 of the letter file
    sha256: str  # GUARANTEE_SHA256 of the letter file
    file_name: str = ""  # LETTER_FILE_NAME
    cost_fen: int | None = None  # GUARANTEE_COST (保费), yuan in the document
    rate: Decimal | None = None  # RATE (费率, per cent)
    url: str = ""  # GUARANTEE_URL (the issuer's page of the guarantee)
    guarantee_type: str = BID  # GUARANTEE_TYPE
    status: str = "issued"  # GUARANTEE_STATUS as the issuer states it

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "spec": SPEC,
            "GUARANTEE_NO": self.number,
            "GUARANTEE_FORM": self.form.value,
            "GUARANTEE_TYPE": self.guarantee_type,
            "GUARANTEE_STATUS": self.status,
            "APPLICATION_NO": self.application_no,
            "LOT_REF": self.lot_ref,
            "LOT_TITLE": self.lot_title,
            "BENEFICIARY": self.beneficiary,
            "BENEFICIARY_CODE": self.beneficiary_code,
            "APPLICANT": self.applicant,
            "APPLICANT_CODE": self.applicant_code,
            "INSURER": self.insurer,
            "INSURER_CODE": self.insurer_code,
            "GUARANTEE_AMOUNT": str(Money(self.amount_fen).to_yuan()),
            "GUARANTEE_AMOUNT_FEN": self.amount_fen,
            "BEGIN_TIME": iso_utc(self.begin_at),
            "END_TIME": iso_utc(self.end_at),
            "LETTER_TIME": iso_utc(self.letter_time),
            "GUARANTEE_MD5": self.md5,
            "GUARANTEE_SHA256": self.sha256,
            "LETTER_FILE_NAME": self.file_name,
            "GUARANTEE_URL": self.url,
            "GUARANTEE_COST": str(Money(self.cost_fen).to_yuan()) if self.cost_fen is not None else None,
            "RATE": str(self.rate) if self.rate is not None else None,
        }
        return data

    def to_bytes(self) -> bytes:
        return canonical_json(self.as_json())


def build_document(document: GuaranteeDocument) -> bytes:
    """The exact bytes an issuer signs (canonical JSON)."""
    return document.to_bytes()


def _bad(field: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        "finance.guarantee_document_invalid",
        f"保函数据 {field} 无效：{zh}",
        f"guarantee document field {field}: {en}",
        {"field": field},
    )


def _text(data: dict[str, Any], field: str, *, max_length: int = 200, required: bool = True) -> str:
    value = data.get(field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(field, "应为字符串", "must be a string")
    if required and not value.strip():
        raise _bad(field, "不能为空", "is required")
    if len(value) > max_length:
        raise _bad(field, f"长度不能超过 {max_length}", f"is longer than {max_length}")
    return value


def _time(data: dict[str, Any], field: str) -> datetime:
    raw = _text(data, field, max_length=40)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(field, "应为 RFC 3339 时间", "must be an RFC 3339 instant") from None
    if moment.tzinfo is None:
        raise _bad(field, "须带时区", "must carry a UTC offset")
    return moment


def _code(data: dict[str, Any], field: str) -> str:
    raw = _text(data, field, max_length=18)
    try:
        return validate_uscc(raw)
    except InvalidInput:
        raise _bad(field, "不是有效的统一社会信用代码", "is not a valid USCC") from None


def _yuan(data: dict[str, Any], field: str, *, required: bool) -> int | None:
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _bad(field, "应为以元计的金额文本（两位小数）", "must be a yuan amount as text with 2 decimals")
    try:
        return Money.from_yuan(value).fen
    except InvalidInput:
        raise _bad(field, "金额格式不正确", "is not a valid amount") from None


def _hex(data: dict[str, Any], field: str, length: int) -> str:
    value = _text(data, field, max_length=length)
    if len(value) != length or any(c not in "0123456789abcdef" for c in value):
        raise _bad(field, f"应为 {length} 位小写十六进制", f"must be {length} lower-case hex digits")
    return value


def parse_document(raw: bytes) -> GuaranteeDocument:
    """Parse and check the form of a guarantee document: UTF-8 canonical JSON of the current spec, every
    required field present and well formed. ``finance.guarantee_document_invalid`` (``details.field``)."""
    if not isinstance(raw, bytes | bytearray) or not raw or len(raw) > MAX_DOCUMENT:
        raise _bad("document", "为空或过大", "is empty or too large")
    try:
        data = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _bad("document", "不是 UTF-8 JSON", "is not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise _bad("document", "应为 JSON 对象", "must be a JSON object")
    if canonical_json(data) != bytes(raw):
        raise _bad("document", "不是规范化 JSON（键排序、无空白）", "is not canonical JSON (sorted keys, no spaces)")
    if data.get("spec") != SPEC:
        raise _bad("spec", f"应为 {SPEC}", f"must be {SPEC}")
    known = {
        "spec",
        "GUARANTEE_NO",
        "GUARANTEE_FORM",
        "GUARANTEE_TYPE",
        "GUARANTEE_STATUS",
        "APPLICATION_NO",
        "LOT_REF",
        "LOT_TITLE",
        "BENEFICIARY",
        "BENEFICIARY_CODE",
        "APPLICANT",
        "APPLICANT_CODE",
        "INSURER",
        "INSURER_CODE",
        "GUARANTEE_AMOUNT",
        "GUARANTEE_AMOUNT_FEN",
        "BEGIN_TIME",
        "END_TIME",
        "LETTER_TIME",
        "GUARANTEE_MD5",
        "GUARANTEE_SHA256",
        "LETTER_FILE_NAME",
        "GUARANTEE_URL",
        "GUARANTEE_COST",
        "RATE",
    }
    extra = sorted(set(data) - known)
    if extra:
        raise _bad(extra[0], "不是本规范的字段", "is not a field of this spec")
    number = normalise_number(_text(data, "GUARANTEE_NO", max_length=MAX_NUMBER), field="GUARANTEE_NO")
    try:
        form = GuaranteeForm(data.get("GUARANTEE_FORM"))
    except ValueError:
        raise _bad("GUARANTEE_FORM", "应为 letter 或 policy", "must be letter or policy") from None
    if data.get("GUARANTEE_TYPE") != BID:
        raise _bad("GUARANTEE_TYPE", "仅受理投标保证金保函（bid）", "only bid guarantees (bid) are accepted")
    amount_fen = data.get("GUARANTEE_AMOUNT_FEN")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise _bad("GUARANTEE_AMOUNT_FEN", "应为正整数（分）", "must be a positive number of fen")
    if _yuan(data, "GUARANTEE_AMOUNT", required=True) != amount_fen:
        raise _bad("GUARANTEE_AMOUNT", "与 GUARANTEE_AMOUNT_FEN 不一致", "disagrees with GUARANTEE_AMOUNT_FEN")
    rate = None
    if data.get("RATE") is not None:
        raw_rate = _text(data, "RATE", max_length=12)
        try:
            rate = Decimal(raw_rate)
        except InvalidOperation:
            raise _bad("RATE", "应为百分数", "must be a percentage") from None
        if not rate.is_finite() or rate < 0 or rate > 100:
            raise _bad("RATE", "应在 0–100 之间", "must lie within 0-100")
    begin_at, end_at = _time(data, "BEGIN_TIME"), _time(data, "END_TIME")
    if end_at <= begin_at:
        raise _bad("END_TIME", "应晚于 BEGIN_TIME", "must be later than BEGIN_TIME")
    return GuaranteeDocument(
        number=number,
        form=form,
        application_no=_text(data, "APPLICATION_NO", max_length=40),
        lot_ref=_text(data, "LOT_REF", max_length=120),
        lot_title=_text(data, "LOT_TITLE", required=False),
        beneficiary=_text(data, "BENEFICIARY"),
        beneficiary_code=_code(data, "BENEFICIARY_CODE"),
        applicant=_text(data, "APPLICANT"),
        applicant_code=_code(data, "APPLICANT_CODE"),
        insurer=_text(data, "INSURER"),
        insurer_code=_code(data, "INSURER_CODE"),
        amount_fen=amount_fen,
        begin_at=begin_at,
        end_at=end_at,
        letter_time=_time(data, "LETTER_TIME"),
        md5=_hex(data, "GUARANTEE_MD5", 32),
        sha256=_hex(data, "GUARANTEE_SHA256", 64),
        file_name=_text(data, "LETTER_FILE_NAME", required=False),
        cost_fen=_yuan(data, "GUARANTEE_COST", required=False),
        rate=rate,
        url=_text(data, "GUARANTEE_URL", max_length=500, required=False),
        guarantee_type=BID,
        status=_text(data, "GUARANTEE_STATUS", max_length=20, required=False) or "issued",
    )


def normalise_number(value: str, *, field: str = "guarantee_no") -> str:
    """A guarantee or policy number: 6–64 ASCII letters, digits and ``-_.`` (it appears in URLs)."""
    text = (value or "").strip()
    if not 6 <= len(text) <= MAX_NUMBER or not all(c.isascii() and (c.isalnum() or c in "-_.") for c in text):
        raise InvalidInput(
            "finance.guarantee_no_invalid",
            "保函（保单）编号应为 6–64 位字母、数字或 -_.",
            "a guarantee/policy number is 6-64 ASCII letters, digits or -_.",
            {"field": field},
        )
    return text


# -- what the platform expects -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """What a guarantee for one application must say, from the platform's own records."""

    application_no: str
    lot_ref: str
    beneficiary_code: str
    applicant_code: str
    issuer_code: str
    issuer_kind: IssuerKind
    form: GuaranteeForm
    required_fen: int  # the lot's deposit requirement now
    opening_at: datetime  # the bid deadline: cover must start no later
    validity_until: datetime  # the end of the bid validity: cover must last at least until then
    now: datetime


def _mismatch(code: str, zh: str, en: str, **details: Any) -> Conflict:
    return Conflict(code, zh, en, details)


def check_document(doc: GuaranteeDocument, expected: Expectation, *, file_md5: str, file_sha256: str) -> None:
    """Refuse a guarantee that does not fit the application, each reason with its own code (409 for a
    mismatch with the platform's records, 422 for what the lot's rules require):

    ``finance.guarantee_application_mismatch``, ``finance.guarantee_lot_mismatch``,
    ``finance.guarantee_beneficiary_mismatch``, ``finance.guarantee_applicant_mismatch``,
    ``finance.guarantee_issuer_mismatch``, ``finance.guarantee_form_mismatch``,
    ``finance.guarantee_amount_too_low``, ``finance.guarantee_expired``,
    ``finance.guarantee_validity_too_short``, ``finance.guarantee_file_mismatch``.
    """
    if doc.application_no != expected.application_no:
        raise _mismatch(
            "finance.guarantee_application_mismatch",
            "保函所载申请编号与本申请不符",
            "The guarantee names another application",
            application_no=doc.application_no,
        )
    if doc.lot_ref != expected.lot_ref:
        raise _mismatch(
            "finance.guarantee_lot_mismatch",
            "保函所载标段与申请的标段不符",
            "The guarantee names another lot",
            lot_ref=doc.lot_ref,
            expected=expected.lot_ref,
        )
    if doc.beneficiary_code != expected.beneficiary_code:
        raise _mismatch(
            "finance.guarantee_beneficiary_mismatch",
            "保函受益人不是本标段的招标人（采购人、出让方）",
            "The beneficiary is not the lot's tenderer/purchaser/seller",
            beneficiary_code=doc.beneficiary_code,
            expected=expected.beneficiary_code,
        )
    if doc.applicant_code != expected.applicant_code:
        raise _mismatch(
            "finance.guarantee_applicant_mismatch",
            "保函申请人不是本申请的投标人",
            "The applicant named is not the bidder of this application",
        )
    if doc.insurer_code != expected.issuer_code:
        raise _mismatch(
            "finance.guarantee_issuer_mismatch",
            "保函所载出具机构与申请选择的机构不符",
            "The guarantee names another issuer than the application",
            insurer_code=doc.insurer_code,
        )
    if doc.form != expected.form:
        raise _mismatch(
            "finance.guarantee_form_mismatch",
            "保函形式与申请不符",
            "The guarantee's form differs from the application's",
            form=doc.form.value,
            expected=expected.form.value,
        )
    check_form_for_issuer(doc.form, expected.issuer_kind)
    if doc.amount_fen < expected.required_fen:
        raise InvalidInput(
            "finance.guarantee_amount_too_low",
            "保函金额低于本标段应缴保证金",
            "The guaranteed amount is below the lot's deposit requirement",
            {"amount_fen": doc.amount_fen, "required_fen": expected.required_fen},
        )
    if doc.end_at <= expected.now:
        raise InvalidInput(
            "finance.guarantee_expired",
            "保函已过有效期",
            "The guarantee has already expired",
            {"end_time": iso_utc(doc.end_at)},
        )
    if doc.begin_at > expected.opening_at or doc.end_at < expected.validity_until:
        raise InvalidInput(
            "finance.guarantee_validity_too_short",
            "保函有效期未覆盖自投标截止至投标有效期届满的期间",
            "The guarantee's validity does not cover the bid deadline through the end of the bid validity",
            {
                "begin_time": iso_utc(doc.begin_at),
                "end_time": iso_utc(doc.end_at),
                "required_begin_by": iso_utc(expected.opening_at),
                "required_end_from": iso_utc(expected.validity_until),
            },
        )
    if doc.md5 != file_md5 or doc.sha256 != file_sha256:
        raise InvalidInput(
            "finance.guarantee_file_mismatch",
            "保函文件与保函数据中的摘要（MD5/SHA-256）不一致",
            "The letter file does not match the digests in the guarantee document",
            {"field": "letter"},
        )

"""Bank notices: what a bank tells the platform, as data.

A notice is a JSON object signed by its bank. Two kinds:

- ``credit``: money arrived in a virtual sub-account (a bidder paid a deposit). Fields: ``bank``, ``ref``
  (the bank's own reference, unique per bank), ``virtual_account``, ``amount_fen``, ``currency``,
  ``payer_account``, ``payer_name``, ``payer_bank``, ``booked_at`` (ISO 8601 with offset).
- ``payout``: the bank executed a payment the platform instructed (a refund). Fields as above plus
  ``instruction_ref``; ``payer_*`` are then the payee's details.

Parsing refuses anything malformed with ``finance.notice_invalid`` (``details.field`` says which).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from yiwang.kernel.errors import InvalidInput

KINDS = ("credit", "payout")
MAX_AMOUNT_FEN = 10**15  # 10 万亿元: anything above is junk, not money


@dataclass(frozen=True)
class NoticeData:
    bank: str
    ref: str
    kind: str
    amount_fen: int
    currency: str
    booked_at: datetime
    virtual_account: str = ""
    payer_account: str = ""
    payer_name: str = ""
    payer_bank: str = ""
    instruction_ref: str = ""


def _bad(field: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        "finance.notice_invalid",
        f"银行通知字段 {field} 无效：{zh}",
        f"bank notice field {field}: {en}",
        {"field": field},
    )


def _text(data: dict[str, Any], field: str, *, required: bool, max_length: int) -> str:
    value = data.get(field, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(field, "应为字符串", "must be a string")
    value = value.strip()
    if required and not value:
        raise _bad(field, "不能为空", "is required")
    if len(value) > max_length:
        raise _bad(field, f"长度不能超过 {max_length}", f"is longer than {max_length}")
    return value


def parse_notice(body: bytes) -> NoticeData:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _bad("body", "不是 UTF-8 JSON", "is not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise _bad("body", "应为 JSON 对象", "must be a JSON object")
    kind = _text(data, "kind", required=True, max_length=20)
    if kind not in KINDS:
        raise _bad("kind", f"应为 {'/'.join(KINDS)}", f"must be one of {', '.join(KINDS)}")
    amount = data.get("amount_fen")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= MAX_AMOUNT_FEN:
        raise _bad("amount_fen", "应为正整数（分）", "must be a positive integer number of fen")
    currency = _text(data, "currency", required=True, max_length=3)
    if len(currency) != 3 or not currency.isascii() or not currency.isupper():
        raise _bad("currency", "应为三位大写币种代码", "must be a 3-letter currency code")
    raw_time = _text(data, "booked_at", required=True, max_length=40)
    try:
        booked_at = datetime.fromisoformat(raw_time)
    except ValueError:
        raise _bad("booked_at", "应为 ISO 8601 时间", "must be an ISO 8601 instant") from None
    if booked_at.tzinfo is None:
        raise _bad("booked_at", "须带时区", "must carry a UTC offset")
    notice = NoticeData(
        bank=_text(data, "bank", required=True, max_length=20),
        ref=_text(data, "ref", required=True, max_length=64),
        kind=kind,
        amount_fen=amount,
        currency=currency,
        booked_at=booked_at,
        virtual_account=_text(data, "virtual_account", required=kind == "credit", max_length=40),
        payer_account=_text(data, "payer_account", required=False, max_length=40),
        payer_name=_text(data, "payer_name", required=False, max_length=200),
        payer_bank=_text(data, "payer_bank", required=False, max_length=100),
        instruction_ref=_text(data, "instruction_ref", required=kind == "payout", max_length=64),
    )
    return notice


def notice_body(fields: dict[str, Any]) -> bytes:
    """The canonical body a (simulated) bank signs: sorted keys, compact, UTF-8."""
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")

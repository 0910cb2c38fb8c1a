"""E-invoices (电子发票) for fees: the tax split, the invoice document, red-letter (冲红) invoices.

Every fee the platform collects (a listed service fee taken from a deposit, the service fee deducted from a
deal settlement) gets **one** blue invoice; reversing the fee gets **one** red-letter invoice that negates it
and names the blue one. Invoices are issued through the invoice port (the tax authority's service or an
invoicing provider; a simulated adapter in the embedded profile), which gives the number, the code and the
date; the platform stores the invoice document (XML, with its SHA-256 and the issuer's signature) in the
document store.

Amounts are fen, the fee is tax-inclusive: ``net = round(gross / (1 + rate))`` half up, ``tax = gross − net``.
The tax rate is operator data (``data/fees.json`` → ``invoice.tax_rate_percent``, with its basis), not a rule
of public-resource trading.

Pure Python: standard library and :mod:`yiwang.kernel` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from xml.sax.saxutils import escape

from yiwang.kernel.money import Money


class Kind(StrEnum):
    BLUE = "blue"
    RED = "red"


KIND_LABELS: dict[Kind, str] = {Kind.BLUE: "蓝字发票", Kind.RED: "红字发票（冲红）"}


class Status(StrEnum):
    PENDING = "pending"  # 待开具: requested, the port has not answered yet
    ISSUED = "issued"  # 已开具


STATUS_LABELS: dict[Status, str] = {Status.PENDING: "待开具", Status.ISSUED: "已开具"}


def split_tax(gross_fen: int, rate_percent: Decimal) -> tuple[int, int]:
    """``(net, tax)`` of a tax-inclusive amount at ``rate_percent``; they add up to the gross exactly."""
    if gross_fen < 0:
        net, tax = split_tax(-gross_fen, rate_percent)
        return -net, -tax
    net = (Decimal(gross_fen) * 100 / (Decimal(100) + rate_percent)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(net), gross_fen - int(net)


@dataclass(frozen=True)
class InvoiceData:
    """What an invoice states (the port adds number, code and date)."""

    request_key: str
    kind: Kind
    seller_name: str
    seller_tax_id: str
    buyer_name: str
    buyer_tax_id: str
    item_name: str
    amount_fen: int  # tax-inclusive; negative on a red-letter invoice
    tax_rate_percent: Decimal
    net_fen: int
    tax_fen: int
    original_number: str = ""  # red-letter: the blue invoice it negates
    note: str = ""


def invoice_xml(data: InvoiceData, *, number: str, code: str, issued_on: date) -> bytes:
    """The invoice document (a simple XML rendering of the fields of an electronic invoice)."""

    def el(name: str, value: object) -> str:
        return f"  <{name}>{escape(str(value))}</{name}>\n"

    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Invoice kind="{data.kind.value}">\n'
        + el("Number", number)
        + el("Code", code)
        + el("IssueDate", issued_on.isoformat())
        + el("SellerName", data.seller_name)
        + el("SellerTaxID", data.seller_tax_id)
        + el("BuyerName", data.buyer_name)
        + el("BuyerTaxID", data.buyer_tax_id)
        + el("ItemName", data.item_name)
        + el("AmountExcludingTax", Money(data.net_fen).to_yuan())
        + el("TaxRate", f"{data.tax_rate_percent}%")
        + el("TaxAmount", Money(data.tax_fen).to_yuan())
        + el("TotalAmount", Money(data.amount_fen).to_yuan())
        + el("TotalAmountInWords", _upper(data.amount_fen))
        + el("OriginalInvoiceNumber", data.original_number)
        + el("Remark", data.note)
        + "</Invoice>\n"
    )
    return body.encode("utf-8")


def _upper(fen: int) -> str:
    text = Money(abs(fen)).to_chinese_upper()
    return f"（负数）{text}" if fen < 0 else text

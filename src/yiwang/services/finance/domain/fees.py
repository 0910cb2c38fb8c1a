"""Service fees: fixed, free, or 差额定率累进 (marginal rates per band of the base amount).

A tiered fee is computed like income tax: each band of the base is charged its own rate. With bands
(≤100万: 1 %), (100万–500万: 0.7 %), a base of 300万 pays 100万 × 1 % + 200万 × 0.7 %. Amounts are fen,
rates per cent; the fee is rounded half up to the fen once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from yiwang.kernel.errors import InvalidInput


@dataclass(frozen=True)
class Band:
    upper_fen: int | None  # exclusive upper end of the band; None = no upper end
    rate_percent: Decimal


@dataclass(frozen=True)
class FeeItem:
    code: str
    title_zh: str
    method: str  # free | fixed | tiered | text
    basis: str  # who sets it, and the source
    applies_to: str = ""
    fixed_fen: int | None = None
    bands: tuple[Band, ...] = field(default=())
    note: str = ""
    confidence: str = ""


def compute_fee(item: FeeItem, base_fen: int | None = None) -> int:
    """The fee in fen for ``base_fen`` (needed by tiered fees). ``finance.fee_not_computable`` for items
    whose fee is only described in words (set by another party)."""
    if item.method == "free":
        return 0
    if item.method == "fixed":
        return int(item.fixed_fen or 0)
    if item.method != "tiered":
        raise InvalidInput(
            "finance.fee_not_computable",
            f"“{item.title_zh}”的收费由出具机构公示，平台不计算",
            f"the fee of {item.code} is set by its provider and not computed here",
            {"code": item.code},
        )
    if base_fen is None or isinstance(base_fen, bool) or not isinstance(base_fen, int) or base_fen < 0:
        raise InvalidInput(
            "finance.fee_base_required",
            "累进计费须提供计费基数（分）",
            "a tiered fee needs a base amount in fen",
            {"field": "base_fen", "code": item.code},
        )
    total = Decimal(0)
    lower = 0
    for band in item.bands:
        upper = band.upper_fen
        top = base_fen if upper is None else min(base_fen, upper)
        if top > lower:
            total += Decimal(top - lower) * band.rate_percent / 100
        if upper is None or base_fen <= upper:
            break
        lower = upper
    return int(total.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fee_item_from_json(data: dict) -> FeeItem:
    bands = tuple(
        Band(None if b.get("upper_yuan") is None else int(b["upper_yuan"]) * 100, Decimal(str(b["rate_percent"])))
        for b in data.get("bands", [])
    )
    return FeeItem(
        code=data["code"],
        title_zh=data["title_zh"],
        method=data["method"],
        basis=data.get("basis", ""),
        applies_to=data.get("applies_to", ""),
        fixed_fen=int(data["fixed_yuan"]) * 100 if data.get("fixed_yuan") is not None else None,
        bands=bands,
        note=data.get("note", ""),
        confidence=data.get("confidence", ""),
    )

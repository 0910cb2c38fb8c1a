"""The evaluation's stages and what may happen in each.

```
forming ─convene─▶ qualification ─close─▶ compliance ─close─▶ pricing ─close─▶ [clarification ─close─▶]
                   (skipped without                                           [scoring ─close─▶] signing
                    requirements)                                              ─finalise─▶ final
```
At any close that leaves fewer valid bids than the rule requires: signing with the outcome
``insufficient_valid_bids``, then final.
Lowest-price methods skip ``scoring``. ``cancelled`` can be reached from any stage before ``final``.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    FORMING = "forming"  # 委员会组建中: draw made, waiting for the meeting and the check-ins
    QUALIFICATION = "qualification"  # 资格审查
    COMPLIANCE = "compliance"  # 符合性审查
    PRICING = "pricing"  # 价格核对（算术修正、最后报价、评审价格调整）
    CLARIFICATION = "clarification"  # 异常低价澄清
    SCORING = "scoring"  # 详细评审（打分）
    SIGNING = "signing"  # 评标报告签署
    FINAL = "final"  # 评标完成
    CANCELLED = "cancelled"


STATUS_LABELS_ZH = {
    Status.FORMING: "委员会组建中",
    Status.QUALIFICATION: "资格审查",
    Status.COMPLIANCE: "符合性审查",
    Status.PRICING: "价格核对",
    Status.CLARIFICATION: "异常低价澄清",
    Status.SCORING: "详细评审（打分）",
    Status.SIGNING: "评标报告签署",
    Status.FINAL: "评标完成",
    Status.CANCELLED: "已取消",
}

IN_MEETING = (
    Status.QUALIFICATION,
    Status.COMPLIANCE,
    Status.PRICING,
    Status.CLARIFICATION,
    Status.SCORING,
    Status.SIGNING,
)
REVIEW_STAGES = (Status.QUALIFICATION, Status.COMPLIANCE)
SHEET_STAGES = (Status.QUALIFICATION, Status.COMPLIANCE, Status.SCORING)


class Outcome(StrEnum):
    NONE = ""
    CANDIDATES = "candidates"  # 推荐中标候选人
    INSUFFICIENT = "insufficient_valid_bids"  # 有效投标不足（由招标方处理废标/重新招标）


OUTCOME_LABELS_ZH = {Outcome.NONE: "", Outcome.CANDIDATES: "推荐中标候选人", Outcome.INSUFFICIENT: "有效投标不足"}


class PriceChange(StrEnum):
    CORRECTION = "correction"  # 算术错误修正 (the bid's price becomes the corrected one)
    FINAL_QUOTE = "final_quote"  # 最后报价 (negotiation, consultation)
    ADJUSTMENT = "adjustment"  # 评审价格调整 (lowest_evaluated: counts for ranking, not for the contract)


PRICE_CHANGE_LABELS_ZH = {
    PriceChange.CORRECTION: "算术错误修正",
    PriceChange.FINAL_QUOTE: "最后报价",
    PriceChange.ADJUSTMENT: "评审价格调整",
}


def next_after(status: Status, *, has_flagged: bool, scored: bool) -> Status:
    """The stage that follows a closed one (when enough valid bids remain)."""
    if status is Status.QUALIFICATION:
        return Status.COMPLIANCE
    if status is Status.COMPLIANCE:
        return Status.PRICING
    if status is Status.PRICING:
        if has_flagged:
            return Status.CLARIFICATION
        return Status.SCORING if scored else Status.SIGNING
    if status is Status.CLARIFICATION:
        return Status.SCORING if scored else Status.SIGNING
    if status is Status.SCORING:
        return Status.SIGNING
    raise ValueError(status)

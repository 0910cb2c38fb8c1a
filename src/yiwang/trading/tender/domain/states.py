"""The state machines of a project (招标项目) and of each of its sections (标段/包).

A **section** is the unit that is bid, opened, evaluated, awarded and contracted; it moves alone::

    draft ─publish─▶ bidding ─deadline (clock)─▶ opening ─close─▶ evaluating ─report─▶ evaluated
      │   (PQ) ─▶ prequalification ─deadline─▶ pq_review ─≥N qualified─▶ pq_passed ─invite─▶ bidding
      │                                              └─<N─▶ draft (资格预审重新进行)
    evaluated ─(tender) publish candidates─▶ publicity ─clock: period over, no open objection─▶ awardable
    evaluated (gp) / awardable ─award─▶ awarded ─contract─▶ contracted ─final performance record─▶ completed
    any open state ─cancel─▶ cancelled (终止);  bidding/opening/evaluating/evaluated/publicity/awardable ─fail─▶ failed
    failed ─re-tender (round + 1, new notice)─▶ bidding | prequalification

Suspension (暂停, while an objection to the documents or the results is unanswered) is not a state: it is a flag
on the section that freezes the deadlines and refuses submissions and awards, whatever the state.

The **project** status is derived from its sections (:func:`project_status`).

Bids (the bid box), the evaluation (the evaluation app) and objections are separate aggregates with their own
rows; the section only records where each one stands.

Pure Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from yiwang.kernel.errors import Conflict


class S(StrEnum):
    DRAFT = "draft"
    PREQUALIFICATION = "prequalification"
    PQ_REVIEW = "pq_review"
    PQ_PASSED = "pq_passed"
    BIDDING = "bidding"
    OPENING = "opening"
    EVALUATING = "evaluating"
    EVALUATED = "evaluated"
    PUBLICITY = "publicity"
    AWARDABLE = "awardable"
    AWARDED = "awarded"
    CONTRACTED = "contracted"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


SECTION_LABELS = {
    S.DRAFT: "未发布",
    S.PREQUALIFICATION: "资格预审中",
    S.PQ_REVIEW: "资格审查中",
    S.PQ_PASSED: "资格预审已完成",
    S.BIDDING: "投标中",
    S.OPENING: "开标中",
    S.EVALUATING: "评标中",
    S.EVALUATED: "评标完成",
    S.PUBLICITY: "中标候选人公示中",
    S.AWARDABLE: "待定标",
    S.AWARDED: "已发中标通知书",
    S.CONTRACTED: "合同已签订",
    S.COMPLETED: "履约完成",
    S.FAILED: "流标/废标",
    S.CANCELLED: "已终止",
}

TRANSITIONS: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.PREQUALIFICATION, S.BIDDING, S.CANCELLED}),
    S.PREQUALIFICATION: frozenset({S.PQ_REVIEW, S.CANCELLED}),
    S.PQ_REVIEW: frozenset({S.DRAFT, S.PQ_PASSED, S.CANCELLED}),
    S.PQ_PASSED: frozenset({S.BIDDING, S.CANCELLED}),
    S.BIDDING: frozenset({S.OPENING, S.FAILED, S.CANCELLED}),
    S.OPENING: frozenset({S.EVALUATING, S.FAILED, S.CANCELLED}),
    S.EVALUATING: frozenset({S.EVALUATED, S.FAILED, S.CANCELLED}),
    S.EVALUATED: frozenset({S.PUBLICITY, S.AWARDED, S.FAILED, S.CANCELLED}),
    S.PUBLICITY: frozenset({S.AWARDABLE, S.EVALUATING, S.FAILED, S.CANCELLED}),
    S.AWARDABLE: frozenset({S.AWARDED, S.FAILED, S.CANCELLED}),
    S.AWARDED: frozenset({S.CONTRACTED, S.AWARDABLE, S.FAILED, S.CANCELLED}),
    S.CONTRACTED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset({S.BIDDING, S.PREQUALIFICATION, S.CANCELLED}),
    S.CANCELLED: frozenset(),
}
TERMINAL = frozenset({S.COMPLETED, S.CANCELLED})
OPEN = frozenset(set(S) - {S.COMPLETED, S.CANCELLED, S.CONTRACTED})
ACCEPTS_BIDS = frozenset({S.BIDDING})
BEFORE_OPENING = frozenset({S.DRAFT, S.PREQUALIFICATION, S.PQ_REVIEW, S.PQ_PASSED, S.BIDDING})


def check_transition(current: str, target: S) -> None:
    """Refuse a move the machine does not have (``tender.wrong_state``, 409)."""
    state = S(current)
    if target not in TRANSITIONS[state]:
        raise Conflict(
            "tender.wrong_state",
            f"标段当前状态为“{SECTION_LABELS[state]}”，不能转为“{SECTION_LABELS[target]}”",
            f"a section in state {state.value} cannot move to {target.value}",
            {"status": state.value, "target": target.value},
        )


def require_state(current: str, *allowed: S, doing_zh: str, doing_en: str) -> None:
    state = S(current)
    if state not in allowed:
        raise Conflict(
            "tender.wrong_state",
            f"标段当前状态为“{SECTION_LABELS[state]}”，不能{doing_zh}",
            f"cannot {doing_en} while the section is {state.value}",
            {"status": state.value, "allowed": [a.value for a in allowed]},
        )


class P(StrEnum):
    PREPARED = "prepared"
    PUBLISHED = "published"
    AWARDED = "awarded"
    CONTRACTED = "contracted"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


PROJECT_LABELS = {
    P.PREPARED: "准备中（未发布）",
    P.PUBLISHED: "进行中",
    P.AWARDED: "已定标",
    P.CONTRACTED: "已签约",
    P.COMPLETED: "已完成",
    P.FAILED: "失败（流标/废标）",
    P.CANCELLED: "已终止",
}


def project_status(published: bool, sections: Iterable[str]) -> P:
    """The project's status from its sections' (a project is as far as its slowest open section)."""
    states = {S(s) for s in sections}
    if not published or not states:
        return P.CANCELLED if states == {S.CANCELLED} else P.PREPARED
    if states == {S.CANCELLED}:
        return P.CANCELLED
    settled = {S.COMPLETED, S.CANCELLED, S.FAILED}
    if states <= settled:
        return P.COMPLETED if S.COMPLETED in states else P.FAILED
    if states <= settled | {S.CONTRACTED}:
        return P.CONTRACTED
    if states <= settled | {S.CONTRACTED, S.AWARDED}:
        return P.AWARDED
    return P.PUBLISHED

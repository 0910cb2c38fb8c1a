"""待办: the to-do items of the workbench, gathered from the contexts that own the work.

Each function answers for one kind of person and reads only the owning contexts' ``queries`` (restricted by the
actor, so nobody sees an item about a procedure they may not see). The portal composes; it decides nothing.

- market entities (tenderers, agencies, bidders): documents to sign, tenders to publish, objections and
  questions to answer, results to record, awards and contracts due (tendering); bids to decrypt at an opening
  (tendering, from the bid box); refunds of their deposits past the deadline (finance);
- staff: openings in progress (tendering), refunds past their deadline (finance);
- regulators: complaints to accept and to decide, nearest time limit first (complaints); alerts to assign and
  to investigate (red flags);
- experts: evaluations to take part in, review and score, and reports to sign (evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from yiwang.exchange.subplatform import queries as exchange
from yiwang.kernel.actors import Actor
from yiwang.kernel.money import Money
from yiwang.services.finance import queries as finance
from yiwang.supervision.complaints import queries as complaints
from yiwang.supervision.redflags import queries as redflags
from yiwang.trading.tender import queries as tender
from yiwang.trading.tender.evaluation import queries as evaluation

LIMIT = 20  # per kind of work: the workbench links to the full list


@dataclass(frozen=True)
class Todo:
    label: str
    url: str
    due: str = ""


def _when(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%m-%d %H:%M}" if moment else ""


def _yuan(fen: int) -> str:
    return Money(fen).format_yuan()


def _tender(actor: Actor, roles: tuple[str, ...]) -> list[Todo]:
    return [Todo(i.label, i.url, _when(i.due)) for i in tender.workbench_items_for(actor) if i.role in roles]


def market_entity(actor: Actor) -> list[Todo]:
    items = _tender(actor, ("manager", "bidder"))
    for deposit in finance.list_my_deposits_for(actor)[:200]:
        for refund in deposit.refunds:
            if refund.overdue:  # the bidder's business only once the centre is late
                items.append(
                    Todo(
                        f"保证金退还已逾期：{_yuan(refund.amount_fen)} 元（{refund.status_label}）",
                        "/finance/mine/",
                        _when(refund.due_at),
                    )
                )
    return items[: LIMIT * 3]


def staff(actor: Actor) -> list[Todo]:
    items = _tender(actor, ("staff",))
    if finance.is_privileged(actor):
        for late in finance.list_late_refunds_for(actor):
            if late.refund.status != "paid":
                items.append(
                    Todo(
                        f"保证金退还已逾期：{late.lot_ref}（{_yuan(late.refund.amount_fen)} 元）",
                        f"/finance/staff/lots/{late.lot_ref}/",
                        _when(late.refund.due_at),
                    )
                )
                if len(items) >= LIMIT * 2:
                    break
    return items


def regulator(actor: Actor) -> list[Todo]:
    items: list[Todo] = []
    for status, verb in (("filed", "待受理"), ("accepted", "待处理"), ("investigating", "调查中，待决定")):
        for c in complaints.list_complaints_for(actor, status=status, limit=LIMIT).rows:
            due = c.acceptance_due if status == "filed" else c.decision_due
            late = "（已逾期）" if c.overdue else ""
            label = f"投诉{verb}{late}（{c.track_label}）：{c.procedure_title}"
            items.append(Todo(label, f"/complaints/{c.id}/", _when(due)))
    if redflags.may_read(actor):
        for status, verb in (("new", "待分派"), ("assigned", "待调查")):
            page = redflags.list_alerts_for(actor, status=status, limit=LIMIT, mine=status == "assigned")
            for a in page.rows:
                items.append(Todo(f"预警{verb}：{a.title}（{a.score:.2f}）", f"/supervision/redflags/{a.id}/"))
        for a in redflags.list_alerts_for(actor, status="investigating", mine=True, limit=LIMIT).rows:
            items.append(Todo(f"预警调查中，待结论：{a.title}", f"/supervision/redflags/{a.id}/"))
    return items


EXPERT_WORK = {
    "qualification": "资格审查",
    "compliance": "符合性审查",
    "pricing": "价格核对",
    "clarification": "澄清",
    "scoring": "打分",
    "signing": "签署评标报告",
}


def expert(actor: Actor) -> list[Todo]:
    return [
        Todo(f"评标待{EXPERT_WORK[e.status]}：{e.title}", f"/evaluation/{e.id}/")
        for e in evaluation.list_my_tasks(actor)
        if e.status in EXPERT_WORK
    ][:LIMIT]


def subplatform_operator(actor: Actor) -> list[Todo]:
    """A sub-platform operator: last month's data-quality report failed a threshold (exchange)."""
    return [
        Todo(
            f"上月（{r.month}）数据质量未达标：{'、'.join(m.name_zh for m in r.failed)}",
            f"/exchange/quality/mine/?month={r.month}",
        )
        for r in exchange.failing_reports_for(actor)
    ]

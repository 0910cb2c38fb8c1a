"""待办: the to-do items of the workbench, gathered from the contexts that own the work.

The labels are Chinese message ids translated under the English switch (the tendering items come translated
or not from tendering's own queries; data such as project titles stays as entered). Each function answers for
one kind of person and reads only the owning contexts' ``queries`` (restricted by the
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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

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
                        _("保证金退还已逾期：%(amount)s 元（%(status)s）")
                        % {"amount": _yuan(refund.amount_fen), "status": _(refund.status_label)},
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
                        _("保证金退还已逾期：%(lot)s（%(amount)s 元）")
                        % {"lot": late.lot_ref, "amount": _yuan(late.refund.amount_fen)},
                        f"/finance/staff/lots/{late.lot_ref}/",
                        _when(late.refund.due_at),
                    )
                )
                if len(items) >= LIMIT * 2:
                    break
    return items


# "to-do": the same Chinese words are also state names elsewhere (待受理 is a complaint's state), translated apart
COMPLAINT_WORK = {
    "filed": pgettext_lazy("to-do", "待受理"),
    "accepted": pgettext_lazy("to-do", "待处理"),
    "investigating": pgettext_lazy("to-do", "调查中，待决定"),
}
ALERT_WORK = {"new": pgettext_lazy("to-do", "待分派"), "assigned": pgettext_lazy("to-do", "待调查")}


def regulator(actor: Actor) -> list[Todo]:
    items: list[Todo] = []
    for status, verb in COMPLAINT_WORK.items():
        for c in complaints.list_complaints_for(actor, status=status, limit=LIMIT).rows:
            due = c.acceptance_due if status == "filed" else c.decision_due
            label = _("投诉%(work)s%(late)s（%(track)s）：%(title)s") % {
                "work": verb,
                "late": _("（已逾期）") if c.overdue else "",
                "track": _(c.track_label),
                "title": c.procedure_title,
            }
            items.append(Todo(label, f"/complaints/{c.id}/", _when(due)))
    if redflags.may_read(actor):
        for status, verb in ALERT_WORK.items():
            page = redflags.list_alerts_for(actor, status=status, limit=LIMIT, mine=status == "assigned")
            for a in page.rows:
                label = _("预警%(work)s：%(title)s（%(score)s）") % {
                    "work": verb,
                    "title": a.title,
                    "score": f"{a.score:.2f}",
                }
                items.append(Todo(label, f"/supervision/redflags/{a.id}/"))
        for a in redflags.list_alerts_for(actor, status="investigating", mine=True, limit=LIMIT).rows:
            items.append(
                Todo(_("预警调查中，待结论：%(title)s") % {"title": a.title}, f"/supervision/redflags/{a.id}/")
            )
    return items


EXPERT_WORK = {
    "qualification": gettext_lazy("资格审查"),
    "compliance": gettext_lazy("符合性审查"),
    "pricing": gettext_lazy("价格核对"),
    "clarification": gettext_lazy("澄清"),
    "scoring": gettext_lazy("打分"),
    "signing": gettext_lazy("签署评标报告"),
}


def expert(actor: Actor) -> list[Todo]:
    return [
        Todo(_("评标待%(work)s：%(title)s") % {"work": EXPERT_WORK[e.status], "title": e.title}, f"/evaluation/{e.id}/")
        for e in evaluation.list_my_tasks(actor)
        if e.status in EXPERT_WORK
    ][:LIMIT]


def subplatform_operator(actor: Actor) -> list[Todo]:
    """A sub-platform operator: last month's data-quality report failed a threshold (exchange)."""
    return [
        Todo(
            _("上月（%(month)s）数据质量未达标：%(failed)s")
            % {"month": r.month, "failed": _("、").join(_(m.name_zh) for m in r.failed)},
            f"/exchange/quality/mine/?month={r.month}",
        )
        for r in exchange.failing_reports_for(actor)
    ]

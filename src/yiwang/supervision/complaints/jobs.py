"""The clock job that reminds regulators of complaint time limits (``complaints.reminders``).

For every open complaint, each running limit — acceptance (受理), decision (处理决定; not while its clock is
stopped for testing or an expert review) and, for government procurement, the cap on a suspension (暂停采购) —
sends the regulators over the complaint's region an in-site message once when the limit comes within
``YIWANG_COMPLAINTS["REMIND_BEFORE_HOURS"]`` (default 24) and once more when it has passed (超期). A limit that
moves (the clock stopped and started again) is a new limit and is reminded of again. Idempotent: the inbox
refuses a second message with the same key, so a job run twice or after a crash sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from yiwang.identity import queries as identity
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.notify.actions import NewMessage, do_send_messages
from yiwang.supervision.complaints.domain import rules as r
from yiwang.supervision.complaints.models import Complaint

CLOCK = Actor.system("clock")
LIMIT_LABELS = {"acceptance": "受理期限", "decision": "处理决定期限", "suspension": "暂停采购最长期限"}


def remind_before() -> timedelta:
    conf = getattr(settings, "YIWANG_COMPLAINTS", {}) or {}
    return timedelta(hours=float(conf.get("REMIND_BEFORE_HOURS", 24)))


@dataclass(frozen=True)
class DueLimit:
    complaint: Complaint
    limit: str  # acceptance | decision | suspension
    due: datetime


def limits_due_by(moment: datetime) -> list[DueLimit]:
    """The running limits of open complaints that end at or before ``moment``."""
    found: list[DueLimit] = []
    q = (
        Q(status=r.Status.FILED, acceptance_due__lte=moment)
        | Q(status__in=r.DECIDING, clock_paused_at__isnull=True, decision_due__lte=moment)
        | Q(status__in=r.DECIDING, suspended_at__isnull=False, suspension_until__lte=moment)
    )
    for c in Complaint.objects.filter(q).order_by("pk"):
        if c.status == r.Status.FILED and c.acceptance_due <= moment:
            found.append(DueLimit(c, "acceptance", c.acceptance_due))
        if c.status in r.DECIDING and c.clock_paused_at is None and c.decision_due and c.decision_due <= moment:
            found.append(DueLimit(c, "decision", c.decision_due))
        if c.status in r.DECIDING and c.suspended_at and c.suspension_until and c.suspension_until <= moment:
            found.append(DueLimit(c, "suspension", c.suspension_until))
    return found


def _message(recipient: str, item: DueLimit, *, overdue: bool) -> NewMessage:
    c = item.complaint
    label = LIMIT_LABELS[item.limit]
    when = item.due.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    rule = (c.rules.get(item.limit) or {}).get("source", "")
    if overdue:
        title = f"投诉{label}已超期：{c.procedure_title}"
        body = f"投诉 {c.pk}（{c.complainant_name} 投诉 {c.respondent}）的{label}已于 {when} 届满，请尽快办理。"
    else:
        title = f"投诉{label}即将届满：{c.procedure_title}"
        body = f"投诉 {c.pk}（{c.complainant_name} 投诉 {c.respondent}）的{label}将于 {when} 届满。"
    if rule:
        body += f"依据：{rule}。"
    stage = "overdue" if overdue else "due_soon"
    return NewMessage(
        recipient=recipient,
        title=title[:200],
        body=body,
        link=f"/complaints/{c.pk}/",
        category="complaints.reminder",
        key=f"complaints:{c.pk}:{item.limit}:{stage}:{item.due.isoformat()}",
    )


def send_reminders(moment: datetime) -> int:
    """Send what is due at ``moment``; returns the number of messages written (0 when all were sent before)."""
    messages: list[NewMessage] = []
    officers: dict[str, list[str]] = {}
    for item in limits_due_by(moment + remind_before()):
        region = item.complaint.region_code
        if region not in officers:
            officers[region] = identity.officer_refs_over(region, Role.REGULATOR)
        overdue = item.due <= moment  # past the limit, only the overdue message is worth sending
        messages.extend(_message(ref, item, overdue=overdue) for ref in officers[region])
    if not messages:
        return 0
    return len(do_send_messages(actor=CLOCK, messages=messages))

"""Reads of the complaints context.

- regulators (and auditors) read the complaints of their regions, with what is overdue;
- users of the complaining entity read their own complaints;
- anyone reads the decisions (投诉处理结果公开): :func:`list_public_decisions`.
- the regulators' one-screen dashboard: :func:`complaint_board_for` — open complaints by state, overdue, and
  those whose time limit ends soonest with their days left;
- other contexts: :func:`pending_for_procedure` — the open complaints about a procedure and whether one of them
  holds it suspended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Case, Count, DateTimeField, F, Q, When
from django.utils import timezone

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import NotFound
from yiwang.kernel.ids import region_level
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.clock import now
from yiwang.supervision.complaints.actions import is_handler
from yiwang.supervision.complaints.domain import rules as r
from yiwang.supervision.complaints.models import Complaint

READERS = (Role.REGULATOR, Role.AUDITOR)
MAX_PAGE = 200


@dataclass(frozen=True)
class ComplaintView:
    id: int
    track: str
    track_label: str
    matter: str
    matter_label: str
    complainant_entity_id: int
    complainant_name: str
    respondent: str
    procedure_ref: str
    procedure_title: str
    region_code: str
    facts: str
    claims: str
    anchor_on: Any
    objection_ref: str
    filed_at: datetime
    filing_deadline: datetime
    status: str
    status_label: str
    acceptance_due: datetime
    accepted_at: datetime | None
    accepted_late: bool
    decision_due: datetime | None
    rules: dict[str, Any]
    suspended: bool
    suspended_at: datetime | None
    suspension_until: datetime | None
    suspensions: list[dict[str, Any]]
    clock_paused: bool
    clock_paused_at: datetime | None
    clock_pause_kind: str
    clock_pause_label: str
    clock_pauses: list[dict[str, Any]]
    excluded_units: int
    outcome: str
    outcome_label: str
    decision_text: str
    decided_at: datetime | None
    decided_late: bool
    closing_reason: str
    overdue: tuple[str, ...]  # acceptance | decision | suspension
    allowed: tuple[str, ...]  # the regulator's verbs for this actor
    version: int


def overdue_of(c: Complaint, moment: datetime) -> tuple[str, ...]:
    late = []
    if c.status == r.Status.FILED and moment >= c.acceptance_due:
        late.append("acceptance")
    running = c.clock_paused_at is None  # a stopped decision clock is not overdue while it stands
    if c.status in r.DECIDING and running and c.decision_due and moment >= c.decision_due:
        late.append("decision")
    if c.suspended_at is not None and c.suspension_until is not None and moment >= c.suspension_until:
        late.append("suspension")
    return tuple(late)


def _view(c: Complaint, actor: Actor, moment: datetime) -> ComplaintView:
    handler = is_handler(actor, c.region_code)
    return ComplaintView(
        id=c.pk,
        track=c.track,
        track_label=r.TRACK_LABELS.get(c.track, c.track),
        matter=c.matter,
        matter_label=r.MATTER_LABELS.get(c.matter, c.matter),
        complainant_entity_id=c.complainant_entity_id,
        complainant_name=c.complainant_name,
        respondent=c.respondent,
        procedure_ref=c.procedure_ref,
        procedure_title=c.procedure_title,
        region_code=c.region_code,
        facts=c.facts,
        claims=c.claims,
        anchor_on=c.anchor_on,
        objection_ref=c.objection_ref,
        filed_at=c.filed_at,
        filing_deadline=c.filing_deadline,
        status=c.status,
        status_label=r.STATUS_LABELS.get(c.status, c.status),
        acceptance_due=c.acceptance_due,
        accepted_at=c.accepted_at,
        accepted_late=c.accepted_late,
        decision_due=c.decision_due,
        rules=c.rules,
        suspended=c.suspended_at is not None,
        suspended_at=c.suspended_at,
        suspension_until=c.suspension_until,
        suspensions=list(c.suspensions),
        clock_paused=c.clock_paused_at is not None,
        clock_paused_at=c.clock_paused_at,
        clock_pause_kind=c.clock_pause_kind,
        clock_pause_label=r.PAUSE_LABELS.get(r.PauseKind(c.clock_pause_kind), "") if c.clock_pause_kind else "",
        clock_pauses=list(c.clock_pauses),
        excluded_units=c.excluded_units,
        outcome=c.outcome,
        outcome_label=r.OUTCOME_LABELS.get(c.outcome, ""),
        decision_text=c.decision_text,
        decided_at=c.decided_at,
        decided_late=c.decided_late,
        closing_reason=c.closing_reason,
        overdue=overdue_of(c, moment),
        allowed=(
            r.allowed(c.status, suspended=c.suspended_at is not None, paused=c.clock_paused_at is not None)
            if handler
            else ()
        ),
        version=c.version,
    )


def _scope_q(actor: Actor) -> Q:
    if actor.is_system:
        return Q()
    q = Q(pk__in=[])
    for scope in actor.region_scopes(*READERS):
        length = {"province": 2, "prefecture": 4, "county": 6}[region_level(scope)]
        q |= Q(region_code__startswith=scope[:length])
    own = actor.entity_ids()
    if own:
        q |= Q(complainant_entity_id__in=sorted(own))
    return q


@dataclass(frozen=True)
class Page:
    rows: list[ComplaintView]
    total: int


def list_complaints_for(
    actor: Actor, *, status: str | None = None, overdue: bool = False, limit: int = 50, offset: int = 0
) -> Page:
    """Complaints the actor reads (regulators and auditors: their regions; entity users: their own), those
    with the nearest time limit first. ``overdue``: only those past a limit."""
    qs = Complaint.objects.filter(_scope_q(actor))
    if status:
        qs = qs.filter(status=status)
    moment = now()
    if overdue:
        qs = qs.filter(
            Q(status=r.Status.FILED, acceptance_due__lte=moment)
            | Q(status__in=[r.Status.ACCEPTED, r.Status.INVESTIGATING], decision_due__lte=moment)
            | Q(suspended_at__isnull=False, suspension_until__lte=moment)
        )
    total = qs.count()
    limit, offset = max(1, min(int(limit), MAX_PAGE)), max(0, int(offset))
    rows = qs.order_by("status", "acceptance_due", "pk")[offset : offset + limit]
    return Page([_view(c, actor, moment) for c in rows], total)


def get_complaint_for(actor: Actor, complaint_id: int) -> ComplaintView:
    c = Complaint.objects.filter(_scope_q(actor), pk=complaint_id).first()
    if c is None:
        raise NotFound("complaints.not_found", "没有该投诉", "No such complaint", {"id": complaint_id})
    return _view(c, actor, now())


@dataclass(frozen=True)
class DecisionView:
    id: int
    track_label: str
    procedure_title: str
    complainant_name: str
    respondent: str
    matter_label: str
    outcome_label: str
    decision_text: str
    decided_at: datetime


def list_public_decisions(*, limit: int = 50) -> list[DecisionView]:
    """投诉处理决定 published to everyone, newest first."""
    rows = Complaint.objects.filter(status=r.Status.DECIDED).order_by("-decided_at", "-pk")[: min(limit, MAX_PAGE)]
    return [
        DecisionView(
            id=c.pk,
            track_label=r.TRACK_LABELS.get(c.track, c.track),
            procedure_title=c.procedure_title,
            complainant_name=c.complainant_name,
            respondent=c.respondent,
            matter_label=r.MATTER_LABELS.get(c.matter, c.matter),
            outcome_label=r.OUTCOME_LABELS.get(c.outcome, c.outcome),
            decision_text=c.decision_text,
            decided_at=c.decided_at,  # type: ignore[arg-type]
        )
        for c in rows
    ]


@dataclass(frozen=True)
class ProcedureState:
    procedure_ref: str
    open_complaints: tuple[int, ...]
    suspended_by: tuple[int, ...]

    @property
    def suspended(self) -> bool:
        return bool(self.suspended_by)


def pending_for_procedure(procedure_ref: str) -> ProcedureState:
    """For other contexts: the open complaints about ``procedure_ref`` and those holding it suspended."""
    rows = list(
        Complaint.objects.filter(procedure_ref=procedure_ref, status__in=list(r.OPEN))
        .order_by("pk")
        .values_list("pk", "suspended_at")
    )
    return ProcedureState(procedure_ref, tuple(pk for pk, _ in rows), tuple(pk for pk, s in rows if s is not None))


@dataclass(frozen=True)
class DueComplaint:
    """An open complaint on the regulators' dashboard: which legal time limit runs and how many days are left."""

    id: int
    procedure_title: str
    track_label: str
    status: str
    status_label: str
    region_code: str
    limit_kind: str  # "acceptance" (受理期限) | "decision" (处理期限) | "" (the decision clock is stopped)
    due: datetime | None
    last_day: date | None  # the last Shanghai calendar day of the limit (the limit ends at its midnight)
    days_left: int | None  # calendar days from today to the last day: 0 = today, negative = overdue
    overdue: bool

    @property
    def days_overdue(self) -> int:
        return max(0, -(self.days_left or 0))


@dataclass(frozen=True)
class ComplaintBoard:
    awaiting_acceptance: int  # 待受理
    in_handling: int  # 已受理 or 调查中: the decision period runs (or its clock is stopped)
    overdue: int  # past the acceptance or the decision limit (a stopped decision clock is not overdue)
    soonest: list[DueComplaint]

    @property
    def open_total(self) -> int:
        return self.awaiting_acceptance + self.in_handling


def _region_q(region: str) -> Q:
    length = {"province": 2, "prefecture": 4, "county": 6}[region_level(region)]
    return Q(region_code__startswith=region[:length])


def complaint_board_for(actor: Actor, *, region: str | None = None, limit: int = 5) -> ComplaintBoard:
    """For the one-screen dashboard: the open complaints the actor reads (optionally within ``region``, a region
    code the caller has checked), counted by state and overdue, and the ``limit`` whose running time limit ends
    soonest (受理期限 while 待受理, 处理期限 while 已受理/调查中; those with a stopped decision clock come last)."""
    qs = Complaint.objects.filter(_scope_q(actor), status__in=list(r.OPEN))
    if region:
        qs = qs.filter(_region_q(region))
    moment = now()
    running_decision = Q(status__in=list(r.DECIDING), clock_paused_at__isnull=True)
    qs = qs.annotate(
        due=Case(
            When(status=r.Status.FILED, then=F("acceptance_due")),
            When(running_decision, then=F("decision_due")),
            default=None,
            output_field=DateTimeField(),
        )
    )
    counts = qs.aggregate(
        filed=Count("pk", filter=Q(status=r.Status.FILED)),
        deciding=Count("pk", filter=Q(status__in=list(r.DECIDING))),
        overdue=Count("pk", filter=Q(due__lte=moment)),
    )
    rows = qs.order_by(F("due").asc(nulls_last=True), "pk")[: max(1, min(int(limit), MAX_PAGE))]
    today = timezone.localtime(moment, SHANGHAI).date()
    soonest = []
    for c in rows:
        due = c.due
        last_day = timezone.localtime(due - timedelta(microseconds=1), SHANGHAI).date() if due else None
        soonest.append(
            DueComplaint(
                id=c.pk,
                procedure_title=c.procedure_title,
                track_label=r.TRACK_LABELS.get(c.track, c.track),
                status=c.status,
                status_label=r.STATUS_LABELS.get(c.status, c.status),
                region_code=c.region_code,
                limit_kind=("acceptance" if c.status == r.Status.FILED else "decision") if due else "",
                due=due,
                last_day=last_day,
                days_left=(last_day - today).days if last_day else None,
                overdue=bool(due and moment >= due),
            )
        )
    return ComplaintBoard(counts["filed"], counts["deciding"], counts["overdue"], soonest)

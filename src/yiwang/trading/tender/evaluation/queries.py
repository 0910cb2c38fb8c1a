"""Reads of the evaluation, restricted by who asks.

Who sees what:

- staff, regulators, auditors over the region (and the platform): everything but the members' drafts;
- a committee member: the bids and their documents (during the meeting), the other members' names, their own
  sheets, the others' *submitted* sheets once their own for that stage is submitted; the chair also every
  member's progress and the outliers; the report once generated;
- the tenderer and the agency (users acting for the entities named in the request): the status only; after the
  report is final, the report and the candidates — the members' names only after the award;
- a bidder: its own clarification request; the candidates are public through the tender notices;
- anyone else: nothing (``evaluation.evaluation_not_found``).

For the tender context: :func:`get_evaluation_for`, :func:`outcome_of`, :func:`candidates_of`, :func:`report_of`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db.models import Q
from django.urls import reverse

from yiwang.kernel.actors import Actor, Role
from yiwang.platform.clock import now
from yiwang.trading.tender.evaluation.actions import (
    checks_for,
    config_of,
    is_staff_over,
    items_for,
    meeting_open,
    member_of,
)
from yiwang.trading.tender.evaluation.domain import collusion, outliers, scoring
from yiwang.trading.tender.evaluation.domain import errors as err
from yiwang.trading.tender.evaluation.domain.inputs import (
    CATEGORY_LABELS_ZH,
    KIND_LABELS_ZH,
    METHOD_LABELS_ZH,
    SCORER_ROLE_LABELS_ZH,
    Method,
    ScorerRole,
    TenderKind,
)
from yiwang.trading.tender.evaluation.domain.states import (
    OUTCOME_LABELS_ZH,
    REVIEW_STAGES,
    STATUS_LABELS_ZH,
    Outcome,
    Status,
)
from yiwang.trading.tender.evaluation.models import (
    Bid,
    BidStatus,
    Clarification,
    ClarificationStatus,
    Evaluation,
    Member,
    MemberKind,
    Outlier,
    Sheet,
    SheetStatus,
)

OVERSEERS = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)
LINK_SALT = "yiwang.evaluation.bid-document.v1"
LINK_SECONDS = 600


def oversees(actor: Actor, region_code: str) -> bool:
    return actor.is_system or actor.covers_region(region_code, *OVERSEERS)


def _party(actor: Actor, ev: Evaluation) -> bool:
    return any(e and actor.acts_for(e) for e in (ev.tenderer_entity_id, ev.agency_entity_id))


# -- views -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberView:
    id: int
    ordinal: int
    label: str
    kind: str
    kind_label: str
    name: str  # "" when the viewer may not see names
    role: str
    role_label: str
    specialty: str
    is_chair: bool
    is_me: bool
    checked_in: bool
    time_short: bool
    signed: bool
    signed_at: datetime | None
    dissent: str


@dataclass(frozen=True)
class DocumentView:
    index: int
    title: str
    file_name: str


@dataclass(frozen=True)
class BidView:
    id: int
    seq: int
    pseudonym: str
    name: str
    uscc: str
    entity_id: int
    price_fen: int
    offered_price_fen: int
    evaluated_price_fen: int
    brand: str
    consortium: bool
    status: str
    rejected_stage: str
    veto_reason: str
    review: dict[str, Any]
    abnormally_low: bool
    price_changes: list[dict[str, Any]]
    scores: dict[str, Any] | None
    total: Decimal | None
    rank: int | None
    tie_unresolved: bool
    brand_excluded: bool
    candidate_rank: int | None
    qualification: dict[str, Any]
    documents: tuple[DocumentView, ...]
    hints: dict[str, str]  # system hints for the compliance checklist (ground code → text)


@dataclass(frozen=True)
class SheetView:
    id: int
    member_id: int
    member_label: str
    stage: str
    status: str
    status_label: str
    content: dict[str, Any] | None  # None when the viewer may not read it
    comments: str
    submitted_at: datetime | None
    version: int
    returned: list[dict[str, Any]]


@dataclass(frozen=True)
class ClarificationView:
    id: int
    bid_id: int
    pseudonym: str
    status: str
    status_label: str
    basis: dict[str, Any]
    question: str
    respond_by: datetime | None
    answer: str
    answered_at: datetime | None
    accepted: bool | None
    decision_reason: str
    decided_at: datetime | None


@dataclass(frozen=True)
class OutlierView:
    member_label: str
    bid_id: int
    pseudonym: str
    item: str
    item_name: str
    score: str
    reference: str
    deviation: str
    methods: tuple[str, ...]


@dataclass(frozen=True)
class CheckView:
    code: str
    text: str
    source: str


@dataclass(frozen=True)
class ItemView:
    code: str
    name: str
    category: str
    category_label: str
    max_points: Decimal
    objective: bool
    guidance: str


@dataclass(frozen=True)
class EvaluationView:
    id: int
    section_ref: str
    project_ref: str
    title: str
    kind: str
    kind_label: str
    method: str
    method_label: str
    scored: bool
    region_code: str
    status: str
    status_label: str
    outcome: str
    outcome_label: str
    meeting_start: datetime
    meeting_end: datetime
    extended_until: datetime | None
    convened_at: datetime | None
    finalised_at: datetime | None
    version: int
    viewer: str  # overseer | member | party | bidder
    can_manage: bool  # staff over the region
    is_chair: bool
    names_visible: bool
    names_public: bool  # the award was made: names shown to everyone who sees the evaluation
    in_meeting: bool
    me: MemberView | None = None
    members: tuple[MemberView, ...] = ()
    bids: tuple[BidView, ...] = ()
    checks: dict[str, tuple[CheckView, ...]] = field(default_factory=dict)  # stage → checks
    items: tuple[ItemView, ...] = ()
    my_items: tuple[str, ...] = ()  # item codes the viewing member scores
    my_sheets: dict[str, SheetView] = field(default_factory=dict)  # stage → the viewer's own sheet
    sheets: tuple[SheetView, ...] = ()  # the others' sheets as the viewer may see them
    progress: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # stage → [(label, status)]
    clarifications: tuple[ClarificationView, ...] = ()
    outliers: tuple[OutlierView, ...] = ()  # recorded at the scoring close
    provisional_outliers: tuple[OutlierView, ...] = ()  # live, once every score sheet is in (chair, overseers)
    rules: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    stage_log: list[dict[str, Any]] = field(default_factory=list)
    screen: dict[str, Any] | None = None
    collusion: list[dict[str, Any]] = field(default_factory=list)
    pivotal: list[str] = field(default_factory=list)
    report: dict[str, Any] | None = None
    report_sha256: str = ""
    report_sm3: str = ""
    report_pdf_document: str | None = None
    extension_due_at: datetime | None = None
    time_short: int = 0
    draw_id: int | None = None
    booking_id: int | None = None
    cancel_reason: str = ""


def _evaluation(section_ref: str) -> Evaluation:
    ev = Evaluation.objects.filter(section_ref=section_ref).first()
    if ev is None:
        raise err.not_found("evaluation", section_ref=section_ref)
    return ev


def section_of(evaluation_id: int) -> str:
    ref = Evaluation.objects.filter(pk=evaluation_id).values_list("section_ref", flat=True).first()
    if ref is None:
        raise err.not_found("evaluation", evaluation_id=evaluation_id)
    return ref


def _viewer(actor: Actor, ev: Evaluation, members: Sequence[Member]) -> tuple[str | None, Member | None]:
    if oversees(actor, ev.region_code):
        return "overseer", member_of(actor, members)
    me = member_of(actor, members)
    if me is not None and (ev.convened_at is not None or me.kind == MemberKind.REPRESENTATIVE):
        return "member", me
    if _party(actor, ev):
        return "party", None
    if any(actor.acts_for(e) for e in Bid.objects.filter(evaluation=ev).values_list("entity_id", flat=True)):
        return "bidder", None
    return None, None


def _member_view(m: Member, ev: Evaluation, me: Member | None, names: bool) -> MemberView:
    return MemberView(
        id=m.pk,
        ordinal=m.ordinal,
        label=m.label,
        kind=m.kind,
        kind_label=MemberKind(m.kind).label,
        name=m.name if names else "",
        role=m.role,
        role_label=SCORER_ROLE_LABELS_ZH[ScorerRole(m.role)],
        specialty=m.specialty,
        is_chair=ev.chair_member_id == m.pk,
        is_me=me is not None and me.pk == m.pk,
        checked_in=m.checked_in_at is not None,
        time_short=m.time_short_at is not None,
        signed=m.signed_at is not None,
        signed_at=m.signed_at,
        dissent=m.dissent,
    )


def _hints(ev: Evaluation, bid: Bid, shared: list[collusion.Shared], pseudonyms: dict[int, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    ceiling = (ev.config or {}).get("ceiling_fen")
    if ceiling and bid.offered_price_fen > ceiling:
        out["price_out_of_bounds"] = "系统提示：投标报价高于最高投标限价"
    related = [s for s in shared if bid.pk in s.bid_ids]
    if related:
        out["fraud_collusion"] = "系统提示（条例第四十条数据，供评审参考）：" + "；".join(
            f"{s.label}（{'、'.join(pseudonyms[i] for i in s.bid_ids if i != bid.pk)}）" for s in related
        )
    if bid.consortium and not bid.qualification.get("consortium_agreement"):
        out["no_consortium_agreement"] = "系统提示：联合体投标未申报共同投标协议"
    return out


def _bid_view(b: Bid, hints: dict[str, str]) -> BidView:
    veto = (b.review.get(b.rejected_stage) or {}).get("reason_text", "") if b.status == BidStatus.REJECTED else ""
    return BidView(
        id=b.pk,
        seq=b.seq,
        pseudonym=b.pseudonym,
        name=b.name,
        uscc=b.uscc,
        entity_id=b.entity_id,
        price_fen=b.price_fen,
        offered_price_fen=b.offered_price_fen,
        evaluated_price_fen=b.evaluated_price_fen,
        brand=b.brand,
        consortium=b.consortium,
        status=b.status,
        rejected_stage=b.rejected_stage,
        veto_reason=veto,
        review=b.review,
        abnormally_low=b.abnormally_low,
        price_changes=b.price_changes,
        scores=b.scores,
        total=b.total,
        rank=b.rank,
        tie_unresolved=b.tie_unresolved,
        brand_excluded=b.brand_excluded,
        candidate_rank=b.candidate_rank,
        qualification=b.qualification,
        documents=tuple(
            DocumentView(i, d.get("title", "投标文件"), d.get("file_name", "")) for i, d in enumerate(b.documents)
        ),
        hints=hints,
    )


def _sheet_view(s: Sheet, readable: bool) -> SheetView:
    return SheetView(
        id=s.pk,
        member_id=s.member_id,
        member_label=s.member.label,
        stage=s.stage,
        status=s.status,
        status_label=SheetStatus(s.status).label,
        content=s.content if readable else None,
        comments=s.comments if readable else "",
        submitted_at=s.submitted_at,
        version=s.version,
        returned=s.returned,
    )


def _clarification_view(c: Clarification) -> ClarificationView:
    return ClarificationView(
        id=c.pk,
        bid_id=c.bid_id,
        pseudonym=c.bid.pseudonym,
        status=c.status,
        status_label=ClarificationStatus(c.status).label,
        basis=c.basis,
        question=c.question,
        respond_by=c.respond_by,
        answer=c.answer,
        answered_at=c.answered_at,
        accepted=c.accepted,
        decision_reason=c.decision_reason,
        decided_at=c.decided_at,
    )


def _provisional_outliers(ev: Evaluation, sheets: Sequence[Sheet], bids: dict[int, Bid]) -> list[OutlierView]:
    scoring_sheets = [s for s in sheets if s.stage == Status.SCORING]
    if (
        ev.status != Status.SCORING
        or not scoring_sheets
        or any(s.status != SheetStatus.SUBMITTED for s in scoring_sheets)
    ):
        return []
    config = config_of(ev)
    per_bid: dict[int, dict[str, dict[str, Decimal]]] = {}
    for s in scoring_sheets:
        for bid_id, row in scoring.score_sheet_from_json(s.content).items():
            for code, value in row.items():
                per_bid.setdefault(bid_id, {}).setdefault(code, {})[s.member.label] = value
    names = {i.code: i.name for i in config.items}
    return [
        OutlierView(
            o.member,
            o.bid_id,
            bids[o.bid_id].pseudonym,
            o.item,
            names.get(o.item, o.item),
            str(o.score),
            str(o.reference),
            str(o.deviation),
            o.methods,
        )
        for o in outliers.find_outliers(per_bid, config.scored_items, config.outliers)
        if o.bid_id in bids
    ]


def _redacted_report(report: dict[str, Any] | None, names: bool) -> dict[str, Any] | None:
    if report is None or names:
        return report
    return {**report, "COMMITTEE": [{**m, "EXPERT_NAME": ""} for m in report.get("COMMITTEE", [])]}


def _view(actor: Actor, ev: Evaluation) -> EvaluationView:
    members = list(Member.objects.filter(evaluation=ev).order_by("ordinal"))
    viewer, me = _viewer(actor, ev, members)
    if viewer is None:
        raise err.not_found("evaluation", section_ref=ev.section_ref)
    method = Method(ev.method)
    final = ev.status == Status.FINAL
    overseer = viewer == "overseer"
    member = me is not None and (overseer or viewer == "member") and ev.convened_at is not None
    names = overseer or me is not None or ev.names_public_at is not None
    base = {
        "id": ev.pk,
        "section_ref": ev.section_ref,
        "project_ref": ev.project_ref,
        "title": ev.title,
        "kind": ev.kind,
        "kind_label": KIND_LABELS_ZH[TenderKind(ev.kind)],
        "method": ev.method,
        "method_label": METHOD_LABELS_ZH[method],
        "scored": method.scored,
        "region_code": ev.region_code,
        "status": ev.status,
        "status_label": STATUS_LABELS_ZH[Status(ev.status)],
        "outcome": ev.outcome if (overseer or member or final) else "",
        "outcome_label": OUTCOME_LABELS_ZH[Outcome(ev.outcome)] if (overseer or member or final) else "",
        "meeting_start": ev.meeting_start,
        "meeting_end": ev.meeting_end,
        "extended_until": ev.extended_until,
        "convened_at": ev.convened_at,
        "finalised_at": ev.finalised_at,
        "version": ev.version,
        "viewer": "member" if (member and not overseer) else viewer,
        "can_manage": is_staff_over(actor, ev.region_code),
        "is_chair": me is not None and ev.chair_member_id == me.pk,
        "names_visible": names,
        "names_public": ev.names_public_at is not None,
        "in_meeting": meeting_open(ev),
        "cancel_reason": ev.cancel_reason,
    }
    if viewer in ("party", "bidder") and not member:
        extra: dict[str, Any] = {}
        if viewer == "bidder":
            mine = [
                c
                for c in Clarification.objects.filter(evaluation=ev).select_related("bid")
                if actor.acts_for(c.bid.entity_id)
            ]
            extra["clarifications"] = tuple(
                _clarification_view(c) for c in mine if c.status != ClarificationStatus.TO_ISSUE
            )
        if final and viewer == "party":
            bids = list(Bid.objects.filter(evaluation=ev).order_by("seq"))
            extra.update(
                members=tuple(_member_view(m, ev, None, names) for m in members),
                bids=tuple(_bid_view(b, {}) for b in bids),
                report=_redacted_report(ev.report, names),
                report_sha256=ev.report_sha256,
                report_sm3=ev.report_sm3,
                report_pdf_document=str(ev.report_pdf_document) if (ev.report_pdf_document and names) else None,
            )
        return EvaluationView(**base, **extra)
    bids = list(Bid.objects.filter(evaluation=ev).order_by("seq"))
    by_id = {b.pk: b for b in bids}
    pseudonyms = {b.pk: b.pseudonym for b in bids}
    shared = collusion.shared_indicators({b.pk: b.signals for b in bids})
    sheets = list(Sheet.objects.filter(evaluation=ev).select_related("member").order_by("stage", "member__ordinal"))
    my_sheets = {s.stage: _sheet_view(s, True) for s in sheets if me is not None and s.member_id == me.pk}
    submitted_mine = {stage for stage, s in my_sheets.items() if s.status == SheetStatus.SUBMITTED}

    def readable(s: Sheet) -> bool:
        if s.status != SheetStatus.SUBMITTED:
            return False
        if overseer:
            return True
        closed = s.stage != ev.status
        return closed or s.stage in submitted_mine

    others = tuple(_sheet_view(s, readable(s)) for s in sheets if me is None or s.member_id != me.pk)
    progress: dict[str, list[tuple[str, str]]] = {}
    for s in sheets:
        progress.setdefault(s.stage, []).append((s.member.label, s.status))
    config = config_of(ev)
    is_chair = base["is_chair"]
    show_outliers = overseer or is_chair or ev.status in (Status.SIGNING, Status.FINAL)
    recorded = [
        OutlierView(
            o.member.label,
            o.bid_id,
            o.bid.pseudonym,
            o.item,
            next((i.name for i in config.items if i.code == o.item), o.item),
            o.score,
            o.reference,
            o.deviation,
            tuple(o.methods),
        )
        for o in Outlier.objects.filter(evaluation=ev).select_related("member", "bid")
    ]
    return EvaluationView(
        **base,
        me=_member_view(me, ev, me, True) if me else None,
        members=tuple(_member_view(m, ev, me, names) for m in members),
        bids=tuple(_bid_view(b, _hints(ev, b, shared, pseudonyms)) for b in bids),
        checks={
            stage: tuple(CheckView(c.code, c.text, c.source) for c in checks_for(ev, stage))
            for stage in REVIEW_STAGES
            if stage != Status.QUALIFICATION or config.requirements
        },
        items=tuple(
            ItemView(
                i.code, i.name, i.category.value, CATEGORY_LABELS_ZH[i.category], i.max_points, i.objective, i.guidance
            )
            for i in config.items
        ),
        my_items=tuple(i.code for i in items_for(config, me)) if me else (),
        my_sheets=my_sheets,
        sheets=others,
        progress=progress if (overseer or is_chair) else {},
        clarifications=tuple(
            _clarification_view(c)
            for c in Clarification.objects.filter(evaluation=ev).select_related("bid").order_by("bid__seq")
        ),
        outliers=tuple(recorded) if show_outliers else (),
        provisional_outliers=tuple(_provisional_outliers(ev, sheets, by_id)) if (overseer or is_chair) else (),
        rules=ev.rules,
        config=ev.config,
        stage_log=ev.stage_log,
        screen=ev.screen,
        collusion=ev.collusion,
        pivotal=ev.pivotal if (overseer or ev.status == Status.FINAL) else [],
        report=ev.report if ev.status in (Status.SIGNING, Status.FINAL) else None,
        report_sha256=ev.report_sha256,
        report_sm3=ev.report_sm3,
        report_pdf_document=str(ev.report_pdf_document) if ev.report_pdf_document else None,
        extension_due_at=ev.extension_due_at,
        time_short=sum(1 for m in members if m.time_short_at is not None),
        draw_id=ev.draw_id,
        booking_id=ev.booking_id,
    )


def get_evaluation_for(actor: Actor, section_ref: str) -> EvaluationView:
    """The evaluation of ``section_ref`` as ``actor`` may see it; ``evaluation.evaluation_not_found`` for anyone
    who may see nothing of it."""
    return _view(actor, _evaluation(section_ref))


def get_evaluation_by_id_for(actor: Actor, evaluation_id: int) -> EvaluationView:
    return get_evaluation_for(actor, section_of(evaluation_id))


def evaluation_version(section_ref: str) -> int | None:
    return Evaluation.objects.filter(section_ref=section_ref).values_list("version", flat=True).first()


@dataclass(frozen=True)
class EvaluationListItem:
    id: int
    section_ref: str
    title: str
    status: str
    status_label: str
    meeting_start: datetime
    role: str  # overseer | member | chair


def _region_prefix(scope: str) -> str:
    return scope[:2] if scope.endswith("0000") else scope[:4] if scope.endswith("00") else scope


def list_evaluations_for(actor: Actor, *, status: str | None = None, limit: int = 50) -> list[EvaluationListItem]:
    """The evaluations the actor oversees (by region) or sits on, newest meeting first."""
    limit = max(1, min(int(limit), 200))
    mine: dict[int, Member] = {}
    if actor.is_authenticated and actor.id.isdigit():
        mine = {m.evaluation_id: m for m in Member.objects.filter(account_id=int(actor.id)) if member_of(actor, [m])}
    cond = Q(pk__in=list(mine))
    if actor.is_system:
        cond = Q()
    else:
        for scope in actor.region_scopes(*OVERSEERS):
            cond |= Q(region_code__startswith=_region_prefix(scope))
    qs = Evaluation.objects.filter(cond)
    if status:
        qs = qs.filter(status=status)
    out = []
    for ev in qs.order_by("-meeting_start", "-pk")[: limit * 2]:
        member = mine.get(ev.pk)
        if oversees(actor, ev.region_code):
            role = "overseer"
        elif member is not None and (ev.convened_at is not None or member.kind == MemberKind.REPRESENTATIVE):
            role = "chair" if ev.chair_member_id == member.pk else "member"
        else:
            continue
        out.append(
            EvaluationListItem(
                ev.pk, ev.section_ref, ev.title, ev.status, STATUS_LABELS_ZH[Status(ev.status)], ev.meeting_start, role
            )
        )
        if len(out) >= limit:
            break
    return out


def list_my_tasks(actor: Actor) -> list[EvaluationListItem]:
    """我的评标任务: the evaluations the signed-in person sits on (experts: once the committee is convened)."""
    return [i for i in list_evaluations_for(actor, limit=100) if i.role in ("member", "chair")]


def list_my_clarifications(actor: Actor) -> list[tuple[str, int, ClarificationView]]:
    """Clarification requests to the bidders the actor acts for: (section ref, evaluation id, request)."""
    entities = actor.entity_ids()
    if not entities:
        return []
    rows = (
        Clarification.objects.filter(bid__entity_id__in=entities)
        .exclude(status=ClarificationStatus.TO_ISSUE)
        .select_related("bid", "evaluation")
        .order_by("-issued_at")[:100]
    )
    return [(c.evaluation.section_ref, c.evaluation_id, _clarification_view(c)) for c in rows]


# -- for the tender context ------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeView:
    section_ref: str
    status: str
    outcome: str  # "" while running; candidates | insufficient_valid_bids once known
    valid_bids: int
    min_valid_bids: dict[str, Any]
    final: bool
    finalised_at: datetime | None


def outcome_of(section_ref: str) -> OutcomeView | None:
    """Where the evaluation stands (None when none was started). ``insufficient_valid_bids`` is known as soon
    as a stage leaves too few valid bids; the report still has to be signed (``final``)."""
    ev = Evaluation.objects.filter(section_ref=section_ref).first()
    if ev is None:
        return None
    return OutcomeView(
        section_ref=ev.section_ref,
        status=ev.status,
        outcome=ev.outcome,
        valid_bids=Bid.objects.filter(evaluation=ev, status=BidStatus.IN).count(),
        min_valid_bids=ev.rules.get("min_valid_bids", {}),
        final=ev.status == Status.FINAL,
        finalised_at=ev.finalised_at,
    )


def get_outcome(section_ref: str) -> dict[str, Any] | None:
    """The result in the shape the tender context's gateway reads (``evaluation_gateway.read_outcome``):
    ``status`` in_progress | completed | failed, ``candidates`` [{rank, entity_id, price_fen, score, note}],
    ``report`` {document_id, sha256, sm3, signed_at, signatures}, ``rejected`` [{entity_id, reason}],
    ``failure_reason``. Completed and failed only once the report is final (signed by every member)."""
    ev = Evaluation.objects.filter(section_ref=section_ref).first()
    if ev is None:
        return None
    final = ev.status == Status.FINAL
    if not final:
        status = "failed" if ev.status == Status.CANCELLED else "in_progress"
    else:
        status = "failed" if ev.outcome == Outcome.INSUFFICIENT else "completed"
    bids = list(Bid.objects.filter(evaluation=ev).order_by("seq"))
    members = list(Member.objects.filter(evaluation=ev).order_by("ordinal"))
    return {
        "status": status,
        "candidates": [
            {
                "rank": b.candidate_rank,
                "entity_id": b.entity_id,
                "price_fen": b.offered_price_fen,
                "score": str(b.total) if b.total is not None else "",
                "note": f"评审价格 {b.evaluated_price_fen} 分" if b.evaluated_price_fen != b.offered_price_fen else "",
            }
            for b in sorted((b for b in bids if b.candidate_rank), key=lambda b: b.candidate_rank or 0)
        ]
        if final
        else [],
        "report": {
            "document_id": str(ev.report_pdf_document) if ev.report_pdf_document else None,
            "json_document_id": str(ev.report_json_document) if ev.report_json_document else None,
            "sha256": ev.report_sha256,
            "sm3": ev.report_sm3,
            "signed_at": max((m.signed_at for m in members if m.signed_at), default=None),
            "signatures": len([m for m in members if m.signed_at]),
        }
        if final
        else {},
        "rejected": [
            {"entity_id": b.entity_id, "reason": (b.review.get(b.rejected_stage) or {}).get("reason_text", "")}
            for b in bids
            if b.status == BidStatus.REJECTED
        ]
        if final
        else [],
        "failure_reason": (
            "有效投标不足"
            if ev.outcome == Outcome.INSUFFICIENT
            else ev.cancel_reason
            if ev.status == Status.CANCELLED
            else ""
        ),
    }


@dataclass(frozen=True)
class CandidateView:
    order: int  # WIN_CANDIDATE_ORDER
    entity_id: int
    name: str  # WIN_CANDIDATE_NAME
    uscc: str  # WIN_CANDIDATE_CODE
    price_fen: int  # BID_PRICE (offered, after correction or final quote)
    evaluated_price_fen: int
    total: Decimal | None  # EVALUATION_RESULT (scored methods)
    rank: int


def candidates_of(section_ref: str) -> list[CandidateView]:
    """中标候选人, ranked (≤ the cap): empty until the report is final (and when valid bids were insufficient)."""
    ev = Evaluation.objects.filter(section_ref=section_ref, status=Status.FINAL).first()
    if ev is None:
        return []
    return [
        CandidateView(
            b.candidate_rank or 0,
            b.entity_id,
            b.name,
            b.uscc,
            b.offered_price_fen,
            b.evaluated_price_fen,
            b.total,
            b.rank or 0,
        )
        for b in Bid.objects.filter(evaluation=ev, candidate_rank__isnull=False).order_by("candidate_rank")
    ]


@dataclass(frozen=True)
class ReportView:
    section_ref: str
    outcome: str
    data: dict[str, Any]  # the signed report (members' names blank until the award)
    report_sha256: str
    report_sm3: str
    json_document_id: str | None
    pdf_document_id: str | None
    finalised_at: datetime | None
    signatures: list[dict[str, Any]]
    names_public: bool


def report_of(section_ref: str) -> ReportView | None:
    """The final report for publication and archiving (None until final). Names of the members stay blank
    until :func:`~yiwang.trading.tender.evaluation.actions.do_mark_awarded`."""
    ev = Evaluation.objects.filter(section_ref=section_ref, status=Status.FINAL).first()
    if ev is None:
        return None
    names = ev.names_public_at is not None
    members = Member.objects.filter(evaluation=ev).order_by("ordinal")
    return ReportView(
        section_ref=ev.section_ref,
        outcome=ev.outcome,
        data=_redacted_report(ev.report, names) or {},
        report_sha256=ev.report_sha256,
        report_sm3=ev.report_sm3,
        json_document_id=str(ev.report_json_document) if ev.report_json_document else None,
        pdf_document_id=str(ev.report_pdf_document) if ev.report_pdf_document else None,
        finalised_at=ev.finalised_at,
        signatures=[
            {"label": m.label, "name": m.name if names else "", "signed_at": m.signed_at, "dissent": bool(m.dissent)}
            for m in members
        ],
        names_public=names,
    )


# -- signed links to bid documents -----------------------------------------------------------------


def document_link_for(actor: Actor, section_ref: str, bid_id: int, index: int) -> str:
    """A signed, short-lived link (10 minutes, bound to ``actor``) to a bid document, for committee members
    during the meeting."""
    ev = _evaluation(section_ref)
    members = list(Member.objects.filter(evaluation=ev))
    me = member_of(actor, members)
    if me is None or ev.convened_at is None:
        raise err.forbidden("查阅投标文件", "read bid documents")
    if not meeting_open(ev):
        raise err.conflict(
            "meeting_closed", "评标会议之外不能查阅投标文件", "bid documents are readable during the meeting only"
        )
    bid = Bid.objects.filter(evaluation=ev, pk=bid_id).first()
    if bid is None or not 0 <= index < len(bid.documents):
        raise err.not_found("document", bid_id=bid_id, index=index)
    expires = int((now() + timedelta(seconds=LINK_SECONDS)).timestamp())
    token = signing.dumps(
        {"e": ev.pk, "b": bid_id, "i": index, "a": actor.ref, "x": expires}, salt=LINK_SALT, compress=False
    )
    return reverse("evaluation:document", kwargs={"token": token})


@dataclass(frozen=True)
class DocumentClaims:
    section_ref: str
    bid_id: int
    index: int


def read_document_link(actor: Actor, token: str) -> DocumentClaims:
    """Check a link: signature, expiry (platform clock) and that it was issued to ``actor``."""
    try:
        data = signing.loads(token, salt=LINK_SALT)
        evaluation_id, bid_id, index, holder, expires = (
            int(data["e"]),
            int(data["b"]),
            int(data["i"]),
            str(data["a"]),
            int(data["x"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise err.forbidden("使用该链接（链接无效）", "use this link (invalid)") from None
    if holder != actor.ref:
        raise err.forbidden("使用他人的文件链接", "use another person's link")
    if now().timestamp() > expires:
        raise err.conflict("link_expired", "链接已过期，请重新打开", "the link has expired")
    return DocumentClaims(section_of(evaluation_id), bid_id, index)

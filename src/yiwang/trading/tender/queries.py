"""Reads of the tender context, restricted by who is asking (``docs/tender.md`` §Secrecy).

Before a section's opening nobody — staff included — learns who fetched the documents, who submitted, who paid a
deposit or who objected: counts only (and the tenderer sees the number of receipts only). Bid content is sealed
by the bid box (unreadable to the server). After the opening the opening record names the bidders; the
tenderer, its agency, staff, regulators and auditors then see the lists. Experts are the evaluation's (their
names stay secret until the award there). Drafts are seen by their managers and by staff over the region only.

Public functions for other contexts (portal workbench, supervision):

- ``list_projects_for(actor, …)``, ``get_project_for(actor, id)``, ``get_section_for(actor, id)``
- ``workbench_items_for(actor) -> list[WorkItem]`` — to-do items per role (documents to sign, bids to decrypt,
  objections to answer, candidates to publish, awards and contracts due)
- ``list_flags_for(actor, *, region=None, open_only=True)`` — 监管提示 for supervision
- ``section_of_ref(ref)`` — a ``tender.section:<id>[-r<n>]`` reference → (section id, round)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.platform.clock import now
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.finance import queries as finance_queries
from yiwang.trading.tender import bidformat
from yiwang.trading.tender import internal as t
from yiwang.trading.tender.domain import procedures as procedure_rules
from yiwang.trading.tender.domain.states import BEFORE_OPENING, PROJECT_LABELS, SECTION_LABELS, P, S
from yiwang.trading.tender.models import (
    Award,
    Candidate,
    Clarification,
    Contract,
    DocumentDownload,
    EvaluationRecord,
    Flag,
    Objection,
    Performance,
    Project,
    Question,
    Section,
    SectionEvent,
    TenderDocument,
)

__all__ = [
    "ProjectView",
    "SectionView",
    "WorkItem",
    "get_project_for",
    "get_section_for",
    "list_flags_for",
    "list_projects_for",
    "section_of_ref",
    "workbench_items_for",
]


# -- who is asking ---------------------------------------------------------------------------------
def is_manager(actor: Actor, project: Project) -> bool:
    return not actor.is_system and t.may_manage(actor, project)


def oversees(actor: Actor, project: Project) -> bool:
    return t.oversees(actor, project)


def may_see(actor: Actor, project: Project) -> bool:
    return project.published_at is not None or is_manager(actor, project) or oversees(actor, project)


def opened(section: Section) -> bool:
    """Has this round's opening started (the bidders' names become public with its record)?"""
    return S(section.status) not in BEFORE_OPENING or section.opening_started_at is not None


def project_opened(project: Project) -> bool:
    return any(opened(s) for s in project.sections.all())


# -- views -----------------------------------------------------------------------------------------
@dataclass
class SectionView:
    section: Section
    status_label: str
    procedure: procedure_rules.Procedure
    suspended: bool
    receipt_count: int | None = None  # managers and staff, before the opening too (count only)
    deposit_count: int | None = None  # staff: satisfied deposits (count before the opening)
    candidates: list[Candidate] = field(default_factory=list)
    award: Award | None = None
    contract: Contract | None = None
    opening_record: dict[str, Any] | None = None
    events: list[SectionEvent] = field(default_factory=list)
    objections: list[Objection] = field(default_factory=list)
    my_objections: list[Objection] = field(default_factory=list)
    evaluation: EvaluationRecord | None = None
    flags: list[Flag] = field(default_factory=list)
    performance: list[Performance] = field(default_factory=list)
    box_id: int | None = None
    may_manage: bool = False
    may_oversee: bool = False
    may_bid: bool = False
    my_submissions: list[Any] = field(default_factory=list)


@dataclass
class ProjectView:
    project: Project
    status_label: str
    procedure: procedure_rules.Procedure
    sections: list[SectionView]
    documents: list[TenderDocument]
    clarifications: list[Clarification]
    questions: list[Question]
    download_count: int | None
    downloaders: list[str] | None
    may_manage: bool
    may_oversee: bool
    names: dict[int, str]


def _receipt_count(section: Section) -> int | None:
    if section.box_id is None:
        return None
    view = bidbox_queries.get_box_of_owner(t.box_owner(section))
    return view.submission_count if view else None


def _deposit_count(actor: Actor, section: Section) -> int | None:
    if not section.lot_ref or not finance_queries.is_privileged(actor):
        return None
    try:
        return finance_queries.get_lot_deposits_for(actor, section.lot_ref).satisfied
    except NotFound:
        return None


def _section_view(actor: Actor, section: Section, *, detail: bool) -> SectionView:
    project = section.project
    manager = is_manager(actor, project)
    overseer = oversees(actor, project)
    view = SectionView(
        section=section,
        status_label=SECTION_LABELS[S(section.status)],
        procedure=t.procedure_of(project),
        suspended=section.suspended_at is not None,
        box_id=section.box_id,
        may_manage=manager,
        may_oversee=overseer,
    )
    if manager or overseer:
        view.receipt_count = _receipt_count(section)
        view.deposit_count = _deposit_count(actor, section)
    view.may_bid = (
        section.status == S.BIDDING and section.suspended_at is None and bool(actor.entity_ids(Role.MARKET_ENTITY_USER))
    )
    if not detail:
        return view
    public_candidates = S(section.status) in {S.PUBLICITY, S.AWARDABLE, S.AWARDED, S.CONTRACTED, S.COMPLETED}
    if public_candidates or manager or overseer:
        view.candidates = list(Candidate.objects.filter(section=section, round=section.round).order_by("rank"))
    view.award = Award.objects.filter(section=section).exclude(status="declined").order_by("-pk").first()
    view.contract = Contract.objects.filter(section=section).order_by("-pk").first()
    view.performance = list(Performance.objects.filter(section=section).order_by("at", "pk"))
    events = SectionEvent.objects.filter(section=section)
    view.events = list(events if (manager or overseer) else events.filter(public=True))
    if section.box_id is not None and opened(section):
        try:
            view.opening_record = bidbox_queries.get_opening_record(section.box_id)
        except Exception:
            view.opening_record = None
    objections = Objection.objects.filter(section=section)
    if manager or overseer:
        view.objections = list(objections)
    mine = actor.entity_ids()
    if mine:
        view.my_objections = list(objections.filter(entity_id__in=mine))
        if section.box_id is not None:
            view.my_submissions = [
                r for r in bidbox_queries.list_my_submissions_for(actor, box_id=section.box_id) if r.entity_id in mine
            ]
    if manager or overseer:
        view.evaluation = EvaluationRecord.objects.filter(section=section, round=section.round).first()
        view.flags = list(Flag.objects.filter(section=section))
    return view


def _names(ids) -> dict[int, str]:
    return {k: v.name for k, v in t.entity_names([i for i in ids if i]).items()}


def get_project_for(actor: Actor, project_id: Any) -> ProjectView:
    project = t.get_project(project_id)
    if not may_see(actor, project):
        raise NotFound("tender.project_not_found", "招标项目不存在", "no such project", {"project_id": project_id})
    manager = is_manager(actor, project)
    overseer = oversees(actor, project)
    documents = TenderDocument.objects.filter(project=project)
    if not (manager or overseer):
        documents = documents.filter(
            issued_at__isnull=False, kind__in=("tender_documents", "pq_documents", "clarification", "other")
        )
    downloads = DocumentDownload.objects.filter(document__project=project, entity_id__isnull=False)
    count = downloaders = None
    if manager or overseer:
        count = downloads.values("entity_id").distinct().count()
        if project_opened(project):
            names = _names(downloads.values_list("entity_id", flat=True).distinct())
            downloaders = sorted(names.values())
    return ProjectView(
        project=project,
        status_label=PROJECT_LABELS[P(project.status)],
        procedure=t.procedure_of(project),
        sections=[_section_view(actor, s, detail=False) for s in project.sections.all()],
        documents=list(documents.order_by("uploaded_at", "pk")),
        clarifications=list(Clarification.objects.filter(project=project).order_by("number")),
        questions=list(Question.objects.filter(project=project).order_by("asked_at")) if manager else [],
        download_count=count,
        downloaders=downloaders,
        may_manage=manager,
        may_oversee=overseer,
        names=_names([project.tenderer_entity_id, project.agency_entity_id]),
    )


def get_section_for(actor: Actor, section_id: Any) -> SectionView:
    section = t.get_section(section_id)
    if not may_see(actor, section.project):
        raise NotFound("tender.section_not_found", "标段（包）不存在", "no such section", {"section_id": section_id})
    return _section_view(actor, section, detail=True)


@dataclass(frozen=True)
class ProjectSummary:
    project: Project
    status_label: str
    procedure_title: str
    sections: int
    next_deadline: datetime | None
    mine: bool


def list_projects_for(
    actor: Actor,
    *,
    mine: bool = False,
    status: str | None = None,
    q: str = "",
    limit: int = 50,
    include_test: bool = True,
) -> list[ProjectSummary]:
    """Published projects for everybody (newest first); with ``mine``, the projects the actor manages (drafts
    included); staff also see drafts over their region."""
    rows = Project.objects.all()
    entities = list(actor.entity_ids())
    managed = Q(tenderer_entity_id__in=entities) | Q(agency_entity_id__in=entities)
    if mine:
        rows = rows.filter(managed)
    else:
        visible = Q(published_at__isnull=False) | managed
        for scope in actor.region_scopes(Role.STAFF, Role.REGULATOR, Role.AUDITOR):
            visible |= Q(region_code__startswith=scope.rstrip("0")[:4] if scope.endswith("0000") else scope)
        rows = rows.filter(visible)
    if status:
        rows = rows.filter(status=status)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(tender_project_code__icontains=q))
    if not include_test:
        rows = rows.filter(is_test_data=False)
    rows = rows.annotate(n=Count("sections")).order_by("-created_at", "-pk")[: max(1, min(limit, 200))]
    out = []
    for p in rows:
        deadlines = [s.bid_deadline for s in p.sections.all() if s.status == S.BIDDING and s.bid_deadline]
        out.append(
            ProjectSummary(
                project=p,
                status_label=PROJECT_LABELS[P(p.status)],
                procedure_title=p.procedure_config.get("title_zh", p.procedure),
                sections=p.n,
                next_deadline=min(deadlines) if deadlines else None,
                mine=p.tenderer_entity_id in entities or p.agency_entity_id in entities,
            )
        )
    return out


def list_opening_sections_for(actor: Actor) -> list[SectionView]:
    """开标大厅 list: sections opening now or due today (staff over the region; managers their own)."""
    rows = Section.objects.select_related("project").filter(status__in=[S.BIDDING, S.OPENING]).order_by("bid_deadline")
    out = []
    for section in rows[:200]:
        if oversees(actor, section.project) or is_manager(actor, section.project):
            out.append(_section_view(actor, section, detail=False))
    return out


# -- the opening hall ------------------------------------------------------------------------------
@dataclass(frozen=True)
class HallStatus:
    section: Section
    status_label: str
    box_status: str
    counts: dict[str, int]
    total: int | None
    decryption_ends_at: datetime | None
    entries: list[Any]
    now: datetime


def hall_status_for(actor: Actor, section_id: Any) -> HallStatus:
    """Live status of a section's opening (numbers by arrival, no names before the record; counts only before
    the opening, and only for managers and staff)."""
    section = t.get_section(section_id)
    if not may_see(actor, section.project):
        raise NotFound("tender.section_not_found", "标段（包）不存在", "no such section", {"section_id": section_id})
    box_status, counts, entries, total = "", {}, [], None
    if section.box_id is not None:
        view = bidbox_queries.get_box_of_owner(t.box_owner(section), actor=actor)
        box_status = view.status if view else ""
        if view is not None and view.status != "accepting":
            hall = bidbox_queries.list_hall_for(actor, view.id)
            counts, entries, total = hall.counts, hall.entries, len(hall.entries)
        elif is_manager(actor, section.project) or oversees(actor, section.project):
            total = _receipt_count(section)
    return HallStatus(
        section=section,
        status_label=SECTION_LABELS[S(section.status)],
        box_status=box_status,
        counts=counts,
        total=total,
        decryption_ends_at=section.decryption_ends_at,
        entries=entries,
        now=now(),
    )


# -- supervision and the workbench -----------------------------------------------------------------
def list_flags_for(actor: Actor, *, region: str | None = None, open_only: bool = True, limit: int = 200) -> list[Flag]:
    """监管提示 (late contracts, late answers, late publications, bids excluded at hand-over) for staff,
    regulators and auditors over their regions."""
    rows = Flag.objects.select_related("section__project").order_by("-raised_at", "-pk")
    if open_only:
        rows = rows.filter(resolved_at__isnull=True)
    out = []
    for flag in rows[: limit * 5]:
        project = flag.section.project
        if region and not project.region_code.startswith(region.rstrip("0")):
            continue
        if oversees(actor, project):
            out.append(flag)
        if len(out) >= limit:
            break
    return out


@dataclass(frozen=True)
class WorkItem:
    role: str  # manager | bidder | staff
    label: str
    url: str
    due: datetime | None = None


def _todo(name: str, what: str) -> str:
    return gettext("%(name)s：%(what)s") % {"name": name, "what": what}


def workbench_items_for(actor: Actor, limit: int = 30) -> list[WorkItem]:
    """To-do items for the portal workbench: managers (documents to sign, publish, answer objections and
    questions, record results, publish candidates, award, contracts due), bidders (bids to decrypt at an opening,
    answers to their objections), staff (openings in progress). The labels are in the request's language
    (``gettext`` at call time; the Chinese text is the message id)."""
    items: list[WorkItem] = []
    entities = list(actor.entity_ids())
    if entities:
        managed = Project.objects.filter(Q(tenderer_entity_id__in=entities) | Q(agency_entity_id__in=entities))
        for project in managed.filter(status=P.PREPARED)[:10]:
            unsigned = TenderDocument.objects.filter(
                project=project, signature_record_id__isnull=True, kind__in=("tender_documents", "pq_documents")
            ).count()
            if unsigned:
                items.append(
                    WorkItem(
                        "manager",
                        gettext("%(project)s：%(n)s份招标文件未签章") % {"project": project.name, "n": unsigned},
                        f"/tender/projects/{project.pk}/",
                    )
                )
            items.append(
                WorkItem(
                    "manager",
                    gettext("%(project)s：待发布") % {"project": project.name},
                    f"/tender/projects/{project.pk}/publish/",
                )
            )
        sections = (
            Section.objects.select_related("project")
            .filter(project__in=managed)
            .exclude(status__in=[S.COMPLETED, S.CANCELLED, S.DRAFT])
        )
        for section in sections[:100]:
            name = f"{section.project.name} {section.name}"
            url = f"/tender/sections/{section.pk}/"
            pending = Objection.objects.filter(section=section, status="pending").order_by("answer_due").first()
            if pending:
                items.append(WorkItem("manager", _todo(name, gettext("异议待答复")), url, pending.answer_due))
            state = S(section.status)
            if state is S.PQ_REVIEW:
                items.append(WorkItem("manager", _todo(name, gettext("录入资格审查结果")), url))
            if state is S.EVALUATING:
                record = EvaluationRecord.objects.filter(
                    section=section, round=section.round, gateway="recorded"
                ).first()
                if record:
                    items.append(WorkItem("manager", _todo(name, gettext("录入评标结果")), url))
            if state is S.EVALUATED:
                label = (
                    gettext("发布中标候选人公示")
                    if t.procedure_of(section.project).candidates_publicity
                    else gettext("定标")
                )
                items.append(WorkItem("manager", _todo(name, label), url, section.candidates_due or section.award_due))
            if state is S.AWARDABLE:
                items.append(WorkItem("manager", _todo(name, gettext("公示期满，可以定标")), url))
            if state is S.AWARDED:
                items.append(WorkItem("manager", _todo(name, gettext("签订合同")), url, section.contract_due))
        unanswered = Question.objects.filter(project__in=managed, clarification__isnull=True).count()
        if unanswered:
            items.append(
                WorkItem("manager", gettext("%(n)s个提问待澄清") % {"n": unanswered}, "/tender/projects/?mine=1")
            )
        for receipt in bidbox_queries.list_my_submissions_for(actor)[:50]:
            if (
                receipt.box_status == "opening"
                and receipt.opening_status == "pending"
                and receipt.status == "submitted"
            ):
                items.append(
                    WorkItem(
                        "bidder",
                        gettext("开标中，请解密：%(box)s") % {"box": receipt.box_title},
                        f"/bidbox/{receipt.box_id}/hall/",
                    )
                )
        for objection in Objection.objects.filter(entity_id__in=entities, status="answered").order_by("-answered_at")[
            :5
        ]:
            items.append(WorkItem("bidder", gettext("异议已答复"), f"/tender/sections/{objection.section_id}/"))
    if actor.has_role(Role.STAFF):
        for view in list_opening_sections_for(actor)[:10]:
            if view.section.status == S.OPENING:
                items.append(
                    WorkItem(
                        "staff",
                        gettext("开标进行中：%(section)s")
                        % {"section": f"{view.section.project.name} {view.section.name}"},
                        f"/tender/sections/{view.section.pk}/hall/",
                    )
                )
    return items[:limit]


def section_of_ref(ref: str) -> tuple[int, int] | None:
    """``tender.section:12`` → (12, 1); ``tender.section:12-r2`` → (12, 2); anything else → None."""
    kind, _, rest = (ref or "").partition(":")
    if kind != "tender.section":
        return None
    pk, _, rnd = rest.partition("-r")
    if not pk.isdigit() or (rnd and not rnd.isdigit()):
        return None
    return int(pk), int(rnd or 1)


# -- records for the archive -----------------------------------------------------------------------
def project_record(project: Project) -> dict[str, Any]:
    return {
        "project_code": project.project_code,
        "tender_project_code": project.tender_project_code,
        "deal_code": project.deal_code,
        "name": project.name,
        "procedure": project.procedure_config,
        "rules": project.rules,
        "rules_version": project.rules_version,
        "category": project.category,
        "subject": project.subject,
        "region_code": project.region_code,
        "tenderer_entity_id": project.tenderer_entity_id,
        "agency_entity_id": project.agency_entity_id,
        "status": project.status,
        "is_test_data": project.is_test_data,
        "acceleration": project.acceleration,
        "published_at": iso_utc(project.published_at) if project.published_at else None,
        "documents": [
            {
                "kind": d.kind,
                "title": d.title,
                "sha256": d.sha256,
                "sm3": d.sm3,
                "size": d.size,
                "document_id": str(d.document_id),
                "platform_signature": d.platform_signature,
                "platform_key_id": d.platform_key_id,
                "signature_record_id": d.signature_record_id,
            }
            for d in TenderDocument.objects.filter(project=project)
        ],
        "clarifications": [
            {
                "number": c.number,
                "text": c.text,
                "issued_at": iso_utc(c.issued_at),
                "postponed": c.postponed,
                "new_deadline": iso_utc(c.new_deadline) if c.new_deadline else None,
                "rule_id": c.rule_id,
            }
            for c in Clarification.objects.filter(project=project)
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return iso_utc(value) if value else None


def section_records(section: Section) -> list[dict[str, Any]]:
    ref = ("tender.section", str(section.pk))
    out: list[dict[str, Any]] = [
        {
            "key": f"section:{section.pk}",
            "kind": "record",
            "title": f"标段 {section.code}",
            "value": {
                "code": section.code,
                "deal_code": section.deal_code,
                "name": section.name,
                "status": section.status,
                "round": section.round,
                "estimate_fen": section.estimate_fen,
                "deposit_fen": section.deposit_fen,
                "evaluation_method": section.evaluation_method,
                "bid_deadline": _iso(section.bid_deadline),
                "awarded_at": _iso(section.awarded_at),
                "contract_signed_at": _iso(section.contract_signed_at),
                "events": [
                    {"at": iso_utc(e.at), "kind": e.kind, "text": e.text, "round": e.round}
                    for e in SectionEvent.objects.filter(section=section)
                ],
            },
            "witness_refs": [ref],
        }
    ]
    for record in EvaluationRecord.objects.filter(section=section):
        out.append(
            {
                "key": f"evaluation:{record.pk}",
                "kind": "evaluation_record",
                "title": f"评标移交与结果 第{record.round}次",
                "value": {
                    "ref": record.ref,
                    "gateway": record.gateway,
                    "config": record.config,
                    "bids": [
                        {k: b[k] for k in ("entity_id", "name", "price_fen", "receipt_id", "plaintext_sm3")}
                        for b in record.bids
                    ],
                    "excluded": record.excluded,
                    "status": record.status,
                    "report_sha256": record.report_sha256,
                    "report": record.report_data,
                    "completed_at": _iso(record.completed_at),
                },
                "witness_refs": [ref],
            }
        )
    candidates = list(Candidate.objects.filter(section=section))
    if candidates:
        out.append(
            {
                "key": f"candidates:{section.pk}",
                "kind": "record",
                "title": "中标候选人",
                "value": [
                    {
                        "round": c.round,
                        "rank": c.rank,
                        "entity_id": c.entity_id,
                        "name": c.name,
                        "price_fen": c.price_fen,
                        "score": c.score,
                    }
                    for c in candidates
                ],
                "witness_refs": [ref],
            }
        )
    for award in Award.objects.filter(section=section):
        out.append(
            {
                "key": f"award:{award.pk}",
                "kind": "record",
                "title": f"定标 {award.letter_number}",
                "value": {
                    "winner": award.name,
                    "entity_id": award.entity_id,
                    "price_fen": award.price_fen,
                    "letter_number": award.letter_number,
                    "letter_sha256": award.letter.sha256,
                    "issued_at": iso_utc(award.issued_at),
                    "contract_due": iso_utc(award.contract_due),
                    "status": award.status,
                },
                "witness_refs": [("tender.award", str(award.pk))],
            }
        )
    for contract in Contract.objects.filter(section=section):
        out.append(
            {
                "key": f"contract:{contract.pk}",
                "kind": "record",
                "title": contract.name,
                "value": {
                    "amount_fen": contract.amount_fen,
                    "signed_at": iso_utc(contract.signed_at),
                    "late": contract.late,
                    "published_at": _iso(contract.published_at),
                },
                "witness_refs": [("tender.contract", str(contract.pk))],
            }
        )
    for objection in Objection.objects.filter(section=section):
        out.append(
            {
                "key": f"objection:{objection.pk}",
                "kind": "record",
                "title": Objection.KINDS[objection.kind],
                "value": {
                    "kind": objection.kind,
                    "entity_id": objection.entity_id,
                    "text": objection.text,
                    "raised_at": iso_utc(objection.raised_at),
                    "answer": objection.answer,
                    "answered_at": _iso(objection.answered_at),
                    "rule_id": objection.rule_id,
                },
                "witness_refs": [("tender.objection", str(objection.pk))],
            }
        )
    flags = list(Flag.objects.filter(section=section))
    if flags:
        out.append(
            {
                "key": f"flags:{section.pk}",
                "kind": "record",
                "title": "监管提示",
                "value": [
                    {
                        "kind": f.kind,
                        "rule_id": f.rule_id,
                        "source": f.rule_source,
                        "due_at": _iso(f.due_at),
                        "raised_at": iso_utc(f.raised_at),
                        "note": f.note,
                    }
                    for f in flags
                ],
                "witness_refs": [ref],
            }
        )
    return out


def box_refs(section: Section) -> list[tuple[str, str]]:
    return [
        ("tender.section", str(section.pk) if n == 1 else f"{section.pk}-r{n}") for n in range(1, section.round + 1)
    ]


# -- facts for the supervision statistics (supervision.stats) --------------------------------------------------
@dataclass(frozen=True)
class SectionFact:
    """One section as the trading statistics count it (read-only; no bidder is named)."""

    ref: str  # tender.section:<id>
    project_id: int
    section_id: int
    title: str
    category: str
    region_code: str
    procedure: str
    procedure_title: str
    status: str
    status_label: str
    published_at: datetime | None  # the tender notice (start of the procedure)
    awarded_at: datetime | None
    award_due: datetime | None
    budget_fen: int | None  # 合同估算价 / 预算金额
    deal_fen: int | None  # the awarded price
    bidders: int | None  # bids received (known after the opening only)
    electronic: bool | None  # bids in the electronic bid box and evaluated in the platform's evaluation app
    rules_listed: bool  # the procedure runs under a rules-catalogue snapshot (规则目录)
    failed: bool


def _bidders_after_opening(section: Section, evaluation: EvaluationRecord | None) -> int | None:
    if not opened(section):
        return None
    if evaluation is not None:
        return len(evaluation.bids) + len(evaluation.excluded or [])
    return _receipt_count(section)


def list_section_facts_for(actor: Actor, *, region: str | None = None, include_test: bool = True) -> list[SectionFact]:
    """Every published section over the regions the actor oversees (staff, regulators, auditors; the platform:
    all), for the trading statistics. Bid counts only after the opening; no bidder is named."""
    rows = Section.objects.select_related("project").filter(project__published_at__isnull=False)
    if not actor.is_system:
        scopes = actor.region_scopes(Role.STAFF, Role.REGULATOR, Role.AUDITOR)
        if not scopes:
            return []
        visible = Q(pk__in=[])
        for scope in scopes:
            visible |= Q(project__region_code__startswith=scope.rstrip("0")[:4] if scope.endswith("0000") else scope)
        rows = rows.filter(visible)
    if region:
        rows = rows.filter(
            project__region_code__startswith=region.rstrip("0")[:4] if region.endswith("0000") else region
        )
    if not include_test:
        rows = rows.filter(project__is_test_data=False)
    evaluations: dict[int, EvaluationRecord] = {}
    awards: dict[int, Award] = {}
    rows = list(rows.order_by("pk"))
    ids = [s.pk for s in rows]
    for record in EvaluationRecord.objects.filter(section_id__in=ids).order_by("round", "pk"):
        evaluations[record.section_id] = record  # the latest round wins
    for award in Award.objects.filter(section_id__in=ids).exclude(status="declined").order_by("pk"):
        awards[award.section_id] = award
    out = []
    for section in rows:
        project = section.project
        if not actor.is_system and not oversees(actor, project):
            continue
        evaluation = evaluations.get(section.pk)
        award = awards.get(section.pk)
        reached_award = award is not None
        out.append(
            SectionFact(
                ref=f"tender.section:{section.pk}",
                project_id=project.pk,
                section_id=section.pk,
                title=f"{project.name} {section.name}".strip(),
                category=project.category,
                region_code=project.region_code,
                procedure=project.procedure,
                procedure_title=project.procedure_config.get("title_zh", project.procedure),
                status=section.status,
                status_label=SECTION_LABELS[S(section.status)],
                published_at=project.published_at,
                awarded_at=award.issued_at if award else None,
                award_due=section.award_due,
                budget_fen=section.estimate_fen,
                deal_fen=award.price_fen if award else None,
                bidders=_bidders_after_opening(section, evaluation),
                electronic=(section.box_id is not None and evaluation is not None and evaluation.gateway == "app")
                if reached_award
                else None,
                rules_listed=bool(project.rules) and project.rules_version is not None,
                failed=section.status == S.FAILED,
            )
        )
    return out


# -- outcomes for the red-flag screens (supervision.redflags) --------------------------------------------------
@dataclass(frozen=True)
class AwardFact:
    award_id: str  # tender.award:<id>
    entity_id: int
    price_fen: int
    status: str  # issued | contracted | declined
    issued_at: datetime


@dataclass(frozen=True)
class PanelSeatFact:
    expert_key: str  # expert:<pool id> when the member is matched to the draw's seat, else member:<evaluation>:<n>
    label: str  # 评委N
    kind: str  # expert | representative (the evaluation's member kinds)
    drawn: bool  # drawn from the experts' pool


@dataclass(frozen=True)
class ScoreFact:
    expert_key: str
    entity_id: int
    item: str
    score: Decimal
    max_points: Decimal | None
    objective: bool


@dataclass(frozen=True)
class SectionOutcome:
    """One evaluated round of a section: its awards, and — when the platform's evaluation app evaluated it — the
    committee and each member's scores. ``ref`` is the process reference the bid box and finance use."""

    ref: str  # tender.section:<id> (round 1) | tender.section:<id>-r<n>
    section_id: int
    round: int
    title: str
    region_code: str
    procedure: str
    bid_deadline: datetime | None
    gateway: str  # app | recorded | "" (no evaluation record)
    awards: tuple[AwardFact, ...] = ()
    panel: tuple[PanelSeatFact, ...] = ()
    scores: tuple[ScoreFact, ...] = ()


def _round_ref(section_id: int, n: int) -> str:
    return f"tender.section:{section_id}" if n == 1 else f"tender.section:{section_id}-r{n}"


def _expert_keys(system: Actor, view: Any) -> dict[str, str]:
    """Member label → expert key: a member whose name belongs to exactly one expert among the draw's seats is that
    expert (the pool's id links the same person across evaluations); other members stay local to the evaluation."""
    seats_by_name: dict[str, set[int]] = {}
    if view.draw_id:
        from yiwang.services.experts import queries as experts_queries

        try:
            for seat in experts_queries.get_draw_for(system, view.draw_id).seats:
                if seat.expert_id is not None and seat.name:
                    seats_by_name.setdefault(seat.name, set()).add(seat.expert_id)
        except NotFound:
            seats_by_name = {}
    keys = {}
    for m in view.members:
        found = seats_by_name.get(m.name, set()) if m.kind == "expert" and m.name else set()
        keys[m.label] = f"expert:{next(iter(found))}" if len(found) == 1 else f"member:{view.id}:{m.ordinal}"
    return keys


def _app_panel_and_scores(ref: str) -> tuple[tuple[PanelSeatFact, ...], tuple[ScoreFact, ...]]:
    from django.apps import apps

    if not apps.is_installed("yiwang.trading.tender.evaluation"):
        return (), ()
    from yiwang.trading.tender.evaluation import queries as evaluation_queries

    system = Actor.system("tender")
    try:
        view = evaluation_queries.get_evaluation_for(system, ref)
    except NotFound:
        return (), ()
    keys = _expert_keys(system, view)
    panel = tuple(
        PanelSeatFact(expert_key=keys[m.label], label=m.label, kind=m.kind, drawn=m.kind == "expert")
        for m in view.members
    )
    items = {i.code: i for i in view.items}
    scores = []
    for bid in view.bids:
        for item, by_member in ((bid.scores or {}).get("by_member") or {}).items():
            spec = items.get(item)
            for label, value in by_member.items():
                if label not in keys:
                    continue
                scores.append(
                    ScoreFact(
                        expert_key=keys[label],
                        entity_id=bid.entity_id,
                        item=item,
                        score=Decimal(str(value)),
                        max_points=spec.max_points if spec else None,
                        objective=spec.objective if spec else False,
                    )
                )
    return panel, tuple(scores)


def list_section_outcomes_for(actor: Actor, *, region: str | None = None, limit: int = 2000) -> list[SectionOutcome]:
    """Evaluated rounds of published sections (awards, committees, per-member scores) over the regions the actor
    supervises — regulators and auditors, and the platform's system components; anyone else gets nothing. For
    the red-flag screens; never shown to market participants (per-member scores name the experts' pool ids)."""
    sections = {s.pk: s for s in _supervised_sections(actor, region, min(int(limit), 10_000))}
    ids = list(sections)
    records = {(r.section_id, r.round): r for r in EvaluationRecord.objects.filter(section_id__in=ids).order_by("pk")}
    awards: dict[tuple[int, int], list[Award]] = {}
    for award in Award.objects.filter(section_id__in=ids).order_by("issued_at", "pk"):
        awards.setdefault((award.section_id, award.round), []).append(award)
    out = []
    for key in sorted(set(records) | set(awards)):
        section = sections[key[0]]
        record = records.get(key)
        ref = record.ref if record is not None else _round_ref(section.pk, key[1])
        panel, scores = _app_panel_and_scores(ref) if record is not None and record.gateway == "app" else ((), ())
        out.append(
            SectionOutcome(
                ref=ref,
                section_id=section.pk,
                round=key[1],
                title=f"{section.project.name} {section.name}".strip(),
                region_code=section.project.region_code,
                procedure=section.project.procedure,
                bid_deadline=section.bid_deadline,
                gateway=record.gateway if record is not None else "",
                awards=tuple(
                    AwardFact(f"tender.award:{a.pk}", a.entity_id, a.price_fen, a.status, a.issued_at)
                    for a in awards.get(key, [])
                ),
                panel=panel,
                scores=scores,
            )
        )
    return out


def _supervised_sections(actor: Actor, region: str | None, limit: int) -> list[Section]:
    """Published sections over the regions the actor supervises (regulators, auditors; system components see
    all), newest first; anyone else: none."""
    if not actor.is_system and not actor.region_scopes(Role.REGULATOR, Role.AUDITOR):
        return []
    rows = Section.objects.select_related("project").filter(project__published_at__isnull=False)
    if not actor.is_system:
        visible = Q(pk__in=[])
        for scope in actor.region_scopes(Role.REGULATOR, Role.AUDITOR):
            visible |= Q(project__region_code__startswith=_scope_prefix(scope))
        rows = rows.filter(visible)
    if region:
        rows = rows.filter(project__region_code__startswith=_scope_prefix(region))
    return list(rows.order_by("-pk")[: max(1, limit)])


def _scope_prefix(scope: str) -> str:
    return scope[:2] if scope.endswith("0000") else scope[:4] if scope.endswith("00") else scope


# -- bid texts for the similarity screens (supervision.redflags) -----------------------------------------------------
@dataclass(frozen=True)
class BidText:
    ref: str  # the bid box's owner: tender.section:<id> (later rounds: <id>-r<n>)
    entity_id: int
    receipt_id: str
    text: str  # "" when the bid has no readable text (PDF/OFD only, or unreadable)


def list_bid_texts_for(actor: Actor, *, region: str | None = None, limit: int = 200) -> list[BidText]:
    """The readable text of every decrypted bid of opened sections over the regions the actor supervises —
    regulators and auditors, and the platform's system components; anyone else gets nothing. Nothing before an
    opening has closed (the bid box releases no plaintext earlier). For the near-identical-documents screen
    (条例第四十条第四项); never shown to market participants."""
    out: list[BidText] = []
    for section in _supervised_sections(actor, region, min(int(limit), 2_000)):
        if not opened(section):
            continue
        for context, ref in box_refs(section):
            try:
                bids = bidbox_queries.list_decrypted_bids((context, ref))
            except YiwangError:
                continue  # no box, or its opening has not closed
            for bid in bids:
                stream = bidbox_queries.open_decrypted_bid(bid)
                try:
                    data = stream.read(bidformat.MAX_JSON * 4 + 1)
                finally:
                    stream.close()
                out.append(BidText(f"{context}:{ref}", bid.entity_id, bid.receipt_id, bidformat.read_text(data)))
    return out

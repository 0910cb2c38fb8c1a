"""Reads of the expert pool and the draws, restricted by the acting user.

- The pool is personal data: trading-centre staff, regulators and auditors may search it; an expert sees
  their own record; everyone else sees only statistics by specialty.
- A draw is **sealed** until it is unsealed or its meeting starts (``platform.clock.now()``). While sealed,
  only staff over the draw's region, regulators and auditors over it (and the platform) see who was drawn;
  the tenderer and the agency (the parties named in the request) see counts and status only; a drawn expert
  sees their own task. After unsealing the parties see the names (never phones or identity numbers).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import NotFound, PermissionDenied
from yiwang.kernel.periods import local_date
from yiwang.platform.audit import queries as witness
from yiwang.platform.clock import now
from yiwang.services.experts import rules
from yiwang.services.experts.actions import is_self, is_staff_over
from yiwang.services.experts.domain import committee as committee_domain
from yiwang.services.experts.domain import draw as draw_domain
from yiwang.services.experts.domain.committee import CommitteeRules, Problem
from yiwang.services.experts.domain.eligibility import EXCLUSION_LABELS_ZH
from yiwang.services.experts.domain.performance import ATTENDANCE_LABELS_ZH, Record, Summary, summarise
from yiwang.services.experts.domain.pool import (
    POOL_KIND_LABELS_ZH,
    STATUS_LABELS_ZH,
    TITLE_LEVEL_LABELS_ZH,
    ExpertStatus,
    PoolKind,
    TitleLevel,
    age_on,
    full_years_between,
)
from yiwang.services.experts.models import (
    Draw,
    DrawStatus,
    Expert,
    ExpertSpecialty,
    Performance,
    Sanction,
    SanctionKind,
    Seat,
    SeatRole,
    SeatStatus,
    Specialty,
    StatusChange,
    Tie,
    TieKind,
    Unavailability,
)

MAX_PAGE = 100
OVERSEERS = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)


def _today() -> date:
    return local_date(now())


def _mask_id(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:] if len(number) > 7 else "*" * len(number)


def _mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def may_browse_pool(actor: Actor) -> bool:
    return actor.is_system or actor.has_role(*OVERSEERS)


def oversees(actor: Actor, region_code: str) -> bool:
    """Staff, regulators and auditors over the region (and the platform)."""
    return actor.is_system or actor.covers_region(region_code, *OVERSEERS)


# -- specialties ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpecialtyView:
    code: str
    name: str
    level: int
    parent_code: str
    inferred: bool


def list_specialties(*, parent: str | None = None, level: int | None = None) -> list[SpecialtyView]:
    qs = Specialty.objects.all()
    if parent is not None:
        qs = qs.filter(parent_code=parent)
    if level is not None:
        qs = qs.filter(level=level)
    return [SpecialtyView(s.code, s.name, s.level, s.parent_code, s.inferred) for s in qs.order_by("sort")]


def specialty_names(codes: Sequence[str] | None = None) -> dict[str, str]:
    qs = Specialty.objects.all() if codes is None else Specialty.objects.filter(code__in=list(codes))
    return dict(qs.values_list("code", "name"))


def specialty_choices(*, leaves_only: bool = False) -> list[tuple[str, str]]:
    """For select boxes: every code indented by level (or the 7-character ones only)."""
    out = []
    for s in Specialty.objects.order_by("sort"):
        if leaves_only and len(s.code) != 7:
            continue
        indent = "" if leaves_only else "　" * (s.level - 1)
        out.append((s.code, f"{indent}{s.code} {s.name}"))
    return out


@dataclass(frozen=True)
class PoolStat:
    code: str
    name: str
    active: int


def pool_statistics() -> list[PoolStat]:
    """Active experts per first-level category (A01 规划 … C99): public, nothing personal."""
    counts: Counter[str] = Counter()
    rows = ExpertSpecialty.objects.filter(expert__status=ExpertStatus.ACTIVE).values_list("expert_id", "code")
    seen: set[tuple[int, str]] = set()
    for expert_id, code in rows.iterator(chunk_size=5000):
        key = (expert_id, code[:3])
        if key not in seen:
            seen.add(key)
            counts[code[:3]] += 1
    return [PoolStat(s.code, s.name, counts.get(s.code, 0)) for s in Specialty.objects.filter(level=2).order_by("sort")]


def active_expert_count() -> int:
    return Expert.objects.filter(status=ExpertStatus.ACTIVE).count()


# -- the pool -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertSpecialtyView:
    code: str
    name: str
    main: bool


@dataclass(frozen=True)
class ExpertSummary:
    id: int
    name: str
    gender: str
    age: int
    title: str
    title_level: str
    title_level_label: str
    employer_name: str
    employer_linked: bool
    region_code: str
    region_name: str
    status: str
    status_label: str
    kinds: tuple[str, ...]
    specialties: tuple[ExpertSpecialtyView, ...]
    entered_on: date


@dataclass(frozen=True)
class StatusChangeView:
    action: str
    from_status: str
    to_status: str
    reason: str
    changed_at: datetime
    actor_label: str


@dataclass(frozen=True)
class UnavailabilityView:
    id: int
    start_date: date
    end_date: date
    reason: str
    declared_at: datetime


@dataclass(frozen=True)
class TieView:
    id: int
    entity_id: int | None
    uscc: str
    entity_name: str
    kind: str
    kind_label: str
    description: str
    started_on: date | None
    ended_on: date | None
    declared_at: datetime


@dataclass(frozen=True)
class SanctionView:
    id: int
    kind: str
    kind_label: str
    authority: str
    reference: str
    reason: str
    start_date: date
    end_date: date | None
    in_force: bool


@dataclass(frozen=True)
class ExpertView(ExpertSummary):
    version: int = 1
    id_number: str = ""  # full for staff over the region and the expert; masked for other overseers
    birth_date: date | None = None
    years_of_practice: int = 0
    practice_since: date | None = None
    equivalent_level: bool = False
    equivalent_note: str = ""
    education: str = ""
    position: str = ""
    employer_entity_id: int | None = None
    employer_uscc: str = ""
    phone: str = ""
    email: str = ""
    notify_channels: tuple[str, ...] = ()
    account_id: int | None = None
    exited_on: date | None = None
    exit_reason: str = ""
    can_manage: bool = False
    is_self: bool = False
    history: tuple[StatusChangeView, ...] = ()
    unavailability: tuple[UnavailabilityView, ...] = ()
    ties: tuple[TieView, ...] = ()
    sanctions: tuple[SanctionView, ...] = ()
    performance: Summary | None = None


def _region_name(code: str) -> str:
    info = catalog.get_region(code)
    return info.name if info else code


def _summary_fields(e: Expert, specs: list[ExpertSpecialtyView], today: date) -> dict[str, Any]:
    return {
        "id": e.pk,
        "name": e.name,
        "gender": e.gender,
        "age": age_on(e.birth_date, today),
        "title": e.title,
        "title_level": e.title_level,
        "title_level_label": TITLE_LEVEL_LABELS_ZH[TitleLevel(e.title_level)],
        "employer_name": e.employer_name,
        "employer_linked": e.employer_entity_id is not None or bool(e.employer_uscc),
        "region_code": e.region_code,
        "region_name": _region_name(e.region_code),
        "status": e.status,
        "status_label": STATUS_LABELS_ZH[ExpertStatus(e.status)],
        "kinds": tuple(e.kinds),
        "specialties": tuple(specs),
        "entered_on": e.entered_on,
    }


def _specs_of(expert_ids: list[int]) -> dict[int, list[ExpertSpecialtyView]]:
    rows = list(ExpertSpecialty.objects.filter(expert_id__in=expert_ids).values_list("expert_id", "code", "is_main"))
    names = specialty_names(sorted({c for _, c, _ in rows}))
    out: dict[int, list[ExpertSpecialtyView]] = {}
    for expert_id, code, main in sorted(rows, key=lambda r: (r[0], not r[2], r[1])):
        out.setdefault(expert_id, []).append(ExpertSpecialtyView(code, names.get(code, code), main))
    return out


@dataclass(frozen=True)
class ExpertPage:
    total: int
    items: list[ExpertSummary]
    limit: int
    offset: int


def _require_browse(actor: Actor) -> None:
    if not may_browse_pool(actor):
        raise PermissionDenied(
            "experts.pool_private", "专家库信息仅供交易中心、监管和审计人员查阅", "the expert pool is not public"
        )


def list_experts_for(
    actor: Actor,
    *,
    q: str = "",
    specialty: str | None = None,
    region: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> ExpertPage:
    """Search the pool by name (part of it), employer, specialty (a code covers its children), region
    (310000 covers all of Shanghai), status and kind. Staff, regulators and auditors."""
    _require_browse(actor)
    limit, offset = max(1, min(int(limit), MAX_PAGE)), max(0, int(offset))
    qs = Expert.objects.all()
    text = (q or "").strip()
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(employer_name__icontains=text))
    if specialty:
        code = specialty.strip().upper()
        qs = qs.filter(pk__in=ExpertSpecialty.objects.filter(code__gte=code, code__lt=code + "~").values("expert_id"))
    if region:
        code = region.strip()
        prefix = code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code
        qs = qs.filter(region_code__startswith=prefix)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kinds__icontains=f'"{kind}"')
    total = qs.count()
    page = list(qs.order_by("pk")[offset : offset + limit])
    specs = _specs_of([e.pk for e in page])
    today = _today()
    return ExpertPage(
        total=total,
        items=[ExpertSummary(**_summary_fields(e, specs.get(e.pk, []), today)) for e in page],
        limit=limit,
        offset=offset,
    )


def _get(expert_id: int) -> Expert:
    expert = Expert.objects.filter(pk=expert_id).first()
    if expert is None:
        raise NotFound("experts.expert_not_found", "未找到该专家", "no such expert", {"expert_id": expert_id})
    return expert


def performance_records(expert_id: int) -> list[Performance]:
    return list(Performance.objects.filter(expert_id=expert_id).select_related("seat__draw"))


def performance_summary(expert_id: int) -> Summary:
    return summarise(
        Record(p.attendance, p.evaluation_minutes, p.score_deviation, p.complaints, p.rating)
        for p in Performance.objects.filter(expert_id=expert_id)
    )


def _expert_view(actor: Actor, e: Expert) -> ExpertView:
    today = _today()
    own = is_self(actor, e)
    manage = is_staff_over(actor, e.region_code)
    full = own or manage
    specs = _specs_of([e.pk]).get(e.pk, [])
    return ExpertView(
        **_summary_fields(e, specs, today),
        version=e.version,
        id_number=e.id_number if full else _mask_id(e.id_number),
        birth_date=e.birth_date,
        years_of_practice=full_years_between(e.practice_since, today),
        practice_since=e.practice_since,
        equivalent_level=e.equivalent_level,
        equivalent_note=e.equivalent_note,
        education=e.education,
        position=e.position,
        employer_entity_id=e.employer_entity_id,
        employer_uscc=e.employer_uscc,
        phone=e.phone if full else _mask_phone(e.phone),
        email=e.email if full else "",
        notify_channels=tuple(e.notify_channels),
        account_id=e.account_id if full else None,
        exited_on=e.exited_on,
        exit_reason=e.exit_reason,
        can_manage=manage,
        is_self=own,
        history=tuple(
            StatusChangeView(c.action, c.from_status, c.to_status, c.reason, c.changed_at, c.actor_label)
            for c in StatusChange.objects.filter(expert=e)
        ),
        unavailability=tuple(
            UnavailabilityView(u.pk, u.start_date, u.end_date, u.reason, u.declared_at)
            for u in Unavailability.objects.filter(expert=e, withdrawn_at__isnull=True, end_date__gte=today)
        ),
        ties=tuple(
            TieView(
                t.pk,
                t.entity_id,
                t.uscc,
                t.entity_name,
                t.kind,
                TieKind(t.kind).label,
                t.description,
                t.started_on,
                t.ended_on,
                t.declared_at,
            )
            for t in Tie.objects.filter(expert=e, withdrawn_at__isnull=True)
        ),
        sanctions=tuple(
            SanctionView(
                s.pk,
                s.kind,
                SanctionKind(s.kind).label,
                s.authority,
                s.reference,
                s.reason,
                s.start_date,
                s.end_date,
                s.start_date <= today and (s.end_date is None or s.end_date >= today),
            )
            for s in Sanction.objects.filter(expert=e, revoked_at__isnull=True)
        ),
        performance=performance_summary(e.pk),
    )


def get_expert_for(actor: Actor, expert_id: int) -> ExpertView:
    """One expert: staff, regulators and auditors (identity number masked unless they manage the region), or
    the expert themself. Anyone else: ``NotFound`` (the pool does not reveal who is in it)."""
    expert = _get(expert_id)
    if not (may_browse_pool(actor) or is_self(actor, expert)):
        raise NotFound("experts.expert_not_found", "未找到该专家", "no such expert", {"expert_id": expert_id})
    return _expert_view(actor, expert)


def expert_version(expert_id: int) -> int | None:
    return Expert.objects.filter(pk=expert_id).values_list("version", flat=True).first()


def expert_of(actor: Actor) -> Expert | None:
    """The pool record linked to the signed-in expert's account."""
    if not actor.is_authenticated or not actor.has_role(Role.EXPERT) or not actor.id.isdigit():
        return None
    return Expert.objects.filter(account_id=int(actor.id)).first()


def get_my_expert(actor: Actor) -> ExpertView | None:
    expert = expert_of(actor)
    return _expert_view(actor, expert) if expert else None


# -- draws ------------------------------------------------------------------------------------------------------------


def is_sealed(draw: Draw, at: datetime | None = None) -> bool:
    """Sealed until unsealed, or until the meeting starts."""
    return draw.unsealed_at is None and (at or now()) < draw.meeting_start


@dataclass(frozen=True)
class SeatView:
    id: int
    draw_id: int
    line: int
    specialty: str
    specialty_name: str
    role: str
    role_label: str
    rank: int
    status: str
    status_label: str
    expert_id: int | None  # None when the viewer may not see who sits
    name: str
    phone: str
    employer_name: str
    respond_by: datetime | None
    responded_at: datetime | None
    decline_reason: str
    checked_in_at: datetime | None
    replaces: int | None
    note: str
    performance_version: int | None = None


@dataclass(frozen=True)
class LineView:
    index: int
    specialty: str
    specialty_name: str
    count: int
    reserve: int
    main_only: bool
    active: int  # seats now notified, confirmed or checked in
    confirmed: int
    reserves_left: int
    holders: int | None = None
    eligible: int | None = None
    excluded: tuple[tuple[str, str, int], ...] = ()  # (reason, label, count)


@dataclass(frozen=True)
class DrawView:
    id: int
    project_ref: str
    section_ref: str
    title: str
    kind: str
    kind_label: str
    region_code: str
    meeting_start: datetime
    meeting_end: datetime
    venue: str
    status: str
    status_label: str
    sealed: bool
    unsealed_at: datetime | None
    created_at: datetime
    lines: tuple[LineView, ...]
    representatives: int
    full: bool  # the viewer oversees the draw (staff, regulator, auditor)
    names_visible: bool
    can_manage: bool
    seats: tuple[SeatView, ...] = ()  # empty for viewers who see counts only
    region_scope: tuple[str, ...] = ()
    avoided_firms: tuple[dict[str, Any], ...] = ()
    avoided_experts: tuple[int, ...] = ()
    rules: dict[str, Any] = field(default_factory=dict)
    requested_by_label: str = ""
    digests: dict[str, Any] = field(default_factory=dict)
    supplements: tuple[int, ...] = ()


def _draw_or_404(draw_id: int) -> Draw:
    draw = Draw.objects.filter(pk=draw_id).first()
    if draw is None:
        raise NotFound("experts.draw_not_found", "未找到该抽取记录", "no such draw", {"draw_id": draw_id})
    return draw.parent if draw.parent_id else draw


def _viewer(actor: Actor, root: Draw) -> str | None:
    if oversees(actor, root.region_code):
        return "overseer"
    if any(actor.acts_for(e) for e in root.party_entity_ids):
        return "party"
    expert = expert_of(actor)
    if expert and Seat.objects.filter(draw__in=_family(root), expert=expert).exists():
        return "expert"
    return None


def _family(root: Draw) -> list[Draw]:
    return [root, *Draw.objects.filter(parent=root).order_by("pk")]


def _seat_view(seat: Seat, names: dict[str, str], *, who: bool, contact: bool, perf: dict[int, int]) -> SeatView:
    return SeatView(
        id=seat.pk,
        draw_id=seat.draw_id,
        line=seat.line,
        specialty=seat.specialty,
        specialty_name=names.get(seat.specialty, seat.specialty),
        role=seat.role,
        role_label=SeatRole(seat.role).label,
        rank=seat.rank,
        status=seat.status,
        status_label=SeatStatus(seat.status).label,
        expert_id=seat.expert_id if who else None,
        name=seat.expert.name if who else "",
        phone=seat.expert.phone if contact else "",
        employer_name=seat.expert.employer_name if who else "",
        respond_by=seat.respond_by,
        responded_at=seat.responded_at,
        decline_reason=seat.decline_reason if contact else "",
        checked_in_at=seat.checked_in_at,
        replaces=seat.replaces_id,
        note=seat.note if contact else "",
        performance_version=perf.get(seat.pk),
    )


def get_draw_for(actor: Actor, draw_id: int) -> DrawView:
    """A draw (with its supplementary draws) as ``actor`` may see it. Overseers see everything; the tenderer
    and agency see counts and status (the seats, without names, after unsealing); a drawn expert sees their own
    seat only.
    Anyone else: ``NotFound``."""
    root = _draw_or_404(draw_id)
    viewer = _viewer(actor, root)
    if viewer is None:
        raise NotFound("experts.draw_not_found", "未找到该抽取记录", "no such draw", {"draw_id": draw_id})
    sealed = is_sealed(root)
    family = _family(root)
    seats = list(
        Seat.objects.filter(draw__in=family).select_related("expert").order_by("line", "draw_id", "role", "rank")
    )
    names = specialty_names([line["specialty"] for line in root.lines])
    full = viewer == "overseer"
    names_visible = full or not sealed
    perf = dict(Performance.objects.filter(seat__in=seats).values_list("seat_id", "version")) if full else {}
    if viewer == "expert":
        me = expert_of(actor)
        shown = [_seat_view(s, names, who=True, contact=True, perf={}) for s in seats if me and s.expert_id == me.pk]
    elif viewer == "party":
        # The tenderer and agency never learn the experts' identities from the pool: the committee's names are
        # secret until the award and are then published by the tendering context with the result. After the
        # meeting starts they see the seats (specialty, status), not who sits in them.
        shown = (
            [_seat_view(s, names, who=False, contact=False, perf={}) for s in seats if s.status in _SAT]
            if not sealed
            else []
        )
    else:
        shown = [_seat_view(s, names, who=True, contact=True, perf=perf) for s in seats]
    line_views = []
    for index, line in enumerate(root.lines):
        mine = [s for s in seats if s.line == index]
        stats = root.exclusions[index] if full and index < len(root.exclusions) else None
        line_views.append(
            LineView(
                index=index,
                specialty=line["specialty"],
                specialty_name=names.get(line["specialty"], line["specialty"]),
                count=line["count"],
                reserve=line["reserve"],
                main_only=line.get("main_only", False),
                active=sum(1 for s in mine if s.status in _ACTIVE),
                confirmed=sum(1 for s in mine if s.status in (SeatStatus.CONFIRMED, SeatStatus.CHECKED_IN)),
                reserves_left=sum(1 for s in mine if s.status == SeatStatus.RESERVE),
                holders=stats["holders"] if stats else None,
                eligible=stats["eligible"] if stats else None,
                excluded=tuple((r, EXCLUSION_LABELS_ZH.get(r, r), n) for r, n in stats["excluded"].items())
                if stats
                else (),
            )
        )
    return DrawView(
        id=root.pk,
        project_ref=root.project_ref,
        section_ref=root.section_ref,
        title=root.title,
        kind=root.kind,
        kind_label=POOL_KIND_LABELS_ZH[PoolKind(root.kind)],
        region_code=root.region_code,
        meeting_start=root.meeting_start,
        meeting_end=root.meeting_end,
        venue=root.venue,
        status=root.status,
        status_label=DrawStatus(root.status).label,
        sealed=sealed,
        unsealed_at=root.unsealed_at,
        created_at=root.created_at,
        lines=tuple(line_views),
        representatives=root.representatives,
        full=full,
        names_visible=names_visible,
        can_manage=is_staff_over(actor, root.region_code),
        seats=tuple(shown),
        region_scope=tuple(root.region_scope) if full else (),
        avoided_firms=tuple(root.avoided_firms) if full else (),
        avoided_experts=tuple(root.avoided_experts) if full else (),
        rules=dict(root.rules) if full else {},
        requested_by_label=root.requested_by_label if full else "",
        digests={
            d.pk: {
                "request_digest": d.request_digest,
                "commitment": d.commitment.commitment,
                "public_seq": d.public_seq,
                "public_hash": d.public_hash,
                "seed": d.seed,
                "candidates_digest": d.candidates_digest,
                "result_digest": d.result_digest,
                "sealed_digest": d.sealed_digest,
            }
            for d in family
        }
        if full
        else {},
        supplements=tuple(d.pk for d in family[1:]),
    )


_ACTIVE = (SeatStatus.NOTIFIED, SeatStatus.CONFIRMED, SeatStatus.CHECKED_IN)
_SAT = (SeatStatus.NOTIFIED, SeatStatus.CONFIRMED, SeatStatus.CHECKED_IN, SeatStatus.ABSENT)


@dataclass(frozen=True)
class DrawListItem:
    id: int
    project_ref: str
    section_ref: str
    title: str
    meeting_start: datetime
    status: str
    status_label: str
    sealed: bool
    members: int  # seats now notified, confirmed or checked in


def list_draws_for(
    actor: Actor, *, limit: int = 20, offset: int = 0, project_ref: str | None = None
) -> list[DrawListItem]:
    """Draws of the regions the actor oversees, newest first (the supplementary ones inside their parent)."""
    if not (actor.is_system or actor.has_role(*OVERSEERS)):
        raise PermissionDenied("experts.forbidden", "无权查看抽取记录", "not allowed to list draws")
    limit, offset = max(1, min(int(limit), MAX_PAGE)), max(0, int(offset))
    qs = Draw.objects.filter(parent__isnull=True)
    if project_ref:
        qs = qs.filter(project_ref=project_ref)
    if not actor.is_system:
        scopes = actor.region_scopes(*OVERSEERS)
        cond = Q(pk__in=[])
        for scope in scopes:
            prefix = scope[:2] if scope.endswith("0000") else scope[:4] if scope.endswith("00") else scope
            cond |= Q(region_code__startswith=prefix)
        qs = qs.filter(cond)
    rows = list(qs.order_by("-pk")[offset : offset + limit])
    counts: Counter[int] = Counter()
    for draw_id, parent_id in Seat.objects.filter(
        Q(draw__in=rows) | Q(draw__parent__in=rows), status__in=_ACTIVE
    ).values_list("draw_id", "draw__parent_id"):
        counts[parent_id or draw_id] += 1
    return [
        DrawListItem(
            d.pk,
            d.project_ref,
            d.section_ref,
            d.title,
            d.meeting_start,
            d.status,
            DrawStatus(d.status).label,
            is_sealed(d),
            counts.get(d.pk, 0),
        )
        for d in rows
    ]


def committee_for(actor: Actor, draw_id: int) -> list[SeatView]:
    """The committee's experts now sitting (notified, confirmed, checked in), for the evaluation context.
    Overseers with names; the parties, once the draw is unsealed, the seats without names."""
    view = get_draw_for(actor, draw_id)
    return [s for s in view.seats if s.status in _ACTIVE]


# -- the expert's workbench ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskView:
    seat_id: int
    draw_id: int
    status: str
    status_label: str
    meeting_start: datetime
    meeting_end: datetime
    venue: str
    specialty: str
    specialty_name: str
    respond_by: datetime | None
    may_answer: bool
    project: str  # shown once the draw is unsealed


def list_my_tasks(actor: Actor) -> list[TaskView]:
    """我的评审任务: the seats of the signed-in expert (not the reserve places they were not called to)."""
    expert = expert_of(actor)
    if expert is None:
        return []
    at = now()
    seats = (
        Seat.objects.filter(expert=expert)
        .exclude(status__in=(SeatStatus.RESERVE, SeatStatus.SKIPPED))
        .select_related("draw", "draw__parent")
        .order_by("-meeting_start", "-pk")[:100]
    )
    names = specialty_names()
    out = []
    for s in seats:
        root = s.draw.parent or s.draw
        out.append(
            TaskView(
                seat_id=s.pk,
                draw_id=root.pk,
                status=s.status,
                status_label=SeatStatus(s.status).label,
                meeting_start=s.meeting_start,
                meeting_end=s.meeting_end,
                venue=root.venue,
                specialty=s.specialty,
                specialty_name=names.get(s.specialty, s.specialty),
                respond_by=s.respond_by,
                may_answer=s.status == SeatStatus.NOTIFIED and (s.respond_by is None or at <= s.respond_by),
                project="" if is_sealed(root, at) else f"{root.title or root.project_ref} {root.section_ref}".strip(),
            )
        )
    return out


# -- replay --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawReplay:
    draw_id: int
    ok: bool
    commitment_precedes: bool  # the commitment's witness entry is not later than the public value
    report: draw_domain.ReplayReport
    candidates: list[list[int]]


def replay_draw(draw_id: int) -> list[DrawReplay]:
    """Recompute a draw (and its supplementary draws) from the recorded inputs and compare with what was
    recorded: the commitment, request digest, seed, candidates digest and the selection itself."""
    root = _draw_or_404(draw_id)
    out = []
    for d in _family(root):
        report = draw_domain.replay(
            lines=[draw_domain.Line(**line) for line in d.request["lines"]],
            candidate_lists=d.candidates,
            request=d.request,
            secret_hex=d.commitment.secret,
            commitment=d.commitment.commitment,
            public_hash=d.public_hash,
            recorded_request_digest=d.request_digest,
            recorded_seed=d.seed,
            recorded_candidates_digest=d.candidates_digest,
            recorded_result_digest=d.result_digest,
        )
        entries = witness.entries_about(("experts.seed_commitment", d.commitment_id), limit=1)
        precedes = bool(entries) and entries[0].seq <= d.public_seq
        out.append(DrawReplay(d.pk, report.ok, precedes, report, [list(c) for c in d.candidates]))
    return out


def replay_draw_for(actor: Actor, draw_id: int) -> list[DrawReplay]:
    """The replay check, for overseers (it exposes the seed secret's effect, not the secret itself)."""
    root = _draw_or_404(draw_id)
    if not oversees(actor, root.region_code):
        raise NotFound("experts.draw_not_found", "未找到该抽取记录", "no such draw", {"draw_id": draw_id})
    return replay_draw(root.pk)


# -- committee composition ---------------------------------------------------------------------------------------


def committee_rules_for(kind: str, *, on: date | datetime | None = None) -> CommitteeRules:
    return rules.committee_rules(PoolKind(kind), on)


def check_committee_composition(
    kind: str,
    experts: int,
    representatives: int,
    *,
    budget_fen: int | None = None,
    large: bool = False,
    on: date | datetime | None = None,
) -> list[Problem]:
    """What is wrong with a committee of ``experts`` + ``representatives`` for a ``works`` or ``gp``
    procedure (empty list: it complies)."""
    return committee_domain.problems(
        experts, representatives, committee_rules_for(kind, on=on), budget_fen=budget_fen, large=large
    )


# -- performance -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PerformanceView:
    seat_id: int
    draw_id: int
    project: str
    meeting_start: datetime
    attendance: str
    attendance_label: str
    evaluation_minutes: int | None
    score_deviation: Decimal | None
    complaints: int
    rating: int | None
    notes: str
    version: int


def list_performance_for(actor: Actor, expert_id: int) -> tuple[Summary, list[PerformanceView]]:
    """An expert's assignments and their summary: overseers and the expert."""
    expert = _get(expert_id)
    if not (may_browse_pool(actor) or is_self(actor, expert)):
        raise NotFound("experts.expert_not_found", "未找到该专家", "no such expert", {"expert_id": expert_id})
    rows = []
    for p in performance_records(expert_id):
        root = p.seat.draw.parent or p.seat.draw
        rows.append(
            PerformanceView(
                p.seat_id,
                root.pk,
                root.title or root.project_ref,
                p.seat.meeting_start,
                p.attendance,
                ATTENDANCE_LABELS_ZH.get(p.attendance, p.attendance),
                p.evaluation_minutes,
                p.score_deviation,
                p.complaints,
                p.rating,
                p.notes,
                p.version,
            )
        )
    return performance_summary(expert_id), rows

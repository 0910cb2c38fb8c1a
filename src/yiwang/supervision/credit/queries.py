"""Reads of the credit context.

For other contexts (no actor: they gate their own acts with it):

- :func:`is_restricted` — ``is_restricted(entity_id, on=..., action="bidding") -> Restriction``: is the entity
  barred from an act by a sanction in force (失信联合惩戒), and why (each reason names the record, the authority,
  the decision and its basis, the period);
- :func:`grade_of` — the entity's credit grade on a day, with the contributions that explain it.

For people (always restricted by the actor):

- the public (anyone) sees the published records only (:func:`get_profile_for` / :func:`search_public`);
- users of an entity see every record about their entity, its grade and its repair requests;
- regulators, trading-centre staff and auditors see the records and repair requests of their regions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from yiwang.kernel.ids import region_level
from yiwang.kernel.periods import local_date
from yiwang.registry import queries as registry
from yiwang.supervision.credit import policy
from yiwang.supervision.credit.actions import facts_of, today
from yiwang.supervision.credit.domain import grading
from yiwang.supervision.credit.domain import records as rules
from yiwang.supervision.credit.domain.records import (
    CONFINED_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    STATUS_LABELS,
    ConfinedAction,
    Kind,
)
from yiwang.supervision.credit.models import CreditCheck, CreditRecord, RepairRequest

READERS = (Role.REGULATOR, Role.STAFF, Role.AUDITOR)
MAX_PAGE = 200


def _day(on: date | datetime | None) -> date:
    if on is None:
        return today()
    if isinstance(on, datetime):
        return local_date(on)
    return on


# -- for other contexts ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One sanction in force: what it is, who decided it, on which basis, for how long."""

    record_id: int
    kind: str
    kind_label: str
    title: str
    authority: str
    decision_number: str
    basis: str
    starts_on: date
    ends_on: date | None
    actions: tuple[str, ...]

    @property
    def ref(self) -> str:
        return f"supervision.credit:{self.record_id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "title": self.title,
            "authority": self.authority,
            "decision_number": self.decision_number,
            "basis": self.basis,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
            "actions": list(self.actions),
        }


@dataclass(frozen=True)
class Restriction:
    entity_id: int
    action: str
    on: date
    reasons: tuple[Reason, ...] = ()

    @property
    def restricted(self) -> bool:
        return bool(self.reasons)

    def __bool__(self) -> bool:
        return self.restricted


def _negative_rows(entity_id: int) -> QuerySet[CreditRecord]:
    return CreditRecord.objects.filter(
        entity_id=entity_id, kind__in=[k.value for k in rules.NEGATIVE], status__in=["active", "repaired"]
    ).order_by("pk")


def is_restricted(entity_id: int, *, on: date | datetime | None = None, action: str = "bidding") -> Restriction:
    """Is ``entity_id`` barred from ``action`` (``bidding`` | ``auction`` | ``registration`` | ``agency``) on
    ``on`` (a day, or an instant read in Shanghai time; default today)? ``bool(result)`` is the answer and
    ``result.reasons`` the records behind it, oldest first. Unknown actions raise ``ValueError``."""
    if action not in set(ConfinedAction):
        raise ValueError(f"unknown restricted action {action!r}")
    day = _day(on)
    reasons = tuple(
        _reason(r) for r in _negative_rows(entity_id) if rules.restriction_in_force(facts_of(r), action, day)
    )
    return Restriction(entity_id=entity_id, action=action, on=day, reasons=reasons)


def restricted_entities(action: str, first: date, last: date) -> dict[int, list[tuple[date, date | None]]]:
    """Every entity barred from ``action`` on some day of ``first``…``last``, with the periods of the records
    behind it (for gates that screen many at once, such as the expert draw)."""
    if action not in set(ConfinedAction):
        raise ValueError(f"unknown restricted action {action!r}")
    found: dict[int, list[tuple[date, date | None]]] = {}
    rows = CreditRecord.objects.filter(
        kind__in=[k.value for k in rules.NEGATIVE], status__in=["active", "repaired"], starts_on__lte=last
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
    for r in rows.order_by("pk"):
        facts = facts_of(r)
        if rules.restriction_touches(facts, action, first, last):
            found.setdefault(r.entity_id, []).append((facts.starts_on, facts.ends_on))
    return found


def get_restriction_for(
    actor: Actor, entity_id: int, *, on: date | datetime | None = None, action: str = "bidding"
) -> Restriction:
    """:func:`is_restricted` for people: the entity's own users and officers or auditors of any region (joint
    sanctions bind every region). Others get ``credit.forbidden``; an unknown action ``credit.action_invalid``."""
    if not (actor.is_system or actor.acts_for(entity_id) or actor.has_role(*READERS)):
        if not actor.is_authenticated:
            raise NotAuthenticated("credit.sign_in_required", "请先登录", "Sign in first")
        raise PermissionDenied("credit.forbidden", "无权查询限制情况", "You may not query restrictions", {})
    if action not in set(ConfinedAction):
        raise InvalidInput(
            "credit.action_invalid",
            "限制事项无效",
            f"action must be one of {[a.value for a in ConfinedAction]}",
            {"field": "action"},
        )
    if registry.get_entity_ref(entity_id) is None:
        raise NotFound("credit.entity_not_found", "主体库中没有该市场主体", "No such market entity", {"id": entity_id})
    return is_restricted(entity_id, on=on, action=action)


def _reason(r: CreditRecord) -> Reason:
    return Reason(
        record_id=r.pk,
        kind=r.kind,
        kind_label=KIND_LABELS.get(r.kind, r.kind),
        title=r.title,
        authority=r.authority,
        decision_number=r.decision_number,
        basis=r.basis,
        starts_on=r.starts_on,
        ends_on=r.ends_on,
        actions=tuple(r.confined_actions),
    )


def grade_of(entity_id: int, *, on: date | datetime | None = None) -> grading.GradeResult:
    """The entity's grade on ``on`` from all its records (platform scoring, docs/credit.md §Grades)."""
    rows = CreditRecord.objects.filter(entity_id=entity_id).order_by("pk")
    return grading.compute([(str(r.pk), facts_of(r)) for r in rows], _day(on), policy.grade_policy())


# -- views for people -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordView:
    id: int
    entity_id: int
    subject_code: str
    subject_name: str
    kind: str
    kind_label: str
    severity: str
    severity_label: str
    level: str
    level_label: str
    title: str
    facts: str
    decision_number: str
    authority: str
    basis: str
    source: str
    source_label: str
    source_ref: str
    decided_on: date
    starts_on: date
    ends_on: date | None
    confined_actions: tuple[str, ...]
    confined_labels: tuple[str, ...]
    region_code: str
    public_until: date | None
    repairable_from: date | None
    publication_rules: dict[str, Any]
    status: str
    status_label: str
    status_reason: str
    is_public: bool
    in_force: bool
    recorded_at: datetime
    version: int
    full: bool  # False: the public view (no recorder, no internal source reference)


def _view(r: CreditRecord, *, day: date, full: bool) -> RecordView:
    facts = facts_of(r)
    return RecordView(
        id=r.pk,
        entity_id=r.entity_id,
        subject_code=r.subject_code,
        subject_name=r.subject_name,
        kind=r.kind,
        kind_label=KIND_LABELS.get(r.kind, r.kind),
        severity=r.severity,
        severity_label=SEVERITY_LABELS.get(r.severity, ""),
        level=r.level,
        level_label=LEVEL_LABELS.get(r.level, ""),
        title=r.title,
        facts=r.facts,
        decision_number=r.decision_number,
        authority=r.authority,
        basis=r.basis,
        source=r.source,
        source_label=SOURCE_LABELS.get(r.source, r.source),
        source_ref=r.source_ref if full else "",
        decided_on=r.decided_on,
        starts_on=r.starts_on,
        ends_on=r.ends_on,
        confined_actions=tuple(r.confined_actions),
        confined_labels=tuple(CONFINED_LABELS.get(a, a) for a in r.confined_actions),
        region_code=r.region_code,
        public_until=r.public_until,
        repairable_from=r.repairable_from,
        publication_rules=r.publication_rules if full else {},
        status=r.status,
        status_label=STATUS_LABELS.get(r.status, r.status),
        status_reason=r.status_reason if full else "",
        is_public=rules.is_public(facts, day),
        in_force=rules.in_period(facts, day) and r.status in ("active", "repaired"),
        recorded_at=r.recorded_at,
        version=r.version,
        full=full,
    )


def _scope_q(actor: Actor, field_name: str = "region_code") -> Q:
    """Rows the actor reads in full: their regions (officers, auditors) or their own entities."""
    if actor.is_system:
        return Q()
    q = Q(pk__in=[])
    for scope in actor.region_scopes(*READERS):
        length = {"province": 2, "prefecture": 4, "county": 6}[region_level(scope)]
        q |= Q(**{f"{field_name}__startswith": scope[:length]})
    own = actor.entity_ids()
    if own:
        q |= Q(entity_id__in=sorted(own))
    return q


def may_read_records(actor: Actor) -> bool:
    return actor.is_system or bool(actor.region_scopes(*READERS))


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    limit: int
    offset: int


def list_records_for(
    actor: Actor,
    *,
    entity_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Records in full that ``actor`` may read (officers: their regions; entity users: their entities),
    newest decision first. Everyone else gets an empty page (the public uses :func:`get_profile_for`)."""
    limit, offset = max(1, min(int(limit), MAX_PAGE)), max(0, int(offset))
    qs = CreditRecord.objects.filter(_scope_q(actor))
    if entity_id is not None:
        qs = qs.filter(entity_id=entity_id)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    total = qs.count()
    day = today()
    rows = [_view(r, day=day, full=True) for r in qs.order_by("-decided_on", "-pk")[offset : offset + limit]]
    return Page(rows, total, limit, offset)


def get_record_for(actor: Actor, record_id: int) -> RecordView:
    """One record: in full for those who read it in full, the public view of a published record for anyone
    else, and ``credit.record_not_found`` otherwise (existence is not revealed)."""
    day = today()
    row = CreditRecord.objects.filter(pk=record_id).first()
    if row is not None:
        if CreditRecord.objects.filter(_scope_q(actor), pk=record_id).exists():
            return _view(row, day=day, full=True)
        if rules.is_public(facts_of(row), day):
            return _view(row, day=day, full=False)
    raise NotFound("credit.record_not_found", "没有该信用记录", "No such credit record", {"id": record_id})


@dataclass(frozen=True)
class Profile:
    entity_id: int
    name: str
    uscc: str | None
    region_code: str
    records: list[RecordView]
    blacklisted: bool  # on a black list in force (published)
    redlisted: bool
    restrictions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # full readers only
    grade: dict[str, Any] | None = None  # full readers only
    full: bool = False


def get_profile_for(actor: Actor, entity_id: int, *, on: date | None = None) -> Profile:
    """信用信息 of one entity: the published records for anyone; every record, the grade and the restrictions
    in force for its own users and for officers over its region."""
    entity = registry.get_entity_ref(entity_id)
    if entity is None:
        raise NotFound("credit.entity_not_found", "主体库中没有该市场主体", "No such market entity", {"id": entity_id})
    day = on or today()
    full = (
        actor.is_system
        or actor.acts_for(entity_id)
        or any(_covers(scope, entity.region_code) for scope in actor.region_scopes(*READERS))
    )
    rows = list(CreditRecord.objects.filter(entity_id=entity_id).order_by("-decided_on", "-pk"))
    if full:
        views = [_view(r, day=day, full=True) for r in rows]
    else:
        views = [_view(r, day=day, full=False) for r in rows if rules.is_public(facts_of(r), day)]
    public = [v for v in views if v.is_public]
    profile = Profile(
        entity_id=entity.id,
        name=entity.name,
        uscc=entity.uscc,
        region_code=entity.region_code,
        records=views,
        blacklisted=any(v.kind == Kind.BLACKLIST for v in public),
        redlisted=any(v.kind == Kind.REDLIST for v in public),
        full=full,
    )
    if full:
        restrictions = {
            a.value: [r.as_json() for r in is_restricted(entity_id, on=day, action=a).reasons] for a in ConfinedAction
        }
        result = grade_of(entity_id, on=day)
        label = policy.grade_policy().labels.get(result.grade, result.grade)
        profile = Profile(
            **{**profile.__dict__, "restrictions": restrictions, "grade": {**result.as_json(), "label": label}}
        )
    return profile


def _covers(scope: str, code: str) -> bool:
    length = {"province": 2, "prefecture": 4, "county": 6}[region_level(scope)]
    return code[:length] == scope[:length]


def search_public(actor: Actor, q: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """公共信用信息查询: entities by name or USCC, each with its count of published records today."""
    text = (q or "").strip()
    if not text:
        return []
    found = registry.search_entities_for(actor, text, limit=limit).items
    day = today()
    out = []
    by_entity: dict[int, list[CreditRecord]] = {}
    for r in CreditRecord.objects.filter(entity_id__in=[e.id for e in found], status="active"):
        by_entity.setdefault(r.entity_id, []).append(r)
    for e in found:
        public = [r for r in by_entity.get(e.id, []) if rules.is_public(facts_of(r), day)]
        out.append(
            {
                "entity_id": e.id,
                "name": e.name,
                "uscc": e.uscc,
                "region_name": e.region_name,
                "published": len(public),
                "blacklisted": any(r.kind == Kind.BLACKLIST for r in public),
                "redlisted": any(r.kind == Kind.REDLIST for r in public),
            }
        )
    return out


# -- repair requests --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepairView:
    id: int
    record_id: int
    record_title: str
    entity_id: int
    subject_name: str
    region_code: str
    reason: str
    commitment: str
    status: str
    status_label: str
    filed_at: datetime
    due_at: datetime
    due_rule: dict[str, Any]
    overdue: bool
    decided_at: datetime | None
    decision_reason: str
    decided_late: bool
    version: int


def _repair_view(r: RepairRequest, moment: datetime) -> RepairView:
    return RepairView(
        id=r.pk,
        record_id=r.record_id,
        record_title=r.record.title,
        entity_id=r.entity_id,
        subject_name=r.record.subject_name,
        region_code=r.region_code,
        reason=r.reason,
        commitment=r.commitment,
        status=r.status,
        status_label=RepairRequest.STATUSES.get(r.status, r.status),
        filed_at=r.filed_at,
        due_at=r.due_at,
        due_rule=r.due_rule,
        overdue=r.status == RepairRequest.PENDING and moment >= r.due_at,
        decided_at=r.decided_at,
        decision_reason=r.decision_reason,
        decided_late=r.decided_late,
        version=r.version,
    )


def list_repairs_for(actor: Actor, *, status: str | None = None, limit: int = 50) -> list[RepairView]:
    """Repair requests the actor may see (officers: their regions; entity users: their own), pending first
    by due time."""
    from yiwang.platform.clock import now

    qs = RepairRequest.objects.filter(_scope_q(actor)).select_related("record")
    if status:
        qs = qs.filter(status=status)
    moment = now()
    rows = qs.order_by("status", "due_at", "pk")[: max(1, min(int(limit), MAX_PAGE))]
    return [_repair_view(r, moment) for r in rows]


def get_repair_for(actor: Actor, repair_id: int) -> RepairView:
    from yiwang.platform.clock import now

    row = RepairRequest.objects.filter(_scope_q(actor), pk=repair_id).select_related("record").first()
    if row is None:
        raise NotFound("credit.repair_not_found", "没有该修复申请", "No such repair request", {"id": repair_id})
    return _repair_view(row, now())


# -- external checks --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckView:
    id: int
    entity_id: int
    subject_code: str
    subject_name: str
    checkpoint: str
    owner_ref: str
    checked_at: datetime
    answers: list[dict[str, Any]]
    hit_count: int
    unavailable: int
    digest: str


def list_checks_for(actor: Actor, entity_id: int, *, limit: int = 20) -> list[CheckView]:
    """The external checks of an entity, newest first: for officers and auditors of any region and the entity's
    own users (others get an empty list)."""
    if not (actor.is_system or actor.has_role(*READERS) or actor.acts_for(entity_id)):
        return []
    rows = CreditCheck.objects.filter(entity_id=entity_id).order_by("-checked_at", "-pk")[: max(1, min(limit, 100))]
    return [_check_view(c) for c in rows]


def get_check_for(actor: Actor, check_id: int) -> CheckView:
    c = CreditCheck.objects.filter(pk=check_id).first()
    if c is None or not (actor.is_system or actor.has_role(*READERS) or actor.acts_for(c.entity_id)):
        raise NotFound("credit.check_not_found", "没有该核查记录", "No such check", {"id": check_id})
    return _check_view(c)


def _check_view(c: CreditCheck) -> CheckView:
    return CheckView(
        id=c.pk,
        entity_id=c.entity_id,
        subject_code=c.subject_code,
        subject_name=c.subject_name,
        checkpoint=c.checkpoint,
        owner_ref=c.owner_ref,
        checked_at=c.checked_at,
        answers=list(c.answers),
        hit_count=c.hit_count,
        unavailable=c.unavailable,
        digest=c.digest,
    )

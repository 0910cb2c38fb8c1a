"""Reads of the registry, restricted by the acting user.

Everyone may look entities up (the registry is public: 一地注册、区域通用). What they see depends on who
they are:

- the public and other entities see the public fields: name, USCC, kind, region, roles, status, the business
  licence data an organisation's register publishes anyway (legal representative's name, address, capital,
  establishment date, nature, scope), valid qualifications, personnel names (no identity numbers) and the
  basic account masked to its last 4 digits; a natural person's profile shows name, kind, region, roles and
  status only;
- the entity's own users, trading-centre staff, regulators, auditors and the platform see everything.

Other contexts refer to entities by id or USCC and read them here; they never copy a registration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import NotFound, PermissionDenied
from yiwang.kernel.periods import local_date
from yiwang.platform.clock import now
from yiwang.registry.domain.official import OfficialRecord
from yiwang.registry.domain.rules import (
    QUALIFICATION_STATUS_LABELS,
    is_in_force,
    mask_account_number,
    mask_id_number,
    normalise_name,
    qualification_status,
)
from yiwang.registry.models import (
    BankAccount,
    Entity,
    EntityChange,
    EntityKind,
    EntityRole,
    EntityStatus,
    Personnel,
    Qualification,
)
from yiwang.registry.sources import authoritative_source
from yiwang.registry.validation import (
    T_ID_DOCUMENT,
    T_NATURE,
    T_PARTY_ROLE,
    T_PERSONNEL_ROLE,
    T_PRACTISING,
    T_QUALIFICATION,
)

MAX_PAGE = 100
PRIVILEGED_ROLES = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)


# -- views ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntityRef:
    """The public summary of an entity: what anyone may see and what other contexts keep a reference to."""

    id: int
    kind: str
    kind_label: str
    uscc: str | None
    name: str
    region_code: str
    region_name: str
    status: str
    status_label: str
    roles: tuple[str, ...]
    role_labels: tuple[str, ...]

    @property
    def is_active(self) -> bool:
        return self.status == EntityStatus.ACTIVE


@dataclass(frozen=True)
class BankAccountView:
    id: int
    bank_name: str
    branch_name: str
    account_name: str
    account_number: str  # masked (****1234) unless the viewer is privileged
    permit_number: str | None
    valid_from: datetime
    valid_to: datetime | None
    masked: bool


@dataclass(frozen=True)
class EntityView(EntityRef):
    """An entity as ``actor`` may see it. ``full`` tells whether the private fields are filled in; when it is
    false they are ``None``."""

    full: bool = False
    version: int = 1
    id_document_type: str | None = None
    id_number: str | None = None
    legal_rep_name: str | None = None
    legal_rep_id_type: str | None = None
    legal_rep_id_number: str | None = None
    address: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    registered_capital_fen: int | None = None
    established_on: date | None = None
    enterprise_nature: str | None = None
    enterprise_nature_label: str | None = None
    business_scope: str | None = None
    verified_source: str = ""
    verified_at: datetime | None = None
    registered_at: datetime | None = None
    updated_at: datetime | None = None
    basic_account: BankAccountView | None = None
    can_manage: bool = False


@dataclass(frozen=True)
class QualificationView:
    id: int
    entity_id: int
    qualification_type: str
    qualification_type_label: str
    certificate_no: str
    level: str
    scope: str
    issuing_authority: str
    valid_from: date | None
    valid_to: date | None
    status: str
    status_label: str
    in_force: bool
    withdrawn_at: datetime | None
    version: int


@dataclass(frozen=True)
class CertificateView:
    certificate_type: str
    certificate_type_label: str
    number: str
    specialty: str
    valid_to: date | None


@dataclass(frozen=True)
class PersonnelView:
    id: int
    entity_id: int
    name: str
    personnel_role: str
    personnel_role_label: str
    title: str
    is_active: bool
    id_document_type: str | None  # None for viewers who may not see identity documents
    id_number: str | None  # full for privileged viewers, masked for others
    certificates: tuple[CertificateView, ...] = field(default=())
    version: int = 1


@dataclass(frozen=True)
class ChangeView:
    version: int
    action: str
    field: str
    old_value: Any
    new_value: Any
    note: str
    actor_ref: str
    actor_label: str
    changed_at: datetime


@dataclass(frozen=True)
class SearchResult:
    total: int
    items: list[EntityRef]
    limit: int
    offset: int


# -- who sees what -----------------------------------------------------------------------------------------------


def sees_everything(actor: Actor, entity_id: int) -> bool:
    """The entity's own users, staff, regulators, auditors and the platform see every field."""
    return actor.is_system or actor.acts_for(entity_id) or actor.has_role(*PRIVILEGED_ROLES)


def may_manage(actor: Actor, entity: Entity | EntityRef) -> bool:
    """May ``actor`` change this registration? (entity administrators and regional staff)"""
    return (
        actor.is_system
        or actor.acts_for(entity.id if isinstance(entity, EntityRef) else entity.pk, admin=True)
        or actor.covers_region(entity.region_code, Role.STAFF)
    )


# -- labels --------------------------------------------------------------------------------------------------


class _Labels:
    """Labels of code-table values and region names, each table read once per query (lists stay at a
    constant number of queries however many rows they show)."""

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, str]] = {}
        self._regions: dict[str, str] | None = None

    def code(self, table: str, code: str) -> str:
        if not code:
            return ""
        if table not in self._tables:
            self._tables[table] = {e.code: e.label_zh for e in catalog.code_entries(table)}
        return self._tables[table].get(code, code)

    def region(self, code: str) -> str:
        """The name of a region code; a code no longer valid keeps its last name."""
        if self._regions is None:
            self._regions = {}
            day = _today()
            for info in catalog.list_all_regions():  # ordered by code, then validity: the current one wins
                if info.code not in self._regions or info.valid_on(day):
                    self._regions[info.code] = info.name
        return self._regions.get(code, code)


def _code_label(table: str, code: str) -> str:
    return _Labels().code(table, code)


def _ref(entity: Entity, labels: _Labels | None = None) -> EntityRef:
    labels = labels or _Labels()
    roles = sorted(r.role for r in entity.roles.all())
    return EntityRef(
        id=entity.pk,
        kind=entity.kind,
        kind_label=EntityKind(entity.kind).label,
        uscc=entity.uscc,
        name=entity.name,
        region_code=entity.region_code,
        region_name=labels.region(entity.region_code),
        status=entity.status,
        status_label=EntityStatus(entity.status).label,
        roles=tuple(roles),
        role_labels=tuple(labels.code(T_PARTY_ROLE, r) for r in roles),
    )


def _ref_fields(ref: EntityRef) -> dict[str, Any]:
    return {f: getattr(ref, f) for f in EntityRef.__dataclass_fields__}


def _account_view(account: BankAccount, *, full: bool) -> BankAccountView:
    return BankAccountView(
        id=account.pk,
        bank_name=account.bank_name,
        branch_name=account.branch_name,
        account_name=account.account_name,
        account_number=account.account_number if full else mask_account_number(account.account_number),
        permit_number=account.permit_number if full else None,
        valid_from=account.valid_from,
        valid_to=account.valid_to,
        masked=not full,
    )


def _entity_view(actor: Actor, entity: Entity) -> EntityView:
    full = sees_everything(actor, entity.pk)
    organisation = entity.kind != EntityKind.NATURAL_PERSON
    public_licence = full or organisation
    current = entity.bank_accounts.filter(valid_to__isnull=True).first()
    return EntityView(
        **_ref_fields(_ref(entity)),
        full=full,
        version=entity.version,
        id_document_type=entity.id_document_type if full else None,
        id_number=entity.id_number if full else None,
        legal_rep_name=entity.legal_rep_name if public_licence else None,
        legal_rep_id_type=entity.legal_rep_id_type if full else None,
        legal_rep_id_number=entity.legal_rep_id_number if full else None,
        address=entity.address if public_licence else None,
        contact_name=entity.contact_name if full else None,
        contact_phone=entity.contact_phone if full else None,
        contact_email=entity.contact_email if full else None,
        registered_capital_fen=entity.registered_capital_fen if public_licence else None,
        established_on=entity.established_on if public_licence else None,
        enterprise_nature=entity.enterprise_nature if public_licence else None,
        enterprise_nature_label=_code_label(T_NATURE, entity.enterprise_nature) if public_licence else None,
        business_scope=entity.business_scope if public_licence else None,
        verified_source=entity.verified_source,
        verified_at=entity.verified_at,
        registered_at=entity.registered_at,
        updated_at=entity.updated_at,
        basic_account=_account_view(current, full=full) if current else None,
        can_manage=may_manage(actor, entity),
    )


# -- entities ---------------------------------------------------------------------------------------------------


def _get(entity_id: int) -> Entity:
    entity = Entity.objects.filter(pk=entity_id).prefetch_related("roles").first()
    if entity is None:
        raise NotFound(
            "registry.entity_not_found", "未找到该市场主体", "No such market entity", {"entity_id": entity_id}
        )
    return entity


def get_entity_for(actor: Actor, entity_id: int) -> EntityView:
    """The entity as ``actor`` may see it; ``NotFound registry.entity_not_found`` when there is none."""
    return _entity_view(actor, _get(entity_id))


def get_entity_ref(entity_id: int) -> EntityRef | None:
    """The public summary of an entity (for other contexts: names on notices, bidder lists …)."""
    entity = Entity.objects.filter(pk=entity_id).prefetch_related("roles").first()
    return _ref(entity) if entity else None


def get_entity_refs(entity_ids: list[int]) -> dict[int, EntityRef]:
    """Public summaries of several entities at once, by id."""
    labels = _Labels()
    return {e.pk: _ref(e, labels) for e in Entity.objects.filter(pk__in=entity_ids).prefetch_related("roles")}


def find_entity_by_uscc(code: str) -> EntityRef | None:
    """The entity registered with this USCC (normalised: stripped, upper-case), if any."""
    entity = Entity.objects.filter(uscc=code.strip().upper()).prefetch_related("roles").first()
    return _ref(entity) if entity else None


def natural_person_id_numbers(entity_ids: list[int]) -> dict[int, str]:
    """The identity numbers of the natural persons among ``entity_ids`` (for sanctions that follow a person
    wherever they act, e.g. as an evaluation expert). Not for display: callers match, they do not show."""
    rows = Entity.objects.filter(pk__in=entity_ids, kind="natural_person", id_number__isnull=False)
    return dict(rows.values_list("pk", "id_number"))


def registrant_of(entity_id: int) -> str | None:
    """The actor ref (``account:12``) that registered the entity, or ``None`` for an unknown entity."""
    return Entity.objects.filter(pk=entity_id).values_list("registered_by", flat=True).first()


def entity_version(entity_id: int) -> int | None:
    """The current version of an entity (its ETag), or None."""
    return Entity.objects.filter(pk=entity_id).values_list("version", flat=True).first()


def _clamp(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(int(limit), MAX_PAGE)), max(0, int(offset))


def search_entities_for(
    actor: Actor,
    q: str = "",
    region: str | None = None,
    role: str | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
    include_inactive: bool = False,
) -> SearchResult:
    """Find entities by name (part of it) or USCC, in a region (``310000`` = all of Shanghai, ``310112`` =
    闵行), playing a role. Cancelled entities are left out unless ``include_inactive``; natural persons are
    listed only to officials and to their own users. Public summaries only."""
    limit, offset = _clamp(limit, offset)
    qs: QuerySet[Entity] = Entity.objects.all()
    text = (q or "").strip()
    if text:
        key = normalise_name(text)
        qs = qs.filter(Q(name_key__icontains=key) | Q(uscc__startswith=text.upper()))
    if region:
        code = region.strip()
        if code.endswith("0000"):
            qs = qs.filter(region_code__startswith=code[:2])
        elif code.endswith("00"):
            qs = qs.filter(region_code__startswith=code[:4])
        else:
            qs = qs.filter(region_code=code)
    if role:
        qs = qs.filter(pk__in=EntityRole.objects.filter(role=role).values("entity_id"))
    if not include_inactive:
        qs = qs.exclude(status=EntityStatus.CANCELLED)
    if not (actor.is_system or actor.has_role(*PRIVILEGED_ROLES)):
        # Natural persons are not listed to the public (personal data); their own users still find them.
        qs = qs.exclude(Q(kind=EntityKind.NATURAL_PERSON) & ~Q(pk__in=list(actor.entity_ids())))
    total = qs.count()
    page = list(qs.order_by("name_key", "pk").prefetch_related("roles")[offset : offset + limit])
    labels = _Labels()
    return SearchResult(total=total, items=[_ref(e, labels) for e in page], limit=limit, offset=offset)


def list_entities_of(actor: Actor) -> list[EntityRef]:
    """The entities ``actor`` acts for (as a market-entity user or agency)."""
    ids = actor.entity_ids()
    if not ids:
        return []
    labels = _Labels()
    qs = Entity.objects.filter(pk__in=ids).order_by("name_key", "pk").prefetch_related("roles")
    return [_ref(e, labels) for e in qs]


# -- 零提供 -------------------------------------------------------------------------------------------------------


def lookup_official_record(uscc: str) -> OfficialRecord | None:
    """What the authoritative source says about ``uscc`` (already validated), or None."""
    return authoritative_source().lookup(uscc)


# -- qualifications ---------------------------------------------------------------------------------------------


def _today() -> date:
    return local_date(now())


def _qualification_view(q: Qualification, on: date, labels: _Labels) -> QualificationView:
    status = qualification_status(q.valid_from, q.valid_to, on, withdrawn=q.withdrawn_at is not None)
    return QualificationView(
        id=q.pk,
        entity_id=q.entity_id,
        qualification_type=q.qualification_type,
        qualification_type_label=labels.code(T_QUALIFICATION, q.qualification_type),
        certificate_no=q.certificate_no,
        level=q.level,
        scope=q.scope,
        issuing_authority=q.issuing_authority,
        valid_from=q.valid_from,
        valid_to=q.valid_to,
        status=status.value,
        status_label=QUALIFICATION_STATUS_LABELS[status],
        in_force=is_in_force(status),
        withdrawn_at=q.withdrawn_at,
        version=q.version,
    )


def list_valid_qualifications(
    entity_id: int, on: date | None = None, *, qualification_type: str | None = None
) -> list[QualificationView]:
    """The qualifications of an entity in force on day ``on`` (default: today in Shanghai): not withdrawn,
    started, and not past their last day. For tendering (资格审查)."""
    day = on or _today()
    qs = Qualification.objects.filter(entity_id=entity_id, withdrawn_at__isnull=True).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day)
    )
    if qualification_type:
        qs = qs.filter(qualification_type=qualification_type)
    labels = _Labels()
    return [_qualification_view(q, day, labels) for q in qs.order_by("qualification_type", "pk")]


def list_qualifications_for(actor: Actor, entity_id: int, on: date | None = None) -> list[QualificationView]:
    """Privileged viewers get every qualification (expired and withdrawn too); others the valid ones."""
    _get(entity_id)
    day = on or _today()
    if not sees_everything(actor, entity_id):
        return list_valid_qualifications(entity_id, day)
    qs = Qualification.objects.filter(entity_id=entity_id).order_by("withdrawn_at", "qualification_type", "pk")
    labels = _Labels()
    return [_qualification_view(q, day, labels) for q in qs]


def get_qualification_for(actor: Actor, entity_id: int, qualification_id: int) -> QualificationView:
    views = {q.id: q for q in list_qualifications_for(actor, entity_id)}
    if qualification_id not in views:
        raise NotFound(
            "registry.qualification_not_found",
            "未找到该资质",
            "No such qualification",
            {"qualification_id": qualification_id},
        )
    return views[qualification_id]


# -- personnel ---------------------------------------------------------------------------------------------------


def _personnel_view(p: Personnel, *, full: bool, labels: _Labels) -> PersonnelView:
    return PersonnelView(
        id=p.pk,
        entity_id=p.entity_id,
        name=p.name,
        personnel_role=p.personnel_role,
        personnel_role_label=labels.code(T_PERSONNEL_ROLE, p.personnel_role),
        title=p.title,
        is_active=p.is_active,
        id_document_type=p.id_document_type if full else None,
        id_number=p.id_number if full else mask_id_number(p.id_number),
        certificates=tuple(
            CertificateView(
                certificate_type=c.certificate_type,
                certificate_type_label=labels.code(T_PRACTISING, c.certificate_type),
                number=c.number,
                specialty=c.specialty,
                valid_to=c.valid_to,
            )
            for c in p.certificates.all()
        ),
        version=p.version,
    )


def list_personnel_for(actor: Actor, entity_id: int, *, include_inactive: bool = False) -> list[PersonnelView]:
    """Key personnel. Identity numbers in full for privileged viewers, masked for everyone else; removed
    people are listed for privileged viewers who ask for them."""
    _get(entity_id)
    full = sees_everything(actor, entity_id)
    qs = Personnel.objects.filter(entity_id=entity_id).prefetch_related("certificates")
    if not (include_inactive and full):
        qs = qs.filter(is_active=True)
    labels = _Labels()
    return [_personnel_view(p, full=full, labels=labels) for p in qs.order_by("-is_active", "pk")]


def get_personnel_for(actor: Actor, entity_id: int, personnel_id: int) -> PersonnelView:
    for p in list_personnel_for(actor, entity_id, include_inactive=True):
        if p.id == personnel_id:
            return p
    raise NotFound("registry.personnel_not_found", "未找到该人员", "No such person", {"personnel_id": personnel_id})


def id_document_label(code: str) -> str:
    return _code_label(T_ID_DOCUMENT, code)


def code_label(table: str, code: str) -> str:
    """The Chinese label of a catalogue code (the code itself when unknown)."""
    return _code_label(table, code)


# -- the basic account ----------------------------------------------------------------------------------------------


def get_basic_account(entity_id: int, on: datetime | None = None) -> BankAccountView | None:
    """The basic deposit account in force at instant ``on`` (default: now), unmasked.

    For checks made by the platform itself, e.g. "the deposit must come from the bidder's registered basic
    account"; never show its result to someone who may not see it (use :func:`get_entity_for`)."""
    moment = on or now()
    account = (
        BankAccount.objects.filter(entity_id=entity_id, valid_from__lte=moment)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=moment))
        .order_by("-valid_from", "-pk")
        .first()
    )
    return _account_view(account, full=True) if account else None


def list_bank_accounts_for(actor: Actor, entity_id: int) -> list[BankAccountView]:
    """The history of the basic account (newest first): privileged viewers only."""
    _get(entity_id)
    if not sees_everything(actor, entity_id):
        raise PermissionDenied(
            "registry.forbidden", "无权查看该主体的账户历史", "Not allowed to see this entity's account history"
        )
    qs = BankAccount.objects.filter(entity_id=entity_id).order_by("-valid_from", "-pk")
    return [_account_view(a, full=True) for a in qs]


# -- history -------------------------------------------------------------------------------------------------------


def list_entity_changes_for(actor: Actor, entity_id: int, *, limit: int = 200, offset: int = 0) -> list[ChangeView]:
    """The entity's change timeline, newest first: the entity's own users and privileged viewers only
    (``PermissionDenied registry.forbidden`` for others)."""
    _get(entity_id)
    if not sees_everything(actor, entity_id):
        raise PermissionDenied(
            "registry.forbidden", "无权查看该主体的变更记录", "Not allowed to see this entity's change history"
        )
    limit, offset = max(1, min(limit, 1000)), max(0, offset)
    rows = EntityChange.objects.filter(entity_id=entity_id).order_by("-version", "-pk")[offset : offset + limit]
    return [
        ChangeView(
            version=r.version,
            action=r.action,
            field=r.field,
            old_value=r.old_value,
            new_value=r.new_value,
            note=r.note,
            actor_ref=r.actor_ref,
            actor_label=r.actor_label,
            changed_at=r.changed_at,
        )
        for r in rows
    ]


# -- code tables the forms offer ---------------------------------------------------------------------------------


def choices(table: str) -> list[tuple[str, str]]:
    """``(code, label)`` pairs of a catalogue code table, for forms."""
    return [(entry.code, entry.label_zh) for entry in catalog.code_entries(table)]


def may_change_status(actor: Actor, entity: EntityRef) -> bool:
    """Suspending, reinstating and cancelling are for staff over the entity's region (and the platform)."""
    return actor.is_system or actor.covers_region(entity.region_code, Role.STAFF)


def region_choices(on: date | None = None) -> list[tuple[str, str]]:
    """Regions valid on ``on`` (default today) for select boxes: each province, then its children indented."""
    out: list[tuple[str, str]] = []
    for province in catalog.list_regions(on=on):
        out.append((province.code, province.name))
        out.extend((child.code, f"　{child.name}") for child in catalog.list_regions(parent=province.code, on=on))
    return out


# -- registrations recognised across hubs (一地注册、区域通用; docs/federation.md) -----------------------------------

COPY_SOURCE_PREFIX = "hub:"  # verified_source of a peer hub's registration held here as a read-only copy
COPY_FIELDS = (
    "name",
    "legal_rep_name",
    "region_code",
    "address",
    "registered_capital_fen",
    "established_on",
    "enterprise_nature",
    "business_scope",
    "roles",
)


def home_hub_of(entity_id: int) -> str | None:
    """The PLATFORM_CODE of the hub an entity is registered on when this hub holds only a copy of it, or None
    (registered here, or unknown)."""
    source = Entity.objects.filter(pk=entity_id).values_list("verified_source", flat=True).first() or ""
    return source[len(COPY_SOURCE_PREFIX) :] if source.startswith(COPY_SOURCE_PREFIX) else None


def entity_registration_snapshot(entity_id: int) -> dict[str, Any] | None:
    """The public registration of an organisation registered on this hub, as peer hubs receive it: its key,
    the public licence fields, roles, status and version. None for natural persons (personal data never leaves
    the hub), for copies of other hubs' registrations (they are not passed on) and for unknown ids."""
    entity = Entity.objects.filter(pk=entity_id).prefetch_related("roles").first()
    if entity is None or entity.kind == EntityKind.NATURAL_PERSON or not entity.uscc:
        return None
    if entity.verified_source.startswith(COPY_SOURCE_PREFIX):
        return None
    snapshot: dict[str, Any] = {
        "home_entity_id": entity.pk,
        "version": entity.version,
        "kind": entity.kind,
        "uscc": entity.uscc,
        "status": entity.status,
        "verified_source": entity.verified_source,
    }
    for name in COPY_FIELDS:
        value = sorted(r.role for r in entity.roles.all()) if name == "roles" else getattr(entity, name)
        snapshot[name] = value.isoformat() if isinstance(value, date) else value
    return snapshot


def list_own_organisation_ids(*, after: int = 0, limit: int = 100) -> list[int]:
    """Ids of the organisations registered on this hub (those ``entity_registration_snapshot`` describes: not
    natural persons, with a USCC, not copies of other hubs' registrations), in id order after ``after``, at
    most ``limit`` (1–1,000): the federation's initial sync walks them when a peer hub first peers."""
    limit = max(1, min(int(limit), 1000))
    rows = (
        Entity.objects.filter(pk__gt=after, uscc__isnull=False)
        .exclude(kind=EntityKind.NATURAL_PERSON)
        .exclude(uscc="")
        .exclude(verified_source__startswith=COPY_SOURCE_PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(rows[:limit])


def entity_parts_snapshot(entity_id: int) -> dict[str, list[dict[str, Any]]]:
    """The qualifications (资质, not withdrawn, with their validity) and active key personnel of an organisation
    registered here, as peer hubs receive them with its registration: identity numbers **masked** (as the
    registry shows them to the public), no practising certificates, no contact details."""
    qualifications = [
        {
            "qualification_type": q.qualification_type,
            "certificate_no": q.certificate_no,
            "level": q.level,
            "scope": q.scope,
            "issuing_authority": q.issuing_authority,
            "valid_from": q.valid_from.isoformat() if q.valid_from else None,
            "valid_to": q.valid_to.isoformat() if q.valid_to else None,
        }
        for q in Qualification.objects.filter(entity_id=entity_id, withdrawn_at__isnull=True).order_by(
            "qualification_type", "certificate_no", "pk"
        )
    ]
    personnel = [
        {
            "name": p.name,
            "personnel_role": p.personnel_role,
            "title": p.title,
            "id_document_type": p.id_document_type,
            "id_number": mask_id_number(p.id_number),
        }
        for p in Personnel.objects.filter(entity_id=entity_id, is_active=True).order_by("pk")
    ]
    return {"qualifications": qualifications, "personnel": personnel}

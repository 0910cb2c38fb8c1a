"""Helpers shared by the tender actions (not a public interface: other contexts use ``actions``/``queries``)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, BinaryIO

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.clock import now
from yiwang.platform.storage import actions as storage
from yiwang.registry import queries as registry
from yiwang.trading.tender.conf import tender_settings
from yiwang.trading.tender.domain import procedures as procedure_rules
from yiwang.trading.tender.domain import schedule
from yiwang.trading.tender.domain.rules import RuleBook
from yiwang.trading.tender.domain.states import S, project_status
from yiwang.trading.tender.models import (
    DocumentDownload,
    Flag,
    Objection,
    Project,
    Question,
    Section,
    SectionEvent,
    TenderDocument,
)

# Bidders' acts before the opening are witnessed under this actor, never under the bidder's own (the witness
# log and the feed must not tell who takes part before the opening record is public).
SEALED = Actor(ActorKind.SYSTEM, "tender", "系统:招标投标（开标前不显示投标人）")
PLATFORM = Actor.system("tender")
OWNER_CONTEXT = "tender.project"
DOCUMENT_LABEL = b"yiwang.tender.document.v1\0"


# -- references ------------------------------------------------------------------------------------
def project_ref(project: Project | int) -> str:
    return f"tender.project:{project if isinstance(project, int) else project.pk}"


def section_ref(section: Section | int) -> str:
    return f"tender.section:{section if isinstance(section, int) else section.pk}"


def round_key(section: Section) -> str:
    """The section's reference for the current round: ``12`` for the first, ``12-r2`` for a re-tender."""
    return str(section.pk) if section.round == 1 else f"{section.pk}-r{section.round}"


def box_owner(section: Section) -> tuple[str, str]:
    return ("tender.section", round_key(section))


def lot_ref_of(section: Section) -> str:
    return f"tender.section:{round_key(section)}"


def evaluation_ref_of(section: Section) -> str:
    return f"tender.section:{round_key(section)}"


def document_owner(project: Project) -> storage.Owner:
    """Documents are owned by the project object, so the archive's storage collector finds them."""
    return storage.Owner(OWNER_CONTEXT, str(project.pk))


# -- the procedure and its rules -------------------------------------------------------------------
def procedure_of(project: Project) -> procedure_rules.Procedure:
    return procedure_rules.from_snapshot(project.procedure_config)


def rulebook(project: Project) -> RuleBook:
    return RuleBook(project.rules, catalog.workday_calendar(), project.acceleration)


# -- who may act -----------------------------------------------------------------------------------
def may_manage(actor: Actor, project: Project) -> bool:
    """The tenderer (招标人/采购人) or its agency (代理机构), or the platform."""
    if actor.is_system:
        return True
    if actor.acts_for(project.tenderer_entity_id):
        return True
    return project.agency_entity_id is not None and actor.acts_for(project.agency_entity_id)


def is_staff_over(actor: Actor, project: Project) -> bool:
    return actor.is_system or actor.covers_region(project.region_code, Role.STAFF)


def oversees(actor: Actor, project: Project) -> bool:
    """Staff, regulators and auditors over the project's region."""
    return actor.is_system or actor.covers_region(project.region_code, Role.STAFF, Role.REGULATOR, Role.AUDITOR)


def forbidden(zh: str, en: str) -> PermissionDenied:
    return PermissionDenied("tender.forbidden", f"您无权{zh}", f"You may not {en}", {})


def require_manage(actor: Actor, project: Project, zh: str, en: str) -> None:
    if not may_manage(actor, project):
        raise forbidden(zh, en)


def require_regulator(actor: Actor, project: Project, zh: str, en: str) -> None:
    """A regulator over the project's region (or the platform)."""
    if not (actor.is_system or actor.covers_region(project.region_code, Role.REGULATOR)):
        raise forbidden(zh, en)


def require_manage_or_staff(actor: Actor, project: Project, zh: str, en: str) -> None:
    if not (may_manage(actor, project) or is_staff_over(actor, project)):
        raise forbidden(zh, en)


def publisher_of(actor: Actor, project: Project) -> int:
    """The entity that publishes the project's notices: the agency when the actor acts for it, else the tenderer."""
    if project.agency_entity_id is not None and actor.acts_for(project.agency_entity_id):
        return project.agency_entity_id
    return project.tenderer_entity_id


def notice_actor(actor: Actor, project: Project) -> Actor:
    """Who publishes a notice on the project's behalf: the acting person when they act for the tenderer or agency,
    otherwise the platform (clock transitions, staff operating the opening)."""
    if not actor.is_system and may_manage(actor, project):
        return actor
    return PLATFORM


# -- loading ---------------------------------------------------------------------------------------
def _int_id(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"tender.{what}_not_found", "未找到该记录", f"no such {what}", {"id": str(value)[:40]}) from None


def get_project(project_id: Any) -> Project:
    row = Project.objects.filter(pk=_int_id(project_id, "project")).first()
    if row is None:
        raise NotFound("tender.project_not_found", "招标项目不存在", "no such project", {"project_id": project_id})
    return row


def get_section(section_id: Any) -> Section:
    row = Section.objects.select_related("project").filter(pk=_int_id(section_id, "section")).first()
    if row is None:
        raise NotFound("tender.section_not_found", "标段（包）不存在", "no such section", {"section_id": section_id})
    return row


# -- the section's clock ---------------------------------------------------------------------------
def section_clock(section: Section) -> schedule.SectionClock:
    pending = (
        Objection.objects.filter(section=section, round=section.round, status="pending", answer_due__isnull=False)
        .order_by("answer_due")
        .values_list("answer_due", flat=True)
        .first()
    )
    flagged = frozenset(
        Flag.objects.filter(section=section, round=section.round, key="").values_list("kind", flat=True)
    )
    return schedule.SectionClock(
        status=section.status,
        suspended=section.suspended_at is not None,
        pq_deadline=section.pq_deadline,
        bid_deadline=section.bid_deadline,
        box_deadline=section.box_deadline,
        decryption_ends_at=section.decryption_ends_at,
        evaluation_poll_at=section.evaluation_poll_at,
        publicity_end=section.publicity_end,
        candidates_due=section.candidates_due,
        award_due=section.award_due,
        contract_due=section.contract_due,
        contract_publication_due=section.contract_publication_due,
        contract_published=section.contract_published_at is not None,
        objection_due=pending,
        flagged=flagged,
        suspension_guard=min(tender_settings().suspension_guard, _guard_cap(section)),
    )


def _guard_cap(section: Section):
    from datetime import timedelta

    return timedelta(days=1) / max(section.project.acceleration, 1)


def save_section(section: Section, *fields: str) -> None:
    """Save ``fields`` (all when none), bump the version and recompute ``next_check`` from the section as saved."""
    section.version += 1
    section.next_check = None
    if fields:
        section.save(update_fields=[*fields, "version"])
    else:
        section.save()
    section.next_check = schedule.next_check(section_clock(section))
    section.save(update_fields=["next_check"])


def move(section: Section, target: S) -> None:
    from yiwang.trading.tender.domain.states import check_transition

    check_transition(section.status, target)
    section.status = target.value


def refresh_project(project: Project, at: datetime) -> str:
    status = project_status(project.published_at is not None, project.sections.values_list("status", flat=True))
    if status.value != project.status:
        project.status = status.value
        project.updated_at = at
        project.version += 1
        project.save(update_fields=["status", "updated_at", "version"])
        if not project.is_test_data:
            from yiwang.trading.tender.search import index_project

            index_project(project)
    return project.status


def add_event(section: Section, kind: str, text: str, at: datetime, *, public: bool = True, notice_id=None) -> None:
    SectionEvent.objects.create(
        section=section, round=section.round, at=at, kind=kind, text=text[:500], public=public, notice_id=notice_id
    )


# -- documents -------------------------------------------------------------------------------------
def platform_seal(sha256_hex: str) -> tuple[str, str]:
    """The platform's signature over a document digest (``yiwang.tender.document.v1``), base64, and its key id."""
    from yiwang.platform import keys

    signature = keys.platform_signer().sign(DOCUMENT_LABEL + bytes.fromhex(sha256_hex))
    return base64.b64encode(signature).decode("ascii"), keys.platform_key_id()


def store_document(
    *,
    actor: Actor,
    project: Project,
    section: Section | None,
    kind: str,
    title: str,
    stream: BinaryIO,
    filename: str,
    storage_kind: str = "tender_document",
    public: bool = False,
    at: datetime,
) -> TenderDocument:
    """Store a file in the document store (owner ``tender.project/<id>``) and keep its digests, sealed by the
    platform key; call inside an action."""
    version = storage.do_store_document(
        actor=actor,
        owner=document_owner(project),
        title=title,
        kind=storage_kind,
        stream=stream,
        filename=filename,
        public=public,
    )
    seal, key_id = platform_seal(version.sha256)
    return TenderDocument.objects.create(
        project=project,
        section=section,
        round=section.round if section is not None else 1,
        kind=kind,
        title=title[:200],
        document_id=version.document.pk,
        version_number=version.number,
        filename=version.filename,
        size=version.size,
        sha256=version.sha256,
        sm3=version.sm3,
        uploaded_at=at,
        uploaded_by=actor.ref,
        public=public,
        platform_signature=seal,
        platform_key_id=key_id,
    )


# -- people to tell --------------------------------------------------------------------------------
def interested_refs(section: Section, *, include_entities: Iterable[int] = ()) -> set[str]:
    """Actor refs of everyone who showed interest in the section's project (downloaded, asked, objected) and of
    the registrants of ``include_entities``; the recipients of clarifications, postponements and results."""
    project_id = section.project_id
    refs: set[str] = set(
        DocumentDownload.objects.filter(document__project_id=project_id)
        .exclude(entity_id__isnull=True)
        .values_list("actor_ref", flat=True)
    )
    refs |= set(Question.objects.filter(project_id=project_id).values_list("actor_ref", flat=True))
    refs |= set(Objection.objects.filter(section__project_id=project_id).values_list("actor_ref", flat=True))
    for entity_id in include_entities:
        ref = registry.registrant_of(entity_id)
        if ref:
            refs.add(ref)
    return {r for r in refs if r.startswith(("account:", "client:"))}


def notify(refs: Iterable[str], *, title: str, body: str, link: str, key: str) -> None:
    """In-site messages (站内信), inside the calling action; each (recipient, key) once."""
    from yiwang.platform.notify import actions as notify_actions

    messages = [
        notify_actions.NewMessage(recipient=ref, title=title[:200], body=body, link=link, category="tender", key=key)
        for ref in sorted(set(refs))
    ]
    if messages:
        notify_actions.do_send_messages(actor=PLATFORM, messages=messages)


# -- small formats ---------------------------------------------------------------------------------
def shanghai(moment: datetime | None) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if moment else "—"


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def yuan(fen: int | None) -> str:
    if fen is None:
        return "—"
    return f"{fen // 100:,}.{fen % 100:02d} 元"


def entity_names(ids: Iterable[int]) -> dict[int, registry.EntityRef]:
    return registry.get_entity_refs(list({int(i) for i in ids}))


def require_entity(entity_id: Any, field: str) -> registry.EntityRef:
    try:
        pk = int(entity_id)
    except (TypeError, ValueError):
        pk = 0
    ref = registry.get_entity_ref(pk) if pk > 0 else None
    if ref is None:
        raise InvalidInput(
            "tender.entity_unknown",
            "主体库中没有该市场主体",
            "no such market entity",
            {"field": field, "value": entity_id},
        )
    if not ref.is_active:
        raise Conflict(
            "tender.entity_inactive",
            f"市场主体“{ref.name}”状态异常，不能参与",
            "the entity is not active",
            {"field": field, "entity_id": pk},
        )
    return ref


def text(value: Any, field: str, *, required: bool = True, limit: int = 500) -> str:
    cleaned = " ".join(str(value or "").split()) if limit <= 500 else str(value or "").strip()
    if (required and not cleaned) or len(cleaned) > limit:
        raise InvalidInput(
            "tender.field_invalid",
            f"“{field}”须填写且不超过{limit}字",
            f"{field} is required and at most {limit} characters",
            {"field": field},
        )
    return cleaned


def aware(value: Any, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput("tender.time_invalid", "时间须带时区", "the time must be timezone-aware", {"field": field})
    return value


def fen(value: Any, field: str, *, allow_zero: bool = True, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (value == 0 and not allow_zero):
        raise InvalidInput(
            "tender.amount_invalid",
            "金额须为非负整数（分）",
            "amounts are non-negative integers of fen",
            {"field": field},
        )
    return value


def clock_now() -> datetime:
    return now()


def json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = iso(value) if isinstance(value, datetime) else value
    return out

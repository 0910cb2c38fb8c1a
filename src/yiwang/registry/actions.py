"""State changes of the registry: the only door to registrations and their parts.

Every action is atomic and witnessed, writes its changes to the entity's timeline (:class:`EntityChange`),
bumps ``Entity.version`` and announces itself on the feed. A refused action leaves nothing behind.

Personal identity numbers never enter a witness payload, an event or the timeline in clear: they are masked
there, and kept in full only on the record itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from yiwang.kernel.ids import validate_region_code_format, validate_uscc
from yiwang.kernel.periods import local_date
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.clock import now
from yiwang.platform.outbox.feed import Visibility
from yiwang.registry import lock_objects
from yiwang.registry.domain.official import differences, merge_prefill, mismatch_error
from yiwang.registry.domain.rules import (
    FieldErrors,
    check_account_name,
    check_validity_dates,
    clean_text,
    mask_account_number,
    mask_id_number,
    normalise_name,
    validate_account_number,
    validate_permit_number,
)
from yiwang.registry.models import (
    BankAccount,
    Entity,
    EntityChange,
    EntityKind,
    EntityRole,
    EntityStatus,
    Personnel,
    PractisingCertificate,
    Qualification,
)
from yiwang.registry.ports import registration_hook, role_gate
from yiwang.registry.queries import COPY_FIELDS, COPY_SOURCE_PREFIX
from yiwang.registry.sources import authoritative_source
from yiwang.registry.validation import (
    KEY_FIELDS,
    PROFILE_FIELDS,
    check_key,
    check_personnel,
    check_profile,
    check_qualification,
)

T = TypeVar("T")
_SENSITIVE = frozenset({"id_number", "legal_rep_id_number"})


# -- helpers ----------------------------------------------------------------------------------------------------------


def _today() -> date:
    return local_date(now())


def _forbidden() -> PermissionDenied:
    return PermissionDenied(
        "registry.forbidden",
        "无权修改该主体的登记信息（须为该主体的管理员或所在区域的交易中心工作人员）",
        "Not allowed to change this entity's registration (entity administrators and regional staff only)",
    )


def _not_found(entity_id: Any) -> NotFound:
    return NotFound("registry.entity_not_found", "未找到该市场主体", "No such market entity", {"entity_id": entity_id})


def can_manage(actor: Actor, entity: Entity) -> bool:
    """Entity administrators, trading-centre staff over the entity's region, and the platform itself."""
    return (
        actor.is_system or actor.acts_for(entity.pk, admin=True) or actor.covers_region(entity.region_code, Role.STAFF)
    )


def _lock_entity(actor: Actor, entity_id: int, *, allow_cancelled: bool = False) -> Entity:
    entity = lock_objects.entity_qs_for_update(entity_id).first()
    if entity is None:
        raise _not_found(entity_id)
    if not can_manage(actor, entity):
        raise _forbidden()
    _refuse_copy(entity)
    if entity.status == EntityStatus.CANCELLED and not allow_cancelled:
        raise Conflict(
            "registry.entity_cancelled",
            "该主体已注销，登记信息不能再修改",
            "This entity is cancelled; its registration can no longer change",
            {"entity_id": entity.pk},
        )
    return entity


class _NoChange(Exception):
    """Raised inside an action whose request changes nothing: the action is rolled back (no witness entry,
    no version bump) and the unchanged object is returned."""

    def __init__(self, obj: Any):
        super().__init__("no change")
        self.obj = obj


def _unchanged_is_fine(fn: Callable[..., T]) -> Callable[..., T]:
    @wraps(fn)
    def run(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except _NoChange as nothing:
            return nothing.obj

    return run


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _shown(field: str, value: Any) -> Any:
    """A value as written to the timeline, witness log and feed (identity numbers masked)."""
    if field in _SENSITIVE and value:
        return mask_id_number(str(value))
    return _json(value)


def _bump(act: ActionRecorder, entity: Entity, rows: list[tuple[str, Any, Any]], note: str = "") -> int:
    """Raise the entity's version and write one timeline row per changed field."""
    entity.version += 1
    entity.updated_at = act.now
    entity.save(update_fields=["version", "updated_at"])
    EntityChange.objects.bulk_create(
        EntityChange(
            entity=entity,
            version=entity.version,
            action=act.code,
            field=field,
            old_value=_shown(field, old),
            new_value=_shown(field, new),
            note=note[:300],
            actor_ref=act.actor.ref,
            actor_label=act.actor.label[:200],
            changed_at=act.now,
        )
        for field, old, new in rows
    )
    return entity.version


def _visibility(entity: Entity) -> str:
    # A natural person's registration is personal data: its events go to privileged readers only.
    return Visibility.RESTRICTED if entity.kind == EntityKind.NATURAL_PERSON else Visibility.PUBLIC


def _roles_of(entity: Entity) -> list[str]:
    return sorted(EntityRole.objects.filter(entity=entity).values_list("role", flat=True))


def _duplicate(existing: Entity, field: str) -> Conflict:
    return Conflict(
        "registry.duplicate",
        f"该主体已登记（{existing.name}），一地注册、区域通用，无需重复登记",
        "This entity is already registered; one registration is used everywhere",
        {"field": field, "existing_id": existing.pk},
    )


def _find_existing(key: Mapping[str, Any]) -> Entity | None:
    if key.get("uscc"):
        return Entity.objects.filter(uscc=key["uscc"]).first()
    if key.get("id_number"):
        return Entity.objects.filter(id_document_type=key["id_document_type"], id_number=key["id_number"]).first()
    return None


# -- registration ---------------------------------------------------------------------------------------------------


def prepare_registration(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check registration data without saving it: validates the key, pulls the authoritative record (零提供),
    fills what is missing from it, refuses what contradicts it, and checks every field.

    Returns the cleaned data (keys of :data:`KEY_FIELDS` and :data:`PROFILE_FIELDS`, plus ``verified_source``).
    """
    today = _today()
    errors = FieldErrors()
    key = check_key(data, errors, today)
    errors.raise_if_any()
    given = {name: data.get(name) for name in PROFILE_FIELDS if name in data}
    verified_source = ""
    if key.get("uscc"):
        record = authoritative_source().lookup(key["uscc"])
        if record is not None:
            if record.status == "cancelled":
                raise InvalidInput(
                    "registry.officially_cancelled",
                    "登记机关记载该主体已注销，不能办理登记",
                    "The authoritative register says this organisation is cancelled",
                    {"field": "uscc", "source": record.source},
                )
            comparable = {**given, "kind": key["kind"].value}
            diffs = differences(comparable, record)
            if diffs:
                raise mismatch_error(diffs, record)
            given = merge_prefill(given, record)
            verified_source = record.source
    profile = check_profile(given, errors, today, kind=key["kind"], only=None)
    errors.raise_if_any()
    return {**key, **profile, "verified_source": verified_source}


def do_register_entity(*, actor: Actor, data: Mapping[str, Any]) -> Entity:
    """Register a market entity (市场主体登记) once, for every platform and region.

    ``data`` keys: ``kind`` (legal_person | other_org | individual_business | natural_person); ``uscc`` for
    organisations, ``id_document_type`` + ``id_number`` for natural persons; ``name``, ``legal_rep_name``,
    ``legal_rep_id_type``, ``legal_rep_id_number``, ``region_code``, ``address``, ``contact_name``,
    ``contact_phone``, ``contact_email``, ``registered_capital_fen``, ``established_on``,
    ``enterprise_nature``, ``business_scope``, ``roles`` (``party_role`` codes). Fields the authoritative
    source knows may be left out.

    Refusals: 401 ``auth.required``; 422 with the field's code (``uscc.check_digit``, ``ric.birth_date``,
    ``catalog.region_unknown`` …, ``registry.authoritative_mismatch``); 409 ``registry.duplicate`` with
    ``details.existing_id``.
    """
    if not (actor.is_authenticated or actor.is_system):
        raise NotAuthenticated("auth.required", "请先登录后再办理主体登记", "Sign in to register an entity")
    clean = prepare_registration(data)
    with action(actor, "registry.register_entity") as act:
        existing = _find_existing(clean)
        if existing is not None:
            raise _duplicate(existing, "uscc" if clean.get("uscc") else "id_number")
        entity = Entity(
            kind=clean["kind"].value,
            uscc=clean.get("uscc"),
            id_document_type=clean.get("id_document_type") or "",
            id_number=clean.get("id_number"),
            name=clean["name"],
            name_key=normalise_name(clean["name"]),
            legal_rep_name=clean.get("legal_rep_name") or "",
            legal_rep_id_type=clean.get("legal_rep_id_type") or "",
            legal_rep_id_number=clean.get("legal_rep_id_number") or "",
            region_code=clean["region_code"],
            address=clean.get("address") or "",
            contact_name=clean.get("contact_name") or "",
            contact_phone=clean.get("contact_phone") or "",
            contact_email=clean.get("contact_email") or "",
            registered_capital_fen=clean.get("registered_capital_fen"),
            established_on=clean.get("established_on"),
            enterprise_nature=clean.get("enterprise_nature") or "",
            business_scope=clean.get("business_scope") or "",
            status=EntityStatus.ACTIVE,
            verified_source=clean["verified_source"][:100],
            verified_at=act.now if clean["verified_source"] else None,
            version=1,
            registered_at=act.now,
            registered_by=actor.ref,
            updated_at=act.now,
        )
        try:
            with transaction.atomic():
                entity.save()
        except IntegrityError:
            # A concurrent registration of the same key committed first (the unique constraint saw it).
            existing = _find_existing(clean)
            if existing is None:
                raise
            raise _duplicate(existing, "uscc" if clean.get("uscc") else "id_number") from None
        EntityRole.objects.bulk_create(EntityRole(entity=entity, role=role) for role in clean["roles"])
        EntityChange.objects.create(
            entity=entity,
            version=1,
            action=act.code,
            field="registration",
            old_value=None,
            new_value={"name": entity.name, "uscc": entity.uscc, "kind": entity.kind},
            note="主体登记" + ("（已核验权威来源）" if entity.verified_source else ""),
            actor_ref=actor.ref,
            actor_label=actor.label[:200],
            changed_at=act.now,
        )
        act.witness(
            entity,
            {
                "kind": entity.kind,
                "uscc": entity.uscc,
                "id_number": _shown("id_number", entity.id_number),
                "name": entity.name,
                "region_code": entity.region_code,
                "roles": clean["roles"],
                "verified_source": entity.verified_source,
            },
        )
        act.emit(
            "registry.entity_registered.v1",
            entity,
            {
                "kind": entity.kind,
                "uscc": entity.uscc,
                "name": entity.name,
                "region_code": entity.region_code,
                "roles": clean["roles"],
            },
            visibility=_visibility(entity),
        )
        registration_hook().entity_registered(actor=actor, entity_id=entity.pk, roles=tuple(clean["roles"]))
        return entity


# -- profile changes --------------------------------------------------------------------------------------------------


def _comparable(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return sorted(str(v).strip() for v in value)
    return str(value).strip()


def _current(entity: Entity, field: str) -> Any:
    if field == "roles":
        return _roles_of(entity)
    return getattr(entity, field)


@_unchanged_is_fine
def do_update_entity(
    *, actor: Actor, entity_id: int, changes: Mapping[str, Any], expected_version: int | None
) -> Entity:
    """Change registration data (变更登记). ``changes`` holds only the fields to change (see
    :func:`do_register_entity`; the key fields ``kind``, ``uscc``, ``id_document_type``, ``id_number`` never
    change). ``expected_version`` comes from If-Match (``None`` = ``*``); stale → 412.

    Official fields are checked against the authoritative record again. A change that changes nothing is
    not an action: the entity is returned as it is.
    """
    immutable = sorted(set(changes) & set(KEY_FIELDS))
    if immutable:
        raise InvalidInput(
            "registry.immutable_field",
            "主体类型、统一社会信用代码和证件号码登记后不能变更",
            "kind, USCC and identity document cannot change after registration",
            {"field": immutable[0], "fields": immutable},
        )
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise InvalidInput(
            "registry.unknown_field",
            f"不能变更的字段：{', '.join(unknown)}",
            f"unknown or unchangeable fields: {', '.join(unknown)}",
            {"field": unknown[0], "fields": unknown},
        )
    with action(actor, "registry.update_entity") as act:
        entity = _lock_entity(actor, entity_id)
        check_version(entity.version, expected_version)
        today = local_date(act.now)
        errors = FieldErrors()
        # Only what differs is checked again: a district merged since registration does not block other edits.
        only = {field for field, value in changes.items() if _comparable(value) != _comparable(_current(entity, field))}
        if not only:
            raise _NoChange(entity)
        if "legal_rep_id_number" in only or "legal_rep_id_type" in only:
            only |= {"legal_rep_id_number", "legal_rep_id_type"}
            merged = {
                "legal_rep_id_type": entity.legal_rep_id_type,
                "legal_rep_id_number": entity.legal_rep_id_number,
                **changes,
            }
        else:
            merged = dict(changes)
        clean = check_profile(merged, errors, today, kind=EntityKind(entity.kind), only=only)
        errors.raise_if_any()
        if entity.uscc:
            record = authoritative_source().lookup(entity.uscc)
            if record is not None:
                diffs = differences({k: v for k, v in clean.items() if k in only}, record)
                if diffs:
                    raise mismatch_error(diffs, record)
        rows = [
            (field, _current(entity, field), value)
            for field, value in clean.items()
            if _current(entity, field) != value
        ]
        if not rows:
            raise _NoChange(entity)
        for field, old, new in rows:
            if field == "roles":
                _check_new_roles(entity, tuple(r for r in new if r not in (old or [])))
        for field, _old, new in rows:
            if field == "roles":
                EntityRole.objects.filter(entity=entity).exclude(role__in=new).delete()
                EntityRole.objects.bulk_create([EntityRole(entity=entity, role=r) for r in new], ignore_conflicts=True)
            else:
                setattr(entity, field, new)
                if field == "name":
                    entity.name_key = normalise_name(new)
        entity.save()
        version = _bump(act, entity, rows)
        payload = {field: {"old": _shown(field, old), "new": _shown(field, new)} for field, old, new in rows}
        act.witness(entity, {"version": version, "changes": payload})
        act.emit(
            "registry.entity_updated.v1",
            entity,
            {"version": version, "fields": [field for field, _o, _n in rows]},
            visibility=_visibility(entity),
        )
        return entity


def _check_new_roles(entity: Entity, added: tuple[str, ...]) -> None:
    """新增交易角色: the role gate (credit sanctions) must allow the roles the entity takes on."""
    if not added:
        return
    decision = role_gate().check(entity_id=entity.pk, roles=added)
    if not decision.allowed:
        raise PermissionDenied(
            "registry.role_barred",
            decision.reason_zh or "该主体信用受限，不能新增交易角色",
            decision.reason_en or "this entity may not take on new trading roles",
            {"field": "roles", "roles": list(added), "records": list(decision.refs)},
        )


_STATUS_TRANSITIONS = {
    EntityStatus.ACTIVE: {EntityStatus.SUSPENDED, EntityStatus.CANCELLED},
    EntityStatus.SUSPENDED: {EntityStatus.ACTIVE, EntityStatus.CANCELLED},
    EntityStatus.CANCELLED: set(),
}


def do_change_entity_status(
    *, actor: Actor, entity_id: int, status: str, reason: str, expected_version: int | None
) -> Entity:
    """Suspend, reinstate or cancel an entity (暂停 / 恢复 / 注销). Staff over the entity's region and the
    platform only; 注销 is final. A reason is required."""
    try:
        target = EntityStatus(status)
    except ValueError:
        raise InvalidInput(
            "registry.status",
            "状态应为正常、暂停或注销",
            "status must be active, suspended or cancelled",
            {"field": "status", "value": status},
        ) from None
    reason = clean_text(reason, field="reason", label_zh="原因", label_en="reason", limit=300, needed=True)
    with action(actor, "registry.change_entity_status") as act:
        entity = lock_objects.entity_qs_for_update(entity_id).first()
        if entity is None:
            raise _not_found(entity_id)
        if not (actor.is_system or actor.covers_region(entity.region_code, Role.STAFF)):
            raise PermissionDenied(
                "registry.forbidden",
                "只有所在区域的交易中心工作人员可以暂停、恢复或注销主体",
                "Only staff over the entity's region may suspend, reinstate or cancel it",
            )
        _refuse_copy(entity)
        check_version(entity.version, expected_version)
        current = EntityStatus(entity.status)
        if target not in _STATUS_TRANSITIONS[current]:
            raise Conflict(
                "registry.status_transition",
                f"主体状态不能从“{current.label}”变为“{target.label}”",
                f"the status cannot change from {current.value} to {target.value}",
                {"field": "status", "from": current.value, "to": target.value},
            )
        entity.status = target
        entity.save(update_fields=["status"])
        version = _bump(act, entity, [("status", current.value, target.value)], note=reason)
        act.witness(entity, {"version": version, "from": current.value, "to": target.value, "reason": reason})
        act.emit(
            "registry.entity_status_changed.v1",
            entity,
            {"version": version, "status": target.value},
            visibility=_visibility(entity),
        )
        return entity


def do_sync_entity_from_source(*, actor: Actor, entity_id: int) -> Entity:
    """Pull the official fields of an organisation from the authoritative source again (零提供): what the
    register now says replaces what is stored, each change on the timeline; a register that says 注销
    cancels the entity. Refused with ``registry.no_authoritative_record`` when the source has no record."""
    with action(actor, "registry.sync_entity_from_source") as act:
        entity = _lock_entity(actor, entity_id)
        record = authoritative_source().lookup(entity.uscc) if entity.uscc else None
        if record is None:
            raise NotFound(
                "registry.no_authoritative_record",
                "权威来源中没有该主体的登记信息",
                "The authoritative source has no record of this entity",
                {"entity_id": entity.pk},
            )
        today = local_date(act.now)
        official = {k: v for k, v in record.as_prefill().items() if k in PROFILE_FIELDS}
        errors = FieldErrors()
        clean = check_profile(official, errors, today, kind=EntityKind(entity.kind), only=set(official))
        errors.raise_if_any()
        rows = [(f, getattr(entity, f), v) for f, v in clean.items() if getattr(entity, f) != v]
        if record.status == "cancelled" and entity.status != EntityStatus.CANCELLED:
            rows.append(("status", entity.status, EntityStatus.CANCELLED.value))
        for field, _old, new in rows:
            setattr(entity, field, new)
            if field == "name":
                entity.name_key = normalise_name(new)
        entity.verified_source = record.source[:100]
        entity.verified_at = act.now
        entity.save()
        version = _bump(act, entity, rows, note=f"同步自：{record.source}") if rows else entity.version
        payload = {f: {"old": _shown(f, o), "new": _shown(f, n)} for f, o, n in rows}
        act.witness(entity, {"version": version, "source": record.source, "changes": payload})
        if rows:
            act.emit(
                "registry.entity_updated.v1",
                entity,
                {"version": version, "fields": [f for f, _o, _n in rows]},
                visibility=_visibility(entity),
            )
        return entity


# -- qualifications ------------------------------------------------------------------------------------------------


def _qualification_summary(q: Qualification) -> dict[str, Any]:
    return {
        "id": q.pk,
        "qualification_type": q.qualification_type,
        "certificate_no": q.certificate_no,
        "level": q.level,
        "valid_from": _json(q.valid_from),
        "valid_to": _json(q.valid_to),
    }


def _duplicate_certificate(clean: Mapping[str, Any]) -> Conflict:
    return Conflict(
        "registry.qualification_duplicate",
        "该资质证书（类别与编号相同）已登记在有效资质中",
        "A qualification certificate with this type and number is already registered",
        {"field": "certificate_no", "certificate_no": clean.get("certificate_no")},
    )


def _certificate_taken(qualification_type: str, number: str, *, exclude: int | None = None) -> bool:
    qs = Qualification.objects.filter(
        qualification_type=qualification_type, certificate_no=number, withdrawn_at__isnull=True
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def do_add_qualification(*, actor: Actor, entity_id: int, data: Mapping[str, Any]) -> Qualification:
    """Add a qualification certificate (资质). ``data``: ``qualification_type`` (code table), ``certificate_no``,
    ``level``, ``scope``, ``issuing_authority``, ``valid_from``, ``valid_to`` (inclusive; empty = 长期)."""
    clean = check_qualification(data)
    check_validity_dates(clean.get("valid_from"), clean.get("valid_to"))
    with action(actor, "registry.add_qualification") as act:
        entity = _lock_entity(actor, entity_id)
        if _certificate_taken(clean["qualification_type"], clean["certificate_no"]):
            raise _duplicate_certificate(clean)
        q = Qualification(entity=entity, created_at=act.now, updated_at=act.now, **clean)
        try:
            with transaction.atomic():
                q.save()
        except IntegrityError:
            raise _duplicate_certificate(clean) from None
        summary = _qualification_summary(q)
        version = _bump(act, entity, [("qualification", None, summary)], note="新增资质")
        act.witness(q, {"entity_id": entity.pk, "version": version, **summary})
        act.emit(
            "registry.qualification_added.v1",
            q,
            {"entity_id": entity.pk, **summary},
            visibility=_visibility(entity),
        )
        return q


def _lock_qualification(entity: Entity, qualification_id: int) -> Qualification:
    q = lock_objects.qualification_qs_for_update(entity.pk, qualification_id).first()
    if q is None:
        raise NotFound(
            "registry.qualification_not_found",
            "未找到该资质",
            "No such qualification",
            {"qualification_id": qualification_id},
        )
    if q.withdrawn_at is not None:
        raise Conflict(
            "registry.qualification_withdrawn",
            "该资质已撤回，不能再修改",
            "This qualification was withdrawn and can no longer change",
            {"qualification_id": q.pk},
        )
    return q


@_unchanged_is_fine
def do_update_qualification(
    *,
    actor: Actor,
    entity_id: int,
    qualification_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None,
) -> Qualification:
    """Change a qualification (renewal, upgrade, corrected number …); If-Match on the qualification's version."""
    clean = check_qualification(changes, only=[k for k in changes if k != "id"])
    with action(actor, "registry.update_qualification") as act:
        entity = _lock_entity(actor, entity_id)
        q = _lock_qualification(entity, qualification_id)
        check_version(q.version, expected_version)
        check_validity_dates(clean.get("valid_from", q.valid_from), clean.get("valid_to", q.valid_to))
        before = _qualification_summary(q)
        changed = {k: v for k, v in clean.items() if getattr(q, k) != v}
        if not changed:
            raise _NoChange(q)
        for k, v in changed.items():
            setattr(q, k, v)
        if ({"qualification_type", "certificate_no"} & set(changed)) and _certificate_taken(
            q.qualification_type, q.certificate_no, exclude=q.pk
        ):
            raise _duplicate_certificate(clean)
        q.version += 1
        q.updated_at = act.now
        q.save()
        after = _qualification_summary(q)
        version = _bump(act, entity, [("qualification", before, after)], note="变更资质")
        act.witness(
            q, {"entity_id": entity.pk, "version": version, "changes": {k: _json(v) for k, v in changed.items()}}
        )
        act.emit(
            "registry.qualification_updated.v1",
            q,
            {"entity_id": entity.pk, **after},
            visibility=_visibility(entity),
        )
        return q


def do_withdraw_qualification(
    *, actor: Actor, entity_id: int, qualification_id: int, reason: str = "", expected_version: int | None = None
) -> Qualification:
    """Withdraw a qualification (撤回): it stays on record but no longer counts."""
    reason = clean_text(reason, field="reason", label_zh="原因", label_en="reason", limit=300)
    with action(actor, "registry.withdraw_qualification") as act:
        entity = _lock_entity(actor, entity_id)
        q = _lock_qualification(entity, qualification_id)
        check_version(q.version, expected_version)
        before = _qualification_summary(q)
        q.withdrawn_at = act.now
        q.withdrawn_reason = reason
        q.version += 1
        q.updated_at = act.now
        q.save()
        version = _bump(act, entity, [("qualification", before, None)], note=reason or "撤回资质")
        act.witness(q, {"entity_id": entity.pk, "version": version, "reason": reason})
        act.emit(
            "registry.qualification_withdrawn.v1",
            q,
            {"entity_id": entity.pk, "id": q.pk},
            visibility=_visibility(entity),
        )
        return q


# -- key personnel -------------------------------------------------------------------------------------------------


def _personnel_summary(p: Personnel) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "personnel_role": p.personnel_role,
        "id_number": mask_id_number(p.id_number),
        "is_active": p.is_active,
    }


def _duplicate_person() -> Conflict:
    return Conflict(
        "registry.personnel_duplicate",
        "该人员（证件号码相同）已在本主体的在职人员中",
        "This person (same identity document) is already among the entity's active personnel",
        {"field": "id_number"},
    )


def _certificate_rows(certificates: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (c["certificate_type"], c["number"], c.get("specialty") or "", _json(c.get("valid_to"))) for c in certificates
    )


def _save_certificates(p: Personnel, certificates: list[dict[str, Any]]) -> None:
    PractisingCertificate.objects.filter(personnel=p).delete()
    PractisingCertificate.objects.bulk_create(PractisingCertificate(personnel=p, **c) for c in certificates)


def do_add_personnel(*, actor: Actor, entity_id: int, data: Mapping[str, Any]) -> Personnel:
    """Add a key person (人员). ``data``: ``name``, ``id_document_type`` (default 居民身份证), ``id_number``,
    ``personnel_role`` (code table), ``title``, ``certificates`` (list of ``certificate_type``, ``number``,
    ``specialty``, ``valid_to``)."""
    clean = check_personnel(data, _today())
    certificates = clean.pop("certificates")
    with action(actor, "registry.add_personnel") as act:
        entity = _lock_entity(actor, entity_id)
        if Personnel.objects.filter(
            entity=entity, id_document_type=clean["id_document_type"], id_number=clean["id_number"], is_active=True
        ).exists():
            raise _duplicate_person()
        p = Personnel(entity=entity, created_at=act.now, updated_at=act.now, **clean)
        try:
            with transaction.atomic():
                p.save()
        except IntegrityError:
            raise _duplicate_person() from None
        _save_certificates(p, certificates)
        summary = _personnel_summary(p)
        version = _bump(act, entity, [("personnel", None, summary)], note="新增人员")
        act.witness(p, {"entity_id": entity.pk, "version": version, **summary, "certificates": len(certificates)})
        act.emit(
            "registry.personnel_added.v1",
            p,
            {"entity_id": entity.pk, "id": p.pk, "personnel_role": p.personnel_role},
            visibility=Visibility.RESTRICTED,
        )
        return p


def _lock_personnel(entity: Entity, personnel_id: int) -> Personnel:
    p = lock_objects.personnel_qs_for_update(entity.pk, personnel_id).first()
    if p is None:
        raise NotFound("registry.personnel_not_found", "未找到该人员", "No such person", {"personnel_id": personnel_id})
    return p


@_unchanged_is_fine
def do_update_personnel(
    *,
    actor: Actor,
    entity_id: int,
    personnel_id: int,
    changes: Mapping[str, Any],
    expected_version: int | None,
) -> Personnel:
    """Change a key person; ``certificates``, when given, replaces the list. ``is_active`` may reinstate a
    removed person. If-Match on the person's version."""
    changes = dict(changes)
    reinstate = changes.pop("is_active", None)
    if reinstate is not None and not isinstance(reinstate, bool):
        raise InvalidInput("registry.type", "在职标志应为是或否", "is_active must be a boolean", {"field": "is_active"})
    with action(actor, "registry.update_personnel") as act:
        entity = _lock_entity(actor, entity_id)
        p = _lock_personnel(entity, personnel_id)
        check_version(p.version, expected_version)
        only = set(changes) - {"id"}
        if only & {"id_document_type", "id_number"}:
            changes = {"id_document_type": p.id_document_type, "id_number": p.id_number, **changes}
            only |= {"id_document_type", "id_number"}
        clean = check_personnel(changes, local_date(act.now), only=only)
        certificates = clean.pop("certificates", None)
        if certificates is not None and _certificate_rows(certificates) == _certificate_rows(
            list(p.certificates.values("certificate_type", "number", "specialty", "valid_to"))
        ):
            certificates = None  # the same list again: not a change
        before = _personnel_summary(p)
        changed = {k: v for k, v in clean.items() if getattr(p, k) != v}
        if reinstate is not None and reinstate != p.is_active:
            changed["is_active"] = reinstate
        if not changed and certificates is None:
            raise _NoChange(p)
        for k, v in changed.items():
            setattr(p, k, v)
        if p.is_active and (
            Personnel.objects.filter(
                entity=entity, id_document_type=p.id_document_type, id_number=p.id_number, is_active=True
            )
            .exclude(pk=p.pk)
            .exists()
        ):
            raise _duplicate_person()
        p.version += 1
        p.updated_at = act.now
        p.save()
        if certificates is not None:
            _save_certificates(p, certificates)
        after = _personnel_summary(p)
        version = _bump(act, entity, [("personnel", before, after)], note="变更人员")
        fields = sorted(changed) + (["certificates"] if certificates is not None else [])
        act.witness(p, {"entity_id": entity.pk, "version": version, "fields": fields, "after": after})
        act.emit(
            "registry.personnel_updated.v1",
            p,
            {"entity_id": entity.pk, "id": p.pk, "fields": fields},
            visibility=Visibility.RESTRICTED,
        )
        return p


def do_remove_personnel(
    *, actor: Actor, entity_id: int, personnel_id: int, expected_version: int | None = None
) -> Personnel:
    """Mark a key person as no longer with the entity (离职); the record stays for history."""
    with action(actor, "registry.remove_personnel") as act:
        entity = _lock_entity(actor, entity_id)
        p = _lock_personnel(entity, personnel_id)
        check_version(p.version, expected_version)
        if not p.is_active:
            raise Conflict(
                "registry.personnel_removed",
                "该人员已移出",
                "This person was already removed",
                {"personnel_id": p.pk},
            )
        before = _personnel_summary(p)
        p.is_active = False
        p.version += 1
        p.updated_at = act.now
        p.save()
        version = _bump(act, entity, [("personnel", before, None)], note="移出人员")
        act.witness(p, {"entity_id": entity.pk, "version": version})
        act.emit(
            "registry.personnel_removed.v1",
            p,
            {"entity_id": entity.pk, "id": p.pk},
            visibility=Visibility.RESTRICTED,
        )
        return p


# -- the basic deposit account ------------------------------------------------------------------------------------


def _account_summary(a: BankAccount | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "bank_name": a.bank_name,
        "branch_name": a.branch_name,
        "account_name": a.account_name,
        "account_number": mask_account_number(a.account_number),
        "permit_number": a.permit_number,
    }


def _check_account(data: Mapping[str, Any]) -> dict[str, Any]:
    errors = FieldErrors()
    out: dict[str, Any] = {}
    for field, zh, en, limit, needed in (
        ("bank_name", "开户银行", "bank", 100, True),
        ("branch_name", "开户网点", "branch", 200, False),
        ("account_name", "户名", "account name", 200, True),
    ):
        out[field] = errors.run(
            field, clean_text, data.get(field), field=field, label_zh=zh, label_en=en, limit=limit, needed=needed
        )
    number = str(data.get("account_number") or "").strip()
    if not number:
        errors.add(
            InvalidInput(
                "registry.required", "请填写银行账号", "account number is required", {"field": "account_number"}
            )
        )
    else:
        out["account_number"] = errors.run("account_number", validate_account_number, number)
    permit = str(data.get("permit_number") or "").strip()
    out["permit_number"] = errors.run("permit_number", validate_permit_number, permit) if permit else ""
    errors.raise_if_any()
    return out


def do_set_basic_account(
    *, actor: Actor, entity_id: int, data: Mapping[str, Any], expected_version: int | None
) -> BankAccount:
    """Record the entity's basic deposit account (基本存款账户), or its change: the current account is
    closed at this instant and the new one opens. ``data``: ``bank_name``, ``branch_name``, ``account_name``
    (must be the entity's registered name: ``registry.account_name_mismatch``), ``account_number`` (8–32
    digits), ``permit_number`` (optional, ``J`` + 13 digits). ``expected_version`` is the entity's version."""
    clean = _check_account(data)
    with action(actor, "registry.set_basic_account") as act:
        entity = _lock_entity(actor, entity_id)
        check_version(entity.version, expected_version)
        check_account_name(clean["account_name"], entity.name)
        current = lock_objects.current_bank_account_qs_for_update(entity.pk).first()
        if current is not None and all(getattr(current, k) == v for k, v in clean.items()):
            raise Conflict(
                "registry.account_unchanged",
                "该账户已是当前的基本存款账户",
                "This account already is the current basic account",
                {"field": "account_number"},
            )
        if current is not None:
            current.valid_to = act.now
            current.save(update_fields=["valid_to"])
        account = BankAccount.objects.create(
            entity=entity, valid_from=act.now, valid_to=None, created_by=actor.ref, **clean
        )
        version = _bump(
            act, entity, [("basic_account", _account_summary(current), _account_summary(account))], note="基本存款账户"
        )
        act.witness(account, {"entity_id": entity.pk, "version": version, **(_account_summary(account) or {})})
        act.emit(
            "registry.basic_account_changed.v1",
            account,
            {"entity_id": entity.pk, "version": version},
            visibility=Visibility.RESTRICTED,
        )
        return account


def do_close_basic_account(*, actor: Actor, entity_id: int, expected_version: int | None) -> BankAccount:
    """Record that the entity no longer has a basic account here (销户); the history keeps it."""
    with action(actor, "registry.close_basic_account") as act:
        entity = _lock_entity(actor, entity_id)
        check_version(entity.version, expected_version)
        current = lock_objects.current_bank_account_qs_for_update(entity.pk).first()
        if current is None:
            raise NotFound(
                "registry.no_basic_account",
                "该主体尚未登记基本存款账户",
                "This entity has no basic account on record",
                {"entity_id": entity.pk},
            )
        current.valid_to = act.now
        current.save(update_fields=["valid_to"])
        version = _bump(act, entity, [("basic_account", _account_summary(current), None)], note="基本存款账户销户")
        act.witness(current, {"entity_id": entity.pk, "version": version, "closed": True})
        act.emit(
            "registry.basic_account_changed.v1",
            current,
            {"entity_id": entity.pk, "version": version},
            visibility=Visibility.RESTRICTED,
        )
        return current


# -- registrations of other hubs (一地注册、区域通用; docs/federation.md) ---------------------------------------------


def _refuse_copy(entity: Entity) -> None:
    """A peer hub's registration held here is changed only by its home hub's messages."""
    if entity.verified_source.startswith(COPY_SOURCE_PREFIX):
        raise Conflict(
            "registry.entity_is_copy",
            "该主体在其他交易平台登记（一地注册、区域通用），登记信息只能在登记地平台变更",
            "This entity is registered on another hub; its registration changes only there",
            {"entity_id": entity.pk, "home_hub": entity.verified_source[len(COPY_SOURCE_PREFIX) :]},
        )


def _copy_invalid(field: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        "registry.copy_invalid", f"登记副本的{zh}不合法", f"the copy's {en} is not valid", {"field": field}
    )


def _check_copy(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a peer hub's registration, checked as a registration here would be (the region only by
    its format: the home hub's catalogue decided it)."""
    try:
        kind = EntityKind(data.get("kind"))
    except ValueError:
        raise _copy_invalid("kind", "主体类型", "kind") from None
    if kind == EntityKind.NATURAL_PERSON:
        raise _copy_invalid("kind", "主体类型（自然人不跨平台传送）", "kind (natural persons are not shared)")
    try:
        uscc = validate_uscc(str(data.get("uscc") or ""))
        region_code = validate_region_code_format(str(data.get("region_code") or ""))
        status = EntityStatus(data.get("status"))
    except (InvalidInput, ValueError):
        raise _copy_invalid("uscc", "统一社会信用代码、行政区划或状态", "USCC, region or status") from None
    if not isinstance(data.get("roles"), list):
        raise _copy_invalid("roles", "交易角色", "roles")
    errors = FieldErrors()
    only = {name for name in COPY_FIELDS if name != "region_code"}
    clean = check_profile({name: data.get(name) for name in only}, errors, _today(), kind=kind, only=only)
    errors.raise_if_any()
    return {**clean, "kind": kind, "uscc": uscc, "region_code": region_code, "status": status}


@_unchanged_is_fine
def do_store_entity_copy(*, actor: Actor, home_hub: str, data: Mapping[str, Any]) -> Entity:
    """Hold a peer hub's registration of an organisation here, read-only (一地注册、区域通用): created the first
    time, its fields, roles and status replaced by each newer version the home hub sends. Only the platform
    (the federation receiving a signed message) does this. The copy can act here like any entity (bidders
    register it) but nothing here changes it (:func:`_refuse_copy`).

    ``data``: ``kind`` (an organisation), ``uscc``, ``status`` and :data:`COPY_FIELDS`. Returns the entity;
    an organisation registered here, or held for another hub, is returned unchanged (the first registration
    stands; the caller compares :func:`queries.home_hub_of`). Refusals: ``registry.forbidden`` (not the
    platform), ``registry.copy_invalid`` and the profile fields' codes (422)."""
    if not actor.is_system:
        raise _forbidden()
    hub = validate_uscc(home_hub)
    clean = _check_copy(data)
    source = (COPY_SOURCE_PREFIX + hub)[:100]
    with action(actor, "registry.store_entity_copy") as act:
        entity = Entity.objects.select_for_update().filter(uscc=clean["uscc"]).first()
        if entity is not None and entity.verified_source != source:
            raise _NoChange(entity)
        values = {name: clean[name] for name in COPY_FIELDS if name != "roles"}
        values["status"] = clean["status"].value
        if entity is None:
            entity = Entity(
                kind=clean["kind"].value,
                uscc=clean["uscc"],
                name_key=normalise_name(clean["name"]),
                verified_source=source,
                verified_at=act.now,
                version=1,
                registered_at=act.now,
                registered_by=actor.ref,
                updated_at=act.now,
                **values,
            )
            entity.save()
            EntityRole.objects.bulk_create(EntityRole(entity=entity, role=role) for role in clean["roles"])
            EntityChange.objects.create(
                entity=entity,
                version=1,
                action=act.code,
                field="registration",
                old_value=None,
                new_value={"name": entity.name, "uscc": entity.uscc, "kind": entity.kind, "home_hub": hub},
                note="登记地平台的登记副本（一地注册、区域通用）",
                actor_ref=actor.ref,
                actor_label=actor.label[:200],
                changed_at=act.now,
            )
            changed: dict[str, Any] = {"registration": {"old": None, "new": entity.uscc}}
        else:
            rows = [(name, _current(entity, name), value) for name, value in values.items()]
            rows.append(("roles", _roles_of(entity), sorted(clean["roles"])))
            rows = [(name, old, new) for name, old, new in rows if old != new]
            if not rows:
                raise _NoChange(entity)
            for name, _old, new in rows:
                if name == "roles":
                    EntityRole.objects.filter(entity=entity).exclude(role__in=new).delete()
                    EntityRole.objects.bulk_create(
                        [EntityRole(entity=entity, role=r) for r in new], ignore_conflicts=True
                    )
                else:
                    setattr(entity, name, new)
            entity.name_key = normalise_name(entity.name)
            entity.verified_at = act.now
            entity.save()
            _bump(act, entity, rows, note="登记地平台变更")
            changed = {name: {"old": _shown(name, old), "new": _shown(name, new)} for name, old, new in rows}
        payload = {"uscc": entity.uscc, "home_hub": hub, "version": entity.version, "status": entity.status}
        act.witness(entity, {**payload, "changes": changed})
        act.emit("registry.entity_copy_stored.v1", entity, {**payload, "name": entity.name})
        return entity


def _copy_parts_invalid(field: str) -> InvalidInput:
    return InvalidInput(
        "registry.copy_invalid",
        "登记副本的资质或人员信息不合法",
        "the copy's qualifications or personnel are not valid",
        {"field": field},
    )


@_unchanged_is_fine
def do_store_copy_parts(
    *, actor: Actor, home_hub: str, uscc: str, qualifications: list[Any], personnel: list[Any]
) -> Entity:
    """Hold the qualifications and key personnel of a peer hub's registration held here as a copy, as its home
    hub sent them (``registry.queries.entity_parts_snapshot`` there): a qualification no longer sent is withdrawn
    here (``登记地平台已撤回``), a changed one updated, a new one added; a person no longer sent leaves
    (inactive). Identity numbers arrive masked and are stored so. Only the platform. Refusals:
    ``registry.forbidden``, ``registry.entity_not_found`` (no copy for that hub), ``registry.copy_invalid`` and
    the qualification fields' codes (422), ``registry.duplicate_certificate`` (409: a certificate in force here
    for another entity)."""
    if not actor.is_system:
        raise _forbidden()
    hub = validate_uscc(home_hub)
    if not isinstance(qualifications, list) or not isinstance(personnel, list):
        raise _copy_parts_invalid("qualifications")
    incoming_q: dict[tuple[str, str], dict[str, Any]] = {}
    for item in qualifications[:500]:
        if not isinstance(item, dict):
            raise _copy_parts_invalid("qualifications")
        clean = check_qualification(item)
        check_validity_dates(clean.get("valid_from"), clean.get("valid_to"))
        incoming_q[(clean["qualification_type"], clean["certificate_no"])] = clean
    incoming_p: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for item in personnel[:500]:
        if not isinstance(item, dict):
            raise _copy_parts_invalid("personnel")
        clean = check_personnel(item, _today(), only=["name", "personnel_role", "title"])
        document, number = item.get("id_document_type"), item.get("id_number")
        if not isinstance(document, str) or not document or len(document) > 40:
            raise _copy_parts_invalid("personnel.id_document_type")
        if not isinstance(number, str) or len(number) > 32:
            raise _copy_parts_invalid("personnel.id_number")
        key = (clean["name"], clean["personnel_role"], document, number)
        incoming_p[key] = {**clean, "id_document_type": document, "id_number": number}
    with action(actor, "registry.store_copy_parts") as act:
        entity = (
            Entity.objects.select_for_update()
            .filter(uscc=(uscc or "").upper(), verified_source=(COPY_SOURCE_PREFIX + hub)[:100])
            .first()
        )
        if entity is None:
            raise NotFound("registry.entity_not_found", "未找到该登记副本", "no such copy", {"uscc": uscc})
        rows: list[tuple[str, Any, Any]] = []
        held_q = {
            (q.qualification_type, q.certificate_no): q
            for q in Qualification.objects.select_for_update().filter(entity=entity, withdrawn_at__isnull=True)
        }
        for key, q in held_q.items():
            if key not in incoming_q:
                before = _qualification_summary(q)
                q.withdrawn_at, q.withdrawn_reason = act.now, "登记地平台已撤回"
                q.version += 1
                q.updated_at = act.now
                q.save()
                rows.append(("qualification", before, None))
        for key, clean in incoming_q.items():
            q = held_q.get(key)
            if q is None:
                if _certificate_taken(*key):
                    raise _duplicate_certificate(clean)
                q = Qualification(entity=entity, created_at=act.now, updated_at=act.now, **clean)
                q.save()
                rows.append(("qualification", None, _qualification_summary(q)))
                continue
            changed = {k: v for k, v in clean.items() if getattr(q, k) != v}
            if changed:
                before = _qualification_summary(q)
                for k, v in changed.items():
                    setattr(q, k, v)
                q.version += 1
                q.updated_at = act.now
                q.save()
                rows.append(("qualification", before, _qualification_summary(q)))
        held_p = {
            (p.name, p.personnel_role, p.id_document_type, p.id_number): p
            for p in Personnel.objects.select_for_update().filter(entity=entity, is_active=True)
        }
        for key, p in held_p.items():
            if key not in incoming_p:
                before = _personnel_summary(p)
                p.is_active = False
                p.version += 1
                p.updated_at = act.now
                p.save()
                rows.append(("personnel", before, None))
            elif incoming_p[key]["title"] != p.title:
                before = _personnel_summary(p)
                p.title = incoming_p[key]["title"]
                p.version += 1
                p.updated_at = act.now
                p.save()
                rows.append(("personnel", before, _personnel_summary(p)))
        for key, clean in incoming_p.items():
            if key not in held_p:
                try:
                    with transaction.atomic():
                        p = Personnel.objects.create(entity=entity, created_at=act.now, updated_at=act.now, **clean)
                except IntegrityError:  # two people whose masked numbers coincide: the first is kept
                    continue
                rows.append(("personnel", None, _personnel_summary(p)))
        if not rows:
            raise _NoChange(entity)
        version = _bump(act, entity, rows, note="登记地平台资质/人员")
        payload = {
            "uscc": entity.uscc,
            "home_hub": hub,
            "version": version,
            "qualifications": len(incoming_q),
            "personnel": len(incoming_p),
            "changes": len(rows),
        }
        act.witness(entity, payload)
        act.emit("registry.copy_parts_stored.v1", entity, payload)
        return entity

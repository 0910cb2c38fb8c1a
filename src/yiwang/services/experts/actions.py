"""State changes of the expert pool and the committee draw: the only door to them.

Every action is atomic and witnessed and announces itself on the feed (restricted: the pool is personal
data). Identity numbers, phone numbers and, while a draw is sealed, names and expert ids never enter a
witness payload or an event: a draw's entries speak of seats (席位) and digests; the "unsealed" entry reveals
who sat where.

Permissions: trading-centre staff over the expert's (or the draw's) region manage the pool and draws;
regulators over the region may also record sanctions; an expert (an account holding ``Role.EXPERT`` linked to
the record) declares their own unavailability and relationships and answers their own draws; the platform
(``Actor.system``) runs the due jobs.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.canonical import digest_json, iso_utc
from yiwang.kernel.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    YiwangError,
)
from yiwang.kernel.periods import local_date
from yiwang.kernel.versioning import check_version
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.audit import chain
from yiwang.platform.clock import now
from yiwang.platform.notify import actions as inbox
from yiwang.platform.outbox.feed import Visibility
from yiwang.services.experts import lock_objects, notify, rules, validation
from yiwang.services.experts.domain import committee as committee_rules
from yiwang.services.experts.domain import draw as draw_rules
from yiwang.services.experts.domain.draw import SCHEME, AvoidReason, Line, LinePool
from yiwang.services.experts.domain.eligibility import EXCLUSION_LABELS_ZH, Criteria, first_exclusion
from yiwang.services.experts.domain.errors import FieldErrors
from yiwang.services.experts.domain.performance import RATING_MAX, RATING_MIN, Attendance
from yiwang.services.experts.domain.pool import (
    TRANSITIONS,
    Candidate,
    ExpertStatus,
    PoolKind,
    TitleLevel,
    check_entry,
    next_status,
)
from yiwang.services.experts.gather import gather_facts
from yiwang.services.experts.models import (
    Delivery,
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
    SeedCommitment,
    StatusChange,
    Tie,
    Unavailability,
)
from yiwang.services.experts.pools import LOCAL, pool_for

ACTIVE_SEATS = (SeatStatus.NOTIFIED, SeatStatus.CONFIRMED, SeatStatus.CHECKED_IN)
VACATED_SEATS = (SeatStatus.DECLINED, SeatStatus.NO_ANSWER, SeatStatus.ABSENT)
DEFAULT_CONFIRM_MINUTES = 60  # how long a drawn expert has to answer (operational, not a legal number)
SYSTEM = Actor.system("experts")
ENTRY_FIELDS = ("birth_date", "title_level", "equivalent_level", "equivalent_note", "practice_since")


# -- helpers ------------------------------------------------------------------------------------------------------


def _today() -> date:
    return local_date(now())


def _forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied("experts.forbidden", f"无权{what_zh}", f"not allowed to {what_en}")


def is_staff_over(actor: Actor, region_code: str) -> bool:
    return actor.is_system or actor.covers_region(region_code, Role.STAFF)


def is_self(actor: Actor, expert: Expert) -> bool:
    """The expert's own account (holding the expert role)."""
    return (
        actor.kind is ActorKind.ACCOUNT
        and expert.account_id is not None
        and actor.id == str(expert.account_id)
        and actor.has_role(Role.EXPERT)
    )


def _sealed_actor(actor: Actor) -> Actor:
    """An expert acting on a sealed draw is recorded without their name (the account ref stays)."""
    return Actor(actor.kind, actor.id, "评标评审专家", tuple(actor.grants))


def _lock_expert(expert_id: int) -> Expert:
    expert = lock_objects.expert_for_update(expert_id).first()
    if expert is None:
        raise NotFound("experts.expert_not_found", "未找到该专家", "no such expert", {"expert_id": expert_id})
    return expert


def _require_staff(actor: Actor, region_code: str, what_zh: str, what_en: str) -> None:
    if not actor.is_authenticated and not actor.is_system:
        raise PermissionDenied("experts.sign_in_required", "请先登录", "sign in first")
    if not is_staff_over(actor, region_code):
        raise _forbidden(what_zh, what_en)


def _restricted(act: ActionRecorder, event: str, obj: Any, data: dict[str, Any]) -> None:
    act.emit(event, obj, data, visibility=Visibility.RESTRICTED)


# -- the pool -------------------------------------------------------------------------------------------------------


def _entry_candidate(expert_like: Mapping[str, Any]) -> Candidate:
    return Candidate(
        birth_date=expert_like["birth_date"],
        title_level=TitleLevel(expert_like["title_level"]),
        equivalent_level=bool(expert_like["equivalent_level"]),
        equivalent_note=expert_like.get("equivalent_note", ""),
        practice_since=expert_like["practice_since"],
    )


def _check_entry(values: Mapping[str, Any], kinds: Sequence[str], on: date) -> None:
    check_entry(_entry_candidate(values), [rules.entry_rules(PoolKind(k), on) for k in kinds], on)


def _read_expert(data: Mapping[str, Any], *, today: date, partial: bool, current: Expert | None = None) -> dict:
    """The fields of an enrolment (``partial=False``) or of an update (only the fields sent)."""
    errors = FieldErrors()
    out: dict[str, Any] = {}

    def has(field: str) -> bool:
        return not partial or field in data

    if not partial:
        rid = errors.run("id_number", validation.resident_id, data.get("id_number"), today)
        if rid is not None:
            out.update(id_number=rid.number, birth_date=rid.birth_date, gender=rid.sex)
    if has("name"):
        out["name"] = errors.run("name", validation.text, data, "name", max_length=50)
    if has("title"):
        out["title"] = errors.run("title", validation.text, data, "title", max_length=60)
    if has("title_level"):
        level = errors.run("title_level", validation.title_level, data.get("title_level"))
        out["title_level"] = level.value if level else None
    if has("equivalent_level"):
        out["equivalent_level"] = bool(data.get("equivalent_level"))
    if has("equivalent_note"):
        out["equivalent_note"] = errors.run(
            "equivalent_note", validation.text, data, "equivalent_note", max_length=300, required=False
        )
    if has("education"):
        out["education"] = errors.run("education", validation.text, data, "education", max_length=30, required=False)
    if has("position"):
        out["position"] = errors.run("position", validation.text, data, "position", max_length=60, required=False)
    if has("kinds"):
        out["kinds"] = errors.run("kinds", validation.kinds, data.get("kinds"))
    if has("region_code"):
        out["region_code"] = errors.run("region_code", validation.region, data.get("region_code"), "region_code", today)
    if has("practice_since"):
        since = errors.run("practice_since", validation.as_date, data.get("practice_since"), "practice_since")
        if since is not None and since > today:
            errors.add(
                InvalidInput(
                    "experts.practice_since_future",
                    "从业起始日期不能晚于今天",
                    "the practice start cannot be in the future",
                    {"field": "practice_since"},
                )
            )
        out["practice_since"] = since
    if has("phone"):
        out["phone"] = errors.run("phone", validation.phone, data.get("phone"))
    if has("email"):
        out["email"] = errors.run("email", validation.text, data, "email", max_length=120, required=False)
    if has("notify_channels"):
        out["notify_channels"] = errors.run("notify_channels", validation.channels, data.get("notify_channels"))
    if has("specialties"):
        out["specialties"] = errors.run("specialties", validation.specialties, data.get("specialties"))
    if any(f in data for f in ("employer_entity_id", "employer_uscc", "employer_name")) or not partial:
        employer = errors.run("employer_name", validation.firm, data, prefix="employer_", name_required=True)
        if employer is not None:
            out.update(
                employer_entity_id=employer["entity_id"],
                employer_uscc=employer["uscc"],
                employer_name=employer["name"],
            )
    if has("account_id"):
        raw = data.get("account_id")
        out["account_id"] = (
            None if raw in (None, "") else errors.run("account_id", validation.as_int, raw, "account_id", minimum=1)
        )
    errors.raise_if_any()
    return out


def _account_free(account_id: int | None, expert_id: int | None = None) -> None:
    if account_id is None:
        return
    taken = Expert.objects.filter(account_id=account_id).exclude(pk=expert_id).exists()
    if taken:
        raise Conflict(
            "experts.account_taken",
            "该账号已关联其他专家",
            "this account is already linked to another expert",
            {"field": "account_id", "account_id": account_id},
        )


def _set_specialties(expert: Expert, specialties: list[tuple[str, bool]]) -> None:
    ExpertSpecialty.objects.filter(expert=expert).delete()
    ExpertSpecialty.objects.bulk_create(ExpertSpecialty(expert=expert, code=c, is_main=m) for c, m in specialties)


def do_enrol_expert(*, actor: Actor, data: Mapping[str, Any]) -> Expert:
    """入库: enrol an expert after checking the entry conditions of every kind they evaluate (years of practice
    and age from the rules catalogue; senior title or equivalent level). Staff over the expert's region."""
    today = _today()
    values = _read_expert(data, today=today, partial=False)
    _require_staff(actor, values["region_code"], "为该区域的专家库入库", "enrol experts in this region")
    _check_entry(values, values["kinds"], today)
    with action(actor, "experts.enrol_expert") as act:
        if Expert.objects.filter(id_number=values["id_number"]).exists():
            raise Conflict(
                "experts.duplicate_expert",
                "该身份证号码的专家已在库中",
                "an expert with this identity number is already in the pool",
                {"field": "id_number"},
            )
        _account_free(values.get("account_id"))
        specialties = values.pop("specialties")
        expert = Expert.objects.create(
            **values,
            status=ExpertStatus.ACTIVE,
            entered_on=today,
            created_at=act.now,
            updated_at=act.now,
        )
        _set_specialties(expert, specialties)
        StatusChange.objects.create(
            expert=expert,
            action="enrol",
            to_status=ExpertStatus.ACTIVE,
            reason="入库",
            changed_at=act.now,
            actor_ref=actor.ref,
            actor_label=actor.label[:200],
        )
        act.witness(
            expert,
            {
                "region_code": expert.region_code,
                "kinds": expert.kinds,
                "specialties": [c for c, _ in specialties],
                "employer_entity_id": expert.employer_entity_id,
                "entered_on": today.isoformat(),
            },
        )
        _restricted(
            act, "experts.expert_enrolled.v1", expert, {"expert_id": expert.pk, "region_code": expert.region_code}
        )
        return expert


def do_update_expert(
    *, actor: Actor, expert_id: int, changes: Mapping[str, Any], expected_version: int | None
) -> Expert:
    """Change an expert's record (only the fields sent). Adding a kind, or lowering the title, re-checks the
    entry conditions for it. The identity number cannot change."""
    if "id_number" in changes:
        raise InvalidInput(
            "experts.id_number_immutable",
            "身份证号码不能修改（如有错误请出库后重新入库）",
            "the identity number cannot change",
            {"field": "id_number"},
        )
    today = _today()
    values = _read_expert(changes, today=today, partial=True)
    with action(actor, "experts.update_expert") as act:
        expert = _lock_expert(expert_id)
        if not is_staff_over(actor, expert.region_code) or (
            "region_code" in values and not is_staff_over(actor, values["region_code"])
        ):
            raise _forbidden("修改该专家的信息", "change this expert's record")
        check_version(expert.version, expected_version)
        if expert.status == ExpertStatus.RETIRED:
            raise Conflict("experts.expert_retired", "专家已出库，不能修改", "the expert has left the pool")
        _account_free(values.get("account_id", None), expert.pk)
        specialties = values.pop("specialties", None)
        changed = sorted(f for f, v in values.items() if getattr(expert, f) != v)
        if specialties is not None:
            current = sorted(ExpertSpecialty.objects.filter(expert=expert).values_list("code", "is_main"))
            if current != sorted(specialties):
                changed.append("specialties")
        if not changed:
            act.witness(expert, {"changed": []})
            return expert
        new_kinds = set(values.get("kinds", expert.kinds)) - set(expert.kinds)
        if new_kinds or {"title_level", "equivalent_level", "equivalent_note"} & set(changed):
            merged = {f: values.get(f, getattr(expert, f)) for f in ENTRY_FIELDS}
            _check_entry(merged, sorted(new_kinds), today)
        for field, value in values.items():
            setattr(expert, field, value)
        if specialties is not None:
            _set_specialties(expert, specialties)
        expert.version += 1
        expert.updated_at = act.now
        expert.save()
        act.witness(expert, {"changed": sorted(changed), "version": expert.version})
        _restricted(act, "experts.expert_updated.v1", expert, {"expert_id": expert.pk, "version": expert.version})
        return expert


def do_change_expert_status(
    *, actor: Actor, expert_id: int, change: str, reason: str, expected_version: int | None
) -> Expert:
    """暂停 suspend / 恢复 reinstate / 出库 retire (with the reason, kept in the status history). Reinstating a
    retired expert re-checks the entry conditions."""
    reason = (reason or "").strip()
    if change not in TRANSITIONS:
        next_status(ExpertStatus.ACTIVE, change)  # refuses with experts.status_change_unknown
    if not reason:
        raise InvalidInput("experts.reason_required", "请填写原因", "give the reason", {"field": "reason"})
    with action(actor, f"experts.{change}_expert") as act:
        expert = _lock_expert(expert_id)
        if not is_staff_over(actor, expert.region_code):
            raise _forbidden("变更该专家的状态", "change this expert's status")
        check_version(expert.version, expected_version)
        target = next_status(expert.status, change)
        today = _today()
        if change == "reinstate" and expert.status == ExpertStatus.RETIRED:
            _check_entry({f: getattr(expert, f) for f in ENTRY_FIELDS}, expert.kinds, today)
            expert.entered_on, expert.exited_on, expert.exit_reason = today, None, ""
        if target == ExpertStatus.RETIRED:
            expert.exited_on, expert.exit_reason = today, reason[:300]
        previous = expert.status
        expert.status = target
        expert.version += 1
        expert.updated_at = act.now
        expert.save()
        StatusChange.objects.create(
            expert=expert,
            action=change,
            from_status=previous,
            to_status=target,
            reason=reason[:300],
            changed_at=act.now,
            actor_ref=actor.ref,
            actor_label=actor.label[:200],
        )
        act.witness(expert, {"from": previous, "to": target.value, "reason": reason[:300]})
        _restricted(act, "experts.expert_status_changed.v1", expert, {"expert_id": expert.pk, "status": target.value})
        return expert


def _peek(expert_id: int) -> Expert:
    expert = Expert.objects.filter(pk=expert_id).first()
    if expert is None:
        raise NotFound("experts.expert_not_found", "未找到该专家", "no such expert", {"expert_id": expert_id})
    return expert


def _may_sanction(actor: Actor, expert: Expert) -> bool:
    return is_staff_over(actor, expert.region_code) or actor.covers_region(expert.region_code, Role.REGULATOR)


def _self_or_staff(actor: Actor, expert: Expert, what_zh: str, what_en: str) -> None:
    if not (is_self(actor, expert) or is_staff_over(actor, expert.region_code)):
        raise _forbidden(what_zh, what_en)


def do_declare_unavailability(
    *, actor: Actor, expert_id: int, start_date: Any, end_date: Any, reason: str = ""
) -> Unavailability:
    """The expert (or staff for them) declares days they cannot evaluate (inclusive)."""
    _self_or_staff(actor, _peek(expert_id), "为该专家申报不能参加的日期", "declare this expert's unavailability")
    errors = FieldErrors()
    start = errors.run("start_date", validation.as_date, start_date, "start_date")
    end = errors.run("end_date", validation.as_date, end_date, "end_date")
    errors.raise_if_any()
    if end < start:
        raise InvalidInput(
            "experts.period_reversed", "结束日期早于开始日期", "the end is before the start", {"field": "end_date"}
        )
    if end < _today():
        raise InvalidInput(
            "experts.period_past", "不能申报已经过去的日期", "the period is already over", {"field": "end_date"}
        )
    with action(actor, "experts.declare_unavailability") as act:
        expert = _lock_expert(expert_id)
        _self_or_staff(actor, expert, "为该专家申报不能参加的日期", "declare this expert's unavailability")
        row = Unavailability.objects.create(
            expert=expert,
            start_date=start,
            end_date=end,
            reason=(reason or "").strip()[:200],
            declared_at=act.now,
            actor_ref=actor.ref,
        )
        act.witness(row, {"expert_id": expert.pk, "start_date": start.isoformat(), "end_date": end.isoformat()})
        _restricted(act, "experts.unavailability_declared.v1", row, {"expert_id": expert.pk})
        return row


def do_withdraw_unavailability(*, actor: Actor, expert_id: int, unavailability_id: int) -> Unavailability:
    with action(actor, "experts.withdraw_unavailability") as act:
        expert = _lock_expert(expert_id)
        _self_or_staff(actor, expert, "撤回该专家的申报", "withdraw this expert's declaration")
        row = Unavailability.objects.filter(pk=unavailability_id, expert=expert, withdrawn_at__isnull=True).first()
        if row is None:
            raise NotFound("experts.unavailability_not_found", "未找到该申报", "no such declaration")
        row.withdrawn_at = act.now
        row.save(update_fields=["withdrawn_at"])
        act.witness(row, {"expert_id": expert.pk, "withdrawn": True})
        _restricted(act, "experts.unavailability_withdrawn.v1", row, {"expert_id": expert.pk})
        return row


def do_declare_tie(*, actor: Actor, expert_id: int, data: Mapping[str, Any]) -> Tie:
    """申报利害关系: a relationship with a firm (by registry id or USCC) that makes the expert stand aside
    when that firm is avoided in a draw."""
    _self_or_staff(actor, _peek(expert_id), "为该专家申报利害关系", "declare this expert's relationships")
    errors = FieldErrors()
    kind = errors.run("kind", validation.tie_kind, data.get("kind"))
    firm = errors.run("name", validation.firm, data, prefix="", name_required=True)
    started = errors.run("started_on", validation.optional_date, data.get("started_on"), "started_on")
    ended = errors.run("ended_on", validation.optional_date, data.get("ended_on"), "ended_on")
    description = errors.run("description", validation.text, data, "description", max_length=300, required=False)
    errors.raise_if_any()
    if firm["entity_id"] is None and not firm["uscc"]:
        raise InvalidInput(
            "experts.tie_firm_unidentified",
            "须填写该单位的主体库编号或统一社会信用代码（回避按代码精确匹配）",
            "name the firm by registry id or USCC (recusal matches exactly)",
            {"field": "uscc"},
        )
    if started and ended and ended < started:
        raise InvalidInput(
            "experts.period_reversed", "结束日期早于开始日期", "the end is before the start", {"field": "ended_on"}
        )
    with action(actor, "experts.declare_tie") as act:
        expert = _lock_expert(expert_id)
        _self_or_staff(actor, expert, "为该专家申报利害关系", "declare this expert's relationships")
        tie = Tie.objects.create(
            expert=expert,
            entity_id=firm["entity_id"],
            uscc=firm["uscc"],
            entity_name=firm["name"],
            kind=kind,
            description=description or "",
            started_on=started,
            ended_on=ended,
            declared_at=act.now,
            actor_ref=actor.ref,
        )
        act.witness(
            tie,
            {
                "expert_id": expert.pk,
                "entity_id": tie.entity_id,
                "uscc": tie.uscc,
                "kind": kind,
                "ended_on": ended.isoformat() if ended else None,
            },
        )
        _restricted(act, "experts.tie_declared.v1", tie, {"expert_id": expert.pk})
        return tie


def do_withdraw_tie(*, actor: Actor, expert_id: int, tie_id: int, reason: str) -> Tie:
    """Withdraw a declaration made in error (staff only: an expert cannot undo their own recusal ground)."""
    if not (reason or "").strip():
        raise InvalidInput("experts.reason_required", "请填写原因", "give the reason", {"field": "reason"})
    with action(actor, "experts.withdraw_tie") as act:
        expert = _lock_expert(expert_id)
        if not is_staff_over(actor, expert.region_code):
            raise _forbidden("撤回利害关系申报", "withdraw a relationship")
        tie = Tie.objects.filter(pk=tie_id, expert=expert, withdrawn_at__isnull=True).first()
        if tie is None:
            raise NotFound("experts.tie_not_found", "未找到该申报", "no such relationship")
        tie.withdrawn_at = act.now
        tie.save(update_fields=["withdrawn_at"])
        act.witness(tie, {"expert_id": expert.pk, "withdrawn": True, "reason": reason.strip()[:300]})
        _restricted(act, "experts.tie_withdrawn.v1", tie, {"expert_id": expert.pk})
        return tie


def do_record_sanction(*, actor: Actor, expert_id: int, data: Mapping[str, Any]) -> Sanction:
    """Record a sanction (行政处罚、暂停评标资格 …) with its period; staff or regulators over the region (the
    credit context will call this too)."""
    if not _may_sanction(actor, _peek(expert_id)):
        raise _forbidden("记录该专家的处理", "record a sanction for this expert")
    errors = FieldErrors()
    kind = str(data.get("kind") or "")
    if kind not in SanctionKind.values:
        errors.add(
            InvalidInput(
                "experts.sanction_kind_invalid",
                "处理类型不正确",
                "unknown sanction kind",
                {"field": "kind", "allowed": list(SanctionKind.values)},
            )
        )
    authority = errors.run("authority", validation.text, data, "authority", max_length=200)
    reason = errors.run("reason", validation.text, data, "reason", max_length=300)
    reference = errors.run("reference", validation.text, data, "reference", max_length=100, required=False)
    start = errors.run("start_date", validation.as_date, data.get("start_date"), "start_date")
    end = errors.run("end_date", validation.optional_date, data.get("end_date"), "end_date")
    errors.raise_if_any()
    if end is not None and end < start:
        raise InvalidInput(
            "experts.period_reversed", "结束日期早于开始日期", "the end is before the start", {"field": "end_date"}
        )
    with action(actor, "experts.record_sanction") as act:
        expert = _lock_expert(expert_id)
        if not _may_sanction(actor, expert):
            raise _forbidden("记录该专家的处理", "record a sanction for this expert")
        row = Sanction.objects.create(
            expert=expert,
            kind=kind,
            authority=authority,
            reason=reason,
            reference=reference or "",
            start_date=start,
            end_date=end,
            recorded_at=act.now,
            actor_ref=actor.ref,
        )
        act.witness(
            row,
            {
                "expert_id": expert.pk,
                "kind": kind,
                "start_date": start.isoformat(),
                "end_date": end.isoformat() if end else None,
                "reference": row.reference,
            },
        )
        _restricted(act, "experts.sanction_recorded.v1", row, {"expert_id": expert.pk})
        return row


def do_revoke_sanction(*, actor: Actor, expert_id: int, sanction_id: int, reason: str) -> Sanction:
    if not (reason or "").strip():
        raise InvalidInput("experts.reason_required", "请填写原因", "give the reason", {"field": "reason"})
    with action(actor, "experts.revoke_sanction") as act:
        expert = _lock_expert(expert_id)
        if not _may_sanction(actor, expert):
            raise _forbidden("撤销该处理记录", "revoke this sanction")
        row = Sanction.objects.filter(pk=sanction_id, expert=expert, revoked_at__isnull=True).first()
        if row is None:
            raise NotFound("experts.sanction_not_found", "未找到该处理记录", "no such sanction")
        row.revoked_at = act.now
        row.save(update_fields=["revoked_at"])
        act.witness(row, {"expert_id": expert.pk, "revoked": True, "reason": reason.strip()[:300]})
        _restricted(act, "experts.sanction_revoked.v1", row, {"expert_id": expert.pk})
        return row


# -- seed commitments ------------------------------------------------------------------------------------------------


def _new_commitment(act: ActionRecorder) -> SeedCommitment:
    secret = secrets.token_hex(32)
    row = SeedCommitment.objects.create(secret=secret, commitment=draw_rules.commitment_of(secret), created_at=act.now)
    act.witness(
        ("experts.seed_commitment", row.pk),
        {"scheme": SCHEME, "commitment": row.commitment},
        action="experts.commit_draw_seed",
    )
    return row


def do_commit_draw_seed(*, actor: Actor = SYSTEM) -> SeedCommitment:
    """Commit a fresh server secret (only its SHA-256 is witnessed) for a later draw."""
    with action(actor, "experts.commit_draw_seed") as act:
        return _new_commitment(act)


# -- draw requests ---------------------------------------------------------------------------------------------------


def _aware(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(
            "experts.instant_invalid",
            "时间须为带时区的 ISO 8601 时间",
            "an instant with a time zone (ISO 8601) is required",
            {"field": field},
        )
    return value


def _avoided(items: Any) -> list[dict[str, Any]]:
    if items in (None, ""):
        return []
    if not isinstance(items, list | tuple):
        raise InvalidInput(
            "experts.avoided_firms_invalid",
            "回避单位格式不正确",
            "avoided_firms must be a list",
            {"field": "avoided_firms"},
        )
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidInput(
                "experts.avoided_firms_invalid",
                "回避单位格式不正确",
                "each avoided firm is an object",
                {"field": f"avoided_firms.{i}"},
            )
    # one registry read for every firm named by id (a request lists dozens of bidders)
    ids = []
    for i, item in enumerate(items):
        raw = item.get("entity_id")
        if raw not in (None, ""):
            ids.append(validation.as_int(raw, f"avoided_firms.{i}.entity_id", minimum=1))
    known = validation.entity_refs(ids)
    out: dict[tuple, dict[str, Any]] = {}
    for i, item in enumerate(items):
        reason = str(item.get("reason") or "")
        if reason not in draw_rules.AVOID_REASON_LABELS_ZH:
            raise InvalidInput(
                "experts.avoid_reason_invalid",
                "回避原因须为 1 投标单位、2 招标单位、3 主管部门、4 代理机构或 9 其他",
                "the avoid reason is 1 bidder, 2 tenderer, 3 authority, 4 agency or 9 other",
                {"field": f"avoided_firms.{i}.reason", "allowed": list(draw_rules.AVOID_REASON_LABELS_ZH)},
            )
        try:
            firm = validation.firm(item, prefix="", name_required=False, known=known)
        except YiwangError as exc:
            exc.details["field"] = f"avoided_firms.{i}"
            raise
        if firm["entity_id"] is None and not firm["uscc"]:
            raise InvalidInput(
                "experts.avoided_firm_unidentified",
                "回避单位须以主体库编号或统一社会信用代码指明",
                "name each avoided firm by registry id or USCC",
                {"field": f"avoided_firms.{i}"},
            )
        key = (firm["entity_id"] or 0, firm["uscc"], reason)
        out[key] = {"entity_id": firm["entity_id"], "uscc": firm["uscc"], "name": firm["name"], "reason": reason}
    return [out[k] for k in sorted(out)]


def _lines(items: Any) -> list[Line]:
    if not isinstance(items, list | tuple):
        raise InvalidInput(
            "experts.draw_lines_empty", "至少须申请一个专业", "request at least one line", {"field": "lines"}
        )
    lines = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidInput(
                "experts.draw_lines_invalid", "抽取专业格式不正确", "each line is an object", {"field": f"lines.{i}"}
            )
        lines.append(
            Line(
                specialty=validation.require_specialty(item.get("specialty"), f"lines.{i}.specialty"),
                count=validation.as_int(item.get("count"), f"lines.{i}.count", minimum=1, maximum=50),
                reserve=validation.as_int(item.get("reserve", 1), f"lines.{i}.reserve", minimum=0, maximum=50),
                main_only=bool(item.get("main_only", False)),
            )
        )
    draw_rules.check_lines(lines)
    return lines


def _criteria(request: Mapping[str, Any]) -> Criteria:
    r = request["rules"]
    firms = request["avoided_firms"]
    return Criteria(
        kind=request["kind"],
        region_scope=tuple(request["region_scope"]),
        window_start=datetime.fromisoformat(request["meeting_start"]),
        window_end=datetime.fromisoformat(request["meeting_end"]),
        project_ref=request["project_ref"],
        avoided_entity_ids=frozenset(f["entity_id"] for f in firms if f["entity_id"] is not None),
        avoided_usccs=frozenset(f["uscc"] for f in firms if f["uscc"]),
        avoided_experts=frozenset(request["avoided_experts"]),
        age_max=r["age_max"],
        tie_lookback_years=r["tie_lookback_years"],
        recent_gap_days=r["recent_gap_days"],
    )


def _lines_of(request: Mapping[str, Any]) -> list[Line]:
    return [Line(**line) for line in request["lines"]]


def prepare_draw(actor: Actor, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check a draw request without drawing: ``(request, extras)`` where ``request`` is the canonical part
    that will be hashed (less the requesting actor and instant) and ``extras`` the rest (title, venue …)."""
    today = _today()
    errors = FieldErrors()
    project_ref = errors.run("project_ref", validation.text, data, "project_ref", max_length=100)
    section_ref = errors.run("section_ref", validation.text, data, "section_ref", max_length=100, required=False)
    title = errors.run("title", validation.text, data, "title", max_length=200, required=False)
    venue = errors.run("venue", validation.text, data, "venue", max_length=200, required=False)
    kind = str(data.get("kind") or "")
    if kind not in {k.value for k in PoolKind}:
        errors.add(
            InvalidInput(
                "experts.kind_invalid",
                "评审类别须为 works（工程建设）或 gp（政府采购）",
                "kind is works or gp",
                {"field": "kind"},
            )
        )
    region_code = errors.run("region_code", validation.region, data.get("region_code"), "region_code", today)
    start = errors.run("meeting_start", _aware, data.get("meeting_start"), "meeting_start")
    end = errors.run("meeting_end", _aware, data.get("meeting_end"), "meeting_end")
    lines = errors.run("lines", _lines, data.get("lines"))
    firms = errors.run("avoided_firms", _avoided, data.get("avoided_firms"))
    representatives = errors.run(
        "representatives", validation.as_int, data.get("representatives", 0), "representatives", minimum=0, maximum=10
    )
    confirm = errors.run(
        "confirm_minutes",
        validation.as_int,
        data.get("confirm_minutes", DEFAULT_CONFIRM_MINUTES),
        "confirm_minutes",
        minimum=5,
        maximum=24 * 60,
    )
    budget = data.get("budget_fen")
    if budget not in (None, ""):
        budget = errors.run("budget_fen", validation.as_int, budget, "budget_fen", minimum=0)
    else:
        budget = None
    hub = str(data.get("hub") or LOCAL)
    raw_experts = data.get("avoided_experts") or []
    avoided_experts = errors.run(
        "avoided_experts",
        lambda items: sorted({validation.as_int(i, "avoided_experts", minimum=1) for i in items}),
        raw_experts if isinstance(raw_experts, list | tuple) else [raw_experts],
    )
    errors.raise_if_any()
    scope_raw = data.get("region_scope") or [region_code[:2] + "0000"]
    if not isinstance(scope_raw, list | tuple):
        scope_raw = [scope_raw]
    scope = sorted({validation.region(code, "region_scope", today) for code in scope_raw})
    if start <= now():
        raise InvalidInput(
            "experts.meeting_in_past",
            "评审开始时间须晚于当前时间",
            "the meeting must be in the future",
            {"field": "meeting_start"},
        )
    if end <= start:
        raise InvalidInput(
            "experts.period_reversed",
            "评审结束时间须晚于开始时间",
            "the meeting ends before it starts",
            {"field": "meeting_end"},
        )
    if not actor.is_system and not actor.covers_region(region_code, Role.STAFF):
        raise _forbidden("为该区域的项目抽取专家", "draw experts for projects of this region")
    pool_kind = PoolKind(kind)
    panel = str(data.get("panel") or "committee")
    if panel not in rules.PANEL_KINDS or (panel == "panel" and pool_kind is not PoolKind.GP):
        raise InvalidInput(
            "experts.panel_kind",
            "评审小组类型须为评标委员会（committee）或政府采购非招标方式的谈判/询价/磋商小组（panel）",
            "panel must be committee, or panel for GP non-tender methods",
            {"field": "panel", "allowed": list(rules.PANEL_KINDS)},
        )
    committee_rules.check(
        sum(line.count for line in lines),
        representatives,
        rules.committee_rules(pool_kind, start, panel=panel),
        budget_fen=budget,
        large=bool(data.get("large", False)),
    )
    request = {
        "scheme": SCHEME,
        "hub": hub,
        "project_ref": project_ref,
        "section_ref": section_ref or "",
        "kind": kind,
        "region_code": region_code,
        "region_scope": scope,
        "meeting_start": iso_utc(start),
        "meeting_end": iso_utc(end),
        "lines": [line.as_json() for line in lines],
        "avoided_firms": [{k: f[k] for k in ("entity_id", "uscc", "reason")} for f in firms],
        "avoided_experts": avoided_experts,
        "representatives": representatives,
        "budget_fen": budget,
        "large": bool(data.get("large", False)),
        "rules": rules.draw_rules(pool_kind, start),
        "parent": None,
    }
    if panel != "committee":
        request["panel"] = panel
    extras = {
        "title": title or "",
        "venue": venue or "",
        "confirm_minutes": confirm,
        "firm_names": {f"{f['entity_id'] or ''}/{f['uscc']}": f["name"] for f in firms},
        "parties": sorted(
            {
                f["entity_id"]
                for f in firms
                if f["entity_id"] and f["reason"] in (AvoidReason.TENDERER, AvoidReason.AGENCY)
            }
        ),
    }
    return request, extras


class _NoCommitment(Exception):
    pass


def _line_pools(request: Mapping[str, Any]) -> list[LinePool]:
    return pool_for(request["hub"]).line_pools(_lines_of(request), _criteria(request))


def do_request_draw(*, actor: Actor, data: Mapping[str, Any]) -> Draw:
    """抽取专家: check the request (committee composition, every input), make sure it can be satisfied (else
    ``RuleViolation experts.draw_unsatisfiable`` and nothing is written), then draw with a committed seed.
    Members are notified at once; the names stay sealed until the meeting starts or it is unsealed."""
    request, extras = prepare_draw(actor, data)
    for _ in range(3):
        if not SeedCommitment.objects.filter(draw__isnull=True).exists():
            # committing a seed is witnessed: make sure the draw can be satisfied before writing anything
            problem = draw_rules.unsatisfiable(_lines_of(request), _line_pools(request))
            if problem is not None:
                raise problem
            do_commit_draw_seed()
        try:
            return _draw(actor, request, extras)
        except _NoCommitment:
            continue
    raise ServiceUnavailable("experts.seed_unavailable", "暂时无法生成抽取种子，请重试", "no seed available; retry")


def _respond_by(at: datetime, minutes: int, meeting_start: datetime) -> datetime:
    return min(at + timedelta(minutes=minutes), meeting_start)


def _perform(
    act: ActionRecorder,
    request: dict[str, Any],
    extras: Mapping[str, Any],
    *,
    parent: Draw | None = None,
    fills_line: int | None = None,
    replaces: Seat | None = None,
) -> Draw:
    """Inside an open action: consume a commitment, draw, store seats and notify (raises _NoCommitment or
    the unsatisfiable refusal)."""
    commitment = lock_objects.unused_commitment_for_update().first()
    if commitment is None:
        raise _NoCommitment
    public_seq, public_hash = chain.head()
    lines = _lines_of(request)
    pools = _line_pools(request)
    problem = draw_rules.unsatisfiable(lines, pools)
    if problem is not None:
        raise problem
    request = {**request, "requested_by": act.actor.ref, "requested_at": iso_utc(act.now)}
    req_digest = draw_rules.request_digest(request)
    seed = draw_rules.derive_seed(commitment.secret, req_digest, public_hash)
    results = draw_rules.select(lines, pools, seed)
    candidate_lists = [list(p.candidates) for p in pools]
    start = datetime.fromisoformat(request["meeting_start"])
    end = datetime.fromisoformat(request["meeting_end"])
    draw = Draw.objects.create(
        parent=parent,
        project_ref=request["project_ref"],
        section_ref=request["section_ref"],
        title=extras.get("title", ""),
        kind=request["kind"],
        region_code=request["region_code"],
        region_scope=request["region_scope"],
        meeting_start=start,
        meeting_end=end,
        venue=extras.get("venue", ""),
        representatives=request["representatives"],
        budget_fen=request["budget_fen"],
        lines=request["lines"],
        avoided_firms=[
            {**f, "name": extras.get("firm_names", {}).get(f"{f['entity_id'] or ''}/{f['uscc']}", "")}
            for f in request["avoided_firms"]
        ],
        avoided_experts=request["avoided_experts"],
        party_entity_ids=list(extras.get("parties", [])),
        request=request,
        request_digest=req_digest,
        rules=request["rules"],
        commitment=commitment,
        public_seq=public_seq,
        public_hash=public_hash,
        seed=seed,
        candidates=candidate_lists,
        candidates_digest=draw_rules.candidates_digest(candidate_lists),
        exclusions=[{"holders": p.holders, "eligible": len(p.candidates), "excluded": p.excluded} for p in pools],
        result=[r.as_json() for r in results],
        result_digest=draw_rules.result_digest(results),
        seal_salt=secrets.token_hex(16),
        confirm_minutes=extras.get("confirm_minutes", DEFAULT_CONFIRM_MINUTES),
        requested_by_ref=act.actor.ref,
        requested_by_label=act.actor.label[:200],
        created_at=act.now,
    )
    names = dict(
        Expert.objects.filter(pk__in=[e for r in results for e in (*r.members, *r.reserves)]).values_list("pk", "name")
    )
    respond_by = _respond_by(act.now, draw.confirm_minutes, start)
    seats: list[Seat] = []
    for r in results:
        line_no = fills_line if fills_line is not None else r.index
        for rank, expert_id in enumerate(r.members):
            seats.append(
                Seat(
                    draw=draw,
                    expert_id=expert_id,
                    line=line_no,
                    specialty=r.specialty,
                    role=SeatRole.MEMBER,
                    rank=rank,
                    status=SeatStatus.NOTIFIED,
                    meeting_start=start,
                    meeting_end=end,
                    notified_at=act.now,
                    respond_by=respond_by,
                    replaces=replaces if (replaces is not None and rank == 0) else None,
                )
            )
        for rank, expert_id in enumerate(r.reserves):
            seats.append(
                Seat(
                    draw=draw,
                    expert_id=expert_id,
                    line=line_no,
                    specialty=r.specialty,
                    role=SeatRole.RESERVE,
                    rank=rank,
                    status=SeatStatus.RESERVE,
                    meeting_start=start,
                    meeting_end=end,
                )
            )
    for seat in seats:
        seat.save()
    sealed = [
        {
            "seat": s.pk,
            "line": s.line,
            "role": s.role,
            "rank": s.rank,
            "expert": s.expert_id,
            "name": names.get(s.expert_id, ""),
        }
        for s in seats
    ]
    draw.sealed = sealed
    draw.sealed_digest = draw_rules.sealed_digest(draw.ref, sealed, draw.seal_salt)
    draw.save(update_fields=["sealed", "sealed_digest"])
    act.witness(
        draw,
        {
            "scheme": SCHEME,
            "parent": parent.pk if parent else None,
            "project_ref": draw.project_ref,
            "section_ref": draw.section_ref,
            "request_digest": req_digest,
            "commitment_id": commitment.pk,
            "commitment": commitment.commitment,
            "public_seq": public_seq,
            "public_hash": public_hash,
            "seed": seed,
            "candidates_digest": draw.candidates_digest,
            "result_digest": draw.result_digest,
            "sealed_digest": draw.sealed_digest,
            "seats": [{"seat": s.pk, "line": s.line, "role": s.role, "rank": s.rank} for s in seats],
            "eligible": [len(p.candidates) for p in pools],
        },
        action="experts.request_draw" if parent is None else "experts.supplementary_draw",
    )
    for seat in seats:
        if seat.role == SeatRole.MEMBER:
            Performance.objects.create(
                seat=seat, expert_id=seat.expert_id, attendance=Attendance.PENDING, recorded_at=act.now
            )
            _notify_drawn(act, seat, draw)
    _new_commitment(act)
    _restricted(
        act,
        "experts.draw_made.v1" if parent is None else "experts.draw_supplemented.v1",
        draw,
        {
            "draw_id": draw.pk,
            "parent": parent.pk if parent else None,
            "project_ref": draw.project_ref,
            "section_ref": draw.section_ref,
            "members": sum(len(r.members) for r in results),
            "reserves": sum(len(r.reserves) for r in results),
        },
    )
    return draw


def _draw(actor: Actor, request: dict[str, Any], extras: Mapping[str, Any]) -> Draw:
    with action(actor, "experts.request_draw") as act:
        draw = _perform(act, request, extras)
        _refresh_status(draw)
        return draw


# -- notifications ---------------------------------------------------------------------------------------------------


def _local(moment: datetime) -> str:
    from yiwang.kernel.periods import SHANGHAI

    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _notify_drawn(act: ActionRecorder, seat: Seat, draw: Draw) -> None:
    expert = seat.expert
    title = "评标（评审）任务抽取通知"
    body = (
        f"您已被随机抽取参加一项评标（评审）活动。时间：{_local(draw.meeting_start)} 至 {_local(draw.meeting_end)}；"
        f"地点：{draw.venue or '另行通知'}。请于 {_local(seat.respond_by)} 前登录平台“我的评审任务”确认是否参加。"
        "项目信息在评审开始时公布，请勿向他人透露本通知。"
    )
    _send(act, expert, seat, title, body)


def _send(act: ActionRecorder, expert: Expert, seat: Seat | None, title: str, body: str) -> None:
    """In-site message (the platform inbox, witnessed without naming the expert while the draw is sealed) to
    experts with an account, then SMS / voice through the expert's channels after commit."""
    if expert.account_id is not None:
        inbox.do_send_message(
            actor=act.actor,
            recipient=f"account:{expert.account_id}",
            title=title,
            body=body,
            link="/experts/tasks/",
            category="experts.draw",
            key=f"experts.seat:{seat.pk}:{digest_json([title, body])[:16]}" if seat is not None else "",
            confidential=True,
        )
    for channel in expert.notify_channels:
        if channel == notify.IN_SITE:
            continue
        delivery = Delivery.objects.create(expert=expert, seat=seat, channel=channel, body=body, created_at=act.now)
        outgoing = notify.Outgoing(channel, expert.phone, title, body, delivery.pk)
        act.on_commit(lambda out=outgoing: _deliver(out))


def _deliver(outgoing: notify.Outgoing) -> None:
    """After commit: hand the message to the gateway and note its answer (delivery bookkeeping)."""
    try:
        ref = notify.notifier(outgoing.channel).send(outgoing)
    except Exception as exc:  # a gateway failure must not break the committed action
        Delivery.objects.filter(pk=outgoing.delivery_id).update(status="failed", provider_ref=str(exc)[:100])
        return
    Delivery.objects.filter(pk=outgoing.delivery_id).update(status="sent", provider_ref=ref[:100], sent_at=now())


# -- draw status, replacement --------------------------------------------------------------------------------------


def _root(draw: Draw) -> Draw:
    return draw.parent if draw.parent_id else draw


def _family_ids(root: Draw) -> list[int]:
    return [root.pk, *Draw.objects.filter(parent=root).values_list("pk", flat=True)]


def _refresh_status(draw: Draw) -> None:
    root = _root(draw)
    if root.status == DrawStatus.CANCELLED:
        return
    seats = list(Seat.objects.filter(draw_id__in=_family_ids(root)).values_list("line", "status"))
    status = DrawStatus.CONFIRMED
    for index, line in enumerate(root.lines):
        active = [s for ln, s in seats if ln == index and s in ACTIVE_SEATS]
        if len(active) < line["count"]:
            status = DrawStatus.SHORT
            break
        if any(s == SeatStatus.NOTIFIED for s in active):
            status = DrawStatus.CONFIRMING
    if root.status != status:
        Draw.objects.filter(pk__in=_family_ids(root)).update(status=status)
        root.status = status


def _still_eligible(seat: Seat, root: Draw) -> str | None:
    """The first exclusion that now applies to a reserve (or None), judged on the draw's own criteria plus
    every expert already in the draw."""
    family_experts = set(Seat.objects.filter(draw_id__in=_family_ids(root)).values_list("expert_id", flat=True))
    request = dict(root.request)
    criteria = _criteria(request)
    facts = gather_facts(criteria, expert_ids=[seat.expert_id])
    if not facts:
        return "not_found"
    reason = first_exclusion(
        facts[0], replace(criteria, avoided_experts=criteria.avoided_experts | (family_experts - {seat.expert_id}))
    )
    return reason.value if reason else None


def _fill_vacancy(act: ActionRecorder, vacated: Seat) -> Seat | None:
    """Call the next reserve of the line (skipping reserves no longer eligible); when none is left, draw a
    supplementary expert with the next committed seed; when that fails too, the draw is short (待补抽)."""
    root = _root(vacated.draw)
    if root.status == DrawStatus.CANCELLED:
        return None
    reserves = (
        Seat.objects.select_for_update()
        .filter(draw_id__in=_family_ids(root), line=vacated.line, role=SeatRole.RESERVE, status=SeatStatus.RESERVE)
        .order_by("draw_id", "rank", "pk")
    )
    for reserve in reserves:
        reason = _still_eligible(reserve, root)
        if reason is not None:
            reserve.status = SeatStatus.SKIPPED
            reserve.note = EXCLUSION_LABELS_ZH.get(reason, reason)[:300]
            reserve.save(update_fields=["status", "note"])
            act.witness(
                ("experts.seat", reserve.pk),
                {"draw_id": reserve.draw_id, "skipped": reason},
                action="experts.skip_reserve",
            )
            continue
        reserve.status = SeatStatus.NOTIFIED
        reserve.replaces = vacated
        reserve.notified_at = act.now
        reserve.respond_by = _respond_by(act.now, root.confirm_minutes, root.meeting_start)
        reserve.save(update_fields=["status", "replaces", "notified_at", "respond_by"])
        Performance.objects.create(
            seat=reserve, expert_id=reserve.expert_id, attendance=Attendance.PENDING, recorded_at=act.now
        )
        _notify_drawn(act, reserve, root)
        act.witness(
            ("experts.seat", reserve.pk),
            {"draw_id": reserve.draw_id, "replaces": vacated.pk},
            action="experts.call_reserve",
        )
        _restricted(act, "experts.reserve_called.v1", root, {"draw_id": root.pk, "line": vacated.line})
        return reserve
    return _supplement(act, root, vacated.line, 1, replaces=vacated)


def _supplement(act: ActionRecorder, root: Draw, line: int, count: int, *, replaces: Seat | None) -> Seat | None:
    """A supplementary draw for ``count`` experts of ``line`` inside the open action; None when it cannot be
    made now (no committed seed, or not enough eligible experts)."""
    base = dict(root.request)
    spec = root.lines[line]
    family_experts = set(Seat.objects.filter(draw_id__in=_family_ids(root)).values_list("expert_id", flat=True))
    request = {
        **{k: v for k, v in base.items() if k not in ("requested_by", "requested_at")},
        "lines": [{**spec, "count": count, "reserve": 0}],
        "avoided_experts": sorted(set(base["avoided_experts"]) | family_experts),
        "parent": root.pk,
    }
    extras = {
        "title": root.title,
        "venue": root.venue,
        "confirm_minutes": root.confirm_minutes,
        "parties": root.party_entity_ids,
        "firm_names": {f"{f['entity_id'] or ''}/{f['uscc']}": f.get("name", "") for f in root.avoided_firms},
    }
    try:
        with transaction.atomic():
            child = _perform(act, request, extras, parent=root, fills_line=line, replaces=replaces)
    except (_NoCommitment, YiwangError):
        return None
    return Seat.objects.filter(draw=child, role=SeatRole.MEMBER).order_by("rank").first()


# -- answers, check-in, absence ------------------------------------------------------------------------------------


def _lock_seat(seat_id: int) -> tuple[Seat, Draw]:
    seat = Seat.objects.select_related("draw", "expert").filter(pk=seat_id).first()
    if seat is None:
        raise NotFound("experts.seat_not_found", "未找到该评审任务", "no such seat", {"seat_id": seat_id})
    root = _root(seat.draw)
    lock_objects.draw_for_update(root.pk).first()
    seat = Seat.objects.select_for_update(of=("self",)).select_related("draw", "expert").get(pk=seat_id)
    return seat, root


def _set_attendance(seat: Seat, attendance: Attendance, at: datetime) -> None:
    Performance.objects.filter(seat=seat).update(attendance=attendance, recorded_at=at)


def do_answer_seat(*, actor: Actor, seat_id: int, accept: bool, reason: str = "") -> Seat:
    """The drawn expert confirms (确认参加) or declines (拒绝, with a reason) before the answer deadline. A
    decline calls the next reserve at once."""
    reason = (reason or "").strip()
    if not accept and not reason:
        raise InvalidInput(
            "experts.reason_required", "拒绝参加须填写理由", "give the reason for declining", {"field": "reason"}
        )
    seat_probe = Seat.objects.select_related("expert").filter(pk=seat_id).first()
    if seat_probe is None or not is_self(actor, seat_probe.expert):
        raise NotFound("experts.seat_not_found", "未找到该评审任务", "no such seat", {"seat_id": seat_id})
    with action(_sealed_actor(actor), "experts.confirm_seat" if accept else "experts.decline_seat") as act:
        seat, root = _lock_seat(seat_id)
        if seat.status != SeatStatus.NOTIFIED:
            raise Conflict(
                "experts.seat_not_awaiting_answer",
                "该任务当前不需要答复",
                "this seat awaits no answer",
                {"status": seat.status},
            )
        if seat.respond_by is not None and act.now > seat.respond_by:
            raise Conflict(
                "experts.answer_too_late",
                "已超过答复期限",
                "the answer deadline has passed",
                {"respond_by": iso_utc(seat.respond_by)},
            )
        seat.responded_at = act.now
        if accept:
            seat.status = SeatStatus.CONFIRMED
            seat.save(update_fields=["status", "responded_at"])
            act.witness(("experts.seat", seat.pk), {"draw_id": seat.draw_id, "answer": "confirm"})
        else:
            seat.status = SeatStatus.DECLINED
            seat.decline_reason = reason[:300]
            seat.save(update_fields=["status", "responded_at", "decline_reason"])
            _set_attendance(seat, Attendance.DECLINED, act.now)
            act.witness(("experts.seat", seat.pk), {"draw_id": seat.draw_id, "answer": "decline"})
            _fill_vacancy(act, seat)
        _refresh_status(root)
        _restricted(act, "experts.seat_answered.v1", root, {"draw_id": root.pk, "accepted": accept})
        return seat


def do_expire_answer(*, actor: Actor = SYSTEM, seat_id: int) -> Seat:
    """A drawn expert did not answer in time: record it and call the next reserve (clock job)."""
    with action(actor, "experts.expire_answer") as act:
        seat, root = _lock_seat(seat_id)
        if seat.status != SeatStatus.NOTIFIED or seat.respond_by is None or seat.respond_by > act.now:
            raise Conflict(
                "experts.seat_not_awaiting_answer",
                "该任务当前不需要答复",
                "this seat awaits no answer",
                {"status": seat.status},
            )
        seat.status = SeatStatus.NO_ANSWER
        seat.save(update_fields=["status"])
        _set_attendance(seat, Attendance.NO_ANSWER, act.now)
        act.witness(("experts.seat", seat.pk), {"draw_id": seat.draw_id, "expired": True})
        _fill_vacancy(act, seat)
        _refresh_status(root)
        _restricted(act, "experts.answer_expired.v1", root, {"draw_id": root.pk})
        return seat


def _staff_seat(actor: Actor, seat_id: int, what_zh: str, what_en: str) -> tuple[Seat, Draw]:
    seat, root = _lock_seat(seat_id)
    if not is_staff_over(actor, root.region_code):
        raise _forbidden(what_zh, what_en)
    return seat, root


def do_check_in(*, actor: Actor, seat_id: int) -> Seat:
    """签到 at the meeting; after the start time it counts as late (迟到)."""
    with action(actor, "experts.check_in") as act:
        seat, root = _staff_seat(actor, seat_id, "为专家签到", "check experts in")
        if seat.status not in (SeatStatus.CONFIRMED, SeatStatus.NOTIFIED):
            raise Conflict(
                "experts.seat_not_checkable",
                "该专家不在待签到状态",
                "this seat cannot check in",
                {"status": seat.status},
            )
        if local_date(act.now) < local_date(root.meeting_start):
            raise Conflict("experts.meeting_not_today", "评审当日方可签到", "check-in opens on the meeting day")
        seat.status = SeatStatus.CHECKED_IN
        seat.checked_in_at = act.now
        seat.save(update_fields=["status", "checked_in_at"])
        late = act.now > root.meeting_start
        _set_attendance(seat, Attendance.LATE if late else Attendance.ATTENDED, act.now)
        act.witness(("experts.seat", seat.pk), {"draw_id": seat.draw_id, "checked_in": iso_utc(act.now), "late": late})
        _refresh_status(root)
        _restricted(act, "experts.expert_checked_in.v1", root, {"draw_id": root.pk, "late": late})
        return seat


def do_mark_absent(*, actor: Actor, seat_id: int, note: str = "") -> Seat:
    """An expert who was to sit did not come (缺席): recorded for their performance, and the next reserve is
    called (现场递补)."""
    with action(actor, "experts.mark_absent") as act:
        seat, root = _staff_seat(actor, seat_id, "记录专家缺席", "record absences")
        if seat.status not in (SeatStatus.CONFIRMED, SeatStatus.NOTIFIED):
            raise Conflict(
                "experts.seat_not_checkable",
                "该专家不在待签到状态",
                "this seat is not expected",
                {"status": seat.status},
            )
        if act.now < root.meeting_start:
            raise Conflict("experts.meeting_not_started", "评审开始后方可记录缺席", "the meeting has not started")
        seat.status = SeatStatus.ABSENT
        seat.note = (note or "").strip()[:300]
        seat.save(update_fields=["status", "note"])
        _set_attendance(seat, Attendance.ABSENT, act.now)
        act.witness(("experts.seat", seat.pk), {"draw_id": seat.draw_id, "absent": True})
        _fill_vacancy(act, seat)
        _refresh_status(root)
        _restricted(act, "experts.expert_absent.v1", root, {"draw_id": root.pk})
        return seat


def do_supplementary_draw(*, actor: Actor, draw_id: int) -> Draw:
    """补抽: fill every line that is short (after reserves ran out) with a supplementary draw."""
    root = Draw.objects.filter(pk=draw_id, parent__isnull=True).first()
    if root is None:
        raise NotFound("experts.draw_not_found", "未找到该抽取记录", "no such draw", {"draw_id": draw_id})
    if not SeedCommitment.objects.filter(draw__isnull=True).exists():
        do_commit_draw_seed()
    with action(actor, "experts.supplementary_draw") as act:
        lock_objects.draw_for_update(root.pk).first()
        root.refresh_from_db()
        if not is_staff_over(actor, root.region_code):
            raise _forbidden("补抽专家", "make supplementary draws")
        if root.status != DrawStatus.SHORT:
            raise Conflict(
                "experts.draw_not_short", "该抽取人数已满，无需补抽", "no line is short", {"status": root.status}
            )
        seats = list(Seat.objects.filter(draw_id__in=_family_ids(root)).values_list("line", "status"))
        made = False
        for index, line in enumerate(root.lines):
            active = sum(1 for ln, s in seats if ln == index and s in ACTIVE_SEATS)
            missing = line["count"] - active
            if missing > 0:
                base = dict(root.request)
                family = set(Seat.objects.filter(draw_id__in=_family_ids(root)).values_list("expert_id", flat=True))
                request = {
                    **{k: v for k, v in base.items() if k not in ("requested_by", "requested_at")},
                    "lines": [{**line, "count": missing, "reserve": line.get("reserve", 0)}],
                    "avoided_experts": sorted(set(base["avoided_experts"]) | family),
                    "parent": root.pk,
                }
                extras = {
                    "title": root.title,
                    "venue": root.venue,
                    "confirm_minutes": root.confirm_minutes,
                    "parties": root.party_entity_ids,
                    "firm_names": {
                        f"{f['entity_id'] or ''}/{f['uscc']}": f.get("name", "") for f in root.avoided_firms
                    },
                }
                try:
                    _perform(act, request, extras, parent=root, fills_line=index)
                except _NoCommitment:
                    raise ServiceUnavailable(
                        "experts.seed_unavailable", "暂时无法生成抽取种子，请重试", "no seed available; retry"
                    ) from None
                made = True
        if not made:
            raise Conflict("experts.draw_not_short", "该抽取人数已满，无需补抽", "no line is short")
        _refresh_status(root)
        return root


# -- unsealing --------------------------------------------------------------------------------------------------------


def do_unseal_draw(*, actor: Actor, draw_id: int) -> Draw:
    """启封: reveal who was drawn (with the seed secret, the full request and the salt, so anyone can check the
    sealed digests). Staff over the draw's region, or the clock when the meeting starts."""
    with action(actor, "experts.unseal_draw") as act:
        root = lock_objects.draw_for_update(draw_id).first()
        if root is None or root.parent_id is not None:
            raise NotFound("experts.draw_not_found", "未找到该抽取记录", "no such draw", {"draw_id": draw_id})
        if not is_staff_over(actor, root.region_code):
            raise _forbidden("启封抽取结果", "unseal draws")
        if root.unsealed_at is not None:
            raise Conflict("experts.already_unsealed", "抽取结果已启封", "the draw is already unsealed")
        family = [root, *Draw.objects.filter(parent=root).select_related("commitment").order_by("pk")]
        Draw.objects.filter(pk__in=[d.pk for d in family]).update(unsealed_at=act.now, unsealed_by=actor.ref)
        root.unsealed_at, root.unsealed_by = act.now, actor.ref
        for d in family:
            act.witness(
                d,
                {
                    "request": d.request,
                    "secret": d.commitment.secret,
                    "commitment": d.commitment.commitment,
                    "seats": d.sealed,
                    "salt": d.seal_salt,
                    "sealed_digest": d.sealed_digest,
                },
            )
        _restricted(act, "experts.draw_unsealed.v1", root, {"draw_id": root.pk})
        return root


def do_cancel_draw(*, actor: Actor, draw_id: int, reason: str) -> Draw:
    """撤销 a draw (the procedure was stopped): seats are released and the experts told."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("experts.reason_required", "请填写原因", "give the reason", {"field": "reason"})
    with action(actor, "experts.cancel_draw") as act:
        root = lock_objects.draw_for_update(draw_id).first()
        if root is None or root.parent_id is not None:
            raise NotFound("experts.draw_not_found", "未找到该抽取记录", "no such draw", {"draw_id": draw_id})
        if not is_staff_over(actor, root.region_code):
            raise _forbidden("撤销抽取", "cancel draws")
        if root.status == DrawStatus.CANCELLED:
            raise Conflict("experts.draw_cancelled", "该抽取已撤销", "the draw is already cancelled")
        ids = _family_ids(root)
        for seat in (
            Seat.objects.select_for_update(of=("self",))
            .select_related("expert")
            .filter(draw_id__in=ids, status__in=(*ACTIVE_SEATS, SeatStatus.RESERVE))
            .order_by("pk")
        ):
            was_active = seat.status in ACTIVE_SEATS
            seat.status = SeatStatus.RELEASED
            seat.save(update_fields=["status"])
            if was_active:
                Performance.objects.filter(seat=seat).delete()
                _send(
                    act,
                    seat.expert,
                    seat,
                    "评标（评审）任务取消通知",
                    f"您于 {_local(root.meeting_start)} 的评标（评审）任务已取消，无需参加。",
                )
        Draw.objects.filter(pk__in=ids).update(status=DrawStatus.CANCELLED)
        root.status = DrawStatus.CANCELLED
        act.witness(root, {"cancelled": True, "reason": reason[:300]})
        _restricted(act, "experts.draw_cancelled.v1", root, {"draw_id": root.pk})
        return root


# -- performance ------------------------------------------------------------------------------------------------------


def do_record_performance(
    *, actor: Actor, seat_id: int, data: Mapping[str, Any], expected_version: int | None
) -> Performance:
    """Record how the expert did (evaluation minutes, score deviation from the panel as a share of the maximum
    points, complaints, a 1–5 rating, notes). Staff over the draw's region; the evaluation context will call
    it with the deviation it computes."""
    errors = FieldErrors()
    values: dict[str, Any] = {}
    if "evaluation_minutes" in data:
        raw = data["evaluation_minutes"]
        values["evaluation_minutes"] = (
            None
            if raw in (None, "")
            else errors.run(
                "evaluation_minutes", validation.as_int, raw, "evaluation_minutes", minimum=0, maximum=100_000
            )
        )
    if "score_deviation" in data:
        raw = data["score_deviation"]
        if raw in (None, ""):
            values["score_deviation"] = None
        else:
            try:
                dev = Decimal(str(raw))
                if not (Decimal(-1) <= dev <= Decimal(1)) or dev.as_tuple().exponent < -4:
                    raise InvalidOperation
                values["score_deviation"] = dev
            except (InvalidOperation, ValueError):
                errors.add(
                    InvalidInput(
                        "experts.deviation_invalid",
                        "评分偏离度须为 -1 到 1 之间、至多 4 位小数",
                        "the deviation is a number from -1 to 1 with at most 4 decimals",
                        {"field": "score_deviation"},
                    )
                )
    if "complaints" in data:
        values["complaints"] = errors.run(
            "complaints", validation.as_int, data["complaints"], "complaints", minimum=0, maximum=1000
        )
    if "rating" in data:
        raw = data["rating"]
        values["rating"] = (
            None
            if raw in (None, "")
            else errors.run("rating", validation.as_int, raw, "rating", minimum=RATING_MIN, maximum=RATING_MAX)
        )
    if "notes" in data:
        values["notes"] = errors.run("notes", validation.text, data, "notes", max_length=500, required=False)
    errors.raise_if_any()
    with action(actor, "experts.record_performance") as act:
        seat, root = _staff_seat(actor, seat_id, "记录专家评价", "record performance")
        perf = lock_objects.performance_for_update(seat.pk).first()
        if perf is None:
            raise NotFound("experts.performance_not_found", "该席位没有评价记录", "no performance record for this seat")
        check_version(perf.version, expected_version)
        for field, value in values.items():
            setattr(perf, field, value)
        perf.version += 1
        perf.recorded_at = act.now
        perf.save()
        act.witness(perf, {"seat": seat.pk, "draw_id": seat.draw_id, "fields": sorted(values), "version": perf.version})
        _restricted(act, "experts.performance_recorded.v1", perf, {"draw_id": root.pk})
        return perf

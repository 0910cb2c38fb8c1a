"""Steps shared by the tender actions (each runs inside the calling action): notices, bid boxes, deposit lots,
postponement (顺延), suspension and resumption, failure (流标/废标). Not a public interface."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, YiwangError
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.finance import actions as finance
from yiwang.services.notices import actions as notices
from yiwang.services.venues import actions as venues
from yiwang.trading.tender import internal as t
from yiwang.trading.tender.bidformat import READOUT_FIELDS
from yiwang.trading.tender.conf import tender_settings
from yiwang.trading.tender.domain import procedures as procedure_rules
from yiwang.trading.tender.domain.states import S
from yiwang.trading.tender.models import Clarification, Invitee, Project, Section, TenderDocument


def opening_key_pk(value: Any) -> int:
    from yiwang.services.bidbox import queries as bidbox_queries

    if value in (None, ""):
        raise InvalidInput(
            "tender.opening_key_required",
            "须指定开标密钥（由交易中心组织密钥仪式产生）",
            "an opening key (from the centre's key ceremony) is required",
            {"field": "opening_key"},
        )
    try:
        return bidbox_queries.get_opening_key(value).pk
    except YiwangError as exc:
        raise exc.at("opening_key") from None


def regime_of(project: Project) -> str:
    return t.procedure_of(project).deposit_regimes[project.subject]


def sync_lot(section: Section, opening_at: datetime, actor: Actor) -> None:
    """Set or amend the section's deposit requirement (finance): its amount and caps, and the opening instant
    before which who paid stays secret."""
    if section.deposit_fen <= 0:
        return
    project = section.project
    finance.do_set_deposit_requirement(
        actor=actor,
        lot_ref=t.lot_ref_of(section),
        regime=regime_of(project),
        opening_at=opening_at,
        amount_fen=section.deposit_fen,
        base_fen=section.estimate_fen,
        title=f"{project.name} {section.name}"[:200],
        region_code=project.region_code,
        owner_entity_id=project.tenderer_entity_id,
        bid_validity_until=opening_at + timedelta(days=project.bid_validity_days),
    )
    section.lot_ref = t.lot_ref_of(section)


def open_box(section: Section, deadline: datetime, key_pk: int) -> None:
    """The section's bid box for the current round (opened by the clock, not by the box's own job)."""
    project = section.project
    proc = t.procedure_of(project)
    box = bidbox.do_open_box(
        actor=t.PLATFORM,
        owner=t.box_owner(section),
        title=f"{project.name} {section.name}"[:190] + (f"（第{section.round}次）" if section.round > 1 else ""),
        deadline=deadline,
        opening_key=key_pk,
        min_bidders_rule=proc.min_bidders_rule,
        opening_rule=proc.opening_rule,
        decryption_window=tender_settings().decryption_window,
        project_code=project.tender_project_code,
        section_code=section.code,
        region=project.region_code,
        readout_fields=READOUT_FIELDS,
        auto_start=False,
        owner_checked=True,
    )
    section.box_id = box.pk
    section.box_deadline = box.deadline
    section.opening_at = box.opening_at


def book_opening(actor: Actor, section: Section) -> None:
    project = section.project
    if not project.opening_room_id or section.opening_at is None:
        return
    booking = venues.do_book_room(
        actor=actor if not actor.is_system else t.PLATFORM,
        room_id=project.opening_room_id,
        owner_ref=t.section_ref(section),
        purpose="opening",
        start=section.opening_at,
        end=section.opening_at + timedelta(hours=2),
        title=f"开标：{project.name} {section.name}"[:200],
        public_title=f"{project.name} {section.name}"[:200],
    )
    section.opening_booking_id = booking.pk


def notice_fields(project: Project, sections: Sequence[Section], proc: procedure_rules.Procedure) -> dict[str, Any]:
    names = t.entity_names(
        [project.tenderer_entity_id, *([project.agency_entity_id] if project.agency_entity_id else [])]
    )
    tenderer = names.get(project.tenderer_entity_id)
    agency = names.get(project.agency_entity_id) if project.agency_entity_id else None
    fields: dict[str, Any] = {"BID_SECTION_CODES": [s.code for s in sections]}
    if proc.is_gp:
        fields["PURCHASE_PROJECT_CODE"] = project.tender_project_code
        fields["PURCHASER_NAME"] = tenderer.name if tenderer else ""
    else:
        fields["TENDER_PROJECT_CODE"] = project.tender_project_code
        fields["TENDERER_NAME"] = tenderer.name if tenderer else ""
    if agency:
        fields["TENDER_AGENCY_NAME"] = agency.name
    if project.contact_name:
        fields["CONTACTOR"] = project.contact_name
    if project.contact_phone:
        fields["CONTACT_INFORMATION"] = project.contact_phone
    return fields


def first_notice(
    project: Project,
    proc: procedure_rules.Procedure,
    sections: Sequence[Section],
    *,
    actor: Actor,
    doc_get_start: datetime,
    doc_get_end: datetime,
    deadline: datetime,
    opening_at: datetime | None,
    body_html: str,
    suffix: str = "",
    invitee_names: Sequence[str] = (),
    notice_type: str | None = None,
):
    notice_type = notice_type or proc.notice_type
    estimate = sum(s.estimate_fen for s in sections)
    fields = notice_fields(project, sections, proc)
    opening = t.iso(opening_at) if opening_at else None
    if notice_type == "tender_notice":
        fields.update(
            DOC_GET_START_TIME=t.iso(doc_get_start),
            DOC_GET_END_TIME=t.iso(doc_get_end),
            BID_DOC_REFER_END_TIME=t.iso(deadline),
            BID_OPEN_TIME=opening,
            CONTRACT_RECKON_PRICE=estimate,
            TENDER_DOC_GET_METHOD="登录“一网交易”平台在线获取（获取记录开标前保密）",
            BID_DOC_REFER_METHOD="使用CA数字证书加密后通过电子投标箱在线递交",
            BID_OPEN_METHOD="不见面开标，投标人在线解密",
            SYNDICATED_FLAG=False,
        )
        title = f"{project.name}招标公告"
    elif notice_type == "pq_notice":
        fields.update(
            DOC_GET_START_TIME=t.iso(doc_get_start),
            DOC_GET_END_TIME=t.iso(doc_get_end),
            BID_DOC_REFER_END_TIME=t.iso(deadline),
            CONTRACT_RECKON_PRICE=estimate,
            QUAL_TYPE="资格预审",
        )
        title = f"{project.name}资格预审公告"
    elif notice_type == "invitation":
        fields.update(BID_DOC_REFER_END_TIME=t.iso(deadline), BID_OPEN_TIME=opening, CONTRACT_RECKON_PRICE=estimate)
        title = f"{project.name}投标邀请书"
    elif notice_type == "gp_notice":
        fields.update(
            DOC_GET_START_TIME=t.iso(doc_get_start),
            DOC_GET_END_TIME=t.iso(doc_get_end),
            BID_CLOSING_TIME=t.iso(deadline),
            BID_OPEN_TIME=opening,
            PROGRAM_BUDGET=estimate,
            PURCHASER_MODE=proc.purchaser_mode,
        )
        title = f"{project.name}{proc.purchaser_mode}采购公告"
    elif notice_type == "single_source_publicity":
        fields.update(
            SUPPLIER_NAME="、".join(invitee_names)[:200] or "—",
            PUBLICITY_START_TIME=t.iso(doc_get_start),
            PUBLICITY_END_TIME=t.iso(deadline),
            OBJECTION_METHOD="向采购人、采购代理机构书面提出",
            PROGRAM_BUDGET=estimate,
        )
        title = f"{project.name}单一来源采购公示"
    else:  # pragma: no cover - the procedures file names only the types above
        raise ValueError(notice_type)
    fields = {k: v for k, v in fields.items() if v is not None}
    if project.is_test_data and project.acceleration > 1:
        body_html = f"<p>【测试数据】本项目时限按 ×{project.acceleration} 加速。</p>" + (body_html or "")
    body = body_html or (
        f"<p>{project.name}（招标项目编号 {project.tender_project_code}）已具备招标条件，现{suffix or '公开'}招标。</p>"
        f"<p>标段：{'；'.join(f'{s.code} {s.name}' for s in sections)}。</p>"
        f"<p>投标截止及开标时间：{t.shanghai(deadline)}。</p>"
    )
    return notices.do_publish_notice(
        actor=t.notice_actor(actor, project),
        owner=t.project_ref(project),
        notice_type=notice_type,
        category=project.category,
        region_code=project.region_code,
        title=(title + suffix)[:200],
        body_html=body,
        fields=fields,
        deal_code=project.deal_code,
        publisher_entity_id=t.publisher_of(actor, project),
    )


def register_obligation(actor: Actor, project: Project, owner: str, stage: str, anchor: datetime, occurrence=""):
    """Register the disclosure obligation of a stage, when the disclosure list (公开目录) in effect has one."""
    from yiwang.catalog import queries as catalog

    if not catalog.required_notices(project.category, stage, on=anchor):
        return
    notices.do_register_disclosure_obligation(
        actor=t.notice_actor(actor, project),
        owner=owner,
        category=project.category,
        stage=stage,
        anchor_at=anchor,
        region_code=project.region_code,
        occurrence=occurrence,
        publisher_entity_id=t.publisher_of(actor, project),
    )


def issue_documents(project: Project, kinds: Iterable[str], at: datetime) -> int:
    return TenderDocument.objects.filter(project=project, kind__in=list(kinds), issued_at__isnull=True).update(
        issued_at=at
    )


def may_take_part(section: Section, entity_id: int) -> bool:
    """Invitation procedures (邀请招标, 资格预审后, 单一来源): only the round's invitees take part."""
    proc = t.procedure_of(section.project)
    if not (proc.invitation or proc.prequalification) or section.status in (S.PREQUALIFICATION, S.PQ_REVIEW):
        return True
    return Invitee.objects.filter(section=section, round=section.round, entity_id=entity_id).exists()


def postpone(
    actor: Actor, project: Project, section: Section, new_deadline: datetime, reason: str, at: datetime
) -> None:
    """顺延: move the section's deadline (bid box, deposit lot, opening booking) to ``new_deadline``."""
    if section.box_id is None:
        section.pq_deadline = new_deadline
        return
    box = bidbox.do_postpone_deadline(
        actor=t.PLATFORM, box_id=section.box_id, new_deadline=new_deadline, reason=reason[:480], owner_checked=True
    )
    section.bid_deadline = new_deadline
    section.box_deadline = box.deadline
    section.opening_at = box.opening_at
    sync_lot(section, box.deadline, actor)
    if section.opening_booking_id:
        try:
            venues.do_change_booking(
                actor=t.PLATFORM,
                booking_id=section.opening_booking_id,
                changes={"start": box.opening_at, "end": box.opening_at + timedelta(hours=2)},
                reason=reason[:200],
            )
        except YiwangError:
            t.add_event(section, "venue", "开标场地预约未能随截止时间调整，请工作人员重新安排", at, public=False)


def correction_notice(
    actor: Actor,
    project: Project,
    sections: Sequence[Section],
    *,
    text: str,
    at: datetime,
    postponed: bool,
    clarification: Clarification | None,
    title: str,
):
    proc = t.procedure_of(project)
    kind = proc.notice("clarification") or ("correction" if proc.is_gp else "clarification")
    deadline = sections[0].bid_deadline or sections[0].pq_deadline
    fields: dict[str, Any] = notice_fields(project, sections, proc)
    if kind == "clarification":
        fields.update(CLARIFY_TIME=t.iso(at), IS_POSTPONE=postponed)
        if postponed:
            fields.update(
                BID_DOC_REFER_END_TIME=t.iso(deadline), POST_OPEN_TIME=t.iso(sections[0].opening_at or deadline)
            )
            if project.opening_address:
                fields["POST_OPEN_ADDRESS"] = project.opening_address
    else:
        fields.update(IS_POSTPONE=postponed)
        if postponed:
            fields.update(
                POST_BID_CLOSING_TIME=t.iso(deadline), POST_OPEN_TIME=t.iso(sections[0].opening_at or deadline)
            )
    body = f"<p>{text}</p>"
    if postponed:
        body += f"<p>投标截止时间（开标时间）顺延至 {t.shanghai(deadline)}。</p>"
    notice = notices.do_publish_notice(
        actor=t.notice_actor(actor, project),
        owner=t.project_ref(project),
        notice_type=kind,
        category=project.category,
        region_code=project.region_code,
        title=title[:200],
        body_html=body,
        fields=fields,
        deal_code=project.deal_code,
        publisher_entity_id=t.publisher_of(actor, project),
    )
    return notice


def suspend(section: Section, reason: str, at: datetime) -> None:
    if section.suspended_at is not None:
        return
    section.suspended_at = at
    section.suspension_reason = reason[:300]
    reference = {
        S.BIDDING: section.bid_deadline,
        S.PREQUALIFICATION: section.pq_deadline,
        S.PUBLICITY: section.publicity_end,
    }.get(S(section.status))
    section.frozen_remaining_seconds = int((reference - at).total_seconds()) if reference and reference > at else 0
    t.add_event(section, "suspended", f"暂停：{reason}", at)


def resume(actor: Actor, section: Section, at: datetime, *, why: str = "异议已答复") -> None:
    """Lift the suspension: the frozen time is given back (the deadline moves by the time the section stood still;
    never earlier than where the bid box stands). ``why`` says what ended it, in the notice and the timeline."""
    if section.suspended_at is None:
        return
    remaining = timedelta(seconds=section.frozen_remaining_seconds or 0)
    state = S(section.status)
    project = section.project
    if state is S.BIDDING and section.box_deadline is not None and section.box_deadline <= at:
        t.add_event(section, "suspended", "投标箱已于暂停期间截止，无法恢复，须终止后重新招标", at, public=False)
        return
    if state is S.BIDDING and section.bid_deadline is not None:
        old = section.bid_deadline
        standing = section.box_deadline or old
        target = max(at + remaining, standing)
        if target > standing:
            postpone(actor, project, section, target, f"{why}，恢复后暂停期间截止时间相应顺延", at)
        section.bid_deadline = section.box_deadline = target
        if target != old:
            correction_notice(
                actor,
                project,
                [section],
                text=f"{why}，招标投标活动恢复。",
                at=at,
                postponed=True,
                clarification=None,
                title=f"{project.name}{section.name}恢复及截止时间顺延公告",
            )
    elif state is S.PREQUALIFICATION and section.pq_deadline is not None:
        section.pq_deadline = max(at + remaining, section.pq_deadline)
    elif state is S.PUBLICITY and section.publicity_end is not None:
        section.publicity_end = max(at + remaining, at)
    section.suspended_at = None
    section.suspension_reason = ""
    section.frozen_remaining_seconds = None
    t.add_event(section, "resumed", f"{why}，恢复", at)


def suspended_error(section: Section) -> Conflict:
    return Conflict(
        "tender.suspended",
        f"该标段因“{section.suspension_reason}”暂停，暂不受理",
        "the section is suspended while an objection is answered",
        {"section_id": section.pk, "since": t.iso(section.suspended_at)},
    )


def release_all(actor: Actor, section: Section, at: datetime, reason: str = "terminated") -> None:
    if section.lot_ref:
        with contextlib.suppress(NotFound):
            finance.do_release_deposits(actor=actor, lot_ref=section.lot_ref, reason=reason, anchor_at=at)


def exception_notice(actor: Actor, section: Section, kind: str, reason: str, at: datetime):
    project = section.project
    proc = t.procedure_of(project)
    notice_type = proc.notice(kind) or kind
    fields = notice_fields(project, [section], proc)
    fields["ABNORMITY_REASON"] = reason
    if notice_type == "termination":
        fields["TERMINATION_TIME"] = t.iso(at)
    label = "终止公告" if notice_type == "termination" else ("废标公告" if proc.is_gp else "流标公告")
    return notices.do_publish_notice(
        actor=t.notice_actor(actor, project),
        owner=t.section_ref(section),
        notice_type=notice_type,
        category=project.category,
        region_code=project.region_code,
        title=f"{project.name}{section.name}{label}"[:200],
        body_html=f"<p>{reason}</p>",
        fields=fields,
        deal_code=section.deal_code,
        publisher_entity_id=t.publisher_of(actor, project),
    )


def stop_evaluation(section: Section, reason: str, at: datetime) -> None:
    """Tell the evaluation app that the procedure stopped (its draw and room are released)."""
    from yiwang.trading.tender import evaluation_gateway as gateways
    from yiwang.trading.tender.models import EvaluationRecord

    record = EvaluationRecord.objects.filter(section=section, round=section.round, status="in_progress").first()
    if record is None or record.gateway != "app":
        return
    try:
        gateways.gateway_named("app").cancel(actor=t.PLATFORM, section_ref=record.ref, reason=reason)
    except YiwangError as exc:
        t.add_event(section, "evaluation", f"评标系统未能登记终止（{exc.code}）", at, public=False)
    record.status = "failed"
    record.failure_reason = reason[:2000]
    record.save(update_fields=["status", "failure_reason"])


def fail_section(actor: Actor, section: Section, *, code: str, reason: str, at: datetime, rule: Any = None) -> None:
    """流标/废标 inside an action: state, notice, deposits back, everyone told. (The caller saves the section.)"""
    if section.status == S.EVALUATING:
        stop_evaluation(section, reason, at)
    t.move(section, S.FAILED)
    section.failed_at, section.failure_code, section.failure_reason = at, code, reason[:2000]
    section.suspended_at = None
    notice = exception_notice(actor, section, "failed", reason, at)
    register_obligation(
        actor, section.project, t.section_ref(section), "exception", at, occurrence=f"round:{section.round}"
    )
    release_all(t.PLATFORM, section, at)
    t.add_event(
        section,
        "failed",
        f"{'废标' if t.procedure_of(section.project).is_gp else '流标'}：{reason}",
        at,
        notice_id=notice.pk,
    )
    t.notify(
        t.interested_refs(section),
        title=f"流标/废标：{section.project.name}",
        body=reason[:300],
        link=f"/tender/projects/{section.project_id}/",
        key=f"tender:failed:{section.pk}:{section.round}",
    )

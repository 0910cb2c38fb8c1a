"""State changes of tendering and government procurement — the only door (``docs/tender.md``).

Setting a procedure up and running it to the bid deadline (this module):

- :func:`do_publish_plan` — 招标计划 / 采购意向, published ahead;
- :func:`do_create_project` — a tender project with its sections, codes (17/20/23 characters, 统一交易标识码) and
  the snapshot of its procedure and rules;
- :func:`do_upload_document` — tender / PQ documents, optionally signed by the issuer (identity.ca), always
  digested and sealed by the platform key;
- :func:`do_publish_project` — the notice, the bid boxes, the deposit lots, the disclosure obligations;
- :func:`do_download_document` — 获取招标文件 (recorded, secret before the opening);
- :func:`do_ask_question`, :func:`do_issue_clarification` (a late clarification postpones the deadline, 顺延);
- :func:`do_raise_objection`, :func:`do_answer_objection` (suspension while unanswered);
- :func:`do_cancel_section`, :func:`do_cancel_project`, :func:`do_fail_section`, :func:`do_retender_section`;
- PQ: :func:`do_apply_prequalification`, :func:`do_record_pq_result`, :func:`do_invite_qualified`.

Bidding, the opening, the evaluation hand-over and the clock are in :mod:`.bidding`; candidates, award,
contract and performance in :mod:`.award`; both are re-exported here.

Every refusal that a legal number causes is a ``RuleViolation`` naming the rule id and its source (from the
project's snapshot of the rules catalogue). Bidders' acts before the opening are witnessed under
:data:`~.internal.SEALED`, never under their own names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from django.conf import settings

from yiwang.catalog import queries as catalog
from yiwang.identity.ca import actions as ca_actions
from yiwang.identity.ca import queries as ca_queries
from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from yiwang.kernel.ids import make_deal_code
from yiwang.kernel.periods import local_date
from yiwang.platform.actions import action
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.storage import queries as storage_queries
from yiwang.services.notices import actions as notices
from yiwang.trading.tender import internal as t
from yiwang.trading.tender import lock_objects, steps
from yiwang.trading.tender.conf import tender_settings
from yiwang.trading.tender.domain import codes
from yiwang.trading.tender.domain import procedures as procedure_rules
from yiwang.trading.tender.domain.rules import MAX_ACCELERATION, violation
from yiwang.trading.tender.domain.states import BEFORE_OPENING, OPEN, P, S, require_state
from yiwang.trading.tender.models import (
    Clarification,
    DocumentDownload,
    Invitee,
    Objection,
    PqApplication,
    Project,
    Question,
    Section,
    TenderDocument,
)

MAX_SECTIONS = 50


# -- plans -----------------------------------------------------------------------------------------
def do_publish_plan(
    *,
    actor: Actor,
    category: str,
    title: str,
    region_code: str,
    entity_id: int,
    expected_time: str,
    estimate_fen: int | None = None,
    body_html: str = "",
    agency_entity_id: int | None = None,
    is_test_data: bool = False,
):
    """招标计划（工程）/ 采购意向（政府采购）: published at once as a notice, before any procedure starts."""
    from yiwang.trading.tender.models import Plan

    if category not in ("works", "gp"):
        raise InvalidInput("tender.category_invalid", "类别须为工程（works）或政府采购（gp）", "category: works | gp")
    publisher = agency_entity_id if agency_entity_id and actor.acts_for(agency_entity_id) else entity_id
    if not (actor.is_system or actor.acts_for(publisher)):
        raise t.forbidden("发布该主体的招标计划", "publish a plan for this entity")
    t.require_entity(entity_id, "entity_id")
    title = t.text(title, "title", limit=300)
    expected = t.text(expected_time, "expected_time", limit=50)
    region = catalog.require_region(region_code).code
    t.fen(estimate_fen, "estimate_fen", required=False)
    with action(actor, "tender.publish_plan") as act:
        notice_type = "tender_plan" if category == "works" else "procurement_intention"
        fields: dict[str, Any] = {}
        if category == "works":
            fields["EXPECTED_NOTICE_TIME"] = expected
            if estimate_fen is not None:
                fields["CONTRACT_RECKON_PRICE"] = estimate_fen
        else:
            fields = {"EXPECTED_PURCHASE_TIME": expected, "PROGRAM_BUDGET": estimate_fen or 0}
        plan = Plan.objects.create(
            category=category,
            title=title,
            region_code=region,
            entity_id=entity_id,
            agency_entity_id=agency_entity_id,
            estimate_fen=estimate_fen,
            expected_time=expected,
            body=body_html,
            published_at=act.now,
            created_by=actor.ref,
            is_test_data=is_test_data,
        )
        notice = notices.do_publish_notice(
            actor=actor if not actor.is_system else t.PLATFORM,
            owner=f"tender.plan:{plan.pk}",
            notice_type=notice_type,
            category=category,
            region_code=region,
            title=title
            if "计划" in title or "意向" in title
            else f"{title}{'招标计划' if category == 'works' else '采购意向'}",
            body_html=body_html or f"<p>{title}，预计{expected}。</p>",
            fields=fields,
            publisher_entity_id=publisher,
        )
        plan.notice_id = notice.pk
        plan.save(update_fields=["notice_id"])
        act.witness(plan, {"title": title, "category": category, "notice_id": notice.pk, "expected_time": expected})
        act.emit("tender.plan_published.v1", plan, {"plan_id": plan.pk, "title": title, "notice_id": notice.pk})
        return plan


# -- projects --------------------------------------------------------------------------------------
def _snapshot_rules(proc: procedure_rules.Procedure, on: datetime) -> tuple[dict[str, dict], int | None]:
    """The catalogue values of every rule the procedure names (refused when one is not listed)."""
    family = "tender." if proc.family == "tender" else "gp."
    snapshot = dict(catalog.rules_snapshot(family, on=on))
    snapshot.update(catalog.rules_snapshot("tender.opening_", on=on))
    snapshot.update(catalog.rules_snapshot("tender.candidates_", on=on))
    for rule_id in sorted(proc.rule_ids()):
        if rule_id not in snapshot:
            snapshot[rule_id] = catalog.rule(rule_id, on=on).as_json()  # RuleNotListed when not listed
    versions = {v.get("version") for v in snapshot.values()}
    return snapshot, max((v for v in versions if v is not None), default=None)


def _deal_code(day) -> str:
    platform = settings.YIWANG_PLATFORM_CODE
    serial = lock_objects.next_serial(f"deal:{day.isoformat()}")
    return make_deal_code(platform, day, serial)


def _section_input(
    proc: procedure_rules.Procedure, subject: str, data: Mapping[str, Any], number: int, rules: t.RuleBook
) -> dict[str, Any]:
    name = t.text(data.get("name"), f"sections[{number}].name", limit=300)
    estimate = t.fen(data.get("estimate_fen"), f"sections[{number}].estimate_fen", allow_zero=False)
    ceiling = t.fen(data.get("ceiling_fen"), f"sections[{number}].ceiling_fen", required=False)
    deposit = t.fen(data.get("deposit_fen", 0), f"sections[{number}].deposit_fen")
    method = str(data.get("evaluation_method") or proc.methods[0])
    if method not in proc.methods:
        raise InvalidInput(
            "tender.method_not_allowed",
            f"{proc.title_zh}不允许评标办法“{procedure_rules.METHODS.get(method, method)}”",
            f"the procedure {proc.key} does not allow the evaluation method {method}",
            {"field": f"sections[{number}].evaluation_method", "allowed": list(proc.methods)},
        )
    config = dict(data.get("evaluation_config") or {})
    if method in procedure_rules.SCORED_METHODS:
        _check_price_weight(proc, subject, config, rules, number)
    quals = data.get("required_qualifications") or []
    if not isinstance(quals, list) or not all(isinstance(q, dict) and q.get("type") for q in quals):
        raise InvalidInput(
            "tender.field_invalid",
            "资格要求须为 [{type, level}] 列表",
            "required_qualifications: [{type, level}]",
            {"field": f"sections[{number}].required_qualifications"},
        )
    return {
        "name": name,
        "content": t.text(data.get("content", ""), "content", required=False, limit=5000),
        "estimate_fen": estimate,
        "ceiling_fen": ceiling,
        "deposit_fen": deposit,
        "duration_text": t.text(data.get("duration_text", ""), "duration_text", required=False, limit=100),
        "qualification_text": t.text(
            data.get("qualification_text", ""), "qualification_text", required=False, limit=5000
        ),
        "required_qualifications": [{"type": str(q["type"]), "level": str(q.get("level", ""))} for q in quals],
        "evaluation_method": method,
        "evaluation_config": config,
    }


def _check_price_weight(
    proc: procedure_rules.Procedure, subject: str, config: Mapping[str, Any], rules: t.RuleBook, number: int
) -> None:
    """综合评分法: the price weight (per cent of the total score) within the catalogue's bounds (GP: goods ≥ 30 %,
    services ≥ 10 %; 磋商 bands). A scored method always needs a price weight."""
    weight = config.get("price_weight")
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 100:
        raise InvalidInput(
            "tender.price_weight_required",
            "综合评估（评分）法须给出价格分权重（占总分的百分比）",
            "a scored evaluation method needs the price weight (per cent of the total score)",
            {"field": f"sections[{number}].evaluation_config.price_weight"},
        )
    bounds = proc.price_weight_rules.get(subject, {})
    if "min" in bounds:
        rule = rules.get(bounds["min"])
        if weight < rule.value:
            raise violation(
                "tender.price_weight_too_low",
                f"价格分权重 {weight}% 低于下限",
                f"the price weight {weight}% is below the minimum",
                rule,
                field=f"sections[{number}].evaluation_config.price_weight",
            )
    if "max" in bounds:
        rule = rules.get(bounds["max"])
        if weight > rule.value:
            raise violation(
                "tender.price_weight_too_high",
                f"价格分权重 {weight}% 高于上限",
                f"the price weight {weight}% is above the maximum",
                rule,
                field=f"sections[{number}].evaluation_config.price_weight",
            )


def do_create_project(
    *,
    actor: Actor,
    procedure: str,
    name: str,
    region_code: str,
    tenderer_entity_id: int,
    subject: str,
    sections: Sequence[Mapping[str, Any]],
    agency_entity_id: int | None = None,
    trading_item: str | None = None,
    project_code: str | None = None,
    content: str = "",
    fund_source: str = "",
    approval_number: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    plan_id: int | None = None,
    state_funded: bool = False,
    bid_validity_days: int = 90,
    is_test_data: bool = False,
    acceleration: int = 1,
) -> Project:
    """Create a tender project (招标项目/采购项目) with its sections, in state ``prepared``.

    The procedure's entry of ``data/procedures.json`` and the catalogue values of every rule it names are
    snapshotted onto the project (``catalog.rule_not_listed`` when the catalogue in effect lacks one — an unlisted
    rule may not be enforced). Codes: project 17, tender project 20, each section 23 characters, and a
    统一交易标识码 for the project and each section. The actor acts for the tenderer or for the agency.
    ``acceleration`` > 1 only for test data (``tender.acceleration_not_allowed``)."""
    proc = procedure_rules.get_procedure(procedure)
    if proc is None:
        raise InvalidInput(
            "tender.procedure_unknown",
            f"未知的招标（采购）方式“{procedure}”",
            f"unknown procedure {procedure!r}",
            {"field": "procedure", "allowed": sorted(procedure_rules.procedures())},
        )
    owners = [tenderer_entity_id] + ([agency_entity_id] if agency_entity_id else [])
    if not (actor.is_system or any(actor.acts_for(e) for e in owners)):
        raise t.forbidden("以该招标人或代理机构名义创建项目", "create a project for this tenderer or agency")
    t.require_entity(tenderer_entity_id, "tenderer_entity_id")
    if agency_entity_id is not None:
        t.require_entity(agency_entity_id, "agency_entity_id")
    if subject not in proc.subjects:
        raise InvalidInput(
            "tender.subject_not_allowed",
            f"{proc.title_zh}不适用于该标的类别",
            f"{proc.key} does not apply to {subject}",
            {"field": "subject", "allowed": list(proc.subjects)},
        )
    if isinstance(acceleration, bool) or not isinstance(acceleration, int) or acceleration < 1:
        raise InvalidInput("tender.acceleration_invalid", "加速倍数须为正整数", "acceleration: a positive integer")
    limit = min(tender_settings().max_acceleration, MAX_ACCELERATION)
    if acceleration > 1 and not is_test_data:
        raise PermissionDenied(
            "tender.acceleration_not_allowed",
            "只有标记为测试数据的项目可以加速时限，真实项目的法定时限不得缩短",
            "only projects marked as test data may run accelerated",
            {"field": "acceleration"},
        )
    if acceleration > limit:
        raise InvalidInput(
            "tender.acceleration_invalid",
            f"加速倍数不能超过 {limit}",
            f"acceleration at most {limit}",
            {"limit": limit},
        )
    if not isinstance(bid_validity_days, int) or not 1 <= bid_validity_days <= 365:
        raise InvalidInput("tender.field_invalid", "投标有效期须为1–365日", "bid validity 1..365 days")
    name = t.text(name, "name", limit=600)
    region = catalog.require_region(region_code).code
    item_code = trading_item or proc.trading_items[0]
    if item_code not in proc.trading_items:
        raise InvalidInput(
            "tender.trading_item_not_allowed",
            "该交易目录事项不适用于所选方式",
            "the trading item does not fit the procedure",
            {"field": "trading_item", "allowed": list(proc.trading_items)},
        )
    catalog.require_trading_item(item_code)
    if not sections or len(sections) > MAX_SECTIONS:
        raise InvalidInput(
            "tender.sections_required",
            f"须设1–{MAX_SECTIONS}个标段（包）",
            "1 to 50 sections are needed",
            {"field": "sections"},
        )
    if plan_id is not None:
        from yiwang.trading.tender.models import Plan

        if not Plan.objects.filter(pk=plan_id).exists():
            raise NotFound("tender.plan_not_found", "招标计划不存在", "no such plan", {"plan_id": plan_id})
    with action(actor, "tender.create_project") as act:
        snapshot, rules_version = _snapshot_rules(proc, act.now)
        rules = t.RuleBook(snapshot, catalog.workday_calendar(), acceleration)
        cleaned = [_section_input(proc, subject, s, i, rules) for i, s in enumerate(sections, start=1)]
        threshold = proc.below_threshold_rule
        if threshold:
            limit_fen = int(rules.get(threshold).value) * 100
            total = sum(s["estimate_fen"] for s in cleaned)
            if total >= limit_fen:
                raise violation(
                    "tender.above_small_purchase_limit",
                    "预算达到采购限额标准，不能按限额以下小额采购办理",
                    "the budget reaches the threshold; a small purchase is not allowed",
                    rules.get(threshold),
                    total_fen=total,
                )
        day = local_date(act.now)
        if project_code:
            pcode = codes.validate_project_code(project_code)
        else:
            serial = lock_objects.next_serial(f"project:{codes.KIND_LETTERS[proc.family]}:{region}:{day.year}")
            pcode = codes.project_code(proc.family, region, day.year, serial)
        tcode = codes.tender_project_code(pcode, lock_objects.next_serial(f"tender_project:{pcode}"))
        project = Project.objects.create(
            project_code=pcode,
            tender_project_code=tcode,
            deal_code=_deal_code(day),
            name=name,
            procedure=proc.key,
            procedure_config=proc.as_json(),
            procedure_version=proc.version,
            rules=snapshot,
            rules_version=rules_version,
            category=proc.category,
            subject=subject,
            trading_item=item_code,
            region_code=region,
            tenderer_entity_id=tenderer_entity_id,
            agency_entity_id=agency_entity_id,
            plan_id=plan_id,
            status=P.PREPARED,
            content=t.text(content, "content", required=False, limit=5000),
            fund_source=t.text(fund_source, "fund_source", required=False, limit=200),
            approval_number=t.text(approval_number, "approval_number", required=False, limit=100),
            contact_name=t.text(contact_name, "contact_name", required=False, limit=50),
            contact_phone=t.text(contact_phone, "contact_phone", required=False, limit=50),
            bid_validity_days=bid_validity_days,
            state_funded=bool(state_funded),
            is_test_data=bool(is_test_data),
            acceleration=acceleration,
            created_at=act.now,
            created_by=actor.ref,
            updated_at=act.now,
        )
        for number, data in enumerate(cleaned, start=1):
            section = Section.objects.create(
                project=project,
                number=number,
                code=codes.section_code(tcode, number),
                deal_code=_deal_code(day),
                status=S.DRAFT,
                **data,
            )
            t.add_event(section, "created", "项目登记，标段（包）已设立", act.now, public=False)
        facts = {
            "project_code": pcode,
            "tender_project_code": tcode,
            "deal_code": project.deal_code,
            "procedure": proc.key,
            "procedure_version": proc.version,
            "rules_version": rules_version,
            "rules": sorted(snapshot),
            "sections": [s.code for s in project.sections.all()],
            "is_test_data": project.is_test_data,
            "acceleration": acceleration,
        }
        act.witness(project, {**facts, "name": name, "tenderer_entity_id": tenderer_entity_id})
        act.emit(
            "tender.project_created.v1",
            project,
            {"project_id": project.pk, "name": name, **{k: facts[k] for k in ("project_code", "tender_project_code")}},
            visibility=Visibility.RESTRICTED,
        )
        return project


# -- documents -------------------------------------------------------------------------------------
DOCUMENT_KINDS_UPLOADABLE = ("tender_documents", "pq_documents", "clarification", "other")


def do_upload_document(
    *,
    actor: Actor,
    project_id: int,
    kind: str,
    title: str,
    stream: BinaryIO,
    filename: str,
    section_id: int | None = None,
    signature: bytes | None = None,
    certificate: bytes | str | None = None,
) -> TenderDocument:
    """Store a tender document (招标文件 / 资格预审文件 …) for the project (or one section). With ``signature``
    and ``certificate`` (a detached ``yiwang-document-v1`` signature over the file's SM3 or SHA-256, made with the
    tenderer's or agency's CA certificate) the signature is verified through identity.ca and recorded; either way
    the digests are kept and sealed by the platform key. Documents may be added until the section's deadline;
    those added after publication are issued at once (use a clarification to tell bidders)."""
    project = t.get_project(project_id)
    t.require_manage(actor, project, "上传本项目的招标文件", "upload documents of this project")
    if kind not in DOCUMENT_KINDS_UPLOADABLE:
        raise InvalidInput(
            "tender.document_kind_invalid",
            "文件类别不正确",
            "unknown document kind",
            {"field": "kind", "allowed": list(DOCUMENT_KINDS_UPLOADABLE)},
        )
    title = t.text(title, "title", limit=200)
    section = None
    if section_id is not None:
        section = t.get_section(section_id)
        if section.project_id != project.pk:
            raise NotFound(
                "tender.section_not_found", "标段（包）不存在", "no such section", {"section_id": section_id}
            )
    if (signature is None) != (certificate is None):
        raise InvalidInput(
            "tender.signature_incomplete", "签名与证书须同时提供", "give both the signature and the certificate"
        )
    with action(actor, "tender.upload_document") as act:
        sections = [section] if section else list(project.sections.all())
        if any(s.status not in {*BEFORE_OPENING} for s in sections):
            raise Conflict(
                "tender.documents_closed", "已开标的标段不能再上传招标文件", "the opening has passed for a section"
            )
        doc = t.store_document(
            actor=actor,
            project=project,
            section=section,
            kind=kind,
            title=title,
            stream=stream,
            filename=filename,
            at=act.now,
        )
        if signature is not None:
            check = ca_queries.verify_document(
                bytes(signature),
                certificate,
                digest=bytes.fromhex(doc.sm3),
                digest_algorithm="sm3",
                at=act.now,
                require_binding=True,
            )
            if not check.ok and check.reason == "ca.algorithm_unsupported":
                check = ca_queries.verify_document(
                    bytes(signature),
                    certificate,
                    digest=bytes.fromhex(doc.sha256),
                    digest_algorithm="sha256",
                    at=act.now,
                    require_binding=True,
                )
            check.raise_for_failure()
            if check.entity_id not in {project.tenderer_entity_id, project.agency_entity_id}:
                raise PermissionDenied(
                    "tender.signer_not_issuer",
                    "签名证书不属于招标人或招标代理机构",
                    "the signing certificate belongs to neither the tenderer nor the agency",
                    {"entity_id": check.entity_id},
                )
            record = ca_actions.do_record_signature(
                actor=actor, check=check, signature=bytes(signature), purpose=f"招标人签章：{title}"[:80], obj=doc
            )
            doc.signature_record_id, doc.signer_entity_id = record.pk, check.entity_id
            doc.save(update_fields=["signature_record_id", "signer_entity_id"])
        if project.published_at is not None:
            doc.issued_at = act.now
            doc.save(update_fields=["issued_at"])
        facts = {
            "kind": kind,
            "title": title,
            "sha256": doc.sha256,
            "sm3": doc.sm3,
            "size": doc.size,
            "document_id": str(doc.document_id),
            "signed": doc.signature_record_id is not None,
            "platform_key_id": doc.platform_key_id,
        }
        act.witness(doc, {**facts, "project_id": project.pk, "section_id": section.pk if section else None})
        act.emit("tender.document_uploaded.v1", doc, {"project_id": project.pk, **facts})
        return doc


# -- publication -----------------------------------------------------------------------------------
def _check_times(
    project: Project,
    proc: procedure_rules.Procedure,
    *,
    moment: datetime,
    doc_get_start: datetime,
    doc_get_end: datetime,
    bid_deadline: datetime,
) -> None:
    rules = t.rulebook(project)
    if doc_get_start < moment - timedelta(minutes=5) or doc_get_end <= doc_get_start:
        raise InvalidInput(
            "tender.document_window_invalid",
            "文件获取期须从现在（或以后）开始，且结束时间晚于开始时间",
            "the document window must start now or later and end after it starts",
            {"field": "doc_get_end"},
        )
    if bid_deadline <= moment or doc_get_end > bid_deadline:
        raise InvalidInput(
            "tender.deadline_invalid",
            "投标截止时间须在将来，且不早于文件获取截止时间",
            "the bid deadline must be in the future and not before the document window ends",
            {"field": "bid_deadline"},
        )
    sale = proc.period("doc_sale")
    if sale and rules.has(sale):
        earliest = rules.earliest(doc_get_start, sale)
        if doc_get_end < earliest:
            raise violation(
                "tender.document_window_too_short",
                f"文件获取期过短，最早应至 {t.shanghai(earliest)}",
                "the document window is too short",
                rules.get(sale),
                earliest=t.iso(earliest),
                field="doc_get_end",
            )
    earliest = rules.earliest(doc_get_start, proc.periods["bid_period"])
    if bid_deadline < earliest:
        raise violation(
            "tender.bid_period_too_short",
            f"自招标文件发出之日至投标截止之日的期限不足，投标截止时间最早为 {t.shanghai(earliest)}",
            "the bid period is shorter than the law allows",
            rules.get(proc.periods["bid_period"]),
            earliest=t.iso(earliest),
            field="bid_deadline",
        )
    notice_period = proc.period("notice_period")
    if notice_period and rules.has(notice_period):
        earliest = rules.earliest(moment, notice_period)
        if bid_deadline < earliest:
            raise violation(
                "tender.notice_period_too_short",
                f"公告期限不足，投标截止时间最早为 {t.shanghai(earliest)}",
                "the notice period is too short",
                rules.get(notice_period),
                earliest=t.iso(earliest),
                field="bid_deadline",
            )


def _invitees(project: Project, proc: procedure_rules.Procedure, invitees: Iterable[int]) -> list[int]:
    ids = sorted({int(i) for i in invitees})
    if not proc.invitation:
        if ids:
            raise InvalidInput(
                "tender.invitees_not_allowed", "公开方式不设邀请名单", "an open procedure has no invitees"
            )
        return []
    for entity_id in ids:
        t.require_entity(entity_id, "invitees")
    rules = t.rulebook(project)
    minimum = rules.get(proc.min_bidders_rule)
    if len(ids) < minimum.as_int:
        raise violation(
            "tender.too_few_invitees",
            f"邀请的投标人（供应商）仅 {len(ids)} 家，少于可以开标的最低数",
            "fewer invitees than the minimum number of bidders for an opening",
            minimum,
            invitees=len(ids),
            field="invitees",
        )
    return ids


def do_publish_project(
    *,
    actor: Actor,
    project_id: int,
    bid_deadline: datetime | None = None,
    doc_get_end: datetime,
    opening_key: Any = None,
    doc_get_start: datetime | None = None,
    pq_deadline: datetime | None = None,
    body_html: str = "",
    opening_address: str = "",
    opening_room_id: int | None = None,
    evaluation_room_id: int | None = None,
    invitees: Iterable[int] = (),
) -> Project:
    """发布: publish the first notice (招标公告 / 资格预审公告 / 投标邀请书 / 采购公告) and open every section.

    Checks, each refusal naming the rule: the document window (``tender.document_window_too_short``), the bid
    period from the documents' issue to the deadline (``tender.bid_period_too_short``: 20 日 for must-tender works
    and GP open tenders, 3 个工作日 for negotiations …), the GP notice period, the number of invitees. Then, in one
    transaction: the notice and its disclosure obligation (notices), a bid box per section (bid box, opened by the
    clock at the deadline), the deposit requirement per section (finance — refused above its legal cap), the
    opening-room booking (venues, when a room is given), the documents issued. PQ procedures publish the PQ
    notice with ``pq_deadline`` instead and open the bid boxes at :func:`do_invite_qualified`."""
    project = t.get_project(project_id)
    t.require_manage(actor, project, "发布本项目", "publish this project")
    proc = t.procedure_of(project)
    start = t.aware(doc_get_start, "doc_get_start") if doc_get_start else None
    doc_end = t.aware(doc_get_end, "doc_get_end")
    address = t.text(opening_address, "opening_address", required=False, limit=200)
    with action(actor, "tender.publish_project") as act:
        locked = lock_objects.project_for_update(project.pk)
        assert locked is not None
        project = locked
        if project.status != P.PREPARED:
            raise Conflict("tender.already_published", "项目已发布", "the project is already published")
        sections = lock_objects.sections_for_update(project.pk)
        start = start or act.now
        needed = "pq_documents" if proc.prequalification else "tender_documents"
        if not TenderDocument.objects.filter(project=project, kind=needed).exists():
            raise Conflict(
                "tender.documents_missing",
                f"发布前须上传{TenderDocument.KINDS[needed]}",
                f"upload the {needed.replace('_', ' ')} before publishing",
                {"kind": needed},
            )
        invited = _invitees(project, proc, invitees)
        project.opening_address = address
        project.opening_room_id = opening_room_id
        project.evaluation_room_id = evaluation_room_id
        if proc.prequalification:
            deadline = t.aware(pq_deadline, "pq_deadline")
            _check_pq_times(project, proc, moment=act.now, doc_get_start=start, doc_get_end=doc_end, deadline=deadline)
            for section in sections:
                t.move(section, S.PREQUALIFICATION)
                section.doc_get_start, section.doc_get_end, section.pq_deadline = start, doc_end, deadline
                section.documents_issued_at = start
                t.add_event(section, "pq_published", f"资格预审公告发布，申请截止 {t.shanghai(deadline)}", act.now)
                t.save_section(section)
            notice = steps.first_notice(
                project,
                proc,
                sections,
                actor=actor,
                doc_get_start=start,
                doc_get_end=doc_end,
                deadline=deadline,
                opening_at=None,
                body_html=body_html,
            )
            steps.issue_documents(project, ["pq_documents"], act.now)
            project.opening_key_id = steps.opening_key_pk(opening_key) if opening_key not in (None, "") else None
        else:
            deadline = t.aware(bid_deadline, "bid_deadline")
            _check_times(project, proc, moment=act.now, doc_get_start=start, doc_get_end=doc_end, bid_deadline=deadline)
            key_pk = steps.opening_key_pk(opening_key)
            project.opening_key_id = key_pk
            for section in sections:
                t.move(section, S.BIDDING)
                section.doc_get_start, section.doc_get_end, section.bid_deadline = start, doc_end, deadline
                section.documents_issued_at = start
                steps.open_box(section, deadline, key_pk)
                steps.sync_lot(section, deadline, actor)
                steps.book_opening(actor, section)
                for entity_id in invited:
                    Invitee.objects.create(
                        section=section, round=section.round, entity_id=entity_id, source="invited", at=act.now
                    )
                t.add_event(section, "published", f"公告发布，投标截止（开标）时间 {t.shanghai(deadline)}", act.now)
                t.save_section(section)
            names = [r.name for r in t.entity_names(invited).values()]
            notice = steps.first_notice(
                project,
                proc,
                sections,
                actor=actor,
                doc_get_start=start,
                doc_get_end=doc_end,
                deadline=deadline,
                opening_at=sections[0].opening_at,
                body_html=body_html,
                invitee_names=names,
            )
            steps.issue_documents(project, ["tender_documents", "other"], act.now)
            if invited:
                t.notify(
                    t.interested_refs(sections[0], include_entities=invited),
                    title=f"投标邀请：{project.name}",
                    body=f"您单位受邀参加“{project.name}”，投标截止时间 {t.shanghai(deadline)}。",
                    link=f"/tender/projects/{project.pk}/",
                    key=f"tender:invite:{project.pk}",
                )
        anchor = deadline if not proc.is_gp else act.now
        steps.register_obligation(actor, project, t.project_ref(project), "notice", anchor)
        project.status = P.PUBLISHED
        project.published_at = act.now
        project.notice_id = notice.pk
        project.updated_at = act.now
        project.version += 1
        project.save()
        if not project.is_test_data:
            from yiwang.trading.tender.search import index_project

            index_project(project)
        facts = {
            "notice_id": notice.pk,
            "notice_type": notice.notice_type,
            "deadline": iso_utc(deadline),
            "doc_get_start": iso_utc(start),
            "doc_get_end": iso_utc(doc_end),
            "sections": [{"code": s.code, "box_id": s.box_id, "lot_ref": s.lot_ref} for s in sections],
            "invitees": len(invited),
        }
        act.witness(project, facts)
        act.emit("tender.project_published.v1", project, {"project_id": project.pk, **facts})
        return project


def _check_pq_times(project, proc, *, moment, doc_get_start, doc_get_end, deadline) -> None:
    rules = t.rulebook(project)
    if doc_get_start < moment - timedelta(minutes=5) or doc_get_end <= doc_get_start or deadline <= doc_get_end:
        raise InvalidInput(
            "tender.document_window_invalid",
            "资格预审文件获取期和申请截止时间不正确",
            "the PQ document window or the application deadline is not in order",
            {"field": "pq_deadline"},
        )
    sale = proc.period("doc_sale")
    if sale:
        earliest = rules.earliest(doc_get_start, sale)
        if doc_get_end < earliest:
            raise violation(
                "tender.document_window_too_short",
                f"资格预审文件发售期过短，最早应至 {t.shanghai(earliest)}",
                "the PQ document window is too short",
                rules.get(sale),
                earliest=t.iso(earliest),
            )
    gap = proc.period("pq_submission")
    if gap:
        earliest = rules.earliest(doc_get_end, gap)
        if deadline < earliest:
            raise violation(
                "tender.pq_deadline_too_early",
                f"资格预审申请截止时间最早为 {t.shanghai(earliest)}",
                "the PQ application deadline is too early",
                rules.get(gap),
                earliest=t.iso(earliest),
            )


# -- downloads -------------------------------------------------------------------------------------
def do_download_document(*, actor: Actor, document_id: int, entity_id: int | None = None):
    """获取招标文件: a bidder (acting for ``entity_id``) fetches an issued document during the document window
    (later, only one it fetched before); the download is recorded — who downloaded stays secret until the opening,
    so it is witnessed under the sealed actor with no names. The tenderer, agency and staff may fetch any document
    (not counted). Returns ``(document, storage version)``; the caller streams the version."""
    doc = TenderDocument.objects.select_related("project", "section").filter(pk=document_id).first()
    if doc is None:
        raise NotFound("tender.document_not_found", "文件不存在", "no such document", {"document_id": document_id})
    project = doc.project
    version = storage_queries.get_version(
        storage_queries.get_owned_document(t.document_owner(project), doc.document_id), doc.version_number
    )
    if t.may_manage(actor, project) or t.oversees(actor, project):
        return doc, version
    if doc.kind not in ("tender_documents", "pq_documents", "clarification", "other") or doc.issued_at is None:
        raise NotFound("tender.document_not_found", "文件不存在", "no such document", {"document_id": document_id})
    if entity_id is None or not actor.acts_for(entity_id):
        raise t.forbidden("代表该单位获取招标文件", "fetch documents for this entity")
    sections = [doc.section] if doc.section else list(project.sections.all())
    if not any(steps.may_take_part(s, entity_id) for s in sections):
        raise PermissionDenied(
            "tender.not_invited", "本项目仅限受邀（资格预审合格）的单位参加", "only invited entities take part", {}
        )
    with action(t.SEALED, "tender.download_document") as act:
        before = DocumentDownload.objects.filter(document=doc, entity_id=entity_id).exists()
        window_end = max((s.doc_get_end for s in sections if s.doc_get_end), default=None)
        if not before and window_end is not None and act.now >= window_end:
            raise Conflict(
                "tender.document_window_closed",
                f"文件获取期已于 {t.shanghai(window_end)} 结束",
                "the document window has ended",
                {"ended_at": t.iso(window_end)},
            )
        row = DocumentDownload.objects.create(document=doc, entity_id=entity_id, actor_ref=actor.ref, at=act.now)
        act.witness(row, {"document": doc.pk, "sha256": doc.sha256, "first": not before})
        act.emit(
            "tender.document_downloaded.v1",
            row,
            {"project_id": project.pk, "document": doc.pk},
            visibility=Visibility.RESTRICTED,
        )
    return doc, version


# -- questions and clarifications ------------------------------------------------------------------
def do_ask_question(
    *, actor: Actor, project_id: int, entity_id: int, text: str, section_id: int | None = None
) -> Question:
    """A potential bidder's question (答疑): kept for the tenderer, answered publicly by a clarification without
    the asker's name; witnessed without it too."""
    project = t.get_project(project_id)
    if not actor.acts_for(entity_id):
        raise t.forbidden("代表该单位提问", "ask for this entity")
    body = t.text(text, "text", limit=2000)
    section = t.get_section(section_id) if section_id else None
    with action(t.SEALED, "tender.ask_question") as act:
        sections = [section] if section else list(project.sections.all())
        if not any(s.status in (S.BIDDING, S.PREQUALIFICATION) for s in sections):
            raise Conflict("tender.questions_closed", "当前阶段不接受提问", "questions are not accepted now")
        row = Question.objects.create(
            project=project, section=section, entity_id=entity_id, actor_ref=actor.ref, text=body, asked_at=act.now
        )
        act.witness(row, {"project_id": project.pk, "length": len(body)})
        return row


def do_issue_clarification(
    *,
    actor: Actor,
    project_id: int,
    text: str,
    affects_bids: bool = True,
    section_ids: Sequence[int] | None = None,
    new_deadline: datetime | None = None,
    allow_postponement: bool = True,
    answers: Sequence[int] = (),
    document: tuple[BinaryIO, str] | None = None,
) -> Clarification:
    """澄清/修改: published as a notice and sent to everyone who fetched the documents.

    A clarification that affects the preparation of bids, issued less than the catalogue's gap before the
    deadline (``tender.clarification_gap_min`` 15 日, ``gp.clarification_gap_min``, 磋商 5 日; before a PQ deadline
    ``tender.pq_clarification_gap_min`` 3 日), **postpones** the deadline (顺延) to the first allowed instant (or
    ``new_deadline`` when later) — through the bid box, the deposit lot and a notice with IS_POSTPONE. It is never
    accepted silently: with ``allow_postponement=False`` it is refused (``tender.clarification_too_late``), and a
    ``new_deadline`` earlier than the rule allows is refused too. ``answers``: questions it answers."""
    project = t.get_project(project_id)
    t.require_manage(actor, project, "发布澄清", "issue clarifications")
    proc = t.procedure_of(project)
    body = t.text(text, "text", limit=5000)
    wanted = t.aware(new_deadline, "new_deadline") if new_deadline else None
    with action(actor, "tender.issue_clarification") as act:
        lock_objects.project_for_update(project.pk)
        sections = lock_objects.sections_for_update(project.pk, list(section_ids) if section_ids else None)
        sections = [s for s in sections if s.status in (S.BIDDING, S.PREQUALIFICATION)]
        if not sections:
            raise Conflict(
                "tender.clarification_closed", "没有处于投标或资格预审阶段的标段", "no section is before its deadline"
            )
        rules = t.rulebook(project)
        pq = sections[0].status == S.PREQUALIFICATION
        gap_rule = proc.period("pq_clarification_gap" if pq else "clarification_gap")
        current = sections[0].pq_deadline if pq else sections[0].bid_deadline
        assert current is not None
        target = current
        rule = None
        if affects_bids and gap_rule and rules.has(gap_rule):
            rule = rules.get(gap_rule)
            earliest = rules.earliest(act.now, gap_rule)
            if wanted is not None and wanted < earliest:
                raise violation(
                    "tender.postponement_too_short",
                    f"顺延后的截止时间过早，最早为 {t.shanghai(earliest)}",
                    "the new deadline is earlier than the clarification gap allows",
                    rule,
                    earliest=t.iso(earliest),
                    field="new_deadline",
                )
            if current < earliest:
                if not allow_postponement:
                    raise violation(
                        "tender.clarification_too_late",
                        "澄清或修改影响投标文件编制，距截止时间不足法定期限，"
                        f"须将截止时间顺延至 {t.shanghai(earliest)} 以后",
                        "a clarification affecting the bids this close to the deadline must postpone it",
                        rule,
                        earliest=t.iso(earliest),
                        deadline=t.iso(current),
                    )
                target = max(earliest, wanted or earliest)
        if wanted is not None and wanted > target:
            target = wanted
        if target < current:
            raise InvalidInput(
                "tender.deadline_earlier",
                "截止时间只能顺延，不能提前",
                "a deadline can only move later",
                {"field": "new_deadline"},
            )
        number = Clarification.objects.filter(project=project).count() + 1
        attached = None
        if document is not None:
            stream, filename = document
            attached = t.store_document(
                actor=actor,
                project=project,
                section=None,
                kind="clarification",
                title=f"澄清文件（第{number}号）",
                stream=stream,
                filename=filename,
                at=act.now,
            )
            attached.issued_at = act.now
            attached.save(update_fields=["issued_at"])
        postponed = target != current
        row = Clarification.objects.create(
            project=project,
            number=number,
            section_ids=[s.pk for s in sections],
            text=body,
            affects_bids=affects_bids,
            issued_at=act.now,
            issued_by=actor.ref,
            postponed=postponed,
            old_deadline=current if postponed else None,
            new_deadline=target if postponed else None,
            rule_id=rule.rule_id if rule else "",
            document=attached,
        )
        for section in sections:
            if postponed:
                steps.postpone(
                    actor, project, section, target, f"澄清（第{number}号）影响投标文件编制，截止时间顺延", act.now
                )
            t.add_event(
                section,
                "clarification",
                f"澄清（第{number}号）发布" + (f"，截止时间顺延至 {t.shanghai(target)}" if postponed else ""),
                act.now,
            )
            t.save_section(section)
        notice = steps.correction_notice(
            actor,
            project,
            sections,
            text=body,
            at=act.now,
            postponed=postponed,
            clarification=row,
            title=f"{project.name}澄清（修改）公告（第{number}号）"
            if not proc.is_gp
            else f"{project.name}更正公告（第{number}号）",
        )
        row.notice_id = notice.pk
        row.save(update_fields=["notice_id"])
        steps.register_obligation(
            actor, project, t.project_ref(project), "clarification", target, occurrence=f"clarification:{number}"
        )
        Question.objects.filter(project=project, pk__in=list(answers), clarification__isnull=True).update(
            clarification=row, answered_at=act.now
        )
        t.notify(
            t.interested_refs(sections[0]),
            title=f"澄清（第{number}号）：{project.name}",
            body=body[:300] + (f"\n投标截止时间顺延至 {t.shanghai(target)}。" if postponed else ""),
            link=f"/tender/projects/{project.pk}/",
            key=f"tender:clarification:{row.pk}",
        )
        facts = {
            "number": number,
            "affects_bids": affects_bids,
            "postponed": postponed,
            "old_deadline": iso_utc(current),
            "new_deadline": iso_utc(target),
            "rule_id": row.rule_id,
            "notice_id": notice.pk,
            "sections": [s.code for s in sections],
        }
        act.witness(row, facts)
        act.emit("tender.clarification_issued.v1", row, {"project_id": project.pk, **facts})
        return row


# -- objections and suspension ---------------------------------------------------------------------
def do_raise_objection(*, actor: Actor, section_id: int, entity_id: int, kind: str, text: str) -> Objection:
    """异议 (tender) / 质疑 (GP), by a bidder or other interested party acting for ``entity_id``.

    - ``documents`` / ``pq_documents``: before the deadline less the rule's gap
      (``tender.doc_objection_before_deadline``
      10 日, ``tender.pq_objection_before_deadline`` 2 日), else ``tender.objection_too_late``; the section is
      **suspended** until answered (answer within ``tender.objection_answer_max``);
    - ``opening``: during the opening, recorded and answered on the spot;
    - ``results``: during the candidates' publicity only; suspends the award until answered
      (``tender.candidate_objection_answer_max``);
    - ``challenge`` (GP 质疑): recorded with the answer deadline ``gp.challenge_answer_max``."""
    section = t.get_section(section_id)
    project = section.project
    proc = t.procedure_of(project)
    if not actor.acts_for(entity_id):
        raise t.forbidden("代表该单位提出异议", "object for this entity")
    body = t.text(text, "text", limit=5000)
    allowed = (
        ("challenge",) if proc.objection_kind == "challenge" else ("documents", "pq_documents", "opening", "results")
    )
    if kind not in allowed:
        raise InvalidInput(
            "tender.objection_kind_invalid",
            "异议（质疑）类别不正确",
            "unknown objection kind",
            {"field": "kind", "allowed": list(allowed)},
        )
    before_opening = section.status in BEFORE_OPENING
    with action(t.SEALED if before_opening else actor, "tender.raise_objection") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        rules = t.rulebook(project)
        rule_id, suspends, due = "", False, None
        if kind == "documents":
            require_state(section.status, S.BIDDING, doing_zh="对招标文件提出异议", doing_en="object to the documents")
            rule_id = proc.periods["doc_objection"]
            if section.bid_deadline is not None and rules.earliest(act.now, rule_id) > section.bid_deadline:
                raise violation(
                    "tender.objection_too_late",
                    "对招标文件的异议应在投标截止时间法定期限前提出",
                    "an objection to the documents is too late",
                    rules.get(rule_id),
                    deadline=t.iso(section.bid_deadline),
                )
            suspends, due = True, rules.deadline(act.now, proc.periods["objection_answer"])
        elif kind == "pq_documents":
            require_state(section.status, S.PREQUALIFICATION, doing_zh="对资格预审文件提出异议", doing_en="object")
            rule_id = proc.periods["pq_objection"]
            if section.pq_deadline is not None and rules.earliest(act.now, rule_id) > section.pq_deadline:
                raise violation(
                    "tender.objection_too_late",
                    "对资格预审文件的异议应在申请截止时间法定期限前提出",
                    "an objection to the PQ documents is too late",
                    rules.get(rule_id),
                    deadline=t.iso(section.pq_deadline),
                )
            suspends, due = True, rules.deadline(act.now, proc.periods["objection_answer"])
        elif kind == "opening":
            require_state(section.status, S.OPENING, doing_zh="对开标提出异议（应当场提出）", doing_en="object")
            due = act.now + timedelta(hours=1) / project.acceleration
        elif kind == "results":
            if section.status != S.PUBLICITY:
                rule = rules.get(proc.periods["candidate_publicity"])
                raise violation(
                    "tender.objection_outside_publicity",
                    "对评标结果的异议应在中标候选人公示期间提出",
                    "objections to the results are raised during the candidates' publicity",
                    rule,
                )
            rule_id = proc.periods["candidate_objection_answer"]
            suspends, due = True, rules.deadline(act.now, rule_id)
        else:  # GP 质疑
            if section.status in (S.DRAFT, S.CANCELLED, S.COMPLETED):
                raise Conflict("tender.wrong_state", "当前阶段不能提出质疑", "no challenge in this state")
            rule_id = proc.periods["challenge_answer"]
            due = rules.deadline(act.now, rule_id)
        row = Objection.objects.create(
            section=section,
            round=section.round,
            kind=kind,
            entity_id=entity_id,
            actor_ref=actor.ref,
            text=body,
            raised_at=act.now,
            answer_due=due,
            rule_id=rule_id,
            suspends=suspends,
        )
        if suspends:
            steps.suspend(section, f"{Objection.KINDS[kind]}待答复", act.now)
        t.add_event(section, "objection", f"收到{Objection.KINDS[kind]}" + ("，暂停" if suspends else ""), act.now)
        t.save_section(section)
        facts = {"kind": kind, "suspends": suspends, "answer_due": t.iso(due), "rule_id": rule_id}
        act.witness(row, {**facts, "section": section.code, **({} if before_opening else {"entity_id": entity_id})})
        act.emit(
            "tender.objection_raised.v1", row, {"section_id": section.pk, **facts}, visibility=Visibility.RESTRICTED
        )
        return row


def do_answer_objection(*, actor: Actor, objection_id: int, answer: str) -> Objection:
    """The tenderer (or agency) answers; when no suspending objection of the section is left open, the section
    resumes and the time it stood still is given back to its deadline or publicity period."""
    row = Objection.objects.select_related("section__project").filter(pk=objection_id).first()
    if row is None:
        raise NotFound("tender.objection_not_found", "异议不存在", "no such objection", {"objection_id": objection_id})
    project = row.section.project
    t.require_manage(actor, project, "答复异议", "answer objections")
    body = t.text(answer, "answer", limit=5000)
    with action(actor, "tender.answer_objection") as act:
        section = lock_objects.section_for_update(row.section_id)
        locked = lock_objects.objection_for_update(row.pk)
        assert section is not None
        assert locked is not None
        if locked.status != "pending":
            raise Conflict("tender.objection_answered", "该异议已答复", "already answered")
        locked.status, locked.answer, locked.answered_at, locked.answered_by = "answered", body, act.now, actor.ref
        locked.save(update_fields=["status", "answer", "answered_at", "answered_by"])
        late = locked.answer_due is not None and act.now >= locked.answer_due
        pending = Objection.objects.filter(section=section, status="pending", suspends=True).exists()
        if not pending and not section.suspension_order:
            steps.resume(actor, section, act.now)
        t.add_event(section, "objection_answered", f"{Objection.KINDS[locked.kind]}已答复", act.now)
        t.save_section(section)
        t.notify(
            [locked.actor_ref],
            title=f"异议答复：{project.name}",
            body=body[:300],
            link=f"/tender/sections/{section.pk}/",
            key=f"tender:objection:{locked.pk}",
        )
        act.witness(locked, {"late": late, "answered_at": iso_utc(act.now), "section": section.code})
        act.emit(
            "tender.objection_answered.v1",
            locked,
            {"section_id": section.pk, "late": late},
            visibility=Visibility.RESTRICTED,
        )
        return locked


# -- suspension ordered by a regulator (责令暂停) -----------------------------------------------------
def do_order_suspension(*, actor: Actor, section_id: int, reason: str, order_ref: str) -> Section:
    """A regulator over the project's region orders the section's procedure suspended (e.g. while a complaint
    is handled: 投诉处理期间责令暂停). Bids, opening and award wait; the time left is frozen and given back when the
    order is lifted. ``order_ref`` names the order (``supervision.complaints:<id>``); one order at a time."""
    section = t.get_section(section_id)
    t.require_regulator(actor, section.project, "责令暂停该标段", "order this section suspended")
    why = t.text(reason, "reason", limit=300)
    ref = t.text(order_ref, "order_ref", limit=120)
    with action(actor, "tender.order_suspension") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        if S(section.status) not in OPEN:
            raise Conflict(
                "tender.wrong_state", "该标段已结束，不能暂停", "the section is closed", {"status": section.status}
            )
        if section.suspension_order and section.suspension_order != ref:
            raise Conflict(
                "tender.already_ordered",
                "该标段已被责令暂停",
                "another suspension order is in force",
                {"order_ref": section.suspension_order},
            )
        section.suspension_order = ref
        steps.suspend(section, f"监管部门责令暂停：{why}", act.now)
        t.save_section(section)
        act.witness(section, {"order_ref": ref, "reason": why, "suspended_at": iso_utc(section.suspended_at)})
        act.emit("tender.section_suspended.v1", section, {"section_id": section.pk, "order_ref": ref})
        return section


def do_lift_suspension(*, actor: Actor, section_id: int, reason: str, order_ref: str) -> Section:
    """The regulator lifts its order; the section resumes unless an objection that suspends it is still open."""
    section = t.get_section(section_id)
    t.require_regulator(actor, section.project, "恢复该标段", "lift the suspension of this section")
    why = t.text(reason, "reason", limit=300)
    ref = t.text(order_ref, "order_ref", limit=120)
    with action(actor, "tender.lift_suspension") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        if section.suspension_order != ref:
            raise Conflict(
                "tender.no_such_order",
                "该标段没有此暂停指令",
                "this suspension order is not in force on the section",
                {"order_ref": ref, "in_force": section.suspension_order},
            )
        section.suspension_order = ""
        if not Objection.objects.filter(section=section, status="pending", suspends=True).exists():
            steps.resume(actor, section, act.now, why=f"监管部门解除暂停（{why}）")
        t.save_section(section)
        act.witness(section, {"order_ref": ref, "reason": why, "resumed": section.suspended_at is None})
        act.emit(
            "tender.section_resumed.v1",
            section,
            {"section_id": section.pk, "order_ref": ref, "resumed": section.suspended_at is None},
        )
        return section


# -- prequalification ------------------------------------------------------------------------------
def do_apply_prequalification(*, actor: Actor, section_id: int, entity_id: int, note: str = "") -> PqApplication:
    """资格预审申请 before the PQ deadline (witnessed without the applicant's name)."""
    section = t.get_section(section_id)
    if not actor.acts_for(entity_id):
        raise t.forbidden("代表该单位申请资格预审", "apply for this entity")
    t.require_entity(entity_id, "entity_id")
    with action(t.SEALED, "tender.apply_prequalification") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.PREQUALIFICATION, doing_zh="申请资格预审", doing_en="apply")
        if section.suspended_at is not None:
            raise steps.suspended_error(section)
        if section.pq_deadline is not None and act.now >= section.pq_deadline:
            raise Conflict("tender.deadline_passed", "资格预审申请已截止", "the PQ deadline has passed")
        row, created = PqApplication.objects.update_or_create(
            section=section,
            pq_round=section.pq_round,
            entity_id=entity_id,
            defaults={
                "actor_ref": actor.ref,
                "note": t.text(note, "note", required=False, limit=2000),
                "submitted_at": act.now,
                "status": "submitted",
            },
        )
        act.witness(row, {"section": section.code, "created": created})
        return row


def do_record_pq_result(
    *, actor: Actor, section_id: int, qualified: Iterable[int], rejected: Mapping[int, str] | None = None
) -> Section:
    """资格审查结果: fewer qualified applicants than the rule (``tender.pq_min_qualified``) → the section goes back
    to draft for a new PQ (资格预审重新进行); otherwise it waits for the invitation (:func:`do_invite_qualified`)."""
    section = t.get_section(section_id)
    project = section.project
    t.require_manage(actor, project, "录入资格审查结果", "record the PQ result")
    proc = t.procedure_of(project)
    ok = sorted({int(i) for i in qualified})
    reasons = {int(k): t.text(v, "reason", limit=300) for k, v in (rejected or {}).items()}
    with action(actor, "tender.record_pq_result") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.PQ_REVIEW, doing_zh="录入资格审查结果", doing_en="record the PQ result")
        applications = {
            a.entity_id: a for a in PqApplication.objects.filter(section=section, pq_round=section.pq_round)
        }
        unknown = [e for e in [*ok, *reasons] if e not in applications]
        if unknown:
            raise InvalidInput(
                "tender.not_an_applicant", "名单中有未申请的单位", "not applicants", {"entity_ids": unknown}
            )
        for entity_id, application in applications.items():
            application.status = "qualified" if entity_id in ok else "rejected"
            application.reason = reasons.get(entity_id, "" if entity_id in ok else "未通过资格审查")
            application.save(update_fields=["status", "reason"])
        rule = t.rulebook(project).get(proc.pq_min_qualified_rule)
        if len(ok) < rule.as_int:
            t.move(section, S.DRAFT)
            section.pq_round += 1
            section.pq_deadline = None
            t.add_event(section, "pq_failed", f"通过资格预审的申请人不足{rule.as_int}家，应重新进行资格预审", act.now)
            outcome = "redo"
            project.status, project.published_at = P.PREPARED, None
            project.save(update_fields=["status", "published_at"])
        else:
            t.move(section, S.PQ_PASSED)
            for entity_id in ok:
                Invitee.objects.get_or_create(
                    section=section,
                    round=section.round,
                    entity_id=entity_id,
                    defaults={"source": "prequalified", "at": act.now},
                )
            t.add_event(section, "pq_passed", f"资格预审完成，{len(ok)}家合格", act.now)
            outcome = "passed"
        t.save_section(section)
        act.witness(
            section, {"qualified": ok, "rejected": sorted(reasons), "outcome": outcome, "rule_id": rule.rule_id}
        )
        act.emit(
            "tender.pq_result_recorded.v1",
            section,
            {"section_id": section.pk, "outcome": outcome, "qualified": len(ok)},
            visibility=Visibility.RESTRICTED,
        )
        return section


def do_invite_qualified(
    *, actor: Actor, section_id: int, bid_deadline: datetime, opening_key: Any = None, body_html: str = ""
) -> Section:
    """After PQ: issue the tender documents to the qualified applicants (投标邀请书) with a bid deadline at least
    the bid period after the issue (``tender.bid_period_min``), open the bid box and the deposit lot."""
    section = t.get_section(section_id)
    project = section.project
    t.require_manage(actor, project, "发出投标邀请", "invite the qualified applicants")
    proc = t.procedure_of(project)
    deadline = t.aware(bid_deadline, "bid_deadline")
    with action(actor, "tender.invite_qualified") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.PQ_PASSED, doing_zh="发出投标邀请", doing_en="invite")
        if not TenderDocument.objects.filter(project=project, kind="tender_documents").exists():
            raise Conflict("tender.documents_missing", "须先上传招标文件", "upload the tender documents first")
        rules = t.rulebook(project)
        earliest = rules.earliest(act.now, proc.periods["bid_period"])
        if deadline < earliest:
            raise violation(
                "tender.bid_period_too_short",
                f"自招标文件发出之日至投标截止之日的期限不足，投标截止时间最早为 {t.shanghai(earliest)}",
                "the bid period is shorter than the law allows",
                rules.get(proc.periods["bid_period"]),
                earliest=t.iso(earliest),
                field="bid_deadline",
            )
        key_pk = steps.opening_key_pk(opening_key if opening_key not in (None, "") else project.opening_key_id)
        t.move(section, S.BIDDING)
        section.documents_issued_at, section.doc_get_start, section.doc_get_end = act.now, act.now, deadline
        section.bid_deadline = deadline
        steps.open_box(section, deadline, key_pk)
        steps.sync_lot(section, deadline, actor)
        steps.book_opening(actor, section)
        steps.issue_documents(project, ["tender_documents", "other"], act.now)
        invited = list(Invitee.objects.filter(section=section, round=section.round).values_list("entity_id", flat=True))
        names = [r.name for r in t.entity_names(invited).values()]
        notice = steps.first_notice(
            project,
            proc,
            [section],
            actor=actor,
            doc_get_start=act.now,
            doc_get_end=deadline,
            deadline=deadline,
            opening_at=section.opening_at,
            body_html=body_html,
            invitee_names=names,
            notice_type=proc.invitation_notice_type,
        )
        t.add_event(
            section, "invited", f"向资格预审合格的{len(invited)}家单位发出投标邀请", act.now, notice_id=notice.pk
        )
        t.save_section(section)
        t.notify(
            t.interested_refs(section, include_entities=invited),
            title=f"投标邀请：{project.name}",
            body=f"贵单位通过资格预审，投标截止时间 {t.shanghai(deadline)}。",
            link=f"/tender/projects/{project.pk}/",
            key=f"tender:invite:{section.pk}:{section.round}",
        )
        act.witness(section, {"deadline": iso_utc(deadline), "invitees": len(invited), "box_id": section.box_id})
        act.emit("tender.bidding_started.v1", section, {"section_id": section.pk, "deadline": iso_utc(deadline)})
        return section


# -- cancellation, failure, re-tender --------------------------------------------------------------
def do_fail_section(*, actor: Actor, section_id: int, reason: str, code: str = "declared") -> Section:
    """流标/废标 declared by the tenderer (e.g. all bids rejected, fewer qualified than required, the winner and
    every other candidate declined). Published as a notice; deposits go back; a re-tender may follow."""
    section = t.get_section(section_id)
    t.require_manage(actor, section.project, "宣布流标（废标）", "declare the section failed")
    why = t.text(reason, "reason", limit=2000)
    with action(actor, "tender.fail_section") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(
            section.status,
            S.OPENING,
            S.EVALUATING,
            S.EVALUATED,
            S.PUBLICITY,
            S.AWARDABLE,
            S.AWARDED,
            doing_zh="宣布流标",
            doing_en="declare the section failed",
        )
        steps.fail_section(actor, section, code=code, reason=why, at=act.now)
        t.save_section(section)
        t.refresh_project(section.project, act.now)
        act.witness(section, {"code": code, "reason": why, "round": section.round})
        act.emit("tender.section_failed.v1", section, {"section_id": section.pk, "code": code, "round": section.round})
        return section


def do_cancel_section(*, actor: Actor, section_id: int, reason: str) -> Section:
    """终止招标: at any open stage; a termination notice is published, deposits go back, bidders are told."""
    section = t.get_section(section_id)
    t.require_manage(actor, section.project, "终止招标", "cancel the section")
    why = t.text(reason, "reason", limit=2000)
    with action(actor, "tender.cancel_section") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        _cancel(actor, section, why, act.now)
        t.refresh_project(section.project, act.now)
        act.witness(section, {"reason": why, "round": section.round})
        act.emit("tender.section_cancelled.v1", section, {"section_id": section.pk, "reason": why})
        return section


def _cancel(actor: Actor, section: Section, why: str, at: datetime) -> None:
    if S(section.status) not in OPEN:
        raise Conflict(
            "tender.wrong_state", "该标段已结束，不能终止", "the section is closed", {"status": section.status}
        )
    published = section.status != S.DRAFT
    if section.status == S.EVALUATING:
        steps.stop_evaluation(section, why, at)
    t.move(section, S.CANCELLED)
    section.cancelled_at, section.cancel_reason, section.suspended_at = at, why, None
    notice_id = None
    if published:
        notice_id = steps.exception_notice(actor, section, "termination", why, at).pk
        steps.register_obligation(
            actor, section.project, t.section_ref(section), "exception", at, occurrence="termination"
        )
        steps.release_all(t.PLATFORM, section, at)
        t.notify(
            t.interested_refs(section),
            title=f"终止招标：{section.project.name}",
            body=why[:300],
            link=f"/tender/projects/{section.project_id}/",
            key=f"tender:cancelled:{section.pk}",
        )
    t.add_event(section, "cancelled", f"终止：{why}", at, notice_id=notice_id)
    t.save_section(section)


def do_cancel_project(*, actor: Actor, project_id: int, reason: str) -> Project:
    """Cancel every open section of the project (终止招标)."""
    project = t.get_project(project_id)
    t.require_manage(actor, project, "终止招标", "cancel the project")
    why = t.text(reason, "reason", limit=2000)
    with action(actor, "tender.cancel_project") as act:
        lock_objects.project_for_update(project.pk)
        done = []
        for section in lock_objects.sections_for_update(project.pk):
            if S(section.status) in OPEN:
                _cancel(actor, section, why, act.now)
                done.append(section.code)
        if not done:
            raise Conflict("tender.wrong_state", "没有可终止的标段", "nothing left to cancel")
        project.refresh_from_db()
        t.refresh_project(project, act.now)
        act.witness(project, {"reason": why, "sections": done})
        act.emit("tender.project_cancelled.v1", project, {"project_id": project.pk, "sections": done})
        return project


def do_retender_section(
    *,
    actor: Actor,
    section_id: int,
    bid_deadline: datetime,
    doc_get_end: datetime,
    opening_key: Any = None,
    body_html: str = "",
    invitees: Iterable[int] = (),
) -> Section:
    """重新招标 after 流标: a new round (招标次数 + 1) with its own notice, bid box and deposit lot. The bid period
    is counted again from this notice (``tender.bid_period_min``)."""
    section = t.get_section(section_id)
    project = section.project
    t.require_manage(actor, project, "重新招标", "re-tender")
    proc = t.procedure_of(project)
    deadline = t.aware(bid_deadline, "bid_deadline")
    doc_end = t.aware(doc_get_end, "doc_get_end")
    with action(actor, "tender.retender_section") as act:
        section = lock_objects.section_for_update(section.pk)
        assert section is not None
        require_state(section.status, S.FAILED, doing_zh="重新招标", doing_en="re-tender")
        _check_times(project, proc, moment=act.now, doc_get_start=act.now, doc_get_end=doc_end, bid_deadline=deadline)
        key_pk = steps.opening_key_pk(opening_key if opening_key not in (None, "") else project.opening_key_id)
        previous = list(
            Invitee.objects.filter(section=section, round=section.round).values_list("entity_id", flat=True)
        )
        invited = _invitees(project, proc, list(invitees) or previous) if proc.invitation else []
        t.move(section, S.BIDDING)
        section.round += 1
        for name in (
            "opening_started_at",
            "decryption_ends_at",
            "opening_closed_at",
            "handed_over_at",
            "evaluation_poll_at",
            "report_received_at",
            "candidates_due",
            "publicity_start",
            "publicity_end",
            "award_due",
            "awarded_at",
            "contract_due",
            "failed_at",
            "opening_booking_id",
            "evaluation_booking_id",
        ):
            setattr(section, name, None)
        section.failure_code = section.failure_reason = ""
        section.doc_get_start, section.doc_get_end, section.bid_deadline = act.now, doc_end, deadline
        section.documents_issued_at = act.now
        steps.open_box(section, deadline, key_pk)
        steps.sync_lot(section, deadline, actor)
        steps.book_opening(actor, section)
        for entity_id in invited:
            Invitee.objects.create(
                section=section, round=section.round, entity_id=entity_id, source="invited", at=act.now
            )
        notice = steps.first_notice(
            project,
            proc,
            [section],
            actor=actor,
            doc_get_start=act.now,
            doc_get_end=doc_end,
            deadline=deadline,
            opening_at=section.opening_at,
            body_html=body_html,
            suffix=f"（第{section.round}次）",
            invitee_names=[r.name for r in t.entity_names(invited).values()],
        )
        steps.register_obligation(
            actor, project, t.section_ref(section), "notice", deadline, occurrence=f"round:{section.round}"
        )
        t.add_event(
            section,
            "retender",
            f"重新招标（第{section.round}次），投标截止 {t.shanghai(deadline)}",
            act.now,
            notice_id=notice.pk,
        )
        t.save_section(section)
        t.refresh_project(project, act.now)
        facts = {
            "round": section.round,
            "deadline": iso_utc(deadline),
            "box_id": section.box_id,
            "notice_id": notice.pk,
        }
        act.witness(section, facts)
        act.emit("tender.section_retendered.v1", section, {"section_id": section.pk, **facts})
        return section


from yiwang.trading.tender.award import *  # noqa: E402, F403  (re-exported: the only door is this module)
from yiwang.trading.tender.bidding import *  # noqa: E402, F403

"""Tender pages (Chinese, English under the switch; Bootstrap, phone width, htmx).

- public: 项目列表 (``/tender/``), 项目页 (every stage's notices, documents, clarifications, the timeline of each
  section), 标段页 (opening record, candidates, award, contract);
- tenderer/agency: 新建项目, 上传招标文件, 发布, 澄清, 答复异议, 录入评标结果, 公示候选人, 定标, 合同, 履约, 终止,
  重新招标 — and the receipt count only before the opening;
- bidder: 获取招标文件 (recorded), 提问, 递交加密投标文件 (through the tender's gates), 撤回, 异议, results;
- staff: 工作台 (``/tender/staff/``: projects, openings, supervision flags) and the 开标大厅 with live status
  (htmx polling every 3 s; decryption itself happens in the bid box's hall).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_POST

from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.platform.storage import queries as storage_queries
from yiwang.registry import queries as registry
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.bidbox.web import upload_address_of
from yiwang.trading.tender import actions, queries
from yiwang.trading.tender import internal as t
from yiwang.trading.tender.domain import procedures as procedure_rules
from yiwang.trading.tender.domain.states import PROJECT_LABELS, SECTION_LABELS
from yiwang.trading.tender.forms import (
    AnswerForm,
    BidForm,
    ClarificationForm,
    ContractForm,
    DocumentForm,
    ObjectionForm,
    PerformanceForm,
    ProjectForm,
    PublishForm,
    QuestionForm,
    ReasonForm,
    ResultForm,
    RetenderForm,
    yuan_to_fen,
)
from yiwang.trading.tender.models import Objection, TenderDocument

View = Callable[..., HttpResponse]


def signed_in(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


def _refused(request: HttpRequest, exc: YiwangError) -> None:
    """The refusal as a flash message, in the page's language (the error carries both)."""
    english = (get_language() or "").startswith("en")
    text = exc.message_en if english else exc.message_zh
    rule_id = exc.details.get("rule_id")
    rule = gettext("（规则 %(rule)s）") % {"rule": rule_id} if rule_id else ""
    messages.error(
        request, f"{text}{'' if rule and rule_id in text else rule}{gettext('（%(code)s）') % {'code': exc.code}}"
    )


def _entities(request: HttpRequest) -> list[tuple[int, str]]:
    ids = sorted(request.actor.entity_ids())
    names = registry.get_entity_refs(ids)
    return [(i, names[i].name if i in names else gettext("主体%(id)s") % {"id": i}) for i in ids]


def _project_or_404(request: HttpRequest, project_id: int) -> queries.ProjectView:
    try:
        return queries.get_project_for(request.actor, project_id)
    except NotFound:
        raise Http404("no such project") from None


def _section_or_404(request: HttpRequest, section_id: int) -> queries.SectionView:
    try:
        return queries.get_section_for(request.actor, section_id)
    except NotFound:
        raise Http404("no such section") from None


def _back_to_section(section_id: int) -> HttpResponse:
    return redirect("tender:section", section_id=section_id)


def _do(request: HttpRequest, fn: Callable[[], Any], ok: str) -> bool:
    try:
        fn()
    except YiwangError as exc:
        _refused(request, exc)
        return False
    messages.success(request, ok)
    return True


# -- lists ----------------------------------------------------------------------------------------------------------
def project_list(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1" and request.actor.is_authenticated
    q = (request.GET.get("q") or "").strip()[:100]
    rows = queries.list_projects_for(request.actor, mine=mine, q=q, status=request.GET.get("status") or None)
    return render(
        request,
        "tender/list.html",
        {
            "rows": rows,
            "mine": mine,
            "q": q,
            "statuses": PROJECT_LABELS.items(),
            "can_create": bool(request.actor.entity_ids()),
        },
    )


@signed_in
def staff_home(request: HttpRequest) -> HttpResponse:
    if not request.actor.has_role(Role.STAFF, Role.REGULATOR, Role.AUDITOR):
        raise Http404("staff only")
    return render(
        request,
        "tender/staff.html",
        {
            "rows": queries.list_projects_for(request.actor, limit=100),
            "openings": queries.list_opening_sections_for(request.actor),
            "flags": queries.list_flags_for(request.actor, limit=50),
        },
    )


# -- projects ---------------------------------------------------------------------------------------------------------
@signed_in
def project_new(request: HttpRequest) -> HttpResponse:
    entities = _entities(request)
    owners = [(f"{i}", name) for i, name in entities]
    if not owners:
        messages.error(request, gettext("请先登记或关联市场主体（招标人或代理机构）"))
        return redirect("tender:list")
    form = ProjectForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        owner = int(data["owner"])
        agency = owner if request.actor.acts_for(owner) and owner in request.actor.entity_ids(Role.AGENCY) else None
        tenderer = (data.get("tenderer_entity_id") or owner) if agency else owner
        config = {"price_weight": data["price_weight"]} if data.get("price_weight") else {}
        conditions = [line.strip() for line in (data.get("qualification_text") or "").splitlines() if line.strip()]
        if conditions:  # 资格后审: the committee reviews each condition (the evaluation's qualification stage)
            config["requirements"] = [{"code": f"q{n}", "text": text[:300]} for n, text in enumerate(conditions, 1)]
        section = {
            "name": data["section_name"],
            "qualification_text": "\n".join(conditions),
            "estimate_fen": yuan_to_fen(data["estimate_yuan"]),
            "deposit_fen": yuan_to_fen(data.get("deposit_yuan")) or 0,
            "duration_text": data.get("duration_text") or "",
            "evaluation_method": data["evaluation_method"],
            "evaluation_config": config,
        }
        try:
            project = actions.do_create_project(
                actor=request.actor,
                procedure=data["procedure"],
                name=data["name"],
                region_code=data["region_code"],
                tenderer_entity_id=tenderer,
                agency_entity_id=agency,
                subject=data["subject"],
                sections=[section],
                content=data.get("content") or "",
                is_test_data=bool(data.get("is_test_data")),
                acceleration=int(data.get("acceleration") or 1),
            )
        except YiwangError as exc:
            _refused(request, exc)
        else:
            messages.success(
                request, gettext("项目已登记：招标项目编号 %(code)s") % {"code": project.tender_project_code}
            )
            return redirect("tender:project", project_id=project.pk)
    return render(request, "tender/project_new.html", {"form": form, "procedures": procedure_rules.procedures()})


def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    from yiwang.services.notices import queries as notice_queries

    view = _project_or_404(request, project_id)
    project = view.project
    notices = []
    for owner in [t.project_ref(project)] + [t.section_ref(s.section) for s in view.sections]:
        notices += [n for n in notice_queries.list_notices_of(owner) if n.published_at]
    notices.sort(key=lambda n: n.published_at)
    entities = _entities(request) if request.actor.is_authenticated else []
    return render(
        request,
        "tender/project.html",
        {
            "v": view,
            "project": project,
            "notices": notices,
            "document_form": DocumentForm() if view.may_manage else None,
            "clarification_form": ClarificationForm() if view.may_manage else None,
            "question_form": QuestionForm(entities=entities) if entities and not view.may_manage else None,
            "entities": entities,
            "section_labels": SECTION_LABELS,
            "tenderer_name": view.names.get(project.tenderer_entity_id, ""),
            "agency_name": view.names.get(project.agency_entity_id, "") if project.agency_entity_id else "",
        },
    )


@signed_in
@require_POST
def document_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        _do(
            request,
            lambda: actions.do_upload_document(
                actor=request.actor,
                project_id=project_id,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                stream=upload,
                filename=upload.name,
            ),
            gettext("文件已上传并登记摘要"),
        )
    else:
        messages.error(request, gettext("请选择文件并填写标题"))
    return redirect("tender:project", project_id=project_id)


@signed_in
def project_publish(request: HttpRequest, project_id: int) -> HttpResponse:
    view = _project_or_404(request, project_id)
    if not view.may_manage:
        raise Http404("managers only")
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_publish_project(
                actor=request.actor,
                project_id=project_id,
                bid_deadline=data.get("bid_deadline"),
                doc_get_end=data["doc_get_end"],
                pq_deadline=data.get("pq_deadline"),
                opening_key=data["opening_key"],
                opening_address=data.get("opening_address") or "",
                invitees=data.get("invitees") or [],
                body_html=f"<p>{data['body']}</p>" if data.get("body") else "",
            )
        except YiwangError as exc:
            _refused(request, exc)
        else:
            messages.success(request, gettext("公告已发布，投标箱已开设"))
            return redirect("tender:project", project_id=project_id)
    return render(request, "tender/publish.html", {"v": view, "form": form})


@signed_in
@require_POST
def clarify(request: HttpRequest, project_id: int) -> HttpResponse:
    form = ClarificationForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _do(
            request,
            lambda: actions.do_issue_clarification(
                actor=request.actor,
                project_id=project_id,
                text=data["text"],
                affects_bids=bool(data.get("affects_bids")),
                new_deadline=data.get("new_deadline"),
                answers=[int(x) for x in request.POST.getlist("answers") if x.isdigit()],
            ),
            gettext("澄清已发布"),
        )
    else:
        messages.error(request, gettext("请填写澄清内容"))
    return redirect("tender:project", project_id=project_id)


@signed_in
@require_POST
def ask(request: HttpRequest, project_id: int) -> HttpResponse:
    form = QuestionForm(request.POST, entities=_entities(request))
    if form.is_valid():
        _do(
            request,
            lambda: actions.do_ask_question(
                actor=request.actor,
                project_id=project_id,
                entity_id=int(form.cleaned_data["entity_id"]),
                text=form.cleaned_data["text"],
            ),
            gettext("提问已提交（答复以澄清公告发布，不显示提问人）"),
        )
    else:
        messages.error(request, gettext("请填写提问内容"))
    return redirect("tender:project", project_id=project_id)


@signed_in
def document_download(request: HttpRequest, document_id: int) -> HttpResponse:
    doc = TenderDocument.objects.filter(pk=document_id).first()
    if doc is None:
        raise Http404("no such document")
    entity = request.GET.get("entity") or request.POST.get("entity")
    try:
        _doc, version = actions.do_download_document(
            actor=request.actor, document_id=document_id, entity_id=int(entity) if entity else None
        )
    except NotFound:
        raise Http404("no such document") from None
    except YiwangError as exc:
        _refused(request, exc)
        return redirect("tender:project", project_id=doc.project_id)
    stream = storage_queries.open_version(version)
    response = FileResponse(stream, as_attachment=True, filename=version.filename)
    response["X-Content-SHA256"] = version.sha256
    response["Cache-Control"] = "private, no-store"
    return response


# -- sections -------------------------------------------------------------------------------------------------------
def section_detail(request: HttpRequest, section_id: int) -> HttpResponse:
    view = _section_or_404(request, section_id)
    entities = _entities(request) if request.actor.is_authenticated else []
    objection_kinds = (
        [("challenge", gettext("质疑"))]
        if view.procedure.objection_kind == "challenge"
        else [(k, gettext(v)) for k, v in Objection.KINDS.items() if k != "challenge"]
    )
    return render(
        request,
        "tender/section.html",
        {
            "v": view,
            "s": view.section,
            "project": view.section.project,
            "entities": entities,
            "bid_form": BidForm(entities=entities) if entities and view.may_bid else None,
            "objection_form": ObjectionForm(entities=entities, kinds=objection_kinds) if entities else None,
            "answer_form": AnswerForm(),
            "result_form": ResultForm(),
            "contract_form": ContractForm(initial={"amount_yuan": view.award.price_fen / 100 if view.award else None}),
            "performance_form": PerformanceForm(),
            "reason_form": ReasonForm(),
            "retender_form": RetenderForm(),
            "names": {k: v.name for k, v in t.entity_names([c.entity_id for c in view.candidates]).items()},
        },
    )


@signed_in
@require_POST
def submit_bid(request: HttpRequest, section_id: int) -> HttpResponse:
    form = BidForm(request.POST, request.FILES, entities=_entities(request))
    if not form.is_valid():
        messages.error(request, gettext("请选择投标单位和加密投标文件"))
        return _back_to_section(section_id)
    upload = form.cleaned_data["file"]
    try:
        submission = actions.do_submit_bid(
            actor=request.actor,
            section_id=section_id,
            entity_id=int(form.cleaned_data["entity_id"]),
            stream=upload,
            **upload_address_of(request),
        )
    except YiwangError as exc:
        _refused(request, exc)
        return _back_to_section(section_id)
    messages.success(
        request,
        gettext("投标文件已递交，回执编号 %(receipt)s，递交时间 %(at)s（平台签名回执）")
        % {"receipt": submission.receipt_id, "at": t.shanghai(submission.received_at)},
    )
    return redirect("bidbox:receipt", submission_id=submission.pk)


@signed_in
@require_POST
def withdraw_bid(request: HttpRequest, section_id: int) -> HttpResponse:
    _do(
        request,
        lambda: actions.do_withdraw_bid(
            actor=request.actor, section_id=section_id, submission_id=request.POST.get("submission_id", "")
        ),
        gettext("投标文件已撤回，保证金将依法退还"),
    )
    return _back_to_section(section_id)


@signed_in
@require_POST
def objection(request: HttpRequest, section_id: int) -> HttpResponse:
    data = request.POST
    _do(
        request,
        lambda: actions.do_raise_objection(
            actor=request.actor,
            section_id=section_id,
            entity_id=int(data.get("entity_id") or 0),
            kind=data.get("kind", ""),
            text=data.get("text", ""),
        ),
        gettext("异议（质疑）已提交"),
    )
    return _back_to_section(section_id)


@signed_in
@require_POST
def answer_objection(request: HttpRequest, objection_id: int) -> HttpResponse:
    row = Objection.objects.filter(pk=objection_id).first()
    if row is None:
        raise Http404("no such objection")
    _do(
        request,
        lambda: actions.do_answer_objection(
            actor=request.actor, objection_id=objection_id, answer=request.POST.get("answer", "")
        ),
        gettext("已答复"),
    )
    return _back_to_section(row.section_id)


@signed_in
@require_POST
def close_opening(request: HttpRequest, section_id: int) -> HttpResponse:
    _do(
        request,
        lambda: actions.do_close_opening(actor=request.actor, section_id=section_id),
        gettext("开标结束，开标记录已公布"),
    )
    return _back_to_section(section_id)


@signed_in
@require_POST
def record_result(request: HttpRequest, section_id: int) -> HttpResponse:
    form = ResultForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, gettext("请填写中标候选人及报价，并上传评标报告"))
        return _back_to_section(section_id)
    report = form.cleaned_data["report"]
    _do(
        request,
        lambda: actions.do_record_evaluation_result(
            actor=request.actor, section_id=section_id, candidates=form.candidates(), report=(report, report.name)
        ),
        gettext("评标结果已录入"),
    )
    return _back_to_section(section_id)


@signed_in
@require_POST
def publish_candidates(request: HttpRequest, section_id: int) -> HttpResponse:
    _do(
        request,
        lambda: actions.do_publish_candidates(actor=request.actor, section_id=section_id),
        gettext("中标候选人已公示"),
    )
    return _back_to_section(section_id)


@signed_in
@require_POST
def award(request: HttpRequest, section_id: int) -> HttpResponse:
    entity = request.POST.get("entity_id")
    _do(
        request,
        lambda: actions.do_award_section(
            actor=request.actor, section_id=section_id, entity_id=int(entity) if entity else None
        ),
        gettext("已定标，中标通知书已发出"),
    )
    return _back_to_section(section_id)


@signed_in
@require_POST
def contract(request: HttpRequest, section_id: int) -> HttpResponse:
    form = ContractForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, gettext("请填写合同金额"))
        return _back_to_section(section_id)
    data = form.cleaned_data
    upload = data.get("file")
    _do(
        request,
        lambda: actions.do_sign_contract(
            actor=request.actor,
            section_id=section_id,
            amount_fen=yuan_to_fen(data["amount_yuan"]),
            name=data.get("name") or "",
            code=data.get("code") or "",
            performance_security_fen=yuan_to_fen(data.get("performance_security_yuan")) or 0,
            document=(upload, upload.name) if upload else None,
        ),
        gettext("合同已登记并公告"),
    )
    return _back_to_section(section_id)


@signed_in
@require_POST
def performance(request: HttpRequest, section_id: int) -> HttpResponse:
    form = PerformanceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        _do(
            request,
            lambda: actions.do_record_performance(
                actor=request.actor,
                section_id=section_id,
                kind=data["kind"],
                text=data["text"],
                final=bool(data.get("final")),
            ),
            gettext("履约情况已登记"),
        )
    else:
        messages.error(request, gettext("请填写履约情况"))
    return _back_to_section(section_id)


@signed_in
@require_POST
def cancel(request: HttpRequest, section_id: int) -> HttpResponse:
    _do(
        request,
        lambda: actions.do_cancel_section(
            actor=request.actor, section_id=section_id, reason=request.POST.get("reason", "")
        ),
        gettext("已终止"),
    )
    return _back_to_section(section_id)


@signed_in
@require_POST
def fail(request: HttpRequest, section_id: int) -> HttpResponse:
    _do(
        request,
        lambda: actions.do_fail_section(
            actor=request.actor, section_id=section_id, reason=request.POST.get("reason", "")
        ),
        gettext("已宣布流标（废标）"),
    )
    return _back_to_section(section_id)


@signed_in
@require_POST
def retender(request: HttpRequest, section_id: int) -> HttpResponse:
    form = RetenderForm(request.POST)
    if form.is_valid():
        _do(
            request,
            lambda: actions.do_retender_section(
                actor=request.actor,
                section_id=section_id,
                bid_deadline=form.cleaned_data["bid_deadline"],
                doc_get_end=form.cleaned_data["doc_get_end"],
            ),
            gettext("已重新招标，新公告已发布"),
        )
    else:
        messages.error(request, gettext("请填写时间"))
    return _back_to_section(section_id)


# -- the opening hall -------------------------------------------------------------------------------------------------
def hall(request: HttpRequest, section_id: int) -> HttpResponse:
    view = _section_or_404(request, section_id)
    channel = bidbox_queries.hall_channel(view.box_id) if view.box_id else ""
    context = {"v": view, "s": view.section, "status": _hall(request, section_id), "channel": channel}
    return render(request, "tender/hall.html", context)


def hall_status(request: HttpRequest, section_id: int) -> HttpResponse:
    return render(request, "tender/_hall_status.html", {"status": _hall(request, section_id)})


def _hall(request: HttpRequest, section_id: int) -> queries.HallStatus:
    try:
        return queries.hall_status_for(request.actor, section_id)
    except NotFound:
        raise Http404("no such section") from None

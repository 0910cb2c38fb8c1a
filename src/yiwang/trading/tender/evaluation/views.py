"""The expert evaluation workbench (评标工作台), Chinese first (English under the switch), designed for desktop and
usable at phone width.

- ``/evaluation/``: my evaluation tasks (members), the evaluations I oversee (staff, regulators, auditors), my
  clarification requests (bidders);
- ``/evaluation/<id>/``: one evaluation as the viewer may see it — staff run the day (check-in, convening,
  chair, extension), members see the bids and their documents during the meeting and their current task,
  the chair sees progress, outliers, prices and clarifications and closes stages; the tenderer and agency see
  the result once the report is final;
- ``review/<stage>/`` the qualification or compliance checklist, ``scoring/`` the score form, ``report/`` the
  report with the signing form, ``report.pdf`` the final PDF;
- bid documents are opened through short-lived signed links bound to the member (``documents/<token>/``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.identity.ca import queries as ca_queries
from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.crypto import sha256, sm3
from yiwang.kernel.errors import NotFound, PermissionDenied, YiwangError
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.clock import now
from yiwang.platform.storage import queries as storage_queries
from yiwang.platform.web.decorators import signed_in
from yiwang.platform.web.forms import error_text
from yiwang.services.experts import queries as experts_q
from yiwang.trading.tender.evaluation import actions, queries
from yiwang.trading.tender.evaluation.domain.states import PRICE_CHANGE_LABELS_ZH, STATUS_LABELS_ZH, Status

STAGE_LABELS = {s.value: label for s, label in STATUS_LABELS_ZH.items()}
STEPS = [
    Status.FORMING,
    Status.QUALIFICATION,
    Status.COMPLIANCE,
    Status.PRICING,
    Status.CLARIFICATION,
    Status.SCORING,
    Status.SIGNING,
    Status.FINAL,
]


def _view_or_404(request: HttpRequest, evaluation_id: int) -> queries.EvaluationView:
    try:
        return queries.get_evaluation_by_id_for(request.actor, evaluation_id)
    except NotFound:
        raise Http404("no such evaluation") from None


def _run(
    request: HttpRequest, evaluation_id: int, fn: Callable[[str], Any], ok: str, *, to: str = "evaluation:detail"
) -> HttpResponse:
    try:
        section_ref = queries.section_of(evaluation_id)
    except NotFound:
        raise Http404("no such evaluation") from None
    try:
        fn(section_ref)
    except (PermissionDenied, NotFound) as exc:
        messages.error(request, error_text(exc))
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, ok)
    return redirect(to, evaluation_id=evaluation_id)


def _local_input(value: str) -> datetime | None:
    """A ``datetime-local`` input (Shanghai time) → an aware instant."""
    try:
        return datetime.fromisoformat(value.strip()).replace(tzinfo=SHANGHAI)
    except (ValueError, AttributeError):
        return None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# -- lists -----------------------------------------------------------------------------------------


@signed_in
def index(request: HttpRequest) -> HttpResponse:
    """评标工作台: my tasks, the evaluations I oversee, my clarification requests."""
    items = queries.list_evaluations_for(request.actor, limit=100)
    context = {
        "tasks": [i for i in items if i.role in ("member", "chair")],
        "overseen": [i for i in items if i.role == "overseer"],
        "clarifications": queries.list_my_clarifications(request.actor),
        "drawn": experts_q.list_my_tasks(request.actor),
    }
    return render(request, "evaluation/index.html", context)


# -- one evaluation --------------------------------------------------------------------------------


@signed_in
def detail(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    view = _view_or_404(request, evaluation_id)
    seats = []
    if view.can_manage and view.draw_id and view.status == Status.FORMING:
        seats = experts_q.committee_for(request.actor, view.draw_id)
    done = STEPS.index(Status(view.status)) if view.status in STEPS else -1
    context = {
        "ev": view,
        "seats": seats,
        "steps": [(s.value, STATUS_LABELS_ZH[s], i < done, i == done) for i, s in enumerate(STEPS)],
        "price_change_labels": PRICE_CHANGE_LABELS_ZH,
        "representatives": [m for m in view.members if m.kind == "representative"],
        "valid_bids": [b for b in view.bids if b.status == "in"],
        "now_plus_hour": (now() + timedelta(hours=1)).astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "evaluation/detail.html", context)


@signed_in
@require_POST
def check_in(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    seat_id, member_id = _int(request.POST.get("seat_id")), _int(request.POST.get("member_id"))
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_check_in_member(
            actor=request.actor,
            section_ref=ref,
            seat_id=seat_id,
            member_id=member_id,
            method=request.POST.get("method", "staff_manual"),
            code=request.POST.get("code", ""),
        ),
        gettext("已签到。"),
    )


@signed_in
@require_POST
def seat(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_seat_committee(actor=request.actor, section_ref=ref),
        gettext("已安排席位。"),
    )


@signed_in
@require_POST
def convene(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_convene_committee(actor=request.actor, section_ref=ref),
        gettext("评标开始。"),
    )


@signed_in
@require_POST
def chair(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    member_id = _int(request.POST.get("member_id")) or 0
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_set_chair(actor=request.actor, section_ref=ref, member_id=member_id),
        gettext("已记录评标委员会主任。"),
    )


@signed_in
@require_POST
def close_stage(request: HttpRequest, evaluation_id: int, stage: str) -> HttpResponse:
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_close_stage(actor=request.actor, section_ref=ref, stage=stage),
        gettext("%(stage)s已结束。") % {"stage": gettext(STAGE_LABELS.get(stage, stage))},
    )


@signed_in
@require_POST
def return_sheet(request: HttpRequest, evaluation_id: int, member_id: int) -> HttpResponse:
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_return_sheet(
            actor=request.actor, section_ref=ref, member_id=member_id, reason=request.POST.get("reason", "")
        ),
        gettext("已退回该成员的评审表。"),
    )


@signed_in
@require_POST
def change_price(request: HttpRequest, evaluation_id: int, bid_id: int) -> HttpResponse:
    change = request.POST.get("change", "")
    yuan = request.POST.get("amount", "").strip()
    try:
        fen = int((Decimal(yuan) * 100).to_integral_value()) if yuan else None
    except ArithmeticError:
        fen = None
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_change_price(
            actor=request.actor,
            section_ref=ref,
            bid_id=bid_id,
            change=change,
            price_fen=fen if change != "adjustment" else None,
            amount_fen=fen if change == "adjustment" else None,
            reason=request.POST.get("reason", ""),
        ),
        gettext("价格已记录。"),
    )


@signed_in
@require_POST
def issue_clarification(request: HttpRequest, evaluation_id: int, bid_id: int) -> HttpResponse:
    respond_by = _local_input(request.POST.get("respond_by", ""))
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_issue_clarification(
            actor=request.actor,
            section_ref=ref,
            bid_id=bid_id,
            question=request.POST.get("question", ""),
            respond_by=respond_by,  # type: ignore[arg-type]
        ),
        gettext("已要求投标人澄清。"),
    )


@signed_in
@require_POST
def answer_clarification(request: HttpRequest, evaluation_id: int, bid_id: int) -> HttpResponse:
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_answer_clarification(
            actor=request.actor, section_ref=ref, bid_id=bid_id, answer=request.POST.get("answer", "")
        ),
        gettext("书面说明已提交。"),
    )


@signed_in
@require_POST
def decide_clarification(request: HttpRequest, evaluation_id: int, bid_id: int) -> HttpResponse:
    accept = request.POST.get("accept") == "1"
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_decide_clarification(
            actor=request.actor, section_ref=ref, bid_id=bid_id, accept=accept, reason=request.POST.get("reason", "")
        ),
        gettext("已作出认定。"),
    )


@signed_in
@require_POST
def time_short(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_declare_time_short(
            actor=request.actor, section_ref=ref, reason=request.POST.get("reason", "")
        ),
        gettext("已记录：评标时间不够。"),
    )


@signed_in
@require_POST
def extend(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    until = _local_input(request.POST.get("until", ""))
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_extend_evaluation(
            actor=request.actor, section_ref=ref, until=until, reason=request.POST.get("reason", "")
        ),  # type: ignore[arg-type]
        gettext("评标时间已延长。"),
    )


@signed_in
@require_POST
def finalise(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_finalise_report(actor=request.actor, section_ref=ref),
        gettext("评标报告已确认。"),
    )


@signed_in
@require_POST
def awarded(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_mark_awarded(actor=request.actor, section_ref=ref),
        gettext("评标委员会名单已公开。"),
    )


@signed_in
@require_POST
def cancel(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    return _run(
        request,
        evaluation_id,
        lambda ref: actions.do_cancel_evaluation(
            actor=request.actor, section_ref=ref, reason=request.POST.get("reason", "")
        ),
        gettext("评标已取消。"),
    )


# -- sheets ----------------------------------------------------------------------------------------


def _verdicts_from(post: Any, view: queries.EvaluationView, stage: str) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for bid in view.bids:
        if bid.status != "in":
            continue
        row = {}
        for check in view.checks.get(stage, ()):
            answer = post.get(f"f-{bid.id}-{check.code}", "")
            if answer in ("ok", "fail"):
                row[check.code] = {"ok": answer == "ok", "note": post.get(f"n-{bid.id}-{check.code}", "")}
        if row:
            out[str(bid.id)] = row
    return out


@signed_in
@require_http_methods(["GET", "POST"])
def review_sheet(request: HttpRequest, evaluation_id: int, stage: str) -> HttpResponse:
    """资格审查 / 符合性审查: one row per bid, one column per check; 不符合 needs the reason."""
    if stage not in ("qualification", "compliance"):
        raise Http404("no such stage")
    view = _view_or_404(request, evaluation_id)
    sheet = view.my_sheets.get(stage)
    if view.me is None or sheet is None:
        raise DjangoPermissionDenied("members only")
    status = 200
    content = sheet.content or {}
    if request.method == "POST":
        verdicts = _verdicts_from(request.POST, view, stage)
        submit = request.POST.get("submit") == "1"
        try:
            actions.do_save_review_sheet(
                actor=request.actor,
                section_ref=view.section_ref,
                stage=stage,
                verdicts=verdicts,
                comments=request.POST.get("comments", ""),
                submit=submit,
                expected_version=_int(request.POST.get("version")),
            )
        except YiwangError as exc:
            messages.error(request, error_text(exc))
            content, status = verdicts, 422
        else:
            messages.success(request, gettext("评审表已提交。") if submit else gettext("已保存草稿。"))
            return redirect(
                "evaluation:detail" if submit else "evaluation:review",
                evaluation_id=evaluation_id,
                **({} if submit else {"stage": stage}),
            )
        view = _view_or_404(request, evaluation_id)
        sheet = view.my_sheets[stage]
    rows = []
    for bid in view.bids:
        if bid.status != "in":
            continue
        findings = content.get(str(bid.id), {})
        rows.append(
            {
                "bid": bid,
                "cells": [
                    {
                        "check": c,
                        "value": ("ok" if findings[c.code]["ok"] else "fail") if c.code in findings else "",
                        "note": findings.get(c.code, {}).get("note", ""),
                        "hint": bid.hints.get(c.code, "") if stage == "compliance" else "",
                    }
                    for c in view.checks.get(stage, ())
                ],
            }
        )
    context = {
        "ev": view,
        "stage": stage,
        "stage_label": STATUS_LABELS_ZH[Status(stage)],
        "sheet": sheet,
        "rows": rows,
        "editable": view.status == stage and sheet.status == "draft",
    }
    return render(request, "evaluation/review_sheet.html", context, status=status)


@signed_in
@require_http_methods(["GET", "POST"])
def score_sheet(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    """详细评审: the member's items (by role) for every valid bid, within each item's points."""
    view = _view_or_404(request, evaluation_id)
    sheet = view.my_sheets.get("scoring")
    if view.me is None or sheet is None:
        raise DjangoPermissionDenied("scorers only")
    items = [i for i in view.items if i.code in view.my_items]
    content = sheet.content or {}
    status = 200
    if request.method == "POST":
        scores = {
            str(b.id): {i.code: request.POST.get(f"s-{b.id}-{i.code}", "").strip() for i in items}
            for b in view.bids
            if b.status == "in"
        }
        submit = request.POST.get("submit") == "1"
        try:
            actions.do_save_score_sheet(
                actor=request.actor,
                section_ref=view.section_ref,
                scores=scores,
                comments=request.POST.get("comments", ""),
                submit=submit,
                expected_version=_int(request.POST.get("version")),
            )
        except YiwangError as exc:
            messages.error(request, error_text(exc))
            content, status = scores, 422
        else:
            messages.success(request, gettext("评分表已提交。") if submit else gettext("已保存草稿。"))
            return redirect("evaluation:detail" if submit else "evaluation:scoring", evaluation_id=evaluation_id)
        view = _view_or_404(request, evaluation_id)
        sheet = view.my_sheets["scoring"]
    rows = [
        {"bid": b, "cells": [{"item": i, "value": content.get(str(b.id), {}).get(i.code, "")} for i in items]}
        for b in view.bids
        if b.status == "in"
    ]
    context = {
        "ev": view,
        "sheet": sheet,
        "items": items,
        "rows": rows,
        "price_item": next((i for i in view.items if i.category == "price"), None),
        "editable": view.status == "scoring" and sheet.status == "draft",
    }
    return render(request, "evaluation/score_sheet.html", context, status=status)


# -- report ----------------------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    """评标报告: the report; for members the signing input and the signing form."""
    view = _view_or_404(request, evaluation_id)
    if view.report is None:
        messages.info(request, gettext("评标报告尚未生成。"))
        return redirect("evaluation:detail", evaluation_id=evaluation_id)
    status = 200
    if request.method == "POST":
        certificate = request.POST.get("certificate", "").strip()
        try:
            actions.do_sign_report(
                actor=request.actor,
                section_ref=view.section_ref,
                signature=request.POST.get("signature", ""),
                certificate=certificate,
                dissent=request.POST.get("dissent", ""),
            )
        except YiwangError as exc:
            messages.error(request, error_text(exc))
            status = 422
        else:
            messages.success(request, gettext("已签署评标报告。"))
            return redirect("evaluation:report", evaluation_id=evaluation_id)
        view = _view_or_404(request, evaluation_id)
    signer = view.me is not None and view.status == "signing" and not view.me.signed
    data = canonical_json(view.report) if signer else b""
    context = {
        "ev": view,
        "report": view.report,
        "signer": signer,
        "input_sm3": ca_queries.document_signing_input("sm3", sm3(data)).decode() if signer else "",
        "input_sha256": ca_queries.document_signing_input("sha256", sha256(data)).decode() if signer else "",
        "may_finalise": view.status == "signing" and (view.is_chair or view.can_manage),
        "pdf": view.report_pdf_document is not None and (view.viewer in ("overseer", "member") or view.names_visible),
    }
    return render(request, "evaluation/report.html", context, status=status)


@signed_in
def report_pdf(request: HttpRequest, evaluation_id: int) -> HttpResponse:
    view = _view_or_404(request, evaluation_id)
    if view.report_pdf_document is None or not (view.viewer in ("overseer", "member") or view.names_visible):
        raise Http404("no report")
    owner = actions.storage.Owner(actions.OWNER_CONTEXT, f"evaluation:{view.id}")
    version = storage_queries.get_version(storage_queries.get_owned_document(owner, view.report_pdf_document))
    return FileResponse(
        storage_queries.open_version(version), content_type="application/pdf", filename=f"评标报告-{view.id}.pdf"
    )


# -- bid documents ---------------------------------------------------------------------------------


@signed_in
def document(request: HttpRequest, evaluation_id: int, bid_id: int, index: int) -> HttpResponse:
    """Open a bid document: a fresh signed link for the member, then the file."""
    try:
        url = queries.document_link_for(request.actor, queries.section_of(evaluation_id), bid_id, index)
    except NotFound:
        raise Http404("no such document") from None
    except YiwangError as exc:
        messages.error(request, error_text(exc))
        return redirect("evaluation:detail", evaluation_id=evaluation_id)
    return redirect(url)


@signed_in
def document_by_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        claims = queries.read_document_link(request.actor, token)
        name, stream = actions.do_open_bid_document(
            actor=request.actor, section_ref=claims.section_ref, bid_id=claims.bid_id, index=claims.index
        )
    except NotFound:
        raise Http404("no such document") from None
    except YiwangError as exc:
        raise DjangoPermissionDenied(exc.code) from None
    response = FileResponse(stream, as_attachment=True, filename=name)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response

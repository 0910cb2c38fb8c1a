"""Credit pages: the public 信用信息 lookup (search, an entity's published records), record entry for
regulators and trading-centre staff, a record's page (撤销/移出名单 for officers, 信用修复申请 for the entity's
users) and the repair requests with their time limits (regulators decide)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.platform.web.decorators import signed_in
from yiwang.platform.web.forms import coded_message, error_text
from yiwang.supervision.credit import actions, queries
from yiwang.supervision.credit.domain.records import (
    CONFINED_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
)

RECORD_FIELDS = (
    "entity_id",
    "kind",
    "severity",
    "level",
    "title",
    "facts",
    "decision_number",
    "authority",
    "basis",
    "source",
    "source_ref",
    "decided_on",
    "starts_on",
    "ends_on",
    "region_code",
)


def index(request: HttpRequest) -> HttpResponse:
    """公共信用信息查询 (anyone)."""
    q = request.GET.get("q", "").strip()[:100]
    context = {
        "q": q,
        "hits": queries.search_public(request.actor, q) if q else [],
        "officer": actions.is_officer(request.actor) and not request.actor.is_system,
        "may_read": queries.may_read_records(request.actor) or bool(request.actor.entity_ids()),
    }
    return render(request, "credit/index.html", context)


def entity(request: HttpRequest, entity_id: int) -> HttpResponse:
    try:
        profile = queries.get_profile_for(request.actor, entity_id)
    except NotFound:
        raise Http404("no such entity") from None
    context = {
        "p": profile,
        "officer": actions.is_officer(request.actor),
        "confined_labels": CONFINED_LABELS,
        "checks": queries.list_checks_for(request.actor, entity_id, limit=5),
    }
    return render(request, "credit/entity.html", context)


@signed_in
@require_POST
def check_external(request: HttpRequest, entity_id: int) -> HttpResponse:
    """外部信用核查 from the entity's page (officers)."""
    try:
        check = actions.do_check_external(actor=request.actor, entity_id=entity_id)
    except NotFound:
        raise Http404("no such entity") from None
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            pgettext("credit", "已核查：命中 %(hits)s 条，无法查询的平台 %(unavailable)s 个。")
            % {"hits": check.hit_count, "unavailable": check.unavailable},
        )
    return redirect("credit:entity", entity_id=entity_id)


def record(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        view = queries.get_record_for(request.actor, record_id)
    except NotFound:
        raise Http404("no such record") from None
    context = {
        "r": view,
        "may_end": view.full and view.status == "active" and actions.is_officer(request.actor, view.region_code),
        "may_repair": view.status == "active" and request.actor.acts_for(view.entity_id) and view.repairable_from,
    }
    return render(request, "credit/record.html", context)


def _form_context(values: dict[str, Any], errors: dict[str, str], general: str = "") -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "general": general,
        "kinds": list(KIND_LABELS.items()),
        "severities": list(SEVERITY_LABELS.items()),
        "levels": list(LEVEL_LABELS.items()),
        "sources": list(SOURCE_LABELS.items()),
        "confined": list(CONFINED_LABELS.items()),
    }


@signed_in
def new_record(request: HttpRequest) -> HttpResponse:
    """录入信用记录 (regulators and staff)."""
    if not actions.is_officer(request.actor):
        raise DjangoPermissionDenied("regulators and staff enter credit records")
    scopes = request.actor.region_scopes(Role.REGULATOR, Role.STAFF)
    if request.method != "POST":
        initial = {"entity_id": request.GET.get("entity_id", ""), "region_code": scopes[0] if scopes else ""}
        return render(request, "credit/record_form.html", _form_context(initial, {}))
    values: dict[str, Any] = {name: request.POST.get(name, "").strip() for name in RECORD_FIELDS}
    values["confined_actions"] = request.POST.getlist("confined_actions")
    try:
        created = actions.do_record_credit(actor=request.actor, data=values)
    except YiwangError as exc:
        errors: dict[str, str] = {}
        listed = exc.details.get("errors") or [
            {
                "field": exc.details.get("field"),
                "code": exc.code,
                "message_zh": exc.message_zh,
                "message_en": exc.message_en,
            }
        ]
        for e in listed:
            if e.get("field"):
                errors.setdefault(str(e["field"]), coded_message(e["code"], e["message_zh"], e.get("message_en")))
        general = "" if errors else error_text(exc)
        return render(request, "credit/record_form.html", _form_context(values, errors, general), status=422)
    messages.success(request, pgettext("credit", "信用记录已录入。"))
    return redirect("credit:record", record_id=created.pk)


@signed_in
@require_POST
def end_record(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        actions.do_end_record(
            actor=request.actor,
            record_id=record_id,
            how=request.POST.get("how", ""),
            reason=request.POST.get("reason", ""),
            expected_version=int(request.POST["version"]) if request.POST.get("version", "").isdigit() else None,
        )
    except NotFound:
        raise Http404("no such record") from None
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, pgettext("credit", "记录状态已变更。"))
    return redirect("credit:record", record_id=record_id)


@signed_in
@require_POST
def request_repair(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        actions.do_request_repair(
            actor=request.actor,
            record_id=record_id,
            reason=request.POST.get("reason", ""),
            commitment=request.POST.get("commitment", ""),
        )
    except NotFound:
        raise Http404("no such record") from None
    except YiwangError as exc:
        messages.error(request, error_text(exc))
        return redirect("credit:record", record_id=record_id)
    messages.success(request, pgettext("credit", "信用修复申请已提交。"))
    return redirect("credit:repairs")


@signed_in
def repairs(request: HttpRequest) -> HttpResponse:
    """信用修复申请: pending first by due time; regulators decide."""
    rows = queries.list_repairs_for(request.actor)
    may_decide = bool(request.actor.region_scopes(Role.REGULATOR))
    return render(request, "credit/repairs.html", {"rows": rows, "may_decide": may_decide})


@signed_in
@require_POST
def decide_repair(request: HttpRequest, repair_id: int) -> HttpResponse:
    try:
        actions.do_decide_repair(
            actor=request.actor,
            repair_id=repair_id,
            approve=request.POST.get("approve") == "1",
            reason=request.POST.get("reason", ""),
        )
    except NotFound:
        raise Http404("no such request") from None
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, pgettext("credit", "已作出决定。"))
    return redirect("credit:repairs")

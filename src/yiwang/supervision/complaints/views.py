"""Complaint pages: the public decisions and one's own or one's region's complaints (``/complaints/``), filing
(``new/``) and a complaint's page with its time limits and the regulator's steps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.platform.web.decorators import signed_in
from yiwang.supervision.complaints import actions, queries
from yiwang.supervision.complaints.domain import rules as r

FIELDS = (
    "track",
    "matter",
    "complainant_entity_id",
    "respondent",
    "procedure_ref",
    "procedure_title",
    "region_code",
    "facts",
    "claims",
    "anchor_on",
    "objection_ref",
    "objection_raised_on",
    "objection_answered_on",
)


def index(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    mine = queries.list_complaints_for(actor).rows if actor.is_authenticated else []
    context = {
        "decisions": queries.list_public_decisions(limit=30),
        "mine": mine,
        "may_file": bool(actor.entity_ids()),
    }
    return render(request, "complaints/index.html", context)


def _form(values: dict[str, Any], errors: dict[str, str], general: str = "") -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors,
        "general": general,
        "tracks": list(r.TRACK_LABELS.items()),
        "matters": list(r.MATTER_LABELS.items()),
    }


@signed_in
def new(request: HttpRequest) -> HttpResponse:
    """投诉 by a user of a market entity."""
    entities = sorted(request.actor.entity_ids())
    if request.method != "POST":
        initial = {"complainant_entity_id": entities[0] if entities else "", "track": "works", "matter": "results"}
        return render(request, "complaints/new.html", _form(initial, {}))
    values = {name: request.POST.get(name, "").strip() for name in FIELDS}
    try:
        c = actions.do_file_complaint(actor=request.actor, data=values)
    except YiwangError as exc:
        listed = exc.details.get("errors") or [
            {"field": exc.details.get("field"), "code": exc.code, "message_zh": exc.message_zh}
        ]
        errors = {str(e["field"]): f"{e['message_zh']}（{e['code']}）" for e in listed if e.get("field")}
        general = "" if errors else f"{exc.message_zh}（{exc.code}）"
        return render(request, "complaints/new.html", _form(values, errors, general), status=422)
    messages.success(request, "投诉已提交。")
    return redirect("complaints:detail", complaint_id=c.pk)


@signed_in
def detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    try:
        view = queries.get_complaint_for(request.actor, complaint_id)
    except NotFound:
        raise Http404("no such complaint") from None
    steps = [(v, r.VERB_LABELS[r.Verb(v)]) for v in view.allowed]
    may_withdraw = view.status in r.OPEN and request.actor.acts_for(view.complainant_entity_id)
    pause_kinds = [(k, label) for k, label in r.PAUSE_LABELS.items() if k in r.PAUSE_BASIS.get(view.track, {})]
    context = {
        "c": view,
        "steps": steps,
        "outcomes": list(r.OUTCOME_LABELS.items()),
        "pause_kinds": pause_kinds,
        "may_withdraw": may_withdraw,
    }
    return render(request, "complaints/detail.html", context)


@signed_in
@require_POST
def step(request: HttpRequest, complaint_id: int) -> HttpResponse:
    verb = request.POST.get("verb", "")
    try:
        if verb == "withdraw":
            actions.do_withdraw_complaint(
                actor=request.actor, complaint_id=complaint_id, reason=request.POST.get("reason", "")
            )
        else:
            actions.do_act_on_complaint(
                actor=request.actor,
                complaint_id=complaint_id,
                verb=verb,
                reason=request.POST.get("reason", ""),
                outcome=request.POST.get("outcome", ""),
                pause_kind=request.POST.get("pause_kind", ""),
                expected_version=int(request.POST["version"]) if request.POST.get("version", "").isdigit() else None,
            )
    except NotFound:
        raise Http404("no such complaint") from None
    except YiwangError as exc:
        messages.error(request, f"{exc.message_zh}（{exc.code}）")
    else:
        messages.success(request, "已办理。")
    return redirect("complaints:detail", complaint_id=complaint_id)

"""Experts pages (Chinese, phone width): public pool statistics; for staff the pool, enrolment, expert
details, draw requests and results (sealed and unsealed, reserves, replay check, check-in); for experts
"我的评审任务" with confirm and decline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.catalog import queries as catalog
from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, PermissionDenied, YiwangError
from yiwang.platform.notify import queries as inbox
from yiwang.platform.web.decorators import allowed, signed_in
from yiwang.platform.web.forms import error_text
from yiwang.services.experts import actions, queries
from yiwang.services.experts.domain.draw import AVOID_REASON_LABELS_ZH
from yiwang.services.experts.domain.pool import POOL_KIND_LABELS_ZH, STATUS_LABELS_ZH, PoolKind
from yiwang.services.experts.forms import (
    DeclineForm,
    DrawForm,
    ExpertForm,
    SanctionForm,
    StatusForm,
    TieForm,
    UnavailabilityForm,
)

PAGE = 20
_STAFF = (Role.STAFF,)


_overseer = allowed(queries.may_browse_pool, "the expert pool is for trading-centre staff, regulators and auditors")


def _regions() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for province in catalog.list_regions():
        out.append((province.code, province.name))
        out.extend((c.code, f"　{c.name}") for c in catalog.list_regions(parent=province.code))
    return out


def _page(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


# -- public -------------------------------------------------------------------------------------------------------


def index(request: HttpRequest) -> HttpResponse:
    """专家库概况: active experts per category (public, nothing personal), and the classification."""
    stats = queries.pool_statistics()
    groups: dict[str, list] = {}
    for s in stats:
        groups.setdefault(s.code[:1], []).append(s)
    context = {
        "groups": [
            (letter, queries.specialty_names([letter]).get(letter, letter), rows) for letter, rows in groups.items()
        ],
        "total": queries.active_expert_count(),
        "may_browse": queries.may_browse_pool(request.actor),
        "is_expert": queries.expert_of(request.actor) is not None,
    }
    return render(request, "experts/index.html", context)


def classification(request: HttpRequest) -> HttpResponse:
    """评标专家专业分类 (the whole tree)."""
    return render(request, "experts/classification.html", {"nodes": queries.list_specialties()})


# -- the pool (staff) ---------------------------------------------------------------------------------------------


@_overseer
def pool(request: HttpRequest) -> HttpResponse:
    """专家库: search by name or employer, specialty, region, status."""
    f = {k: request.GET.get(k, "").strip() for k in ("q", "specialty", "region", "status", "kind")}
    page = _page(request)
    result = queries.list_experts_for(
        request.actor,
        q=f["q"],
        specialty=f["specialty"] or None,
        region=f["region"] or None,
        status=f["status"] or None,
        kind=f["kind"] or None,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    context = {
        **f,
        "result": result,
        "page": page,
        "has_next": result.offset + len(result.items) < result.total,
        "specialty_choices": queries.specialty_choices(),
        "region_choices": _regions(),
        "status_choices": [(s.value, label) for s, label in STATUS_LABELS_ZH.items()],
        "kind_choices": [(k.value, POOL_KIND_LABELS_ZH[k]) for k in PoolKind],
        "may_enrol": bool(request.actor.region_scopes(*_STAFF)),
    }
    template = "experts/_pool_results.html" if request.htmx else "experts/pool.html"
    return render(request, template, context)


def _expert_form(*args: Any, **kwargs: Any) -> ExpertForm:
    return ExpertForm(*args, regions=_regions(), specialties=queries.specialty_choices(leaves_only=True), **kwargs)


@signed_in
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """专家入库 (staff over the expert's region)."""
    if not request.actor.region_scopes(*_STAFF):
        raise DjangoPermissionDenied("staff only")
    if request.method == "POST":
        form = _expert_form(request.POST)
        if form.is_valid():
            try:
                expert = actions.do_enrol_expert(actor=request.actor, data=form.data_for_action())
            except YiwangError as exc:
                form.add_action_error(exc)
            else:
                messages.success(request, gettext("专家“%(name)s”已入库。") % {"name": expert.name})
                return redirect("experts:detail", expert_id=expert.pk)
        return render(request, "experts/enrol.html", {"form": form}, status=422)
    form = _expert_form(initial={"kinds": ["works"], "notify_channels": ["in_site", "sms"], "title_level": "senior"})
    return render(request, "experts/enrol.html", {"form": form})


def _expert_or_404(request: HttpRequest, expert_id: int) -> queries.ExpertView:
    try:
        return queries.get_expert_for(request.actor, expert_id)
    except NotFound:
        raise Http404("no such expert") from None


@signed_in
def detail(request: HttpRequest, expert_id: int) -> HttpResponse:
    """专家详情: record, specialties, status history, declarations, sanctions, performance."""
    view = _expert_or_404(request, expert_id)
    summary, performance = queries.list_performance_for(request.actor, expert_id)
    context = {
        "expert": view,
        "summary": summary,
        "performance": performance[:20],
        "kind_labels": [POOL_KIND_LABELS_ZH[PoolKind(k)] for k in view.kinds],
        "status_form": StatusForm(initial={"version": view.version}) if view.can_manage else None,
        "unavailability_form": UnavailabilityForm() if (view.can_manage or view.is_self) else None,
        "tie_form": TieForm() if (view.can_manage or view.is_self) else None,
        "sanction_form": SanctionForm() if view.can_manage else None,
    }
    return render(request, "experts/detail.html", context)


@signed_in
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, expert_id: int) -> HttpResponse:
    view = _expert_or_404(request, expert_id)
    if not view.can_manage:
        raise DjangoPermissionDenied("staff over the expert's region only")
    if request.method == "POST":
        form = _expert_form(request.POST, editing=True)
        if form.is_valid():
            try:
                actions.do_update_expert(
                    actor=request.actor,
                    expert_id=expert_id,
                    changes=form.data_for_action(),
                    expected_version=int(request.POST.get("version") or 0) or None,
                )
            except YiwangError as exc:
                form.add_action_error(exc)
            else:
                messages.success(request, gettext("专家信息已更新。"))
                return redirect("experts:detail", expert_id=expert_id)
        return render(request, "experts/edit.html", {"form": form, "expert": view}, status=422)
    main = next((s.code for s in view.specialties if s.main), "")
    initial = {
        **{
            f: getattr(view, f)
            for f in (
                "name",
                "title",
                "title_level",
                "equivalent_level",
                "equivalent_note",
                "education",
                "employer_entity_id",
                "employer_uscc",
                "employer_name",
                "position",
                "region_code",
                "practice_since",
                "phone",
                "email",
                "account_id",
            )
        },
        "kinds": list(view.kinds),
        "notify_channels": list(view.notify_channels),
        "main_specialty": main,
        "other_specialties": [s.code for s in view.specialties if s.code != main],
    }
    return render(request, "experts/edit.html", {"form": _expert_form(initial=initial, editing=True), "expert": view})


def _back(request: HttpRequest, expert_id: int) -> HttpResponse:
    if request.POST.get("next") == "tasks":
        return redirect("experts:tasks")
    return redirect("experts:detail", expert_id=expert_id)


def _post_on_expert(request: HttpRequest, expert_id: int, run: Callable[[], Any], ok: str) -> HttpResponse:
    try:
        run()
    except (PermissionDenied, NotFound):
        raise DjangoPermissionDenied("not allowed") from None
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, ok)
    return _back(request, expert_id)


@signed_in
@require_POST
def change_status(request: HttpRequest, expert_id: int) -> HttpResponse:
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请填写操作和原因。"))
        return redirect("experts:detail", expert_id=expert_id)
    d = form.cleaned_data
    return _post_on_expert(
        request,
        expert_id,
        lambda: actions.do_change_expert_status(
            actor=request.actor,
            expert_id=expert_id,
            change=d["action"],
            reason=d["reason"],
            expected_version=d["version"],
        ),
        gettext("专家状态已变更。"),
    )


@signed_in
@require_POST
def declare_unavailability(request: HttpRequest, expert_id: int) -> HttpResponse:
    form = UnavailabilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请填写开始和结束日期。"))
        return _back(request, expert_id)
    d = form.cleaned_data
    return _post_on_expert(
        request,
        expert_id,
        lambda: actions.do_declare_unavailability(
            actor=request.actor,
            expert_id=expert_id,
            start_date=d["start_date"],
            end_date=d["end_date"],
            reason=d["reason"],
        ),
        gettext("已申报不能参加评审的日期。"),
    )


@signed_in
@require_POST
def declare_tie(request: HttpRequest, expert_id: int) -> HttpResponse:
    form = TieForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请完整填写利害关系。"))
        return redirect("experts:detail", expert_id=expert_id)
    return _post_on_expert(
        request,
        expert_id,
        lambda: actions.do_declare_tie(actor=request.actor, expert_id=expert_id, data=form.cleaned_data),
        gettext("已申报利害关系。该单位被列为回避单位时不会抽取您。"),
    )


@signed_in
@require_POST
def record_sanction(request: HttpRequest, expert_id: int) -> HttpResponse:
    form = SanctionForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请完整填写处理记录。"))
        return redirect("experts:detail", expert_id=expert_id)
    return _post_on_expert(
        request,
        expert_id,
        lambda: actions.do_record_sanction(actor=request.actor, expert_id=expert_id, data=form.cleaned_data),
        gettext("处理记录已登记。"),
    )


# -- draws (staff) -------------------------------------------------------------------------------------------------


@_overseer
def draws(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    items = queries.list_draws_for(request.actor, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return render(
        request,
        "experts/draws.html",
        {
            "items": items[:PAGE],
            "page": page,
            "has_next": len(items) > PAGE,
            "may_draw": bool(request.actor.region_scopes(*_STAFF)),
        },
    )


@signed_in
@require_http_methods(["GET", "POST"])
def draw_new(request: HttpRequest) -> HttpResponse:
    """抽取申请: specialties × counts and reserves, regions, meeting window, avoided firms."""
    if not request.actor.region_scopes(*_STAFF):
        raise DjangoPermissionDenied("staff only")
    kwargs = {"regions": _regions(), "specialties": queries.specialty_choices()}
    if request.method == "POST":
        form = DrawForm(request.POST, **kwargs)
        problem = None
        if form.is_valid():
            try:
                made = actions.do_request_draw(actor=request.actor, data=form.data_for_action())
            except YiwangError as exc:
                form.add_action_error(exc)
                problem = exc
            else:
                messages.success(request, gettext("抽取完成，已通知抽中专家。抽取结果在评审开始前保密。"))
                return redirect("experts:draw", draw_id=made.pk)
        return render(request, "experts/draw_new.html", {"form": form, "problem": problem}, status=422)
    return render(request, "experts/draw_new.html", {"form": DrawForm(**kwargs), "problem": None})


def _draw_or_404(request: HttpRequest, draw_id: int) -> queries.DrawView:
    try:
        return queries.get_draw_for(request.actor, draw_id)
    except NotFound:
        raise Http404("no such draw") from None


@signed_in
def draw(request: HttpRequest, draw_id: int) -> HttpResponse:
    """抽取结果: sealed or unsealed by role; lines, members, reserves; staff actions."""
    view = _draw_or_404(request, draw_id)
    return render(
        request,
        "experts/draw.html",
        {
            "draw": view,
            "reasons": AVOID_REASON_LABELS_ZH,
        },
    )


@signed_in
def draw_replay(request: HttpRequest, draw_id: int) -> HttpResponse:
    """复核: recompute the draw from its recorded inputs (htmx fragment)."""
    try:
        replays = queries.replay_draw_for(request.actor, draw_id)
    except NotFound:
        raise Http404("no such draw") from None
    return render(request, "experts/_replay.html", {"replays": replays})


def _post_on_draw(request: HttpRequest, draw_id: int, run: Callable[[], Any], ok: str) -> HttpResponse:
    try:
        run()
    except (PermissionDenied, NotFound):
        raise DjangoPermissionDenied("not allowed") from None
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, ok)
    return redirect("experts:draw", draw_id=draw_id)


@signed_in
@require_POST
def draw_unseal(request: HttpRequest, draw_id: int) -> HttpResponse:
    return _post_on_draw(
        request,
        draw_id,
        lambda: actions.do_unseal_draw(actor=request.actor, draw_id=draw_id),
        gettext("抽取结果已启封。"),
    )


@signed_in
@require_POST
def draw_supplement(request: HttpRequest, draw_id: int) -> HttpResponse:
    return _post_on_draw(
        request,
        draw_id,
        lambda: actions.do_supplementary_draw(actor=request.actor, draw_id=draw_id),
        gettext("补抽完成。"),
    )


@signed_in
@require_POST
def draw_cancel(request: HttpRequest, draw_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _post_on_draw(
        request,
        draw_id,
        lambda: actions.do_cancel_draw(actor=request.actor, draw_id=draw_id, reason=reason),
        gettext("抽取已撤销，已通知相关专家。"),
    )


@signed_in
@require_POST
def seat_check_in(request: HttpRequest, draw_id: int, seat_id: int) -> HttpResponse:
    return _post_on_draw(
        request, draw_id, lambda: actions.do_check_in(actor=request.actor, seat_id=seat_id), gettext("已签到。")
    )


@signed_in
@require_POST
def seat_absent(request: HttpRequest, draw_id: int, seat_id: int) -> HttpResponse:
    return _post_on_draw(
        request,
        draw_id,
        lambda: actions.do_mark_absent(actor=request.actor, seat_id=seat_id, note=request.POST.get("note", "")),
        gettext("已记录缺席，并通知下一位备选专家。"),
    )


# -- the expert ---------------------------------------------------------------------------------------------------


@signed_in
def tasks(request: HttpRequest) -> HttpResponse:
    """我的评审任务: confirm or decline, declared unavailability, messages."""
    me = queries.get_my_expert(request.actor)
    if me is None:
        return render(request, "experts/tasks.html", {"me": None}, status=404)
    return render(
        request,
        "experts/tasks.html",
        {
            "me": me,
            "tasks": queries.list_my_tasks(request.actor),
            "messages_in_site": inbox.list_messages_for(request.actor, size=20).items,
            "decline_form": DeclineForm(),
            "unavailability_form": UnavailabilityForm(),
        },
    )


@signed_in
@require_POST
def answer(request: HttpRequest, seat_id: int) -> HttpResponse:
    accept = request.POST.get("accept") == "1"
    try:
        actions.do_answer_seat(
            actor=request.actor, seat_id=seat_id, accept=accept, reason=request.POST.get("reason", "")
        )
    except NotFound:
        raise Http404("no such task") from None
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request, gettext("已确认参加，请按时到场。") if accept else gettext("已登记拒绝参加，系统已递补其他专家。")
        )
    return redirect("experts:tasks")

"""On-site witness record pages (staff record and correct; staff, regulators and auditors read; supervision sees
the irregularities of its region)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.kernel.periods import SHANGHAI, local_date
from yiwang.platform.clock import now
from yiwang.platform.web.forms import error_text
from yiwang.services.witness import actions, queries
from yiwang.services.witness.domain.rules import KIND_LABELS_ZH
from yiwang.services.witness.forms import CorrectionForm, RecordForm


def _reader(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.actor.region_scopes(*queries.READERS):
            raise DjangoPermissionDenied("on-site records are for staff, regulators and auditors")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _uploads(files: list[Any]) -> list[actions.Upload]:
    return [actions.Upload(f.name or "附件", f) for f in files]


@_reader
def index(request: HttpRequest) -> HttpResponse:
    """现场见证记录: newest first; filter by kind, owner or booking reference."""
    f = {k: request.GET.get(k, "").strip() for k in ("kind", "owner_ref", "booking_ref")}
    rows = queries.list_records_for(
        request.actor,
        kind=f["kind"] or None,
        owner_ref=f["owner_ref"] or None,
        booking_ref=f["booking_ref"] or None,
        limit=100,
    )
    context = {
        **f,
        "records": rows,
        "kinds": list(KIND_LABELS_ZH.items()),
        "may_record": queries.may_record(request.actor),
    }
    return render(request, "onsite/index.html", context)


@_reader
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """Record what happened, with photos or scans."""
    if not queries.may_record(request.actor):
        raise DjangoPermissionDenied("staff record on-site events")
    initial = {
        k: request.GET[k]
        for k in ("owner_ref", "booking_ref", "title", "place", "region_code", "kind")
        if k in request.GET
    }
    if "region_code" not in initial:
        scopes = request.actor.region_scopes(Role.STAFF)
        if scopes:
            initial["region_code"] = scopes[0]
    form = RecordForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                record = actions.do_record_onsite_event(
                    actor=request.actor,
                    kind=d["kind"],
                    description=d["description"],
                    region_code=d["region_code"],
                    occurred_at=d["occurred_at"],
                    owner_ref=d["owner_ref"],
                    booking_ref=d["booking_ref"],
                    title=d["title"],
                    place=d["place"],
                    report=form.report(),
                    uploads=_uploads(d["files"]),
                )
            except YiwangError as exc:
                form.add_action_error(exc)
            else:
                messages.success(request, gettext("现场记录已保存并记入见证日志。"))
                return redirect("onsite:record", record_id=record.pk)
        return render(request, "onsite/new.html", {"form": form}, status=422)
    return render(request, "onsite/new.html", {"form": form})


@_reader
def record(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        view = queries.get_record_for(request.actor, record_id)
    except NotFound:
        raise Http404("no such record") from None
    correctable = view.corrected_by_id is None and actions.is_staff_over(request.actor, view.region_code)
    form = (
        CorrectionForm(initial={"kind": view.kind, "description": view.description, "keep_attachments": True})
        if correctable
        else None
    )
    return render(request, "onsite/record.html", {"r": view, "form": form})


@_reader
@require_POST
def correct(request: HttpRequest, record_id: int) -> HttpResponse:
    form = CorrectionForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        try:
            fixed = actions.do_correct_onsite_record(
                actor=request.actor,
                record_id=record_id,
                reason=d["reason"],
                description=d["description"],
                kind=d["kind"],
                report=form.report(),
                keep_attachments=d["keep_attachments"],
                uploads=_uploads(d["files"]),
            )
        except YiwangError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, gettext("已更正；原记录保留并标注“已更正”。"))
            return redirect("onsite:record", record_id=fixed.pk)
    else:
        messages.error(request, gettext("请填写更正后的说明和更正原因。"))
    return redirect("onsite:record", record_id=record_id)


def _period(request: HttpRequest) -> tuple[date, date]:
    today = local_date(now())
    try:
        start = date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        start = today - timedelta(days=30)
    try:
        end = date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        end = today
    return start, end


@_reader
def irregularities(request: HttpRequest) -> HttpResponse:
    """异常情况报送: the records reported to supervision in my region and the chosen period."""
    scopes = request.actor.region_scopes(*queries.READERS)
    region = request.GET.get("region") or scopes[0]
    start, end = _period(request)
    t0 = datetime.combine(start, time(0), tzinfo=SHANGHAI)
    t1 = datetime.combine(end + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    try:
        rows = queries.irregularities_for(request.actor, region, t0, t1)
    except YiwangError as exc:
        raise DjangoPermissionDenied(exc.code) from None
    context = {"records": rows, "region": region, "scopes": scopes, "start": start, "end": end}
    return render(request, "onsite/irregularities.html", context)

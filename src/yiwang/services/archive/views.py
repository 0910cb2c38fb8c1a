"""Archive pages (Chinese, phone width): the staff list with retention and hold status, one archive with its
versions, manifests, downloads and holds, and the forms to archive, hold, release and dispose of.

Readers: trading-centre staff, auditors, regulators. The actions decide again who may do what; a refusal comes
back as a message on the page it was made from."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.kernel.errors import YiwangError
from yiwang.platform.web.decorators import allowed
from yiwang.platform.web.forms import add_action_error, error_text
from yiwang.services.archive import access, actions, queries
from yiwang.services.archive.forms import CreateForm, DisposeForm, HoldForm, ReasonForm

readers = allowed(access.may_read, "archives: staff, auditors and regulators only")


def _abilities(request: HttpRequest) -> dict[str, bool]:
    actor = request.actor
    return {
        "may_create": access.may_create(actor),
        "may_hold": access.may_hold(actor),
        "may_dispose": access.may_dispose(actor),
    }


@readers
def index(request: HttpRequest) -> HttpResponse:
    """电子档案: archives with their latest version, retention and legal-hold status."""
    project = request.GET.get("project", "").strip()
    status = request.GET.get("status", "").strip() or None
    hold = request.GET.get("hold", "")
    on_hold = {"1": True, "0": False}.get(hold)
    try:
        page = queries.list_archives_for(request.actor, project=project or None, status=status, on_hold=on_hold)
    except YiwangError as exc:
        messages.error(request, exc.message_en if translation.get_language() == "en" else exc.message_zh)
        page = queries.list_archives_for(request.actor)
    abilities = _abilities(request)
    candidates = queries.list_disposal_candidates_for(request.actor) if abilities["may_dispose"] else []
    context = {"page": page, "project": project, "status": status or "", "hold": hold, "candidates": candidates}
    return render(request, "archive/index.html", {**context, **abilities})


@readers
def detail(request: HttpRequest, archive_id: int) -> HttpResponse:
    archive = queries.get_archive_for(request.actor, archive_id)
    context = {"archive": archive, "reason_form": ReasonForm(), "dispose_form": DisposeForm(), **_abilities(request)}
    return render(request, "archive/detail.html", context)


@readers
def manifest(request: HttpRequest, archive_id: int, number: int) -> HttpResponse:
    """The manifest and its signature as JSON (kept after disposal)."""
    found = queries.manifest_of_for(request.actor, archive_id, number)
    data = {
        "manifest_sha256": found["manifest_sha256"],
        "manifest": json.loads(found["manifest"]),
        "signature": json.loads(found["signature"]),
    }
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 1})


@readers
def download(request: HttpRequest, archive_id: int, number: int) -> HttpResponse:
    """Send the reader to a signed, short-lived link of the package (the store witnesses the download)."""
    try:
        link = queries.download_link_for(request.actor, archive_id, number)
    except YiwangError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message_en if translation.get_language() == "en" else exc.message_zh)
        return redirect("archive:detail", archive_id=archive_id)
    return redirect(link.url)


@readers
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """归档: build, store and record a new version of a project's archive."""
    form = CreateForm(request.POST or None, initial={"project_ref": request.GET.get("project", "")})
    if request.method == "POST" and form.is_valid():
        try:
            version = actions.do_create_archive(actor=request.actor, **form.cleaned_data)
        except YiwangError as exc:
            add_action_error(form, exc)
        else:
            messages.success(
                request,
                gettext("已归档：第 %(n)s 版，%(items)s 个文件，%(entries)s 条见证记录。")
                % {"n": version.number, "items": version.item_count, "entries": version.entry_count},
            )
            return redirect("archive:detail", archive_id=version.archive_id)
    return render(
        request, "archive/form.html", {"form": form, "heading": gettext("生成电子档案"), "submit": gettext("归档")}
    )


@readers
@require_http_methods(["GET", "POST"])
def place_hold(request: HttpRequest) -> HttpResponse:
    """法律保全: while a hold is active nothing of the archive may be disposed of."""
    form = HoldForm(request.POST or None, initial={"project_ref": request.GET.get("project", "")})
    if request.method == "POST" and form.is_valid():
        try:
            hold = actions.do_place_legal_hold(actor=request.actor, **form.cleaned_data)
        except YiwangError as exc:
            add_action_error(form, exc)
        else:
            messages.success(request, gettext("已实施法律保全。"))
            return redirect("archive:detail", archive_id=hold.archive_id)
    return render(
        request, "archive/form.html", {"form": form, "heading": gettext("实施法律保全"), "submit": gettext("保全")}
    )


def _back(archive_id: int) -> HttpResponse:
    return redirect(reverse("archive:detail", kwargs={"archive_id": archive_id}))


@readers
@require_POST
def new_version(request: HttpRequest, archive_id: int) -> HttpResponse:
    archive = queries.get_archive_for(request.actor, archive_id)
    category = archive.latest.category if archive.latest else ""
    try:
        version = actions.do_create_archive(
            actor=request.actor,
            project_ref=archive.project_ref,
            reason=request.POST.get("reason", ""),
            category=category,
        )
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, gettext("已生成第 %(n)s 版。") % {"n": version.number})
    return _back(archive_id)


@readers
@require_POST
def release_hold(request: HttpRequest, archive_id: int, hold_id: int) -> HttpResponse:
    archive = queries.get_archive_for(request.actor, archive_id)
    try:
        actions.do_release_legal_hold(
            actor=request.actor, project_ref=archive.project_ref, reason=request.POST.get("reason", ""), hold_id=hold_id
        )
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, gettext("已解除法律保全。"))
    return _back(archive_id)


@readers
@require_POST
def dispose(request: HttpRequest, archive_id: int) -> HttpResponse:
    archive = queries.get_archive_for(request.actor, archive_id)
    raw = request.POST.get("version", "").strip()
    try:
        version = int(raw) if raw else None
        done = actions.do_dispose_archive(
            actor=request.actor, project_ref=archive.project_ref, reason=request.POST.get("reason", ""), version=version
        )
    except ValueError:
        messages.error(request, gettext("版本号须为整数。"))
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            gettext("已处置：%(versions)s（清单与处置记录保留）。")
            % {"versions": gettext("、").join(gettext("第 %(n)s 版") % {"n": v.number} for v in done)},
        )
    return _back(archive_id)

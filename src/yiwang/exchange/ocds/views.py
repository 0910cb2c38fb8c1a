"""Public pages of the OCDS publication: the days with their packages and the bulk files, the processes (ours
and imported), one process's record; staff and regulators also import external OCDS here."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from yiwang.exchange.ocds import actions, conf, queries
from yiwang.exchange.ocds.models import Source
from yiwang.kernel.errors import InvalidInput, NotFound, YiwangError
from yiwang.platform.web.decorators import allowed


def _context(request: HttpRequest, **extra: object) -> dict[str, object]:
    return {
        "days": queries.list_days()[:366],
        "ours": queries.list_processes(source=Source.LOCAL, limit=20),
        "external": queries.list_processes(source=Source.EXTERNAL, limit=20),
        "may_import": queries.may_import(request.actor),
        "prefix": conf.ocid_prefix(),
        "api": queries.API,
        **extra,
    }


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "ocds/index.html", _context(request))


@require_POST
@allowed(queries.may_import, "importing OCDS data is for staff and regulators")
def import_file(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    label = request.POST.get("label", "").strip()[:200]
    try:
        if upload is None:
            raise InvalidInput("ocds.no_file", "请选择要导入的文件", "choose a file to import")
        if upload.size and upload.size > actions.MAX_IMPORT_BYTES:
            raise InvalidInput("ocds.too_large", "导入文件过大", "the file is too large", {"size": upload.size})
        batch = actions.do_import_ocds(actor=request.actor, data=upload.read(), label=label or upload.name or "")
    except YiwangError as exc:
        return render(request, "ocds/index.html", _context(request, error=exc), status=exc.status)
    return render(request, "ocds/index.html", _context(request, imported=batch))


def record(request: HttpRequest, ocid: str) -> HttpResponse:
    try:
        package = queries.record_package(ocid)
    except NotFound:
        raise Http404("no such process") from None
    rec = package["records"][0]
    return render(
        request,
        "ocds/record.html",
        {
            "ocid": ocid,
            "compiled": rec["compiledRelease"],
            "releases": rec["releases"],
            "source": queries.source_of(ocid),
            "api": queries.API,
        },
    )

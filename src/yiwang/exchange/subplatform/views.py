"""Staff pages of the exchange: the sub-platform registry (and registering one), the records received, the
records refused with their per-field errors, and the data-quality rate per sub-platform; plus the public page
of one record (where search hits link to)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from yiwang.exchange.subplatform import actions, queries
from yiwang.exchange.subplatform.domain.datasets import all_datasets
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.platform.web.decorators import allowed

reader = allowed(queries.may_read, "the exchange pages are for staff, regulators and auditors")


def _filters(request: HttpRequest) -> dict[str, str]:
    return {
        "platform": request.GET.get("platform", "").strip()[:18],
        "dataset": request.GET.get("dataset", "").strip()[:64],
    }


@reader
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "exchange/index.html",
        {
            "active": "index",
            "platforms": queries.list_subplatforms_for(request.actor),
            "may_register": queries.may_register(request.actor),
        },
    )


@require_POST
@allowed(queries.may_register, "registering sub-platforms is for staff administrators")
def register(request: HttpRequest) -> HttpResponse:
    form = {k: request.POST.get(k, "").strip() for k in ("platform_code", "client_id", "region_code", "name")}
    upload = request.FILES.get("certificate")
    certificate = upload.read(64 * 1024) if upload else request.POST.get("certificate_text", "").strip()
    context = {"active": "index", "may_register": True, "form": form}
    try:
        platform, secret = actions.do_register_subplatform(actor=request.actor, certificate=certificate, **form)
    except YiwangError as exc:
        context.update(platforms=queries.list_subplatforms_for(request.actor), error=exc)
        return render(request, "exchange/index.html", context, status=exc.status)
    context.update(platforms=queries.list_subplatforms_for(request.actor), created=platform, secret=secret, form={})
    return render(request, "exchange/index.html", context)


@reader
def records(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    rows = queries.list_records_for(request.actor, platform_code=filters["platform"], dataset=filters["dataset"])
    return render(
        request,
        "exchange/records.html",
        {"active": "records", "rows": rows, "filters": filters, "datasets": all_datasets()},
    )


def record(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        view = queries.get_record_view(request.actor, record_id)
    except NotFound:
        raise Http404("no such record") from None
    versions = queries.list_versions_for(request.actor, record_id)
    return render(request, "exchange/record.html", {"record": view, "versions": versions})


@reader
def refusals(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    rows = queries.list_refusals_for(request.actor, platform_code=filters["platform"], dataset=filters["dataset"])
    return render(
        request,
        "exchange/refusals.html",
        {"active": "refusals", "rows": rows, "filters": filters, "datasets": all_datasets()},
    )


@reader
def quality(request: HttpRequest) -> HttpResponse:
    return render(request, "exchange/quality.html", {"active": "quality", "rows": queries.quality_for(request.actor)})

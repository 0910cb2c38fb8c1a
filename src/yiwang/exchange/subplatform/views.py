"""Staff pages of the exchange: the sub-platform registry (and registering one), the records received, the
records refused with their per-field errors, and the data-quality rate per sub-platform; plus the public page
of one record (where search hits link to)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from yiwang.exchange.subplatform import actions, export, queries
from yiwang.exchange.subplatform.domain.datasets import all_datasets
from yiwang.exchange.subplatform.domain.report import Measure, Threshold
from yiwang.kernel.errors import InvalidInput, NotFound, YiwangError
from yiwang.platform.web.decorators import allowed

reader = allowed(queries.may_read, "the exchange pages are for staff, regulators and auditors")
# the findings shown first: records that break the order of a tender, then repeats, then the rest
FINDINGS_ORDER = ("consistency", "duplicates", "timeliness", "acceptance", "completeness")
quality_reader = allowed(queries.may_read_quality, "quality reports are for officials and sub-platform operators")


def _limit(threshold: Threshold) -> str:
    """A threshold as the report shows it (``≥ 95%``, ``≤ 24 小时``), its unit in the page's language."""
    text = threshold.describe()
    for unit in (" 小时", " 日", " 分钟"):
        if text.endswith(unit):
            return text[: -len(unit)] + pgettext("exchange", unit)
    return text


def _note(m: Measure, within: Threshold | None) -> str:
    """How a measure is computed, in the page's language (the timeliness note names the time limit)."""
    if m.measure == "timeliness" and within is not None:
        return pgettext("exchange", "事件发生后 %(limit)s 内上报的版本所占比例") % {
            "limit": _limit(within).lstrip("≤ ")
        }
    return pgettext("exchange", m.note) if m.note else m.note


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


def _month(request: HttpRequest) -> str:
    return request.GET.get("month", "").strip()[:7] or queries.last_month()


@quality_reader
def report(request: HttpRequest, platform_code: str) -> HttpResponse:
    """数据质量月报 of one sub-platform: measures with thresholds and verdicts, the worst records, the trend."""
    month = _month(request)
    try:
        rep = queries.monthly_report_for(request.actor, platform_code=platform_code, month=month)
    except NotFound:
        raise Http404("no such sub-platform") from None
    except InvalidInput as exc:
        return render(
            request,
            "exchange/report.html",
            {"active": "quality", "error": exc, "platform_code": platform_code, "month": month},
            status=exc.status,
        )
    order = {name: i for i, name in enumerate(FINDINGS_ORDER)}
    sections = sorted(((m, rep.worst(m.measure)) for m in rep.measures), key=lambda s: order.get(s[0].measure, 9))
    return render(
        request,
        "exchange/report.html",
        {
            "active": "quality",
            "report": rep,
            "measures": [
                (m, _note(m, rep.timely_within), _limit(m.threshold) if m.threshold else "") for m in rep.measures
            ],
            "sections": sections,
            "platform_code": platform_code,
            "month": month,
            "official": queries.may_read(request.actor),
        },
    )


@quality_reader
def report_csv(request: HttpRequest, platform_code: str) -> HttpResponse:
    try:
        rep = queries.monthly_report_for(request.actor, platform_code=platform_code, month=_month(request))
    except NotFound:
        raise Http404("no such sub-platform") from None
    except InvalidInput as exc:
        return HttpResponse(exc.message_zh, status=exc.status, content_type="text/plain; charset=utf-8")
    return export.findings_csv_response(rep)


@quality_reader
def my_report(request: HttpRequest) -> HttpResponse:
    """The operator's own report (the workbench links here)."""
    code = queries.own_platform_code(request.actor)
    if not code:
        raise Http404("no sub-platform of yours")
    return report(request, code)

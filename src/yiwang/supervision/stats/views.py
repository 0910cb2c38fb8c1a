"""Pages of 一屏管交易 for regulators (auditors read): the dashboard, the live alert list, the drill-down from an
alert or a number to a project's full timeline with its witness-log entries, and the periodic evaluation report
(HTML and PDF). Everybody else gets a 403; nothing here is ever shown to market participants."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _

from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, PermissionDenied, YiwangError
from yiwang.kernel.periods import SHANGHAI
from yiwang.platform.clock import now
from yiwang.supervision.stats import queries
from yiwang.supervision.stats import report as reports


def _reader(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not queries.may_read(request.actor):
            raise DjangoPermissionDenied("the trading statistics are for regulators and auditors")
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message_zh) from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.code) from None

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _params(request: HttpRequest) -> dict[str, str | None]:
    return {
        "period": (request.GET.get("period") or "").strip() or None,
        "region": (request.GET.get("region") or "").strip() or None,
        "category": (request.GET.get("category") or "").strip() or None,
    }


def _alert_channels(request: HttpRequest) -> list[str]:
    """The live URLs of the regulator's alert channels (none for auditors, or when the channel kind is not
    declared: the list then refreshes by polling)."""
    from yiwang.platform.live import config as live_config
    from yiwang.platform.live.links import live_url
    from yiwang.platform.live.publish import last_event_id
    from yiwang.supervision.redflags.actions import ALERT_CHANNEL_KIND

    if ALERT_CHANNEL_KIND not in live_config.get().kinds:
        return []
    urls = []
    for scope in sorted(set(request.actor.region_scopes(Role.REGULATOR))):
        channel = f"{ALERT_CHANNEL_KIND}:{scope}"
        urls.append(live_url(request, channel, last_event_id=last_event_id(channel)))
    return urls


def _alerts(request: HttpRequest, region: str | None = None) -> Any:
    from yiwang.supervision.redflags import queries as redflags

    return redflags.list_alerts_for(request.actor, open_only=True, region=region, limit=12)


def _complaints(request: HttpRequest, region: str | None = None) -> Any:
    from yiwang.supervision.complaints import queries as complaints

    return complaints.complaint_board_for(request.actor, region=region, limit=6)


@_reader
def dashboard(request: HttpRequest) -> HttpResponse:
    """一屏管交易: live totals, indicators, trends, categories, the district tiles, the live alert feed and the
    complaints to handle."""
    actor = request.actor
    params = _params(request)
    error = None
    try:
        s = queries.indicators_for(actor, **params)
    except YiwangError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        error = exc.message_zh
        params = {"period": None, "region": None, "category": None}
        s = queries.indicators_for(actor)
    trend = queries.trend_for(
        actor,
        period=s.filters.period.key,
        region=s.filters.region,
        category=s.filters.category,
        trades=s.all_trades,
    )
    totals = queries.totals_for(actor, region=s.filters.region, trades=None if s.filters.category else s.all_trades)
    english = (get_language() or "").startswith("en")
    from yiwang.supervision.redflags import queries as redflags_queries

    charts = {
        "names": {
            "volume": _("成交宗数"),
            "published": _("发布交易"),
            "value": _("成交金额（万元）"),
            "count_unit": _("宗"),
            "value_unit": _("万元"),
            "raised": _("新预警"),
            "updated": _("预警更新"),
            "score": _("得分"),
            "statuses": {k: pgettext("redflags", v) for k, v in redflags_queries.status_labels().items()},
        },
        "trend": {
            "labels": [p.key if english else p.label for p in trend.points],
            "volume": [p.volume for p in trend.points],
            "published": [p.published for p in trend.points],
            "value": [round(p.value_fen / 1_000_000, 2) for p in trend.points],
        },
        "categories": {
            "labels": [g.label for g in s.by_category],
            "value": [round(g.value_fen / 1_000_000, 2) for g in s.by_category],
            "volume": [g.volume for g in s.by_category],
        },
    }
    base = {"period": s.filters.period.key, "region": s.filters.region, "category": s.filters.category}
    context = {
        "qs": urlencode({k: v for k, v in base.items() if v}),
        "qs_region": urlencode({k: v for k, v in base.items() if v and k != "region"}),
        "qs_category": urlencode({k: v for k, v in base.items() if v and k != "category"}),
        "today_key": now().astimezone(SHANGHAI).date().isoformat(),
        "year_key": str(now().astimezone(SHANGHAI).year),
        "s": s,
        "totals": totals,
        "tiles": queries.district_tiles_for(actor, s),
        "alerts": _alerts(request, s.filters.region),
        "board": _complaints(request, s.filters.region),
        "live_urls": _alert_channels(request),
        "charts": charts,
        "chart_json": json.dumps(charts, ensure_ascii=False),
        "error": error,
        "params": params,
        "categories": sorted(queries.category_names().items()),
        "regions": _region_choices(actor),
        "is_regulator": actor.has_role(Role.REGULATOR),
    }
    return render(request, "stats/dashboard.html", context)


def _region_choices(actor: Any) -> list[tuple[str, str]]:
    from yiwang.catalog import queries as catalog

    out: list[tuple[str, str]] = []
    for scope in queries.scopes_of(actor):
        out.append((scope, queries.region_name(scope)))
        if scope.endswith("00"):
            out += [(r.code, r.name) for r in catalog.list_regions(parent=scope)]
    return list(dict.fromkeys(out))


def _fragment_region(request: HttpRequest) -> str | None:
    """The ``region`` of a fragment's query, checked (a malformed code names nothing: 404; another region: 403)."""
    try:
        return queries.check_region(request.actor, (request.GET.get("region") or "").strip() or None)
    except PermissionDenied:
        raise
    except YiwangError as exc:
        raise Http404(exc.message_zh) from None


@_reader
def alerts_fragment(request: HttpRequest) -> HttpResponse:
    """The open alerts list (htmx refreshes it on a live update, or every minute)."""
    region = _fragment_region(request)
    return render(request, "stats/_alerts.html", {"alerts": _alerts(request, region)})


@_reader
def complaints_fragment(request: HttpRequest) -> HttpResponse:
    """The complaints panel: open complaints by state and those whose time limit ends soonest (htmx refreshes it
    every minute)."""
    region = _fragment_region(request)
    return render(request, "stats/_complaints.html", {"board": _complaints(request, region)})


@_reader
def alert_drill(request: HttpRequest, alert_id: int) -> HttpResponse:
    """From an alert to what it is about: its explanation, the project's timeline when the section is one of the
    platform's, and the witness-log entries of the alert and of the run that raised it."""
    from yiwang.platform.audit import queries as audit
    from yiwang.supervision.redflags import queries as redflags
    from yiwang.trading.tender import queries as tender

    try:
        alert = redflags.get_alert_for(request.actor, alert_id)
    except YiwangError:
        raise Http404("no such alert") from None
    project_id = None
    for ref in (alert.subject_id, alert.ocid):
        found = tender.section_of_ref(ref)
        if found:
            try:
                project_id = tender.get_section_for(request.actor, found[0]).section.project_id
            except YiwangError:
                project_id = None
            break
    timeline = queries.project_timeline_for(request.actor, project_id) if project_id else None
    witness = audit.entries_about(("redflags.alert", alert.id))
    for run_id in {alert.first_run_id, alert.last_run_id} - {None}:
        witness += audit.entries_about(("redflags.run", run_id))
    witness.sort(key=lambda w: w.seq)
    findings = [
        {
            "code": f.code,
            "name": f.indicator.name_zh,
            "basis": f.indicator.basis,
            "description": f.indicator.description_zh,
            "description_en": f.indicator.description_en,
            "value": f.value,
            "contribution": f.contribution,
            "evidence": _flatten(f.evidence),
        }
        for f in alert.findings
    ]
    return render(
        request,
        "stats/alert.html",
        {"alert": alert, "findings": findings, "timeline": timeline, "witness": witness},
    )


def _flatten(evidence: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Evidence as (key, text) rows, nested values one level deep."""
    rows: list[tuple[str, str]] = []
    if isinstance(evidence, dict):
        for key, value in evidence.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict) and not prefix:
                rows += _flatten(value, f"{name}.")
            elif isinstance(value, list):
                rows.append((name, pgettext("stats", "、").join(_short(v) for v in value[:20])))
            else:
                rows.append((name, _short(value)))
    return rows


def _short(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:300]
    return "—" if value is None else str(value)


@_reader
def trades(request: HttpRequest) -> HttpResponse:
    """The trades behind a number of the dashboard, each linked to its full timeline."""
    params = _params(request)
    try:
        found = queries.list_trades_for(
            request.actor,
            **params,
            procedure=(request.GET.get("procedure") or "").strip() or None,
            kind=(request.GET.get("kind") or "all").strip(),
        )
    except PermissionDenied:
        raise
    except YiwangError as exc:
        raise Http404(exc.message_zh) from None
    return render(request, "stats/trades.html", {"t": found, "categories": queries.category_names()})


@_reader
def project(request: HttpRequest, project_id: int) -> HttpResponse:
    """A project's full timeline: stages of each section, bids after the opening, evaluation, award, contract,
    objections and complaints, notices, alerts and witness-log entries."""
    timeline = queries.project_timeline_for(request.actor, project_id)
    return render(request, "stats/project.html", {"t": timeline})


def _report(request: HttpRequest) -> reports.Report:
    params = _params(request)
    try:
        return reports.build(request.actor, period=params["period"], region=params["region"])
    except PermissionDenied:
        raise
    except YiwangError as exc:
        raise Http404(exc.message_zh) from None


@_reader
def report(request: HttpRequest) -> HttpResponse:
    """The periodic evaluation report as a page, with the PDF to download."""
    r = _report(request)
    return render(request, "stats/report.html", {"report": r, "s": r.set, "params": _params(request)})


@_reader
def report_pdf(request: HttpRequest) -> HttpResponse:
    r = _report(request)
    response = HttpResponse(reports.render_pdf(r), content_type="application/pdf")
    f = r.set.filters
    name = f"yiwang-report-{f.period.key}-{f.region or 'all'}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""Pages of the catalog: public pages for the six lists, regions, code tables and the holiday calendar, and the
staff screens to draft, edit and publish a new version or change a year's holiday schedule."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.catalog import actions, queries
from yiwang.catalog.domain import holidays as holiday_rules
from yiwang.catalog.domain import lists as list_rules
from yiwang.catalog.domain import rules as rule_vocab
from yiwang.kernel import periods
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.platform.web.decorators import allowed
from yiwang.platform.web.forms import message_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _kind(kind: str) -> str:
    try:
        return list_rules.ListKind(kind).value
    except ValueError:
        raise Http404("no such list") from None


def _date_param(request: HttpRequest, name: str = "on") -> date | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _lists_overview() -> list[dict[str, Any]]:
    out = []
    for kind in list_rules.ListKind:
        current = queries.version_in_effect(kind.value)
        out.append(
            {
                "kind": kind.value,
                "label": gettext(kind.label_zh),
                "description": gettext(list_rules.LIST_DESCRIPTIONS_ZH[kind.value]),
                "current": current,
                "count": len(queries.version_items(current)) if current else 0,
                "draft": queries.current_draft(kind.value),
            }
        )
    return out


def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "catalog/index.html",
        {
            "lists": _lists_overview(),
            "years": queries.list_holiday_years(),
            "provisional": sorted(queries.provisional_years()),
            "can_edit": actions.can_edit_catalog(request.actor),
            "code_tables": queries.list_code_tables(),
        },
    )


# -- one list ---------------------------------------------------------------------------------------------------
def _rows(version) -> list[dict[str, Any]]:
    items = queries.version_items(version)
    doc_titles = {i.key: i.title_zh for i in items if i.item_type == "document"}
    rows = []
    for i in items:
        row: dict[str, Any] = {"item": i, "fields": []}
        for spec in list_rules.schema_for(version.kind, i.item_type):
            value = i.data.get(spec.name)
            if value in (None, "", [], False):
                continue
            if spec.type == "list":
                value = "、".join(value)
            elif spec.choices and value in spec.choices:
                value = spec.choices[value] or value
            elif spec.type == "bool":
                value = gettext("是")
            if spec.name == "document":
                value = f"《{doc_titles.get(i.data['document'], i.data['document'])}》"
            row["fields"].append((gettext(spec.label_zh), value))
        if i.item_type == "rule":
            row["value_text"] = rule_vocab.describe_value(rule_vocab.parse_rule_value(i.data["value"]), i.data["unit"])
        rows.append(row)
    return rows


def list_detail(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    number = request.GET.get("version", "").strip()
    on = _date_param(request)
    if number.isdigit():
        try:
            shown = queries.get_version(kind, int(number))
        except NotFound:
            raise Http404("no such version") from None
    else:
        shown = queries.version_in_effect(kind, on)
    versions = queries.list_versions(kind)
    in_effect = queries.version_in_effect(kind)
    rows = _rows(shown) if shown else []
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row["item"].item_type, []).append(row)
    return render(
        request,
        "catalog/list_detail.html",
        {
            "kind": kind,
            "label": gettext(list_rules.LIST_LABELS_ZH[kind]),
            "description": gettext(list_rules.LIST_DESCRIPTIONS_ZH[kind]),
            "shown": shown,
            "in_effect": in_effect,
            "groups": groups,
            "type_labels": _type_labels(),
            "versions": versions,
            "on": on,
            "can_edit": actions.can_edit_catalog(request.actor),
            "draft": queries.current_draft(kind),
        },
    )


TYPE_LABELS = {
    "category": "交易品类",
    "item": "交易子项",
    "document": "制度规则文件",
    "rule": "法定数值规则",
    "platform": "平台",
    "requirement": "公开要求",
    "service": "服务事项",
    "authority": "部门",
    "duty": "权责事项",
}


def _type_labels() -> dict[str, str]:
    """The item types' names in the page's language."""
    return {key: gettext(label) for key, label in TYPE_LABELS.items()}


def list_diff(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    try:
        old, new = int(request.GET.get("old", "")), int(request.GET.get("new", ""))
        changes = queries.diff_versions(kind, old, new)
    except (ValueError, NotFound):
        raise Http404("no such versions") from None
    return render(
        request,
        "catalog/diff.html",
        {"kind": kind, "label": gettext(list_rules.LIST_LABELS_ZH[kind]), "old": old, "new": new, "changes": changes},
    )


# -- regions, codes ------------------------------------------------------------------------------------------------
def regions(request: HttpRequest) -> HttpResponse:
    on = _date_param(request)
    day = on or queries.today()
    rows = [(r, r.valid_on(day)) for r in queries.list_all_regions()]
    if request.GET.get("all") != "1":
        rows = [(r, ok) for r, ok in rows if ok]
    return render(request, "catalog/regions.html", {"rows": rows, "on": day, "show_all": request.GET.get("all") == "1"})


def code_tables(request: HttpRequest) -> HttpResponse:
    tables = [(t, queries.code_entries(t.name)) for t in queries.list_code_tables()]
    return render(request, "catalog/codes.html", {"tables": tables})


# -- holidays -----------------------------------------------------------------------------------------------------
def holidays(request: HttpRequest) -> HttpResponse:
    years = queries.list_holiday_years()
    next_year = (years[-1].year + 1) if years else queries.today().year
    return render(
        request,
        "catalog/holidays.html",
        {"years": years, "next_year": next_year, "can_edit": actions.can_edit_catalog(request.actor)},
    )


def _months(year: int, days: dict[date, Any]) -> list[dict[str, Any]]:
    cal = queries.workday_calendar()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                entry = days.get(day)
                cells.append(
                    {
                        "day": day,
                        "workday": cal.is_workday(day) if cal.is_loaded(year) else day.weekday() < 5,
                        "kind": entry.kind if entry else "",
                        "name": entry.name if entry else "",
                    }
                )
            weeks.append(cells)
        months.append({"month": month, "weeks": weeks})
    return months


def holiday_year(request: HttpRequest, year: int) -> HttpResponse:
    try:
        row = queries.get_holiday_year(year)
    except NotFound:
        raise Http404("no such year") from None
    days = queries.holiday_days(row)
    return render(
        request,
        "catalog/holiday_year.html",
        {
            "row": row,
            "days": days,
            "months": _months(year, {d.day: d for d in days}),
            "revisions": queries.holiday_revisions(row),
            "can_edit": actions.can_edit_catalog(request.actor),
        },
    )


# -- period calculator (htmx) ------------------------------------------------------------------------------------------
def period_calculator(request: HttpRequest) -> HttpResponse:
    rules = [
        r for r in queries.list_rules_in_effect() if r.unit in rule_vocab.PERIOD_UNITS and isinstance(r.value, int)
    ]
    context: dict[str, Any] = {"rules": rules, "result": None, "error": None, "params": request.GET}
    rule_id = request.GET.get("rule", "").strip()
    start_text = request.GET.get("start", "").strip()
    if rule_id and start_text:
        try:
            start = datetime.fromisoformat(start_text)
            start = start if start.tzinfo else start.replace(tzinfo=SHANGHAI)
            r = queries.rule(rule_id, on=start)
            if r.unit not in rule_vocab.PERIOD_UNITS or not isinstance(r.value, int):
                raise ValueError("not a period")
            cal = queries.workday_calendar()
            if r.kind == "min_gap":
                result = periods.earliest_allowed(start, r.value, r.unit, cal)
            else:
                result = periods.deadline_end(start, r.value, r.unit, cal)
            context["result"] = {"rule": r, "start": start, "end": result.astimezone(SHANGHAI)}
        except YiwangError as exc:
            context["error"] = message_of(exc)
        except ValueError:
            context["error"] = gettext("起算时间格式不正确，或所选规则不是期限")
    template = "catalog/_period_result.html" if request.htmx else "catalog/periods.html"
    return render(request, template, context)


# -- staff screens ----------------------------------------------------------------------------------------------------
@allowed(actions.can_edit_catalog, "catalogue staff only")
@require_http_methods(["GET", "POST"])
def draft_new(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    error = None
    if request.method == "POST":
        try:
            draft = actions.do_create_draft(
                actor=request.actor,
                kind=kind,
                effective_from=request.POST.get("effective_from", ""),
                title=request.POST.get("title", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, gettext("已创建第 %(n)s 版草稿") % {"n": draft.number})
            return redirect("catalog:draft_edit", kind=kind, number=draft.number)
        except YiwangError as exc:
            error = exc
    return render(
        request,
        "catalog/draft_new.html",
        {
            "kind": kind,
            "label": gettext(list_rules.LIST_LABELS_ZH[kind]),
            "error": error,
            "form": request.POST,
            "today": queries.today(),
        },
        status=422 if error else 200,
    )


def _draft_or_404(kind: str, number: int):
    try:
        return queries.get_version(kind, number)
    except NotFound:
        raise Http404("no such version") from None


@allowed(actions.can_edit_catalog, "catalogue staff only")
@require_http_methods(["GET", "POST"])
def draft_edit(request: HttpRequest, kind: str, number: int) -> HttpResponse:
    kind = _kind(kind)
    version = _draft_or_404(kind, number)
    error = None
    if request.method == "POST":
        try:
            actions.do_update_draft(
                actor=request.actor,
                kind=kind,
                number=number,
                expected_version=int(request.POST.get("etag_version") or 0) or None,
                effective_from=request.POST.get("effective_from", ""),
                title=request.POST.get("title", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, gettext("草稿信息已保存"))
            return redirect("catalog:draft_edit", kind=kind, number=number)
        except YiwangError as exc:
            error = exc
    return render(
        request,
        "catalog/draft_edit.html",
        {
            "kind": kind,
            "label": gettext(list_rules.LIST_LABELS_ZH[kind]),
            "version": version,
            "rows": _rows(version),
            "types": list(list_rules.SCHEMAS[kind]),
            "type_labels": _type_labels(),
            "error": error,
        },
        status=422 if error else 200,
    )


def _form_fields(kind: str, item_type: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    fields = []
    for spec in list_rules.schema_for(kind, item_type):
        value = data.get(spec.name, "")
        if spec.type == "list" and isinstance(value, list):
            value = "，".join(value)
        fields.append({"spec": spec, "value": value})
    return fields


def _raw_item(request: HttpRequest, kind: str, item_type: str) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "key": request.POST.get("key", ""),
        "item_type": item_type,
        "title_zh": request.POST.get("title_zh", ""),
        "sort": request.POST.get("sort", "0") or "0",
    }
    data: dict[str, Any] = {}
    for spec in list_rules.schema_for(kind, item_type):
        if spec.type == "bool":
            data[spec.name] = spec.name in request.POST
        else:
            data[spec.name] = request.POST.get(spec.name, "")
    raw["data"] = data
    return raw


@allowed(actions.can_edit_catalog, "catalogue staff only")
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, kind: str, number: int, key: str | None = None) -> HttpResponse:
    kind = _kind(kind)
    version = _draft_or_404(kind, number)
    if key is not None:
        try:
            existing = queries.get_item(version, key)
        except NotFound:
            raise Http404("no such item") from None
        item_type = existing.item_type
        base = {"key": existing.key, "title_zh": existing.title_zh, "sort": existing.sort, **existing.data}
    else:
        item_type = request.GET.get("type") or request.POST.get("item_type") or next(iter(list_rules.SCHEMAS[kind]))
        if item_type not in list_rules.SCHEMAS[kind]:
            raise Http404("no such item type")
        base = {"key": "", "title_zh": "", "sort": 0}
    error = None
    if request.method == "POST":
        raw = _raw_item(request, kind, item_type)
        try:
            actions.do_put_item(
                actor=request.actor,
                kind=kind,
                number=number,
                item=raw,
                expected_version=int(request.POST.get("etag_version") or 0) or None,
                replace_key=key,
            )
            messages.success(request, gettext("条目“%(key)s”已保存") % {"key": raw["key"]})
            return redirect("catalog:draft_edit", kind=kind, number=number)
        except YiwangError as exc:
            error = exc
            base = {"key": raw["key"], "title_zh": raw["title_zh"], "sort": raw["sort"], **raw["data"]}
    return render(
        request,
        "catalog/item_edit.html",
        {
            "kind": kind,
            "label": gettext(list_rules.LIST_LABELS_ZH[kind]),
            "version": version,
            "item_type": item_type,
            "type_label": gettext(TYPE_LABELS[item_type]) if item_type in TYPE_LABELS else item_type,
            "base": base,
            "fields": _form_fields(kind, item_type, base),
            "editing": key,
            "error": error,
            "error_field": error.details.get("field") if error else None,
        },
        status=422 if error else 200,
    )


@allowed(actions.can_edit_catalog, "catalogue staff only")
@require_POST
def item_delete(request: HttpRequest, kind: str, number: int, key: str) -> HttpResponse:
    kind = _kind(kind)
    try:
        actions.do_delete_item(actor=request.actor, kind=kind, number=number, key=key)
        messages.success(request, gettext("条目“%(key)s”已删除") % {"key": key})
    except YiwangError as exc:
        messages.error(request, exc.message_zh)
    return redirect("catalog:draft_edit", kind=kind, number=number)


@allowed(actions.can_edit_catalog, "catalogue staff only")
@require_POST
def publish(request: HttpRequest, kind: str, number: int) -> HttpResponse:
    kind = _kind(kind)
    try:
        version = actions.do_publish_version(
            actor=request.actor,
            kind=kind,
            number=number,
            expected_version=int(request.POST.get("etag_version") or 0) or None,
        )
    except YiwangError as exc:
        messages.error(request, exc.message_zh)
        return redirect("catalog:draft_edit", kind=kind, number=number)
    messages.success(
        request,
        gettext("第 %(n)s 版已发布，自 %(day)s 起生效")
        % {"n": version.number, "day": version.effective_from.isoformat()},
    )
    return redirect(f"{redirect('catalog:list', kind=kind).url}?version={version.number}")


@allowed(actions.can_edit_catalog, "catalogue staff only")
@require_POST
def draft_discard(request: HttpRequest, kind: str, number: int) -> HttpResponse:
    kind = _kind(kind)
    try:
        actions.do_discard_draft(actor=request.actor, kind=kind, number=number)
        messages.success(request, gettext("草稿已放弃"))
    except YiwangError as exc:
        messages.error(request, exc.message_zh)
    return redirect("catalog:list", kind=kind)


@allowed(actions.can_edit_catalog, "catalogue staff only")
@require_http_methods(["GET", "POST"])
def holiday_edit(request: HttpRequest, year: int) -> HttpResponse:
    existing = queries.list_holiday_years()
    row = next((y for y in existing if y.year == year), None)
    if row is not None:
        days = queries.holiday_days(row)
        form = {
            "off": holiday_rules.schedule_lines((d.day, d.name) for d in days if d.kind == "off"),
            "makeup": holiday_rules.schedule_lines((d.day, d.name) for d in days if d.kind == "makeup"),
            "provisional": row.provisional,
            "notice": row.notice,
            "source": row.source,
            "note": row.note,
            "revision": row.revision,
        }
    else:
        form = {"off": "", "makeup": "", "provisional": True, "notice": "", "source": "", "note": "", "revision": 0}
    error = None
    if request.method == "POST":
        form = {
            "off": request.POST.get("off", ""),
            "makeup": request.POST.get("makeup", ""),
            "provisional": "provisional" in request.POST,
            "notice": request.POST.get("notice", ""),
            "source": request.POST.get("source", ""),
            "note": request.POST.get("note", ""),
            "revision": request.POST.get("revision", ""),
        }
        try:
            revision = request.POST.get("revision", "").strip()
            actions.do_set_holiday_year(
                actor=request.actor,
                year=year,
                off=form["off"],
                makeup=form["makeup"],
                provisional=form["provisional"],
                notice=form["notice"],
                source=form["source"],
                note=form["note"],
                expected_revision=int(revision) if revision.isdigit() else None,
            )
            messages.success(request, gettext("%(year)s 年节假日安排已保存") % {"year": year})
            return redirect("catalog:holiday_year", year=year)
        except YiwangError as exc:
            error = exc
    return render(
        request,
        "catalog/holiday_edit.html",
        {"year": year, "form": form, "error": error, "exists": row is not None},
        status=422 if error else 200,
    )

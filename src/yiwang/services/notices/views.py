"""Notice pages: the public list ``/notices/`` (filters, newest first, htmx), one notice ``/notices/<id>/``
with its version chain, its PDF ``/notices/<id>.pdf``, the subscriptions page ``/notices/subscriptions/`` and
the staff page of the disclosure rate ``/notices/disclosure/``."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.catalog import queries as catalog
from yiwang.kernel.errors import NotFound, PermissionDenied, YiwangError
from yiwang.kernel.money import Money
from yiwang.platform.storage import queries as stored
from yiwang.platform.web.forms import message_of
from yiwang.services.notices import actions, queries, rendering
from yiwang.services.notices.domain.disclosure import OUTCOME_LABELS_ZH
from yiwang.services.notices.domain.fields import SHANGHAI
from yiwang.services.notices.models import Notice

PAGE_SIZE = 20


def _labels() -> dict[str, dict[str, str]]:
    home = getattr(settings, "YIWANG_PLATFORM_REGION", "310000")
    top = catalog.get_region(home)
    return {
        "types": {e.code: e.label_zh for e in catalog.code_entries("notice_type")},
        "categories": {c.code: c.title_zh for c in catalog.list_trading_categories()},
        "regions": ({home: top.name} if top else {}) | {r.code: r.name for r in catalog.list_regions(parent=home)},
    }


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value and len(value.strip()) == 10 else None
    except ValueError:
        return None


def _int(value: str, default: int) -> int:
    return int(value) if value.isdigit() and 0 < len(value) <= 6 and int(value) > 0 else default


def _item(notice: Notice, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {
        "notice": notice,
        "type_label": labels["types"].get(notice.notice_type, notice.notice_type),
        "category_label": labels["categories"].get(notice.category, notice.category),
        "region_label": labels["regions"].get(notice.region_code, notice.region_code),
        "amount": Money(notice.amount_fen).format_wan(2) if notice.amount_fen is not None else "",  # shown with 万元
    }


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    get = request.GET
    labels = _labels()
    form = {
        "category": get.get("category", "")[:32],
        "type": get.get("type", "")[:32],
        "region": get.get("region", "")[:6],
        "from": get.get("from", "")[:10],
        "to": get.get("to", "")[:10],
    }
    region = form["region"] if form["region"] in labels["regions"] else None
    page = queries.list_public_notices(
        category=form["category"] or None,
        notice_type=form["type"] or None,
        region=region,
        date_from=_date(form["from"]),
        date_to=_date(form["to"]),
        page=_int(get.get("page", ""), 1),
        size=PAGE_SIZE,
    )
    params = get.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "items": [_item(n, labels) for n in page.items],
        "base_query": params.urlencode(),
        **labels,
    }
    template = "notices/list.html#results" if getattr(request, "htmx", False) else "notices/list.html"
    return render(request, template, context)


def _readable(request: HttpRequest, notice_id: int) -> Notice:
    try:
        return queries.get_notice_for(request.actor, notice_id)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404("no such notice") from None


@require_GET
def notice_detail(request: HttpRequest, notice_id: int) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    notice = _readable(request, notice_id)
    chain = [v for v in queries.versions_of(notice) if queries.can_read(actor, v)]
    successor = next((v for v in chain if v.supersedes_id == notice.pk and v.published_at is not None), None)
    latest = next((v for v in reversed(chain) if v.published_at is not None), None)
    labels = _labels()
    context = {
        **_item(notice, labels),
        "chain": chain,
        "successor": successor,
        "latest": latest if latest is not None and latest.pk != notice.pk else None,
        "previous": notice.supersedes if notice.supersedes_id else None,
        "fields": rendering.field_rows(notice.notice_type, notice.fields or {}),
        "attachments": queries.attachment_links(actor, notice),
        "published_at": notice.published_at.astimezone(SHANGHAI) if notice.published_at else None,
        "can_manage": actions.can_manage(actor, notice.region_code, notice.publisher_entity_id),
        "stage_label": _stage_label(notice),
    }
    return render(request, "notices/detail.html", context)


def _stage_label(notice: Notice) -> str:
    if not notice.stage:
        return ""
    found = catalog.required_notices(notice.category, notice.stage)
    return found[0].stage_label if found else notice.stage


@require_GET
def notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The stored PDF of a published version (the evidence itself); a draft's preview for its readers."""
    notice = _readable(request, notice_id)
    filename = f"{notice.number}.pdf"
    if notice.pdf_document_id:
        document = stored.get_owned_document(
            stored.Owner(actions.OWNER_CONTEXT, f"notice:{notice.pk}"), notice.pdf_document_id
        )
        version = stored.get_version(document)
        try:
            stream = stored.open_version(version)
        except YiwangError:
            raise Http404("the stored PDF is unavailable") from None
        response = FileResponse(stream, content_type="application/pdf", as_attachment=False, filename=filename)
        response["X-Content-SHA256"] = version.sha256
        return response
    if notice.published_at is not None:
        raise Http404("this version has no stored PDF")
    attachments = queries.attachments_of(notice)
    pdf = rendering.render_pdf(
        rendering.pdf_context(
            notice, attachments, type_label=actions.type_label(notice.notice_type), data_sha256="", preview=True
        )
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{notice.pk}-preview.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


# -- subscriptions -----------------------------------------------------------------------------------------------
def _signed_in(request: HttpRequest) -> HttpResponse | None:
    if not request.actor.is_authenticated:  # type: ignore[attr-defined]
        return redirect_to_login(request.get_full_path())
    return None


@require_http_methods(["GET", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    """我的订阅: the saved searches, and a form to add one (prefilled from ``?q=&category=&region=&type=``)."""
    if (login := _signed_in(request)) is not None:
        return login
    actor = request.actor  # type: ignore[attr-defined]
    source = request.POST if request.method == "POST" else request.GET
    form = {
        "name": source.get("name", "")[:60],
        "q": source.get("q", "")[:100],
        "category": source.get("category", "")[:32],
        "type": source.get("type", "")[:32],
        "region": source.get("region", "")[:6],
        "email": source.get("email", "")[:254],
    }
    error = None
    if request.method == "POST":
        try:
            actions.do_create_subscription(
                actor=actor,
                name=form["name"] or form["q"] or "我的订阅",
                query=form["q"],
                categories=[form["category"]] if form["category"] else [],
                notice_types=[form["type"]] if form["type"] else [],
                region=form["region"],
                email=form["email"],
            )
        except YiwangError as exc:
            error = {"field": exc.details.get("field", ""), "message": message_of(exc)}
        else:
            messages.success(request, gettext("已保存订阅：有新的匹配公告时将发送站内信提醒您。"))
            return redirect("notices:subscriptions")
    context = {
        "form": form,
        "error": error,
        "subscriptions": queries.list_subscriptions_for(actor),
        **_labels(),
    }
    return render(request, "notices/subscriptions.html", context, status=422 if error else 200)


@require_POST
def subscription_toggle(request: HttpRequest, subscription_id: int) -> HttpResponse:
    if (login := _signed_in(request)) is not None:
        return login
    actor = request.actor  # type: ignore[attr-defined]
    try:
        current = queries.get_subscription_for(actor, subscription_id)
        actions.do_update_subscription(actor=actor, subscription_id=subscription_id, active=not current.active)
    except NotFound:
        raise Http404("no such subscription") from None
    return redirect("notices:subscriptions")


@require_POST
def subscription_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    if (login := _signed_in(request)) is not None:
        return login
    try:
        actions.do_delete_subscription(actor=request.actor, subscription_id=subscription_id)  # type: ignore[attr-defined]
    except NotFound:
        raise Http404("no such subscription") from None
    messages.success(request, gettext("已删除订阅。"))
    return redirect("notices:subscriptions")


# -- the disclosure rate ------------------------------------------------------------------------------------------
@require_GET
def disclosure(request: HttpRequest) -> HttpResponse:
    """信息公开率 for staff, regulators and auditors over their regions, with the late and missing notices."""
    if (login := _signed_in(request)) is not None:
        return login
    actor = request.actor  # type: ignore[attr-defined]
    if not queries.can_see_disclosure(actor):
        raise DjangoPermissionDenied("staff, regulators and auditors only")
    today = catalog.today()
    first = _date(request.GET.get("from", "")) or today.replace(day=1)
    last = _date(request.GET.get("to", "")) or today
    labels = _labels()
    form = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "category": request.GET.get("category", "")[:32],
        "region": request.GET.get("region", "")[:6],
    }
    error = None
    report = None
    try:
        report = queries.disclosure_report_for(
            actor,
            period=(first, last),
            category=form["category"] or None,
            region=form["region"] if form["region"] in labels["regions"] else None,
        )
    except (YiwangError, PermissionDenied) as exc:
        error = message_of(exc)
    context = {"form": form, "report": report, "error": error, "outcomes": OUTCOME_LABELS_ZH, **labels}
    return render(request, "notices/disclosure.html", context)

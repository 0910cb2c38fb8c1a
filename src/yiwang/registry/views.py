"""Registry pages (Chinese, phone width): public search and entity pages, registration with the authoritative
prefill (htmx), and the pages where an entity's administrators keep their registration up to date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.kernel.ids import validate_uscc
from yiwang.kernel.money import Money
from yiwang.platform.web.decorators import signed_in
from yiwang.platform.web.forms import error_text
from yiwang.registry import actions, queries
from yiwang.registry.domain.official import FIELD_LABELS_ZH
from yiwang.registry.forms import (
    BankAccountForm,
    EntityForm,
    PersonnelForm,
    QualificationForm,
    StatusForm,
)
from yiwang.registry.models import EntityKind, EntityStatus
from yiwang.registry.queries import EntityView

PAGE = 20


def _entity_or_404(request: HttpRequest, entity_id: int) -> EntityView:
    try:
        return queries.get_entity_for(request.actor, entity_id)
    except NotFound:
        raise Http404("no such entity") from None


def _managed(request: HttpRequest, entity_id: int) -> EntityView:
    view = _entity_or_404(request, entity_id)
    if not view.can_manage:
        raise DjangoPermissionDenied("not an administrator of this entity")
    return view


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


# -- public -------------------------------------------------------------------------------------------------------


def search(request: HttpRequest) -> HttpResponse:
    """主体查询: by name or USCC, region, role. htmx requests get the result list only."""
    q = request.GET.get("q", "").strip()
    region = request.GET.get("region", "").strip() or None
    role = request.GET.get("role", "").strip() or None
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    result = queries.search_entities_for(request.actor, q, region, role, limit=PAGE, offset=(page - 1) * PAGE)
    context = {
        "q": q,
        "region": region or "",
        "role": role or "",
        "result": result,
        "page": page,
        "has_next": result.offset + len(result.items) < result.total,
        "role_choices": queries.choices("party_role"),
        "region_choices": queries.region_choices(),
    }
    template = "registry/_results.html" if request.htmx else "registry/search.html"
    return render(request, template, context)


def detail(request: HttpRequest, entity_id: int) -> HttpResponse:
    """The public entity page; the entity's users and officials also see the private fields and timeline."""
    view = _entity_or_404(request, entity_id)
    changes = queries.list_entity_changes_for(request.actor, entity_id, limit=50) if view.full else None
    context: dict[str, Any] = {
        "entity": view,
        "capital": gettext("%(amount)s万元") % {"amount": Money(view.registered_capital_fen).format_wan(2)}
        if view.registered_capital_fen is not None
        else "",
        "qualifications": queries.list_qualifications_for(request.actor, entity_id),
        "personnel": queries.list_personnel_for(request.actor, entity_id),
        "changes": _timeline(changes) if changes is not None else None,
        "accounts": queries.list_bank_accounts_for(request.actor, entity_id) if view.full else None,
        "status_form": StatusForm() if queries.may_change_status(request.actor, view) else None,
    }
    return render(request, "registry/detail.html", context)


_CHANGE_LABELS = {
    **FIELD_LABELS_ZH,
    "registration": "主体登记",
    "qualification": "资质",
    "personnel": "人员",
    "basic_account": "基本存款账户",
}
_VALUE_LABELS = {
    "bank_name": "开户银行",
    "branch_name": "网点",
    "account_name": "户名",
    "account_number": "账号",
    "permit_number": "账户编号",
    "qualification_type": "类别",
    "certificate_no": "证书编号",
    "level": "等级",
    "valid_from": "起",
    "valid_to": "至",
    "personnel_role": "类别",
    "id_number": "证件号码",
    "is_active": "在职",
    **FIELD_LABELS_ZH,
}


_CODE_TABLES = {
    "qualification_type": "qualification_type",
    "personnel_role": "personnel_role",
    "roles": "party_role",
    "enterprise_nature": "enterprise_nature",
    "legal_rep_id_type": "id_document_type",
}
_ENUM_LABELS = {
    "kind": dict(EntityKind.choices),
    "status": dict(EntityStatus.choices),
}


def _describe(value: Any, key: str, labels: dict[str, dict[str, str]]) -> str:
    """A timeline value in words: code values by their labels, nested values as "label：value；…"."""
    if value is None or value == "":
        return ""
    if isinstance(value, dict):
        parts = [
            f"{gettext(_VALUE_LABELS.get(k, k))}{gettext('：')}{_describe(v, k, labels)}"
            for k, v in value.items()
            if k != "id" and v not in ("", None)
        ]
        return gettext("；").join(parts)
    if isinstance(value, list):
        return gettext("、").join(_describe(v, key, labels) for v in value)
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if key in _ENUM_LABELS:
        if value not in _ENUM_LABELS[key]:
            return str(value)
        label = _ENUM_LABELS[key][value]
        return pgettext("entity", label) if key == "status" else gettext(label)
    if key in _CODE_TABLES:
        table = labels[_CODE_TABLES[key]]
        return gettext(table[str(value)]) if str(value) in table else str(value)
    return str(value)


def _change_label(field: str) -> str:
    if field == "registration":
        return pgettext("change", "主体登记")  # the event, not the page's link "Register an entity"
    return gettext(_CHANGE_LABELS[field]) if field in _CHANGE_LABELS else field


_SYNCED_FROM = "同步自："


def _change_note(note: str) -> str:
    """The note the actions write (fixed Chinese phrases, a source's name, or a person's reason) in the page's
    language; what a person wrote stays as written."""
    if not note:
        return note
    if note == "主体登记":
        return pgettext("change", note)
    if note.startswith(_SYNCED_FROM):
        return gettext("同步自：%(source)s") % {"source": note[len(_SYNCED_FROM) :]}
    return gettext(note)


def _timeline(changes: list[queries.ChangeView]) -> list[dict[str, Any]]:
    labels = {table: dict(queries.choices(table)) for table in set(_CODE_TABLES.values())}
    return [_timeline_item(c, labels) for c in changes]


def _timeline_item(change: queries.ChangeView, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {
        "version": change.version,
        "changed_at": change.changed_at,
        "actor_label": change.actor_label,
        "label": _change_label(change.field),
        "note": _change_note(change.note),
        "old": _describe(change.old_value, change.field, labels),
        "new": _describe(change.new_value, change.field, labels),
    }


@signed_in
def mine(request: HttpRequest) -> HttpResponse:
    """我的主体: the entities the signed-in person acts for."""
    return render(request, "registry/mine.html", {"entities": queries.list_entities_of(request.actor)})


# -- registration ---------------------------------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """主体登记: type a USCC and the official data is filled in (零提供); errors appear next to their fields."""
    if request.method == "POST":
        form = EntityForm(request.POST)
        if form.is_valid():
            try:
                entity = actions.do_register_entity(actor=request.actor, data=form.data_for_action())
            except YiwangError as exc:
                form.add_action_error(exc)
                if exc.code == "registry.duplicate":
                    return render(
                        request,
                        "registry/register.html",
                        {"form": form, "existing_id": exc.details.get("existing_id")},
                        status=409,
                    )
            else:
                messages.success(
                    request,
                    gettext("“%(name)s”登记成功。一地注册、区域通用：各平台、各区域均可直接使用。")
                    % {"name": entity.name},
                )
                return redirect("registry:detail", entity_id=entity.pk)
        return render(request, "registry/register.html", {"form": form}, status=422)
    initial: dict[str, Any] = {}
    notice = None
    if request.GET.get("uscc"):
        initial, notice = _prefill(request.GET)
    return render(request, "registry/register.html", {"form": EntityForm(initial=initial), "lookup": notice})


def _prefill(params: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form's values with empty fields filled from the authoritative record of ``params["uscc"]``."""
    values: dict[str, Any] = {k: params.get(k) for k in params if k not in ("roles", "csrfmiddlewaretoken")}
    values["roles"] = params.getlist("roles") if hasattr(params, "getlist") else params.get("roles", [])
    raw = str(params.get("uscc") or "")
    try:
        uscc = validate_uscc(raw)
    except YiwangError as exc:
        return values, {"error": error_text(exc)}
    values["uscc"] = uscc
    existing = queries.find_entity_by_uscc(uscc)
    record = queries.lookup_official_record(uscc)
    notice: dict[str, Any] = {"uscc": uscc, "existing": existing}
    if record is None:
        notice["missing"] = True
        return values, notice
    notice["record"] = record
    for key, value in record.as_prefill().items():
        if key == "registered_capital_fen":
            key, value = "registered_capital", str(Money(value).to_yuan())
        if not values.get(key):
            values[key] = value.isoformat() if isinstance(value, date) else value
    return values, notice


@signed_in
def lookup(request: HttpRequest) -> HttpResponse:
    """htmx: the registration fields, prefilled from the authoritative source for the USCC typed."""
    values, notice = _prefill(request.GET)
    form = EntityForm(initial=values)
    return render(request, "registry/_entity_fields.html", {"form": form, "lookup": notice})


# -- the entity's own pages -----------------------------------------------------------------------------------------


@signed_in
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, entity_id: int) -> HttpResponse:
    """变更登记: change the profile (If-Match through the hidden version)."""
    view = _managed(request, entity_id)
    if request.method == "POST":
        form = EntityForm(request.POST, editing=True)
        if form.is_valid():
            try:
                actions.do_update_entity(
                    actor=request.actor,
                    entity_id=entity_id,
                    changes=form.data_for_action(),
                    expected_version=_version(request),
                )
            except YiwangError as exc:
                form.add_action_error(exc)
            else:
                messages.success(request, gettext("登记信息已更新"))
                return redirect("registry:detail", entity_id=entity_id)
        return render(request, "registry/edit.html", {"form": form, "entity": view}, status=_status(form))
    form = EntityForm(initial=EntityForm.initial_from(view), editing=True)
    return render(request, "registry/edit.html", {"form": form, "entity": view})


def _status(form: Any) -> int:
    errors = " ".join(str(e) for e in form.non_field_errors())
    return 412 if "precondition.failed" in errors else 422


@signed_in
@require_POST
def sync(request: HttpRequest, entity_id: int) -> HttpResponse:
    """Pull the official data again from the authoritative source."""
    _managed(request, entity_id)
    try:
        actions.do_sync_entity_from_source(actor=request.actor, entity_id=entity_id)
    except YiwangError as exc:
        messages.error(request, exc.message_en if _english() else exc.message_zh)
    else:
        messages.success(request, gettext("已从权威来源同步登记信息"))
    return redirect("registry:detail", entity_id=entity_id)


@signed_in
@require_POST
def change_status(request: HttpRequest, entity_id: int) -> HttpResponse:
    view = _entity_or_404(request, entity_id)
    if not queries.may_change_status(request.actor, view):
        raise DjangoPermissionDenied("staff only")
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            actions.do_change_entity_status(
                actor=request.actor,
                entity_id=entity_id,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                expected_version=_version(request),
            )
        except YiwangError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, gettext("主体状态已变更"))
    return redirect("registry:detail", entity_id=entity_id)


@signed_in
@require_http_methods(["GET", "POST"])
def qualifications(request: HttpRequest, entity_id: int) -> HttpResponse:
    """资质: list every qualification with its status, add one, withdraw one."""
    view = _managed(request, entity_id)
    form = QualificationForm()
    status = 200
    if request.method == "POST":
        try:
            if "withdraw" in request.POST:
                actions.do_withdraw_qualification(
                    actor=request.actor,
                    entity_id=entity_id,
                    qualification_id=int(request.POST["withdraw"]),
                    reason=request.POST.get("reason", ""),
                    expected_version=_version(request),
                )
                messages.success(request, gettext("资质已撤回"))
                return redirect("registry:qualifications", entity_id=entity_id)
            form = QualificationForm(request.POST)
            if form.is_valid():
                actions.do_add_qualification(actor=request.actor, entity_id=entity_id, data=form.cleaned_data)
                messages.success(request, gettext("资质已添加"))
                return redirect("registry:qualifications", entity_id=entity_id)
            status = 422
        except YiwangError as exc:
            form.add_action_error(exc)
            status = exc.status
        except ValueError:
            status = 400
    return render(
        request,
        "registry/qualifications.html",
        {"entity": view, "form": form, "items": queries.list_qualifications_for(request.actor, entity_id)},
        status=status,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def qualification_edit(request: HttpRequest, entity_id: int, qualification_id: int) -> HttpResponse:
    view = _managed(request, entity_id)
    try:
        item = queries.get_qualification_for(request.actor, entity_id, qualification_id)
    except NotFound:
        raise Http404("no such qualification") from None
    if request.method == "POST":
        form = QualificationForm(request.POST)
        if form.is_valid():
            try:
                actions.do_update_qualification(
                    actor=request.actor,
                    entity_id=entity_id,
                    qualification_id=qualification_id,
                    changes=form.cleaned_data,
                    expected_version=_version(request),
                )
            except YiwangError as exc:
                form.add_action_error(exc)
            else:
                messages.success(request, gettext("资质已更新"))
                return redirect("registry:qualifications", entity_id=entity_id)
        return render(
            request, "registry/qualification_edit.html", {"entity": view, "item": item, "form": form}, status=422
        )
    form = QualificationForm(
        initial={
            k: getattr(item, k)
            for k in (
                "qualification_type",
                "certificate_no",
                "level",
                "scope",
                "issuing_authority",
                "valid_from",
                "valid_to",
            )
        }
    )
    return render(request, "registry/qualification_edit.html", {"entity": view, "item": item, "form": form})


@signed_in
@require_http_methods(["GET", "POST"])
def personnel(request: HttpRequest, entity_id: int) -> HttpResponse:
    """人员: key personnel with their practising certificates; add, remove."""
    view = _managed(request, entity_id)
    form = PersonnelForm()
    status = 200
    if request.method == "POST":
        try:
            if "remove" in request.POST:
                actions.do_remove_personnel(
                    actor=request.actor,
                    entity_id=entity_id,
                    personnel_id=int(request.POST["remove"]),
                    expected_version=_version(request),
                )
                messages.success(request, gettext("人员已移出"))
                return redirect("registry:personnel", entity_id=entity_id)
            form = PersonnelForm(request.POST)
            if form.is_valid():
                actions.do_add_personnel(actor=request.actor, entity_id=entity_id, data=form.data_for_action())
                messages.success(request, gettext("人员已添加"))
                return redirect("registry:personnel", entity_id=entity_id)
            status = 422
        except YiwangError as exc:
            form.add_action_error(exc)
            status = exc.status
        except ValueError:
            status = 400
    return render(
        request,
        "registry/personnel.html",
        {
            "entity": view,
            "form": form,
            "items": queries.list_personnel_for(request.actor, entity_id, include_inactive=True),
        },
        status=status,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def personnel_edit(request: HttpRequest, entity_id: int, personnel_id: int) -> HttpResponse:
    view = _managed(request, entity_id)
    try:
        item = queries.get_personnel_for(request.actor, entity_id, personnel_id)
    except NotFound:
        raise Http404("no such person") from None
    if request.method == "POST":
        form = PersonnelForm(request.POST)
        if form.is_valid():
            try:
                actions.do_update_personnel(
                    actor=request.actor,
                    entity_id=entity_id,
                    personnel_id=personnel_id,
                    changes=form.data_for_action(),
                    expected_version=_version(request),
                )
            except YiwangError as exc:
                form.add_action_error(exc)
            else:
                messages.success(request, gettext("人员信息已更新"))
                return redirect("registry:personnel", entity_id=entity_id)
        return render(request, "registry/personnel_edit.html", {"entity": view, "item": item, "form": form}, status=422)
    first = item.certificates[0] if item.certificates else None
    form = PersonnelForm(
        initial={
            "name": item.name,
            "id_document_type": item.id_document_type,
            "id_number": item.id_number,
            "personnel_role": item.personnel_role,
            "title": item.title,
            "certificate_type": first.certificate_type if first else "",
            "certificate_number": first.number if first else "",
            "certificate_specialty": first.specialty if first else "",
            "certificate_valid_to": first.valid_to if first else None,
        }
    )
    return render(request, "registry/personnel_edit.html", {"entity": view, "item": item, "form": form})


@signed_in
@require_http_methods(["GET", "POST"])
def bank_account(request: HttpRequest, entity_id: int) -> HttpResponse:
    """基本存款账户: the current account, its history, and recording a change."""
    view = _managed(request, entity_id)
    form = BankAccountForm(initial={"account_name": view.name})
    status = 200
    if request.method == "POST":
        try:
            if "close" in request.POST:
                actions.do_close_basic_account(
                    actor=request.actor, entity_id=entity_id, expected_version=_version(request)
                )
                messages.success(request, gettext("已登记基本存款账户销户"))
                return redirect("registry:bank_account", entity_id=entity_id)
            form = BankAccountForm(request.POST)
            if form.is_valid():
                actions.do_set_basic_account(
                    actor=request.actor,
                    entity_id=entity_id,
                    data=form.cleaned_data,
                    expected_version=_version(request),
                )
                messages.success(request, gettext("基本存款账户已登记"))
                return redirect("registry:bank_account", entity_id=entity_id)
            status = 422
        except YiwangError as exc:
            form.add_action_error(exc)
            status = exc.status
    return render(
        request,
        "registry/bank_account.html",
        {"entity": view, "form": form, "accounts": queries.list_bank_accounts_for(request.actor, entity_id)},
        status=status,
    )

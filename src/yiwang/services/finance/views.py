"""Finance pages (Chinese, phone width): 我的保证金与退款 (with e-guarantees and invoices) for bidders,
reconciliation for staff, the public fee schedule, public guarantee verification, guarantee applications,
the issuer's workbench, guarantee issuers for staff, deal settlements for buyers, sellers and staff, and the
simulated bank's transfer form (demo profile only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.kernel.money import Money
from yiwang.platform.web.forms import message_of
from yiwang.services.finance import actions, bank, queries
from yiwang.services.finance.forms import (
    AssignForm,
    GuaranteeApplyForm,
    IssuerRegisterForm,
    IssuerStatusForm,
    SimPaymentForm,
)


def _signed_in(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.actor.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _privileged(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @_signed_in
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not queries.is_privileged(request.actor):
            raise DjangoPermissionDenied("staff, regulators and auditors only")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@_signed_in
def mine(request: HttpRequest) -> HttpResponse:
    """我的保证金与退款: per lot, status, paid, refund due and refunded, flags."""
    actor = request.actor
    context = {
        "deposits": queries.list_my_deposits_for(actor),
        "guarantees": queries.list_my_guarantees_for(actor),
        "invoices": queries.list_my_invoices_for(actor),
        "settlements": queries.list_settlements_for(actor) if actor.entity_ids() else [],
    }
    return render(request, "finance/mine.html", context)


def fees(request: HttpRequest) -> HttpResponse:
    """收费标准 (public)."""
    quote = None
    code = request.GET.get("code", "")
    raw_base = request.GET.get("base", "").strip()
    error = ""
    if code and raw_base:
        try:
            base = Money.from_yuan(raw_base).fen
            quote = {"code": code, "base_fen": base, "fee_fen": queries.compute_fee(code, base)}
        except YiwangError as exc:
            error = message_of(exc)
    context = {
        "note": queries.fee_note(),
        "services": queries.catalogue_service_fees(),
        "items": queries.fee_items(),
        "quote": quote,
        "quote_error": error,
        "code": code,
        "base": raw_base,
    }
    return render(request, "finance/fees.html", context)


@_privileged
def reconciliation(request: HttpRequest) -> HttpResponse:
    """对账: trial balance, ledger vs bank, suspense items (with assignment), late refunds, alerts, lots."""
    actor = request.actor
    context = {
        "report": queries.get_reconciliation_for(actor),
        "suspense": queries.list_suspense_for(actor),
        "late": queries.list_late_refunds_for(actor),
        "alerts": queries.list_alerts_for(actor, open_only=True)[:50],
        "lots": queries.list_lots_for(actor),
        "form": AssignForm(),
        "may_assign": actor.is_system or actor.has_role(Role.STAFF),
    }
    return render(request, "finance/reconciliation.html", context)


@_privileged
@require_POST
def assign(request: HttpRequest, notice_id: int) -> HttpResponse:
    form = AssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("请填写标段引用和投标人主体编号"))
        return redirect("finance:reconciliation")
    try:
        actions.do_assign_suspense(
            actor=request.actor,
            notice_id=notice_id,
            lot_ref=form.cleaned_data["lot_ref"],
            entity_id=form.cleaned_data["entity_id"],
            note=form.cleaned_data["note"],
        )
    except YiwangError as exc:
        messages.error(request, message_of(exc))
    else:
        messages.success(request, gettext("已认领入账"))
    return redirect("finance:reconciliation")


@_privileged
def lot_detail(request: HttpRequest, lot_ref: str) -> HttpResponse:
    """A lot's deposits: counts before the opening, each bidder's row after it."""
    try:
        view = queries.get_lot_deposits_for(request.actor, lot_ref)
    except NotFound:
        raise Http404("no such lot") from None
    except YiwangError:
        raise Http404("no such lot") from None
    return render(request, "finance/lot.html", {"view": view})


@_signed_in
@require_http_methods(["GET", "POST"])
def simbank(request: HttpRequest) -> HttpResponse:
    """模拟银行转账 (demo only): book a transfer to a virtual sub-account; the bank notifies the platform."""
    gateway = bank.gateway()
    if not isinstance(gateway, bank.SimulatedBank):
        raise Http404("no simulated bank in this profile")
    form = SimPaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            amount = Money.from_yuan(form.cleaned_data["amount"]).fen
            if amount <= 0:
                raise ValueError
        except (YiwangError, ValueError):
            form.add_error("amount", gettext("金额应为正数，最多两位小数"))
        else:
            notice = gateway.pay_in(
                bank_code=bank.default_bank(),
                virtual_account=form.cleaned_data["virtual_account"].strip(),
                amount_fen=amount,
                payer_account=form.cleaned_data["payer_account"],
                payer_name=form.cleaned_data["payer_name"],
            )
            received = actions.receive_bank_notice(
                bank_code=notice.bank_code, body=notice.body, signature=notice.signature
            )
            messages.success(
                request,
                gettext("模拟银行已转账，平台入账状态：%(status)s")
                % {"status": pgettext("finance", received.notice.get_status_display())},
            )
            return redirect("finance:simbank")
    return render(request, "finance/simbank.html", {"form": form})


# -- e-guarantees -----------------------------------------------------------------------------------------------------


def verify_guarantee(request: HttpRequest) -> HttpResponse:
    """保函真伪查验 (public): by guarantee (policy) number."""
    number = request.GET.get("no", "").strip()[:64]
    result = error = None
    if number:
        try:
            result = queries.get_guarantee_verification(number)
        except NotFound as exc:
            error = message_of(exc)
    return render(request, "finance/verify.html", {"number": number, "result": result, "error": error})


def _entity_choices(actor) -> list[tuple[int, str]]:
    from yiwang.registry import queries as registry

    refs = registry.get_entity_refs(sorted(actor.entity_ids()))
    return [(i, ref.name) for i, ref in sorted(refs.items())]


@_signed_in
@require_http_methods(["GET", "POST"])
def apply_guarantee(request: HttpRequest) -> HttpResponse:
    """申请电子保函: a bidder picks the lot, its entity, an issuer and the form."""
    issuers = [
        (i.id, gettext("%(name)s（%(kind)s）") % {"name": i.name, "kind": pgettext("finance", i.kind_label)})
        for i in queries.list_guarantee_issuers(active_only=True)
    ]
    form = GuaranteeApplyForm(
        request.POST or None,
        initial={"lot_ref": request.GET.get("lot", "")},
        entities=_entity_choices(request.actor),
        issuers=issuers,
    )
    if request.method == "POST" and form.is_valid():
        try:
            g = actions.do_apply_guarantee(actor=request.actor, **form.cleaned_data)
        except YiwangError as exc:
            form.add_error(None, message_of(exc))
        else:
            messages.success(request, gettext("已向出具机构提交保函申请，申请编号 %(no)s") % {"no": g.application_no})
            return redirect("finance:mine")
    return render(request, "finance/apply.html", {"form": form})


@_signed_in
def issuer_workbench(request: HttpRequest) -> HttpResponse:
    """出具机构工作台: applications addressed to the issuer the user acts for (issued through the API)."""
    try:
        rows = queries.list_issuer_applications_for(request.actor)
    except YiwangError:
        raise DjangoPermissionDenied("guarantee issuers only") from None
    return render(request, "finance/issuer.html", {"rows": rows})


@_privileged
@require_http_methods(["GET", "POST"])
def issuers(request: HttpRequest) -> HttpResponse:
    """保函出具机构管理 (staff): register issuers with their certificate, suspend or reactivate them."""
    may_edit = request.actor.is_system or request.actor.has_role(Role.STAFF)
    form = IssuerRegisterForm(request.POST or None)
    if request.method == "POST":
        if not may_edit:
            raise DjangoPermissionDenied("staff only")
        if form.is_valid():
            try:
                actions.do_register_guarantee_issuer(
                    actor=request.actor,
                    entity_id=form.cleaned_data["entity_id"],
                    kind=form.cleaned_data["kind"],
                    certificates=[form.cleaned_data["certificate"]],
                    note=form.cleaned_data["note"],
                )
            except YiwangError as exc:
                form.add_error(None, message_of(exc))
            else:
                messages.success(request, gettext("已登记出具机构"))
                return redirect("finance:issuers")
    context = {"issuers": queries.list_guarantee_issuers(), "form": form, "may_edit": may_edit}
    return render(request, "finance/issuers.html", context)


@_privileged
@require_POST
def issuer_status(request: HttpRequest, issuer_id: int) -> HttpResponse:
    if not (request.actor.is_system or request.actor.has_role(Role.STAFF)):
        raise DjangoPermissionDenied("staff only")
    form = IssuerStatusForm(request.POST)
    if form.is_valid():
        try:
            actions.do_set_issuer_status(actor=request.actor, issuer_id=issuer_id, **form.cleaned_data)
        except YiwangError as exc:
            messages.error(request, message_of(exc))
        else:
            messages.success(request, gettext("已更新出具机构状态"))
    return redirect("finance:issuers")


# -- settlements ------------------------------------------------------------------------------------------------------


@_signed_in
def settlements(request: HttpRequest) -> HttpResponse:
    """交易价款结算: the caller's deals as buyer or seller (every deal for staff, regulators, auditors)."""
    return render(request, "finance/settlements.html", {"rows": queries.list_settlements_for(request.actor)})


@_signed_in
def settlement_detail(request: HttpRequest, deal_ref: str) -> HttpResponse:
    try:
        view = queries.get_settlement_for(request.actor, deal_ref)
    except YiwangError:
        raise Http404("no such settlement") from None
    may_confirm = (request.actor.is_system or request.actor.has_role(Role.STAFF)) and not view.transfer_confirmed_at
    return render(request, "finance/settlement.html", {"s": view, "may_confirm": may_confirm})


@_signed_in
@require_POST
def confirm_transfer(request: HttpRequest, deal_ref: str) -> HttpResponse:
    try:
        actions.do_confirm_transfer(actor=request.actor, deal_ref=deal_ref, note=request.POST.get("note", "")[:200])
    except YiwangError as exc:
        if exc.status == 403:
            raise DjangoPermissionDenied("staff only") from None
        messages.error(request, message_of(exc))
    else:
        messages.success(request, gettext("已确认交割，价款将划转出让方"))
    return redirect("finance:settlement", deal_ref=deal_ref)

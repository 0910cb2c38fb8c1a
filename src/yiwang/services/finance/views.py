"""Finance pages (Chinese, phone width): 我的保证金与退款 for bidders, reconciliation for staff, the public fee
schedule, and the simulated bank's transfer form (demo profile only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from yiwang.kernel.actors import Role
from yiwang.kernel.errors import NotFound, YiwangError
from yiwang.kernel.money import Money
from yiwang.services.finance import actions, bank, queries
from yiwang.services.finance.forms import AssignForm, SimPaymentForm


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
    deposits = queries.list_my_deposits_for(request.actor)
    return render(request, "finance/mine.html", {"deposits": deposits})


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
            error = exc.message_zh
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
        messages.error(request, "请填写标段引用和投标人主体编号")
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
        messages.error(request, exc.message_zh)
    else:
        messages.success(request, "已认领入账")
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
            form.add_error("amount", "金额应为正数，最多两位小数")
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
            messages.success(request, f"模拟银行已转账，平台入账状态：{received.notice.get_status_display()}")
            return redirect("finance:simbank")
    return render(request, "finance/simbank.html", {"form": form})

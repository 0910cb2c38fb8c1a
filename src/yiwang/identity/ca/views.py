"""Pages: the public CA trust list (CA互认名单), a CA's detail (staff manage it there), the person's certificates,
and the QR confirmation (扫码签名 / 登录确认) with an inline SVG QR code and htmx polling."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yiwang.identity.ca import actions, queries
from yiwang.identity.ca.domain.challenge import decode as decode_challenge
from yiwang.identity.ca.domain.errors import CaNotFound
from yiwang.identity.ca.forms import BindForm, CrlForm, RegisterCaForm, StatusForm
from yiwang.identity.ca.models import ChallengeStatus
from yiwang.kernel.actors import Role
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import now
from yiwang.platform.web.forms import add_action_error, error_text


def _actor(request: HttpRequest):
    return request.actor  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
def trust_list(request: HttpRequest) -> HttpResponse:
    """CA互认名单: every CA whose certificates the platform accepts. Staff administrators register CAs here."""
    actor = _actor(request)
    admin = actions.is_trust_admin(actor)
    form = RegisterCaForm(request.POST or None) if admin else None
    if request.method == "POST":
        if not admin:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                ca = actions.do_register_ca(
                    actor=actor,
                    certificate=data["certificate"],
                    name=data["name"],
                    mapping=data["mapping"] or None,
                    crl_policy=data["crl_policy"],
                    note=data["note"],
                )
            except YiwangError as exc:
                add_action_error(form, exc)
            else:
                messages.success(request, gettext("已登记 %(name)s") % {"name": ca.name})
                return redirect("ca:detail", ca_id=ca.pk)
    show_removed = request.GET.get("removed") == "1"
    return render(
        request,
        "ca/trust_list.html",
        {
            "cas": queries.list_trusted_cas(include_removed=show_removed),
            "show_removed": show_removed,
            "admin": admin,
            "form": form,
        },
    )


@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, ca_id: int) -> HttpResponse:
    actor = _actor(request)
    try:
        ca = queries.get_ca(ca_id)
    except CaNotFound:
        raise Http404 from None
    admin = actions.is_trust_admin(actor)
    staff = actor.is_system or actor.has_role(Role.STAFF)
    status_form = StatusForm(initial={"version": ca.version}) if admin else None
    crl_form = CrlForm() if staff else None
    if request.method == "POST":
        try:
            if request.POST.get("op") == "status" and admin:
                status_form = StatusForm(request.POST)
                if status_form.is_valid():
                    data = status_form.cleaned_data
                    actions.do_change_ca_status(
                        actor=actor,
                        ca_id=ca_id,
                        status=data["status"],
                        reason=data["reason"],
                        expected_version=data["version"],
                    )
                    messages.success(request, gettext("CA状态已更新"))
                    return redirect("ca:detail", ca_id=ca_id)
            elif request.POST.get("op") == "crl" and staff:
                crl_form = CrlForm(request.POST, request.FILES)
                if crl_form.is_valid():
                    upload = crl_form.cleaned_data.get("file")
                    raw = upload.read() if upload else crl_form.cleaned_data["crl"]
                    row = actions.do_import_crl(actor=actor, crl=raw, ca_id=ca_id)
                    messages.success(
                        request,
                        gettext("已导入吊销列表（序号 %(number)s，%(count)s 条吊销）")
                        % {"number": row.crl_number or "—", "count": row.revoked_count},
                    )
                    return redirect("ca:detail", ca_id=ca_id)
            else:
                raise Http404
        except YiwangError as exc:
            target = crl_form if request.POST.get("op") == "crl" else status_form
            add_action_error(target, exc)
    return render(
        request,
        "ca/detail.html",
        {
            "ca": ca,
            "crls": queries.list_crls(ca_id),
            "history": queries.list_status_changes(ca_id),
            "status_form": status_form,
            "crl_form": crl_form,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def certificates(request: HttpRequest) -> HttpResponse:
    """我的证书: the person's certificates and those of the entities they act for; entity admins bind here."""
    actor = _actor(request)
    form = BindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            binding = actions.do_bind_certificate(actor=actor, certificate=form.cleaned_data["certificate"])
        except YiwangError as exc:
            add_action_error(form, exc)
        else:
            messages.success(
                request,
                gettext("证书已绑定：%(name)s（序列号 %(serial)s）")
                % {"name": binding.subject_name, "serial": binding.serial},
            )
            return redirect("ca:certificates")
    return render(
        request,
        "ca/certificates.html",
        {
            "bindings": queries.list_bindings_for(actor, include_unbound=True),
            "form": form,
            "confirmation": queries.session_confirmation(request),
        },
    )


@login_required
@require_POST
def unbind(request: HttpRequest, binding_id: int) -> HttpResponse:
    try:
        actions.do_unbind_certificate(
            actor=_actor(request), binding_id=binding_id, reason=request.POST.get("reason", "")
        )
    except YiwangError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, gettext("证书已解绑"))
    return redirect("ca:certificates")


# -- QR confirmation --------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """扫码签名/登录确认: start a challenge (POST) or show whether this session is certificate-confirmed."""
    if request.method == "POST":
        if request.session.session_key is None:
            request.session.save()
        purpose = request.POST.get("purpose", "login_confirm")
        try:
            row = actions.do_start_challenge(
                actor=_actor(request), purpose=purpose, session_key=request.session.session_key
            )
        except YiwangError as exc:
            messages.error(request, error_text(exc))
            return redirect("ca:confirm")
        return redirect("ca:challenge", challenge_id=row.pk)
    return render(request, "ca/confirm.html", {"confirmation": queries.session_confirmation(request)})


def _challenge(request: HttpRequest, challenge_id: str):
    try:
        return queries.get_challenge_for(_actor(request), challenge_id)
    except CaNotFound:
        raise Http404 from None


def qr_svg(text: str) -> str:
    """The challenge as an inline SVG QR code (segno; no scripts, no external resources)."""
    code = segno.make(text, error="m", micro=False)
    return code.svg_inline(scale=3, dark="#212529", light="#ffffff", title=gettext("扫码签名挑战"))


@login_required
@require_GET
def challenge(request: HttpRequest, challenge_id: str) -> HttpResponse:
    row = _challenge(request, challenge_id)
    parsed = decode_challenge(row.text)
    return render(
        request,
        "ca/challenge.html",
        {
            "challenge": row,
            "parsed": parsed,
            "qr": mark_safe(qr_svg(row.text)),  # noqa: S308 — segno SVG of our own ASCII challenge line
            **_status_context(request, row),
        },
    )


def _status_context(request: HttpRequest, row) -> dict:
    """The state shown by the polling fragment; flags the session once its own challenge is confirmed."""
    moment = now()
    confirmed = row.status == ChallengeStatus.CONFIRMED
    same_session = row.session_digest and row.session_digest == actions.session_digest(request.session.session_key)
    if confirmed and same_session:
        request.session[queries.SESSION_KEY] = actions.confirmation_for_session(row)
    return {
        "confirmed": confirmed,
        "session_flagged": bool(confirmed and same_session),
        "expired": not confirmed and queries.challenge_expired(row, moment),
        "seconds_left": max(0, int((row.expires_at - moment).total_seconds())),
    }


@login_required
@require_GET
def challenge_status(request: HttpRequest, challenge_id: str) -> HttpResponse:
    """htmx fragment polled every two seconds until the challenge is confirmed or expires."""
    row = _challenge(request, challenge_id)
    return render(request, "ca/_challenge_status.html", {"challenge": row, **_status_context(request, row)})

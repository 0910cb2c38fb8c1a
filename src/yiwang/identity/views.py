"""Sign-in, sign-up and sign-out pages (Chinese), the person's profile, and personal API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from yiwang.identity import actions, queries
from yiwang.identity.forms import (
    LoginForm,
    PasswordForm,
    ProfileForm,
    SignupForm,
    _client_ip,
)
from yiwang.kernel.actors import ROLE_LABELS_ZH, Actor
from yiwang.kernel.errors import YiwangError
from yiwang.platform.audit import queries as witness
from yiwang.platform.web.forms import add_action_error, message_of


class LoginView(auth_views.LoginView):
    template_name = "identity/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        actions.do_record_login(account=form.get_user(), via="password", ip=_client_ip(self.request))
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django refuses GET logout, which would let any page sign a person out)."""

    def post(self, request, *args, **kwargs):
        account = request.user if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if account is not None:
            actions.do_record_logout(account=account)
        return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Self sign-up: one account for the whole platform (一次登录、全网办理)."""
    if request.user.is_authenticated:
        return redirect("portal:workbench")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = actions.do_create_account(
                actor=Actor.anonymous(),
                username=data["username"],
                display_name=data["display_name"],
                password=data["password"],
                mobile=data["mobile"],
                email=data["email"],
            )
        except YiwangError as exc:
            add_action_error(form, exc)
        else:
            login(request, account, backend="django.contrib.auth.backends.ModelBackend")
            actions.do_record_login(account=account, via="signup", ip=_client_ip(request))
            messages.success(request, gettext("注册成功，欢迎使用一网交易。下一步：登记您所代表的市场主体。"))
            target = request.GET.get("next", "")
            if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                return redirect(target)
            return redirect("portal:workbench")
    return render(request, "identity/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The person's own profile, roles and password."""
    account = request.user
    profile_form = ProfileForm(
        request.POST if "save_profile" in request.POST else None,
        initial={
            "display_name": account.display_name,
            "mobile": account.mobile,
            "email": account.email,
            "version": account.version,
        },
    )
    password_form = PasswordForm(request.POST if "change_password" in request.POST else None)
    if request.method == "POST" and "save_profile" in request.POST and profile_form.is_valid():
        data = profile_form.cleaned_data
        try:
            actions.do_update_profile(
                actor=request.actor,
                account=account,
                changes={k: data[k] for k in actions.PROFILE_FIELDS},
                expected_version=data["version"],
            )
        except YiwangError as exc:
            add_action_error(profile_form, exc)
        else:
            messages.success(request, gettext("个人信息已保存"))
            return redirect("identity:profile")
    if request.method == "POST" and "change_password" in request.POST and password_form.is_valid():
        data = password_form.cleaned_data
        try:
            updated = actions.do_change_password(
                actor=request.actor,
                account=account,
                old_password=data["old_password"],
                new_password=data["new_password"],
            )
        except YiwangError as exc:
            add_action_error(password_form, exc)
        else:
            update_session_auth_hash(request, updated)
            messages.success(request, gettext("密码已修改"))
            return redirect("identity:profile")
    grants = [
        {"grant": g, "role_label": ROLE_LABELS_ZH.get(g.role_enum, g.role)}
        for g in queries.list_grants_for(request.actor)
    ]
    return render(
        request,
        "identity/profile.html",
        {"profile_form": profile_form, "password_form": password_form, "grants": grants},
    )


HISTORY_PAGE = 50


@login_required
@require_http_methods(["GET"])
def history(request: HttpRequest) -> HttpResponse:
    """我的操作记录: every action this person took, from the witness log (newest first, a page at a time)."""
    raw = request.GET.get("before", "")
    before = int(raw) if raw.isdigit() else None
    rows = witness.entries_by(request.actor.ref, before=before, limit=HISTORY_PAGE + 1)
    more = len(rows) > HISTORY_PAGE
    rows = rows[:HISTORY_PAGE]
    return render(
        request,
        "identity/history.html",
        {"rows": rows, "next_before": rows[-1].seq if more and rows else None, "paged": before is not None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List, issue and revoke personal API tokens. A new token's value is shown on this response only."""
    issued = None
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                actions.do_revoke_personal_token(actor=request.actor, token_id=int(request.POST["revoke"]))
                messages.success(request, gettext("令牌已撤销"))
                return redirect("identity:tokens")
            _, issued = actions.do_issue_personal_token(
                actor=request.actor,
                account=request.user,
                name=request.POST.get("name", ""),
                expires_in_days=int(request.POST.get("expires_in_days") or 90),
            )
        except YiwangError as exc:
            messages.error(request, message_of(exc))
        except ValueError:
            messages.error(request, gettext("输入有误：有效期须为整数天"))
    return render(
        request,
        "identity/tokens.html",
        {"tokens": queries.list_tokens_for(request.actor), "issued": issued},
    )

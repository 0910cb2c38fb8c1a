"""Sign-in and sign-out pages (Chinese), and the page where a person manages personal API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from yiwang.identity import actions, queries
from yiwang.kernel.errors import YiwangError


class LoginView(auth_views.LoginView):
    template_name = "identity/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        actions.do_record_login(account=form.get_user(), via="password")
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django refuses GET logout, which would let any page sign a person out)."""

    def post(self, request, *args, **kwargs):
        account = request.user if request.user.is_authenticated else None
        response = super().post(request, *args, **kwargs)
        if account is not None:
            actions.do_record_logout(account=account)
        return response


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List, issue and revoke personal API tokens. A new token's value is shown on this response only."""
    issued = None
    if request.method == "POST":
        try:
            if "revoke" in request.POST:
                actions.do_revoke_personal_token(actor=request.actor, token_id=int(request.POST["revoke"]))
                messages.success(request, "令牌已撤销")
                return redirect("identity:tokens")
            _, issued = actions.do_issue_personal_token(
                actor=request.actor,
                account=request.user,
                name=request.POST.get("name", ""),
                expires_in_days=int(request.POST.get("expires_in_days") or 90),
            )
        except (YiwangError, ValueError) as exc:
            messages.error(request, getattr(exc, "message_zh", "输入有误"))
    return render(
        request,
        "identity/tokens.html",
        {"tokens": queries.list_tokens_for(request.actor), "issued": issued},
    )

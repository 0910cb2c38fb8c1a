"""Pages of single sign-on: the provider's endpoints (django-oauth-toolkit views with the hub's consent and
logout pages, in Chinese) and the administrators' page for relying parties (接入系统)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods
from oauth2_provider import views as dot
from oauth2_provider.exceptions import InvalidOIDCClientError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.scopes import get_scopes_backend
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import add_params_to_uri

from yiwang.identity.auth import actor_for_account
from yiwang.identity.sso import actions, queries
from yiwang.identity.sso.forms import RelyingPartyForm
from yiwang.kernel.errors import PermissionDenied, YiwangError
from yiwang.platform.web.forms import add_action_error, message_of

# django-oauth-toolkit's URL names, served under this app's namespace (``sso:``)
ENDPOINT_NAMES = {
    "authorize": "authorize",
    "token": "token",
    "revoke-token": "revoke-token",
    "user-info": "user-info",
    "jwks-info": "jwks-info",
    "rp-initiated-logout": "rp-initiated-logout",
}


class DiscoveryView(dot.ConnectDiscoveryInfoView):
    """``/sso/.well-known/openid-configuration``: endpoints are named in the ``sso`` namespace here."""

    def _get_endpoint_url(self, request, view_name, required=False):
        try:
            path = reverse(f"sso:{ENDPOINT_NAMES.get(view_name, view_name)}")
        except NoReverseMatch:
            if required:
                raise
            return None
        issuer = oauth2_settings.OIDC_ISS_ENDPOINT
        if not issuer:
            return request.build_absolute_uri(path)
        origin = issuer.split("/", 3)
        return f"{origin[0]}//{origin[2]}{path}"


class AuthorizationView(dot.AuthorizationView):
    """The consent page (授权确认). Sign-in happens on the hub's own login page (``LOGIN_URL``)."""

    template_name = "sso/authorize.html"

    def create_authorization_response(self, request, scopes, credentials, allow):
        scope_list = scopes.split() if isinstance(scopes, str) else list(scopes or [])
        return actions.do_authorize(
            actor=request.actor,
            client_id=credentials.get("client_id", ""),
            scopes=scope_list,
            allowed=bool(allow),
            issue=lambda: super(AuthorizationView, self).create_authorization_response(
                request, scopes, credentials, allow
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        all_scopes = get_scopes_backend().get_all_scopes()
        context["scope_items"] = [(s, all_scopes.get(s, s)) for s in context.get("scopes", [])]
        return context


class LogoutView(dot.RPInitiatedLogoutView):
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): ends the hub session, revokes the tokens
    the person holds, and returns to a registered post-logout URI."""

    template_name = "sso/logout.html"

    def get_request_application(self, id_token, client_id):
        if client_id:
            application = get_application_model().objects.filter(client_id=client_id).first()
            if application is None or not queries.is_usable(client_id):
                raise InvalidOIDCClientError()
            return application
        if id_token:
            return id_token.application
        return None

    def do_logout(self, application=None, post_logout_redirect_uri=None, state=None, token_user=None):
        user = token_user or self.request.user

        def end() -> HttpResponse:
            if user.is_authenticated:
                _revoke_tokens_of(user)
            logout(self.request)
            if not post_logout_redirect_uri:
                return redirect("portal:home")
            target = post_logout_redirect_uri
            if state:
                target = add_params_to_uri(target, [("state", state)])
            return OAuth2ResponseRedirect(target, application.get_allowed_schemes())

        if not user.is_authenticated:
            return end()
        return actions.do_end_session(
            actor=actor_for_account(user), client_id=application.client_id if application else None, end=end
        )


def _revoke_tokens_of(user) -> None:
    """Every access, refresh and ID token the person holds at any relying party ends with the hub session."""
    for refresh in get_refresh_token_model().objects.filter(user=user, revoked__isnull=True):
        refresh.revoke()
    get_access_token_model().objects.filter(user=user).delete()
    get_id_token_model().objects.filter(user=user).delete()


@login_required
@require_http_methods(["GET", "POST"])
def relying_parties(request: HttpRequest) -> HttpResponse:
    """接入系统管理: platform administrators register sub-platforms; a new client secret shows on this response
    only."""
    try:
        parties = queries.list_relying_parties_for(request.actor)
    except PermissionDenied:
        raise DjangoPermissionDenied("platform administrators only") from None
    form = RelyingPartyForm(request.POST or None)
    issued = None
    if request.method == "POST" and "deactivate" in request.POST:
        try:
            actions.do_deactivate_relying_party(actor=request.actor, client_id=request.POST["deactivate"])
        except YiwangError as exc:
            messages.error(request, message_of(exc))
        else:
            messages.success(request, gettext("接入系统已停用"))
        return redirect("sso:relying_parties")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            party, secret = actions.do_register_relying_party(
                actor=request.actor,
                name=data["name"],
                redirect_uris=data["redirect_uris"],
                post_logout_redirect_uris=data["post_logout_redirect_uris"],
                confidential=data["client_type"] == "confidential",
            )
        except YiwangError as exc:
            add_action_error(form, exc)
        else:
            issued = {"client_id": party.application.client_id, "secret": secret, "name": party.application.name}
            form = RelyingPartyForm()
            parties = queries.list_relying_parties_for(request.actor)
    discovery = request.build_absolute_uri(reverse("sso:oidc-connect-discovery-info"))
    return render(
        request,
        "sso/relying_parties.html",
        {"parties": parties, "form": form, "issued": issued, "discovery": discovery},
    )

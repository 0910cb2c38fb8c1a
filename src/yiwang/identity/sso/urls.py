"""Pages and endpoints of single sign-on, under ``/sso/``; the issuer is ``<public URL>/sso``."""

from django.urls import path, re_path
from oauth2_provider import views as dot

from yiwang.identity.sso import views

app_name = "sso"
urlpatterns = [
    path("", views.relying_parties, name="relying_parties"),
    # the OpenID Connect provider (django-oauth-toolkit)
    re_path(r"^\.well-known/openid-configuration$", views.DiscoveryView.as_view(), name="oidc-connect-discovery-info"),
    path(".well-known/jwks.json", dot.JwksInfoView.as_view(), name="jwks-info"),
    path("authorize/", views.AuthorizationView.as_view(), name="authorize"),
    path("token/", dot.TokenView.as_view(), name="token"),
    path("revoke_token/", dot.RevokeTokenView.as_view(), name="revoke-token"),
    path("userinfo/", dot.UserInfoView.as_view(), name="user-info"),
    path("logout/", views.LogoutView.as_view(), name="rp-initiated-logout"),
]

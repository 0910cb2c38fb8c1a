"""What the hub refuses: PKCE missing, "plain" or with the wrong verifier, a redirect URI not registered, an
unknown or deactivated client, a deactivated account — each with the OAuth2 error the specifications name, and
nothing issued."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant

from yiwang.identity.models import Account
from yiwang.identity.sso.actions import do_deactivate_relying_party
from yiwang.platform.audit import queries as witness

from .conftest import CALLBACK, PASSWORD, SampleRelyingParty, sign_in_and_consent

pytestmark = pytest.mark.django_db


def _error_of(location: str) -> str:
    assert location.startswith(CALLBACK), location
    return parse_qs(urlsplit(location).query)["error"][0]


def _signed_in(username: str) -> Client:
    browser = Client()
    response = browser.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def test_pkce_is_required(relying_party, person):
    browser = _signed_in("lina")
    response = browser.get(relying_party.authorization_url(code_challenge=None, code_challenge_method=None))
    assert response.status_code == 302
    assert _error_of(response["Location"]) == "invalid_request"
    assert not Grant.objects.exists()


def test_plain_pkce_is_refused(relying_party, person):
    browser = _signed_in("lina")
    url = relying_party.authorization_url(code_challenge="a" * 43, code_challenge_method="plain")
    first = browser.get(url)
    if first.status_code == 200:  # refused when the code would be made
        form = first.context["form"]
        data = {k: v for k, v in form.initial.items() if v is not None}
        first = browser.post("/sso/authorize/", {**data, "allow": "Authorize"})
    assert first.status_code == 302
    assert _error_of(first["Location"]) == "invalid_request"
    assert not Grant.objects.exists()
    assert not [e for e in witness.entries(limit=1000) if e.action == "sso.authorize"]


def test_a_wrong_or_missing_verifier_gets_no_token(relying_party, person):
    code = relying_party.code_from(sign_in_and_consent(Client(), relying_party, "lina"))
    wrong = relying_party.redeem(code, verifier="x" * 43)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    missing = relying_party.redeem(code, verifier=None)
    assert missing.status_code == 400
    assert missing.json()["error"] in {"invalid_request", "invalid_grant"}
    assert not AccessToken.objects.exists()


def test_a_redirect_uri_not_registered_is_never_followed(relying_party, person):
    browser = _signed_in("lina")
    response = browser.get(relying_party.authorization_url(redirect_uri="https://evil.example.com/cb"))
    assert response.status_code == 400
    assert "Location" not in response
    assert "登录请求有误" in response.content.decode()
    # nor may a code be redeemed for another redirect URI than the one it was issued for
    code = relying_party.code_from(sign_in_and_consent(Client(), relying_party, "lina"))
    other = relying_party.redeem(code, redirect_uri="https://jiangsu-sub.example.cn/other")
    assert other.status_code == 400
    assert other.json()["error"] in {"invalid_request", "invalid_grant"}
    assert not AccessToken.objects.exists()


def test_an_unknown_client_is_refused(relying_party, person):
    stranger = SampleRelyingParty(client_id="no-such-client", client_secret="x")
    browser = _signed_in("lina")
    response = browser.get(stranger.authorization_url())
    assert response.status_code == 400
    assert "Location" not in response
    token = stranger.redeem("any-code", verifier="y" * 43)
    assert token.status_code == 401
    assert token.json()["error"] == "invalid_client"


def test_a_wrong_client_secret_is_refused(relying_party, person):
    code = relying_party.code_from(sign_in_and_consent(Client(), relying_party, "lina"))
    impostor = SampleRelyingParty(client_id=relying_party.client_id, client_secret="not-the-secret")
    impostor.pending = relying_party.pending
    response = impostor.redeem(code)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_deactivated_relying_party_can_no_longer_sign_anyone_in(relying_party, person, admin_actor):
    browser = Client()
    body = relying_party.redeem(relying_party.code_from(sign_in_and_consent(browser, relying_party, "lina"))).json()
    code = relying_party.code_from(browser.get(relying_party.authorization_url())["Location"])
    do_deactivate_relying_party(actor=admin_actor, client_id=relying_party.client_id, reason="停止接入")
    assert browser.get(relying_party.authorization_url()).status_code == 400
    assert relying_party.redeem(code).status_code == 401
    assert relying_party.userinfo(body["access_token"]).status_code == 401


def test_a_deactivated_account_cannot_sign_in(relying_party, person):
    Account.objects.filter(pk=person.pk).update(is_active=False)
    browser = Client()
    start = browser.get(relying_party.authorization_url())
    login = browser.post(start["Location"], {"username": "lina", "password": PASSWORD})
    assert login.status_code == 200  # the login form again (Django does not say the account exists)
    assert login.context["form"].errors
    assert "_auth_user_id" not in browser.session
    assert not Grant.objects.exists()


def test_an_account_deactivated_mid_flow_gets_no_token_and_no_userinfo(relying_party, person):
    browser = Client()
    body = relying_party.redeem(relying_party.code_from(sign_in_and_consent(browser, relying_party, "lina"))).json()
    code = relying_party.code_from(browser.get(relying_party.authorization_url())["Location"])
    Account.objects.filter(pk=person.pk).update(is_active=False)
    refused = relying_party.redeem(code)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert relying_party.userinfo(body["access_token"]).status_code == 401
    # the hub session is gone too: the next request asks for a login, which is refused
    again = browser.get(relying_party.authorization_url())
    assert again.status_code == 302
    assert again["Location"].startswith("/accounts/login/")


def test_logout_to_an_unregistered_uri_or_for_an_unknown_client_is_refused(relying_party, person):
    browser = Client()
    body = relying_party.redeem(relying_party.code_from(sign_in_and_consent(browser, relying_party, "lina"))).json()
    bad = browser.get(
        "/sso/logout/", {"id_token_hint": body["id_token"], "post_logout_redirect_uri": "https://evil.example.com/"}
    )
    assert bad.status_code == 400
    assert "Location" not in bad
    unknown = browser.get("/sso/logout/", {"client_id": "no-such-client"})
    assert unknown.status_code == 400
    # still signed in: nothing was ended
    assert relying_party.userinfo(body["access_token"]).status_code == 200
    assert "_auth_user_id" in browser.session


def test_the_token_endpoint_refuses_implicit_and_password_grants(relying_party, person):
    response = Client().post(
        "/sso/token/",
        {"grant_type": "password", "username": "lina", "password": PASSWORD, "client_id": relying_party.client_id},
    )
    assert response.status_code in {400, 401}
    assert not AccessToken.objects.exists()
    browser = _signed_in("lina")
    implicit = browser.get(relying_party.authorization_url(response_type="token"))
    assert implicit.status_code in {302, 400}
    if implicit.status_code == 302:
        assert "error=" in implicit["Location"]

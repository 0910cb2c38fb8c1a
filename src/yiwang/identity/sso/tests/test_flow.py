"""A sample sub-platform signs a person in through the hub: authorize → login → consent → code → token →
ID token verified against the JWKS → userinfo with entity claims → RP-initiated logout."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import AccessToken, Grant

from yiwang.platform.audit import queries as witness

from .conftest import AFTER_LOGOUT, PUJIANG, sign_in_and_consent

pytestmark = pytest.mark.django_db


def test_discovery_and_jwks_publish_the_provider(relying_party, settings):
    meta = relying_party.discovery()
    assert meta["issuer"] == f"{settings.YIWANG_PUBLIC_URL}/sso"
    for key, path in {
        "authorization_endpoint": "/sso/authorize/",
        "token_endpoint": "/sso/token/",
        "userinfo_endpoint": "/sso/userinfo/",
        "jwks_uri": "/sso/.well-known/jwks.json",
        "end_session_endpoint": "/sso/logout/",
    }.items():
        assert meta[key] == f"{settings.YIWANG_PUBLIC_URL}{path}"
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert meta["response_types_supported"] == ["code"]
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    assert {"openid", "profile", "entity", "roles"} <= set(meta["scopes_supported"])
    assert {"credit_code", "organisation_name", "roles"} <= set(meta["claims_supported"])
    keys = Client().get("/sso/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA"
    assert keys[0]["alg"] == "RS256"
    assert "d" not in keys[0]  # the public half only


def test_a_person_signs_in_to_a_sub_platform_through_the_hub(relying_party, person):
    browser = Client()
    location = sign_in_and_consent(browser, relying_party, "lina")
    code = relying_party.code_from(location)

    tokens = relying_party.redeem(code)
    assert tokens.status_code == 200, tokens.content
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    claims = relying_party.verify_id_token(body["id_token"])
    assert claims["sub"] == str(person.pk)
    assert claims["name"] == "李娜"
    assert claims["preferred_username"] == "lina"
    assert claims["credit_code"] == PUJIANG
    assert claims["organisation_name"] == "上海浦江数智建设工程有限公司"
    assert claims["roles"] == ["market_entity_user"]
    assert claims["role_grants"][0]["admin"] is True

    info = relying_party.userinfo(body["access_token"])
    assert info.status_code == 200, info.content
    userinfo = info.json()
    assert userinfo["sub"] == str(person.pk)
    assert userinfo["credit_code"] == PUJIANG
    assert userinfo["organisations"] == [
        {"type": "market_entity", "credit_code": PUJIANG, "name": "上海浦江数智建设工程有限公司", "region": "310115"}
    ]

    # the code is good once only
    assert relying_party.redeem(code).json()["error"] == "invalid_grant"
    # tokens are stored hashed only (RFC 9700 token storage)
    assert not AccessToken.objects.filter(token=body["access_token"]).exists()
    # the consent is witnessed, without any token value
    entries = [e for e in witness.entries(limit=1000) if e.action == "sso.authorize"]
    assert len(entries) == 1
    assert entries[0].actor_ref == f"account:{person.pk}"
    assert body["access_token"] not in entries[0].payload_text

    # RP-initiated logout: back to the registered URI with the state, hub session ended, tokens revoked
    bye = browser.get(
        "/sso/logout/",
        {"id_token_hint": body["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT, "state": "s-42"},
    )
    assert bye.status_code == 302, bye.content.decode()[:2000]
    assert bye["Location"] == f"{AFTER_LOGOUT}?state=s-42"
    assert relying_party.userinfo(body["access_token"]).status_code == 401
    assert "_auth_user_id" not in browser.session
    assert any(e.action == "sso.end_session" for e in witness.entries(limit=1000))


def test_scopes_limit_the_claims(relying_party, person):
    location = sign_in_and_consent(Client(), relying_party, "lina", scope="openid")
    body = relying_party.redeem(relying_party.code_from(location)).json()
    claims = relying_party.verify_id_token(body["id_token"])
    assert claims["sub"] == str(person.pk)
    assert not {"name", "credit_code", "roles", "organisations"} & set(claims)
    info = relying_party.userinfo(body["access_token"]).json()
    assert set(info) == {"sub"}


def test_an_officer_gets_the_organisation_as_entity(relying_party, officer):
    location = sign_in_and_consent(Client(), relying_party, "wangqiang")
    body = relying_party.redeem(relying_party.code_from(location)).json()
    info = relying_party.userinfo(body["access_token"]).json()
    assert info["organisation_name"] == "江苏分平台运营中心"
    assert info["credit_code"] == "12320000466004788R"
    assert info["roles"] == ["staff"]
    assert info["role_grants"][0]["region"] == "320000"


def test_consent_is_remembered_while_a_token_lives(relying_party, person):
    browser = Client()
    relying_party.redeem(relying_party.code_from(sign_in_and_consent(browser, relying_party, "lina")))
    again = browser.get(relying_party.authorization_url())
    assert again.status_code == 302
    assert relying_party.code_from(again["Location"])


def test_a_refusal_returns_access_denied_and_issues_nothing(relying_party, person):
    browser = Client()
    start = browser.get(relying_party.authorization_url())
    login = browser.post(start["Location"], {"username": "lina", "password": "Yiwang-sso-2026"})
    form = browser.get(login["Location"]).context["form"]
    refused = browser.post("/sso/authorize/", {k: v for k, v in form.initial.items() if v is not None})
    assert refused.status_code == 302
    query = parse_qs(urlsplit(refused["Location"]).query)
    assert query["error"] == ["access_denied"]
    assert not Grant.objects.exists()
    assert not [e for e in witness.entries(limit=1000) if e.action == "sso.authorize"]


def test_the_consent_page_is_in_chinese(relying_party, person):
    browser = Client()
    start = browser.get(relying_party.authorization_url())
    login = browser.post(start["Location"], {"username": "lina", "password": "Yiwang-sso-2026"})
    page = browser.get(login["Location"]).content.decode()
    assert "授权" in page
    assert "江苏分平台" in page
    assert "同意并登录" in page
    assert "统一社会信用代码" in page

"""Fixtures of the single sign-on tests: a platform administrator, a company's person, and a sample relying
party (a sub-platform) that signs people in through the hub the way any OpenID Connect client would."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from jwcrypto import jwk, jwt

from yiwang.identity.actions import do_create_account, do_create_organisation, do_grant_role
from yiwang.identity.auth import actor_for_account
from yiwang.identity.sso.actions import do_register_relying_party
from yiwang.kernel.actors import Actor, Role
from yiwang.registry.actions import do_register_entity

PASSWORD = "Yiwang-sso-2026"
PUJIANG = "91310115MA1FL2X37F"  # 上海浦江数智建设工程有限公司 (demo authoritative register)
CALLBACK = "https://jiangsu-sub.example.cn/oidc/callback"
AFTER_LOGOUT = "https://jiangsu-sub.example.cn/bye"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode("ascii")).digest())


@pytest.fixture
def admin(db, clock, system):
    account = do_create_account(
        actor=Actor.anonymous(), username="hub-admin", display_name="平台管理员", password=PASSWORD
    )
    do_grant_role(actor=system, role=Role.STAFF, account=account, region="310000", admin=True)
    return account


@pytest.fixture
def admin_actor(admin):
    return actor_for_account(admin)


@pytest.fixture
def person(db, clock):
    """李娜, administrator of 上海浦江数智建设工程有限公司 (she registered it)."""
    account = do_create_account(
        actor=Actor.anonymous(), username="lina", display_name="李娜", password=PASSWORD, email="lina@example.cn"
    )
    do_register_entity(
        actor=actor_for_account(account),
        data={
            "kind": "legal_person",
            "uscc": PUJIANG,
            "contact_name": "李娜",
            "contact_phone": "13812345678",
            "contact_email": "lina@example.cn",
            "roles": ["bidder"],
        },
    )
    return account


@pytest.fixture
def officer(db, clock, system):
    """A 分平台 operator's staff member (an organisation, not a market entity)."""
    org = do_create_organisation(
        actor=system,
        kind="subplatform_operator",
        name="江苏分平台运营中心",
        region_code="320000",
        uscc="12320000466004788R",
    )
    account = do_create_account(actor=Actor.anonymous(), username="wangqiang", display_name="王强", password=PASSWORD)
    do_grant_role(actor=system, role=Role.STAFF, account=account, organisation=org, region="320000")
    return account


@dataclass
class SampleRelyingParty:
    """A sub-platform's OpenID Connect client, written from the specifications (not from the hub's code)."""

    client_id: str
    client_secret: str | None
    redirect_uri: str = CALLBACK
    backchannel: Client = field(default_factory=Client)
    pending: dict = field(default_factory=dict)

    # -- discovery ---------------------------------------------------------------------------------------------
    def discovery(self) -> dict:
        response = self.backchannel.get("/sso/.well-known/openid-configuration")
        assert response.status_code == 200, response.content
        return response.json()

    @staticmethod
    def local(url: str) -> str:
        """The path of a hub URL (the test client talks to the hub in-process)."""
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    # -- the front channel ---------------------------------------------------------------------------------------
    def authorization_url(self, scope: str = "openid profile entity roles", **overrides) -> str:
        verifier = b64url(secrets.token_bytes(32))
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.pending = {"state": state, "nonce": nonce, "verifier": verifier}
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": state,
            "nonce": nonce,
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        params = {k: v for k, v in params.items() if v is not None}
        return self.local(self.discovery()["authorization_endpoint"]) + "?" + urlencode(params)

    def code_from(self, location: str) -> str:
        assert location.startswith(self.redirect_uri + "?"), location
        query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
        assert "error" not in query, query
        assert query["state"] == self.pending["state"]
        assert query["iss"] == self.discovery()["issuer"]  # RFC 9207 mix-up defence
        return query["code"]

    # -- the back channel -------------------------------------------------------------------------------------------
    def redeem(self, code: str, *, verifier: str | None = "same", redirect_uri: str | None = None):
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri or self.redirect_uri,
        }
        if verifier == "same":
            data["code_verifier"] = self.pending["verifier"]
        elif verifier is not None:
            data["code_verifier"] = verifier
        headers = {}
        if self.client_secret:
            basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        else:
            data["client_id"] = self.client_id
        token_path = self.local(self.discovery()["token_endpoint"])
        return self.backchannel.post(token_path, urlencode(data), "application/x-www-form-urlencoded", headers=headers)

    def verify_id_token(self, id_token: str) -> dict:
        meta = self.discovery()
        keys = self.backchannel.get(self.local(meta["jwks_uri"]))
        assert keys.status_code == 200
        keyset = jwk.JWKSet.from_json(keys.content.decode())
        token = jwt.JWT(
            jwt=id_token,
            key=keyset,
            algs=["RS256"],
            check_claims={"iss": meta["issuer"], "aud": self.client_id, "exp": None, "nonce": self.pending["nonce"]},
        )
        return json.loads(token.claims)

    def userinfo(self, access_token: str):
        path = self.local(self.discovery()["userinfo_endpoint"])
        return self.backchannel.get(path, headers={"Authorization": f"Bearer {access_token}"})


@pytest.fixture
def relying_party(admin_actor) -> SampleRelyingParty:
    party, secret = do_register_relying_party(
        actor=admin_actor,
        name="江苏分平台",
        redirect_uris=[CALLBACK],
        post_logout_redirect_uris=[AFTER_LOGOUT],
        confidential=True,
    )
    return SampleRelyingParty(client_id=party.application.client_id, client_secret=secret)


def sign_in_and_consent(browser: Client, rp: SampleRelyingParty, username: str, **overrides) -> str:
    """The person's side: follow the authorization request, sign in on the hub, agree; the final redirect."""
    start = browser.get(rp.authorization_url(**overrides))
    assert start.status_code == 302, start
    assert start["Location"].startswith("/accounts/login/"), start["Location"]
    login = browser.post(start["Location"], {"username": username, "password": PASSWORD})
    assert login.status_code == 302, login.content.decode()[:2000]
    consent = browser.get(login["Location"])
    assert consent.status_code == 200, consent.content.decode()[:3000]
    form = consent.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["allow"] = "Authorize"
    answer = browser.post("/sso/authorize/", data)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    return answer["Location"]

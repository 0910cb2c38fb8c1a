"""API credentials: personal tokens and OAuth2 client credentials, stored hashed, refused when dead."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest

from yiwang.identity.actions import do_grant_role, do_register_client
from yiwang.identity.models import ApiClient, ClientToken, PersonalToken
from yiwang.kernel.actors import Role
from yiwang.platform.audit import queries as witness

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, make_account):
    account = make_account("tokenuser", "令牌用户")
    client.force_login(account)
    return account


def test_personal_token_lifecycle(api, signed_in, clock, client):
    created = api.post("/auth/me/tokens", {"name": "ERP 对接", "expires_in_days": 30})
    assert created.status_code == 201, created.content
    token = created.json()["token"]
    assert token.startswith("ywp_")
    stored = PersonalToken.objects.get()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.prefix
    assert len(stored.prefix) == 10
    # the value never reaches the witness log
    assert not any(token[10:] in e.payload_text for e in witness.entries(limit=1000))

    client.logout()
    bearer = api.with_token(token)
    me = bearer.get("/auth/me")
    assert me.status_code == 200
    assert me.json()["ref"] == f"account:{signed_in.pk}"
    assert PersonalToken.objects.get().last_used_at is not None

    clock.advance(timedelta(days=31))
    expired = bearer.get("/auth/me")
    assert expired.status_code == 401
    assert expired.json()["code"] == "auth.invalid_token"


def test_revoked_and_unknown_tokens_are_refused(api, signed_in, client):
    token = api.post("/auth/me/tokens", {"name": "x"}).json()["token"]
    token_id = PersonalToken.objects.get().pk
    assert api.delete(f"/auth/me/tokens/{token_id}").status_code == 200
    client.logout()
    assert api.with_token(token).get("/auth/me").json()["code"] == "auth.invalid_token"
    assert api.with_token("ywp_nonsense").get("/auth/me").status_code == 401
    bad_scheme = api.get("/auth/me", headers={"Authorization": "Basic abc"})
    assert (bad_scheme.status_code, bad_scheme.json()["code"]) == (401, "auth.bad_scheme")


def test_anonymous_callers_get_401_json(api):
    response = api.get("/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.required"
    assert set(response.json()) == {"code", "message_zh", "message_en", "details"}


@pytest.fixture
def machine(staff_admin_actor):
    client_row, secret = do_register_client(actor=staff_admin_actor, client_id="sp-minhang", name="闵行分平台")
    do_grant_role(actor=staff_admin_actor, role=Role.SUBPLATFORM_CLIENT, client=client_row, region="310112")
    return client_row, secret


def test_client_credentials_grant(client, api, machine, clock):
    _client_row, secret = machine
    assert ApiClient.objects.get().secret_hash.startswith("argon2")
    basic = base64.b64encode(f"sp-minhang:{secret}".encode()).decode()
    response = client.post(
        "/api/v1/auth/oauth/token", {"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert response["Cache-Control"] == "no-store"
    assert ClientToken.objects.get().token_hash == hashlib.sha256(body["access_token"].encode()).hexdigest()
    me = api.with_token(body["access_token"]).get("/auth/me").json()
    assert me["ref"] == "client:sp-minhang"
    assert me["grants"][0]["role"] == "subplatform_client"
    clock.advance(timedelta(hours=1, seconds=1))
    assert api.with_token(body["access_token"]).get("/auth/me").status_code == 401


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, 400, "invalid_request"),
        (
            {"grant_type": "client_credentials", "client_id": "sp-minhang", "client_secret": "wrong"},
            401,
            "invalid_client",
        ),
        ({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}, 401, "invalid_client"),
    ],
)
def test_token_endpoint_errors_follow_rfc6749(client, machine, form, status, error):
    response = client.post("/api/v1/auth/oauth/token", form)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_profile_api_requires_if_match(api, signed_in):
    got = api.get("/auth/me")
    assert got["ETag"] == '"1"'
    missing = api.patch("/auth/me", {"mobile": "13800000000"})
    assert (missing.status_code, missing.json()["code"]) == (428, "precondition.if_match_required")
    ok = api.patch("/auth/me", {"mobile": "13800000000"}, headers={"If-Match": '"1"'})
    assert ok.status_code == 200
    assert ok["ETag"] == '"2"'
    assert ok.json()["mobile"] == "13800000000"
    stale = api.patch("/auth/me", {"display_name": "新名字"}, headers={"If-Match": '"1"'})
    assert (stale.status_code, stale.json()["code"]) == (412, "precondition.failed")
    bad = api.patch("/auth/me", {"mobile": "123"}, headers={"If-Match": '"2"'})
    assert (bad.status_code, bad.json()["code"]) == (422, "identity.invalid_mobile")
    assert PASSWORD  # the account keeps its password through profile changes

"""Registering relying parties (接入系统): platform administrators only, secrets shown once and stored hashed,
bad input refused with a specific code and nothing left behind."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from oauth2_provider.models import Application

from yiwang.identity.actions import do_create_account, do_grant_role
from yiwang.identity.auth import actor_for_account
from yiwang.identity.sso.actions import do_register_relying_party
from yiwang.identity.sso.models import RelyingParty
from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.errors import InvalidInput, PermissionDenied
from yiwang.platform.audit import queries as witness
from yiwang.platform.outbox import feed

from .conftest import CALLBACK, PASSWORD

pytestmark = pytest.mark.django_db

GOOD = {"name": "浙江分平台", "client_type": "confidential", "redirect_uris": [CALLBACK]}


def _counts() -> tuple[int, int, int, int]:
    return (
        Application.objects.count(),
        RelyingParty.objects.count(),
        witness.head_seq(),
        feed.last_seq(),
    )


def test_an_administrator_registers_a_confidential_client(api, client, admin):
    client.force_login(admin)
    response = api.post("/sso/relying-parties", GOOD)
    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["client_secret"]
    assert secret
    assert len(secret) >= 40
    assert response["Location"] == f"/api/v1/sso/relying-parties/{body['client_id']}"
    stored = Application.objects.get(client_id=body["client_id"])
    assert stored.client_secret != secret
    assert check_password(secret, stored.client_secret)
    assert stored.algorithm == "RS256"
    assert stored.authorization_grant_type == "authorization-code"
    # the secret appears in that response only: never in reads, the witness log or the feed
    again = api.get(f"/sso/relying-parties/{body['client_id']}").json()
    assert "client_secret" not in again
    assert again["redirect_uris"] == [CALLBACK]
    assert again["active"] is True
    assert not any(secret in e.payload_text for e in witness.entries(limit=1000))
    listed = api.get("/sso/relying-parties").json()
    assert [p["name"] for p in listed] == ["浙江分平台"]


def test_a_public_client_has_no_secret(api, client, admin):
    client.force_login(admin)
    body = api.post("/sso/relying-parties", {**GOOD, "client_type": "public"}).json()
    assert body["client_secret"] is None
    assert body["client_type"] == "public"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"redirect_uris": ["http://plain.example.cn/cb"]}, "sso.invalid_redirect_uri"),
        ({"redirect_uris": ["https://a.example.cn/cb#frag"]}, "sso.invalid_redirect_uri"),
        ({"redirect_uris": ["https://*.example.cn/cb"]}, "sso.invalid_redirect_uri"),
        ({"redirect_uris": ["/relative/cb"]}, "sso.invalid_redirect_uri"),
        ({"redirect_uris": []}, "sso.redirect_uri_required"),
        ({"post_logout_redirect_uris": ["javascript:alert(1)"]}, "sso.invalid_redirect_uri"),
        ({"name": "   "}, "sso.invalid_name"),
    ],
)
def test_bad_registrations_are_refused_and_leave_nothing(api, client, admin, change, code):
    client.force_login(admin)
    before = _counts()
    response = api.post("/sso/relying-parties", {**GOOD, **change})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == code
    assert _counts() == before


def test_a_duplicate_name_is_a_conflict(api, client, admin):
    client.force_login(admin)
    assert api.post("/sso/relying-parties", GOOD).status_code == 201
    before = _counts()
    response = api.post("/sso/relying-parties", GOOD)
    assert response.status_code == 409
    assert response.json()["code"] == "sso.duplicate_name"
    assert _counts() == before


def test_only_platform_administrators_manage_relying_parties(api, client, db, clock, system):
    district = do_create_account(actor=Actor.anonymous(), username="minhang", display_name="闵行", password=PASSWORD)
    do_grant_role(actor=system, role=Role.STAFF, account=district, region="310112", admin=True)
    client.force_login(district)
    before = _counts()
    refused = api.post("/sso/relying-parties", GOOD)
    assert refused.status_code == 403
    assert refused.json()["code"] == "sso.forbidden"
    assert api.get("/sso/relying-parties").status_code == 403
    assert _counts() == before
    with pytest.raises(PermissionDenied):
        do_register_relying_party(actor=actor_for_account(district), name="x", redirect_uris=[CALLBACK])
    client.logout()
    assert api.post("/sso/relying-parties", GOOD).status_code == 401


def test_deactivation_needs_if_match_and_happens_once(api, client, admin):
    client.force_login(admin)
    client_id = api.post("/sso/relying-parties", GOOD).json()["client_id"]
    path = f"/sso/relying-parties/{client_id}/deactivate"
    assert api.post(path, {"reason": "停止接入"}).status_code == 428
    assert api.post(path, {}, headers={"If-Match": '"9"'}).status_code == 412
    done = api.post(path, {"reason": "停止接入"}, headers={"If-Match": '"1"'})
    assert done.status_code == 200
    assert done.json()["active"] is False
    twice = api.post(path, {}, headers={"If-Match": "*"})
    assert twice.status_code == 409
    assert twice.json()["code"] == "sso.already_deactivated"
    assert api.post("/sso/relying-parties/nope/deactivate", {}, headers={"If-Match": "*"}).status_code == 404


def test_the_page_registers_and_shows_the_secret_once(client, admin):
    client.force_login(admin)
    page = client.get("/sso/")
    assert page.status_code == 200
    assert "登记接入系统" in page.content.decode()
    created = client.post(
        "/sso/",
        {
            "name": "安徽分平台",
            "client_type": "confidential",
            "redirect_uris": CALLBACK,
            "post_logout_redirect_uris": "",
        },
    )
    assert created.status_code == 200
    html = created.content.decode()
    assert 'data-testid="client-secret"' in html
    assert "安徽分平台" in html
    assert 'data-testid="client-secret"' not in client.get("/sso/").content.decode()
    bad = client.post("/sso/", {"name": "坏", "client_type": "public", "redirect_uris": "http://x.example.cn/cb"})
    assert "sso.invalid_redirect_uri" in bad.content.decode()


def test_the_page_is_refused_to_others(client, db, clock):
    person = do_create_account(actor=Actor.anonymous(), username="someone", display_name="某人", password=PASSWORD)
    client.force_login(person)
    assert client.get("/sso/").status_code == 403
    client.logout()
    assert client.get("/sso/").status_code == 302


def test_invalid_input_codes_are_stable():
    from yiwang.identity.sso.domain.uris import clean_uris

    with pytest.raises(InvalidInput) as caught:
        clean_uris(["https://ok.example.cn/a", "ftp://x"], field="redirect_uris", required=True)
    assert caught.value.code == "sso.invalid_redirect_uri"
    assert clean_uris([" https://ok.example.cn/a ", "https://ok.example.cn/a"], field="f", required=True) == [
        "https://ok.example.cn/a"
    ]


def test_the_admin_site_only_reads_and_never_shows_secrets(client, admin, relying_party):
    from yiwang.identity.actions import do_make_operator

    do_make_operator(actor=Actor.system("test"), account=admin)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    client.force_login(admin)
    application = Application.objects.get(client_id=relying_party.client_id)
    listing = client.get("/admin/oauth2_provider/application/")
    assert listing.status_code == 200
    assert "江苏分平台" in listing.content.decode()
    detail = client.get(f"/admin/oauth2_provider/application/{application.pk}/change/")
    assert detail.status_code == 200
    assert application.client_secret not in detail.content.decode()
    assert client.get("/admin/oauth2_provider/application/add/").status_code == 403
    assert (
        client.post(f"/admin/oauth2_provider/application/{application.pk}/delete/", {"post": "yes"}).status_code == 403
    )

"""Who may push: the registered sub-platform's client, with a signature by its registered certificate over the
body, a fresh timestamp and a nonce used once. Every refusal is specific and leaves nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.exchange.subplatform import actions
from yiwang.exchange.subplatform.tests.support import GP, WORKS, counts, project, register
from yiwang.identity import actions as identity
from yiwang.kernel.actors import Role
from yiwang.kernel.canonical import iso_utc

pytestmark = pytest.mark.django_db


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def test_a_tampered_body_is_refused(hub):
    before = counts()
    record = project()
    headers = hub.works.signed_headers(record)
    tampered = {**record, "PROJECT_NAME": "篡改后的名称"}
    response = hub.works.api.with_token(hub.works.token).post("/exchange/records/PROJECT", tampered, headers=headers)
    _refused(response, 401, "ca.signature_invalid")
    assert counts() == before


def test_an_unsigned_request_is_refused(hub):
    before = counts()
    response = hub.works.api.with_token(hub.works.token).post("/exchange/records/PROJECT", project())
    _refused(response, 401, "exchange.unsigned")
    headers = hub.works.signed_headers(project())
    del headers["X-Yiwang-Signature"]
    response = hub.works.api.with_token(hub.works.token).post("/exchange/records/PROJECT", project(), headers=headers)
    _refused(response, 401, "exchange.unsigned")
    assert counts() == before


def test_a_signature_that_is_not_base64_is_refused(hub):
    headers = {**hub.works.signed_headers(project()), "X-Yiwang-Signature": "***"}
    response = hub.works.api.with_token(hub.works.token).post("/exchange/records/PROJECT", project(), headers=headers)
    _refused(response, 401, "exchange.signature_malformed")


def test_a_certificate_not_registered_for_the_platform_is_refused(hub):
    """Even a valid certificate of the same operator from a trusted CA: only the registered ones sign."""
    before = counts()
    other = hub.pki.issue(entity=WORKS)
    response = hub.works.push("PROJECT", project(), cert=other)
    _refused(response, 401, "exchange.certificate_not_registered")
    assert counts() == before


def test_a_replayed_request_is_refused(hub):
    first = hub.works.push("PROJECT", project(), nonce="nonce-0000000000000001")
    assert first.status_code == 200
    before = counts()
    again = hub.works.push("PROJECT", project(), nonce="nonce-0000000000000001")
    _refused(again, 409, "ca.replayed")
    assert counts() == before


def test_a_timestamp_outside_the_window_is_refused(hub, clock):
    before = counts()
    old = iso_utc(clock.now() - timedelta(minutes=6))
    _refused(hub.works.push("PROJECT", project(), timestamp=old), 401, "ca.timestamp_out_of_window")
    ahead = iso_utc(clock.now() + timedelta(minutes=6))
    _refused(hub.works.push("PROJECT", project(), timestamp=ahead), 401, "ca.timestamp_out_of_window")
    assert counts() == before


def test_a_revoked_certificate_is_refused(hub, clock):
    from yiwang.identity.ca import actions as ca

    ca.do_import_crl(
        actor=hub.staff_actor, crl=hub.pki.crl("sub", revoked=[hub.works.cert.cert], this_update=clock.now())
    )
    before = counts()
    _refused(hub.works.push("PROJECT", project()), 401, "ca.revoked")
    assert counts() == before


def test_an_unknown_platform_is_refused(hub, api):
    """A machine client that is not a registered sub-platform, an anonymous caller, a person's session."""
    _client, secret = identity.do_register_client(actor=hub.system, client_id="stranger", name="某外部系统")
    token, _ = identity.do_issue_client_token(client_id="stranger", client_secret=secret)
    before = counts()
    response = api.with_token(token).post(
        "/exchange/records/PROJECT", project(), headers=hub.works.signed_headers(project())
    )
    _refused(response, 403, "exchange.unknown_subplatform")
    response = api.post("/exchange/records/PROJECT", project(), headers=hub.works.signed_headers(project()))
    assert response.status_code == 401
    assert counts() == before


def test_a_suspended_platform_is_refused(hub):
    actions.do_set_subplatform_active(actor=hub.staff_actor, platform_code=WORKS, active=False)
    before = counts()
    _refused(hub.works.push("PROJECT", project()), 403, "exchange.unknown_subplatform")
    assert counts() == before


def test_a_platform_cannot_push_or_change_another_platforms_records(hub, api, clock):
    hub.works.push("PROJECT", project())
    _gp, gp_client = register(hub.staff_actor, api, clock, hub.pki, code=GP, client_id="sp-gp")
    # its own PLATFORM_CODE but another platform's key
    response = gp_client.push("PROJECT", project(PLATFORM_CODE=GP, DATA_TYPE="2", DATA_TIMESTAMP="20260302085930"))
    assert response.status_code == 422
    assert response.json()["details"]["errors"][0]["code"] == "exchange.key_taken"
    # the works platform's certificate under the gp client's token
    response = gp_client.push("PROJECT", project(PLATFORM_CODE=GP), cert=hub.works.cert)
    _refused(response, 401, "exchange.certificate_not_registered")


def test_registering_a_subplatform(hub, api, clock):
    outsider = hub.account("outsider")
    before = counts()
    cert = hub.pki.issue(entity=GP)
    response = api.client.post(
        "/api/v1/exchange/subplatforms",
        {"platform_code": GP, "client_id": "sp-gp", "region_code": "310000", "certificate": cert.pem},
        content_type="application/json",
    )
    assert response.status_code == 401  # anonymous
    api.client.force_login(outsider)
    body = {"platform_code": GP, "client_id": "sp-gp", "region_code": "310000", "certificate": cert.pem}
    response = api.client.post("/api/v1/exchange/subplatforms", body, content_type="application/json")
    assert response.status_code == 403
    assert counts() == before

    api.client.force_login(hub.staff)
    for wrong, code, status in [
        ({"platform_code": "91310115MA1FL2X37F"}, "exchange.not_in_catalog", 422),  # a company, not a platform
        ({"platform_code": "12310000900000014L"}, "exchange.not_in_catalog", 422),  # the hub itself
        ({"platform_code": WORKS, "client_id": "sp-works-2"}, "exchange.subplatform_exists", 409),
        ({"certificate": hub.works.cert.pem}, "exchange.certificate_taken", 409),
        ({"certificate": "not a certificate"}, "exchange.certificate_malformed", 422),
        ({"client_id": "sp-works"}, "identity.client_id_taken", 409),
    ]:
        response = api.client.post("/api/v1/exchange/subplatforms", {**body, **wrong}, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (status, code), wrong
    assert counts() == before

    response = api.client.post("/api/v1/exchange/subplatforms", body, content_type="application/json")
    assert response.status_code == 201
    created = response.json()
    assert created["catalog_key"] == "sh.gp"
    assert created["client_secret"]
    assert counts()["platforms"] == before["platforms"] + 1
    token, _ = identity.do_issue_client_token(client_id="sp-gp", client_secret=created["client_secret"])
    listed = api.get("/exchange/subplatforms").json()
    assert {p["platform_code"] for p in listed} == {WORKS, GP}
    # a sub-platform's client reads the restricted feed like other privileged consumers
    assert api.with_token(token).get("/feed").status_code == 200


def test_certificates_are_added_and_removed_at_once(hub, api):
    renewed = hub.pki.issue(entity=WORKS)
    api.client.force_login(hub.staff)
    base = f"/api/v1/exchange/subplatforms/{WORKS}/certificates"
    response = api.client.post(base, {"certificate": renewed.pem}, content_type="application/json")
    assert response.status_code == 201
    assert len(response.json()["certificates"]) == 2
    assert hub.works.push("PROJECT", project(), cert=renewed).status_code == 200

    old = hub.works.cert.cert.fingerprint_sha256
    assert api.client.post(f"{base}/{old}/remove").status_code == 200
    regulator = hub.account("regulator-x", Role.REGULATOR)
    before = counts()
    _refused(hub.works.push("PROJECT", project()), 401, "exchange.certificate_not_registered")
    assert counts() == before
    # the last certificate stays; unknown ones are 404; others may not manage it
    response = api.client.post(f"{base}/{renewed.cert.fingerprint_sha256}/remove")
    assert (response.status_code, response.json()["code"]) == (409, "exchange.last_certificate")
    assert api.client.post(f"{base}/{'0' * 64}/remove").status_code == 404
    api.client.force_login(regulator)
    response = api.client.post(base, {"certificate": hub.pki.issue(entity=WORKS).pem}, content_type="application/json")
    assert response.status_code == 403
    assert counts() == before


def test_a_sub_platform_reads_its_refusals(hub, api):
    hub.works.push("PROJECT", project(REGION_CODE="999999"))
    refusals = api.with_token(hub.works.token).get("/exchange/refusals").json()
    assert [(r["dataset"], r["key"], r["errors"][0]["field"]) for r in refusals] == [
        ("PROJECT", "2026-310112-48-01", "REGION_CODE")
    ]
    assert api.get("/exchange/refusals").status_code == 401


def test_an_idempotency_key_replays_the_first_answer(hub):
    record = project()
    headers = {**hub.works.signed_headers(record), "Idempotency-Key": "push-0001"}
    client = hub.works.api.with_token(hub.works.token)
    first = client.post("/exchange/records/PROJECT", record, headers=headers)
    assert first.status_code == 200
    before = counts()
    again = client.post("/exchange/records/PROJECT", record, headers=headers)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert counts() == before

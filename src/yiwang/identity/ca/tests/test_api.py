"""The CA API: public trust list, staff registration/status/CRL import, bindings, verification, challenges."""

from __future__ import annotations

import base64

import pytest
from asn1crypto import pem
from django.test import Client

from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.identity.ca import actions
from yiwang.identity.ca.domain import challenge as challenge_format
from yiwang.identity.ca.tests.support import MINHANG, PUJIANG, T0, counts


def token_of(account) -> str:
    _row, plaintext = identity.do_issue_personal_token(actor=actor_for_account(account), account=account, name="test")
    return plaintext


@pytest.fixture
def staff_api(api, people):
    return api.with_token(token_of(people.staff))


@pytest.fixture
def admin_a_api(api, people):
    return api.with_token(token_of(people.admin_a))


def test_the_trust_list_is_public(api, trusted, pki):
    root, sub = trusted
    response = api.get("/ca/authorities")
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body] == [root.pk, sub.pk]
    assert body[1]["parent_id"] == root.pk
    assert body[1]["crl_number"]
    assert body[0]["algorithm"] == "sm2"
    assert body[0]["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")
    one = api.get(f"/ca/authorities/{root.pk}")
    assert one.status_code == 200
    assert one["ETag"] == '"1"'
    assert api.get("/ca/authorities/9999").status_code == 404
    crls = api.get(f"/ca/authorities/{sub.pk}/crls").json()
    assert len(crls) == 1
    assert crls[0]["revoked_count"] == 0


def test_staff_register_and_suspend_over_the_api(staff_api, admin_a_api, pki):
    pem_root = pem.armor("CERTIFICATE", pki.root.cert.der).decode()
    before = counts()
    refused = admin_a_api.post("/ca/authorities", {"certificate": pem_root, "mapping": "demo"})
    assert (refused.status_code, refused.json()["code"]) == (403, "ca.forbidden")
    bad = staff_api.post("/ca/authorities", {"certificate": "not base64!"})
    assert (bad.status_code, bad.json()["code"]) == (422, "ca.malformed")
    assert counts() == before
    created = staff_api.post(
        "/ca/authorities",
        {"certificate": pem_root, "mapping": "demo", "name": "测试根"},
        headers={"Idempotency-Key": "reg-root-1"},
    )
    assert created.status_code == 201, created.json()
    ca_id = created.json()["id"]
    assert created["Location"].endswith(f"/ca/authorities/{ca_id}")
    replay = staff_api.post(
        "/ca/authorities",
        {"certificate": pem_root, "mapping": "demo", "name": "测试根"},
        headers={"Idempotency-Key": "reg-root-1"},
    )
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    again = staff_api.post("/ca/authorities", {"certificate": base64.b64encode(pki.root.cert.der).decode()})
    assert (again.status_code, again.json()["code"]) == (409, "ca.duplicate")
    no_if_match = staff_api.put(f"/ca/authorities/{ca_id}/status", {"status": "suspended", "reason": "审查"})
    assert no_if_match.status_code == 428
    suspended = staff_api.put(
        f"/ca/authorities/{ca_id}/status", {"status": "suspended", "reason": "审查"}, headers={"If-Match": '"1"'}
    )
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    assert suspended["ETag"] == '"2"'
    stale = staff_api.put(f"/ca/authorities/{ca_id}/status", {"status": "active"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412


def test_crl_import_json_and_upload(staff_api, trusted, pki, bound_a, api):
    cert_a, _ = bound_a
    crl_pem = pem.armor("X509 CRL", pki.crl("sub", [cert_a.cert], this_update=T0)).decode()
    response = staff_api.post("/ca/crls", {"crl": crl_pem})
    assert response.status_code == 201
    assert response.json()["revoked_count"] == 1
    verify = api.post(
        "/ca/verify",
        {
            "payload_text": "hello",
            "signature": base64.b64encode(cert_a.sign(b"hello")).decode(),
            "certificate": cert_a.pem,
        },
    )
    assert verify.status_code == 200
    assert (verify.json()["ok"], verify.json()["reason"]) == (False, "ca.revoked")
    dup = staff_api.post("/ca/crls", {"crl": crl_pem})
    assert (dup.status_code, dup.json()["code"]) == (409, "ca.crl_duplicate")
    upload = Client().post(
        "/api/v1/ca/crls/upload",
        {"file": _file("sub.crl", pki.crl("sub", [], this_update=T0.replace(minute=5)))},
        headers={"Authorization": staff_api._headers(None)["Authorization"]},
    )
    assert upload.status_code == 201, upload.content
    assert upload.json()["revoked_count"] == 0
    bad = Client().post(
        "/api/v1/ca/crls/upload",
        {"file": _file("x.crl", b"junk")},
        headers={"Authorization": staff_api._headers(None)["Authorization"]},
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "ca.malformed")


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pkix-crl")


def test_bindings_over_the_api(admin_a_api, api, people, pki, trusted):
    cert_a = pki.issue(entity=PUJIANG)
    cert_b = pki.issue(entity=MINHANG)
    wrong = admin_a_api.post("/ca/bindings", {"certificate": cert_b.pem, "entity_id": people.entity_a})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "ca.wrong_entity")
    created = admin_a_api.post("/ca/bindings", {"certificate": cert_a.pem})
    assert created.status_code == 201
    body = created.json()
    assert (body["entity_id"], body["uscc"], body["valid_now"]) == (people.entity_a, PUJIANG, True)
    listed = admin_a_api.get("/ca/bindings", {"entity_id": people.entity_a}).json()
    assert [b["id"] for b in listed] == [body["id"]]
    assert api.get("/ca/bindings").status_code == 401
    outsider = api.with_token(token_of(people.outsider))
    assert outsider.get("/ca/bindings", {"entity_id": people.entity_a}).status_code == 403
    assert outsider.get(f"/ca/bindings/{body['id']}").status_code == 404
    gone = admin_a_api.delete(f"/ca/bindings/{body['id']}?reason=离职")
    assert gone.status_code == 200
    assert gone.json()["status"] == "unbound"
    assert admin_a_api.delete(f"/ca/bindings/{body['id']}").status_code == 409


def test_verify_over_the_api(api, people, bound_a):
    cert_a, _ = bound_a
    message = b"\x00binary payload\xff"
    signature = base64.b64encode(cert_a.sign(message)).decode()
    ok = api.post(
        "/ca/verify",
        {
            "payload_base64": base64.b64encode(message).decode(),
            "signature": signature,
            "certificate": cert_a.pem,
            "expected_entity_id": people.entity_a,
        },
    ).json()
    assert ok["ok"]
    assert ok["entity_id"] == people.entity_a
    assert ok["algorithm"] == "sm2-sm3"
    wrong = api.post(
        "/ca/verify",
        {
            "payload_base64": base64.b64encode(message).decode(),
            "signature": signature,
            "certificate": cert_a.pem,
            "expected_entity_id": people.entity_b,
        },
    ).json()
    assert (wrong["ok"], wrong["reason"]) == (False, "ca.wrong_entity")
    assert wrong["message_zh"].startswith("签名证书属于另一市场主体")
    tampered = api.post("/ca/verify", {"payload_text": "other", "signature": signature, "certificate": cert_a.pem})
    assert tampered.json()["reason"] == "ca.signature_invalid"
    missing = api.post("/ca/verify", {"signature": signature, "certificate": cert_a.pem})
    assert (missing.status_code, missing.json()["code"]) == (422, "ca.payload_missing")
    from yiwang.identity.ca.domain.signing import document_digest, document_signing_input

    algorithm, digest = document_digest(b"file", "sm2")
    doc_signature = base64.b64encode(cert_a.sign(document_signing_input(algorithm, digest))).decode()
    document = api.post(
        "/ca/verify",
        {
            "kind": "document",
            "document_digest": digest.hex(),
            "signature": doc_signature,
            "certificate": cert_a.pem,
        },
    ).json()
    assert document["ok"]
    assert document["digest"] == digest.hex()


def test_challenges_over_the_api(admin_a_api, api, people, bound_a):
    cert_a, _ = bound_a
    assert api.post("/ca/challenges", {}).status_code == 401
    created = admin_a_api.post("/ca/challenges", {"purpose": "sign_confirm", "text": "提交投标文件"})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "pending"
    assert body["text"].startswith("YWSIGN1.")
    assert not body["expired"]
    assert challenge_format.decode(body["text"]).text == "提交投标文件"
    assert api.with_token(token_of(people.admin_b)).get(f"/ca/challenges/{body['id']}").status_code == 404
    signature = base64.b64encode(cert_a.sign(body["text"].encode())).decode()
    answer = api.post(body["respond"].removeprefix("/api/v1"), {"signature": signature, "certificate": cert_a.pem})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "confirmed"
    assert answer.json()["serial"] == cert_a.cert.serial_hex
    assert admin_a_api.get(f"/ca/challenges/{body['id']}").json()["status"] == "confirmed"
    replay = api.post(body["respond"].removeprefix("/api/v1"), {"signature": signature, "certificate": cert_a.pem})
    assert (replay.status_code, replay.json()["code"]) == (409, "ca.challenge_used")
    started = admin_a_api.post("/ca/challenges", {"purpose": "nope"})
    assert started.status_code == 422
    assert actions.challenge_lifetime().total_seconds() == 180

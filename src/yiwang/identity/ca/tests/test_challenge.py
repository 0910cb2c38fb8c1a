"""The QR / mobile signing flow end to end: page → challenge (inline SVG QR) → ``yiwang sign`` → confirmed
session; expiry, replay, wrong account, and a session that stops counting once the certificate is revoked."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpRequest
from django.test import Client

from yiwang.identity.ca import actions, queries
from yiwang.identity.ca.domain import challenge as challenge_format
from yiwang.identity.ca.management.commands import sign as sign_command
from yiwang.identity.ca.models import SigningChallenge
from yiwang.identity.ca.tests.support import MINHANG, counts, witness_entries
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import PermissionDenied


@pytest.fixture
def signing_client(monkeypatch):
    """``yiwang sign`` talks to this test server (an anonymous client: the signature is the proof)."""
    calls = []

    def post(url: str, body: dict):
        calls.append(url)
        response = Client().post(urlsplit(url).path, data=json.dumps(body), content_type="application/json")
        return response.status_code, response.json()

    monkeypatch.setattr(sign_command, "post_json", post)
    return calls


@pytest.fixture
def key_files(tmp_path, bound_a):
    cert_a, _ = bound_a
    (tmp_path / "key.pem").write_bytes(cert_a.key.to_pem())
    (tmp_path / "cert.pem").write_text(cert_a.pem)
    return str(tmp_path / "key.pem"), str(tmp_path / "cert.pem")


def _browser(account) -> Client:
    browser = Client()
    browser.force_login(account)
    return browser


def _start(browser: Client) -> SigningChallenge:
    response = browser.post("/ca/confirm/", {"purpose": "login_confirm"})
    assert response.status_code == 302
    challenge_id = response["Location"].rstrip("/").split("/")[-1]
    return SigningChallenge.objects.get(pk=challenge_id)


def _sign(text: str, key_files, *extra: str) -> str:
    out = StringIO()
    key, cert = key_files
    call_command(
        "sign",
        "--challenge",
        text,
        "--key",
        key,
        "--cert",
        cert,
        "--url",
        "http://testserver",
        *extra,
        stdout=out,
        stderr=StringIO(),
    )
    return out.getvalue()


def _request_for(browser: Client, account) -> HttpRequest:
    request = HttpRequest()
    request.session = browser.session
    request.user = account
    return request


def test_the_whole_flow_confirms_the_browser_session(people, key_files, signing_client, tmp_path):
    browser = _browser(people.member_a)  # a member of entity A confirms with A's certificate
    row = _start(browser)
    page = browser.get(f"/ca/confirm/{row.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html
    assert 'class="segno"' in html
    assert row.text in html
    assert 'hx-trigger="every 2s"' in html
    assert "等待签名" in html
    parsed = challenge_format.decode(row.text)
    assert parsed.account == f"account:{people.member_a.pk}"
    assert parsed.purpose == "login_confirm"
    assert timedelta(minutes=2) <= parsed.expires_at - parsed.issued_at <= timedelta(minutes=5)

    # the challenge can be given as a file too
    (tmp_path / "challenge.txt").write_text(row.text + "\n")
    output = _sign(str(tmp_path / "challenge.txt"), key_files)
    assert "confirmed" in output
    assert signing_client == [f"http://testserver{parsed.respond}"]

    row.refresh_from_db()
    assert (row.status, row.serial, row.algorithm) == ("confirmed", bound_a_serial(people), "sm2-sm3")
    fragment = browser.get(f"/ca/confirm/{row.pk}/status/").content.decode()
    assert "已确认" in fragment
    assert "every 2s" not in fragment
    assert "证书已确认" in fragment
    confirmation = queries.session_confirmation(_request_for(browser, people.member_a))
    assert confirmation is not None
    assert (confirmation.entity_id, confirmation.serial) == (people.entity_a, row.serial)
    assert queries.session_confirmation(_request_for(browser, people.member_a), entity_id=people.entity_b) is None
    assert "本次会话已通过数字证书确认" in browser.get("/ca/confirm/").content.decode()
    payload = witness_entries("ca.confirm_challenge")[0].payload
    assert payload["serial"] == row.serial
    assert payload["algorithm"] == "sm2-sm3"
    assert payload["digest_algorithm"] == "sm3"


def bound_a_serial(people) -> str:
    return queries.list_bindings_for(people.actor(people.admin_a))[0].serial


def test_replay_is_refused(people, key_files, signing_client):
    browser = _browser(people.admin_a)
    row = _start(browser)
    _sign(row.text, key_files)
    before = counts()
    with pytest.raises(CommandError, match=r"ca\.challenge_used"):
        _sign(row.text, key_files)
    assert counts() == before


def test_an_expired_challenge_is_refused(people, key_files, signing_client, clock):
    browser = _browser(people.admin_a)
    row = _start(browser)
    clock.advance(timedelta(minutes=5, seconds=1))
    before = counts()
    with pytest.raises(CommandError, match=r"ca\.challenge_expired"):
        _sign(row.text, key_files)
    assert counts() == before
    assert "已过期" in browser.get(f"/ca/confirm/{row.pk}/status/").content.decode()
    assert queries.session_confirmation(_request_for(browser, people.admin_a)) is None


def test_a_certificate_of_another_account_or_entity_is_refused(people, pki, key_files, signing_client, tmp_path):
    # A's certificate cannot confirm B's administrator's session
    row = _start(_browser(people.admin_b))
    with pytest.raises(CommandError, match=r"ca\.wrong_account"):
        _sign(row.text, key_files)
    # an unbound certificate of B cannot either
    cert_b = pki.issue(entity=MINHANG)
    (tmp_path / "b.key").write_bytes(cert_b.key.to_pem())
    (tmp_path / "b.pem").write_text(cert_b.pem)
    with pytest.raises(CommandError, match=r"ca\.not_bound"):
        _sign(row.text, (str(tmp_path / "b.key"), str(tmp_path / "b.pem")))
    # a key that does not belong to the certificate is caught by the client itself
    with pytest.raises(CommandError, match="不匹配"):
        _sign(row.text, (str(tmp_path / "b.key"), key_files[1]))
    row.refresh_from_db()
    assert row.status == "pending"


def test_a_tampered_signature_is_refused_by_the_api(people, bound_a, api):
    cert_a, _ = bound_a
    row = actions.do_start_challenge(actor=people.actor(people.admin_a))
    import base64

    signature = bytearray(cert_a.sign(challenge_format.signing_bytes(row.text)))
    signature[-3] ^= 0x01
    response = api.post(
        f"/ca/challenges/{row.pk}/respond",
        {"signature": base64.b64encode(bytes(signature)).decode(), "certificate": cert_a.pem},
    )
    assert response.status_code == 422
    assert response.json()["code"] in ("ca.signature_invalid", "ca.malformed")
    other = actions.do_start_challenge(actor=people.actor(people.admin_a))
    good = base64.b64encode(cert_a.sign(challenge_format.signing_bytes(other.text))).decode()
    response = api.post(f"/ca/challenges/{row.pk}/respond", {"signature": good, "certificate": cert_a.pem})
    assert response.json()["code"] == "ca.signature_invalid"  # a signature over another challenge
    assert api.post("/ca/challenges/ffff/respond", {"signature": good, "certificate": cert_a.pem}).status_code == 404


def test_another_session_of_the_same_account_is_not_flagged(people, key_files, signing_client):
    first, second = _browser(people.admin_a), _browser(people.admin_a)
    row = _start(first)
    _sign(row.text, key_files)
    fragment = second.get(f"/ca/confirm/{row.pk}/status/").content.decode()
    assert "已确认" in fragment
    assert "证书已确认" not in fragment
    assert queries.session_confirmation(_request_for(second, people.admin_a)) is None
    assert _browser(people.admin_b).get(f"/ca/confirm/{row.pk}/").status_code == 404


def test_the_confirmation_lapses_when_the_certificate_is_revoked(
    people, pki, bound_a, key_files, signing_client, staff_actor, clock
):
    cert_a, _ = bound_a
    browser = _browser(people.admin_a)
    row = _start(browser)
    _sign(row.text, key_files)
    browser.get(f"/ca/confirm/{row.pk}/status/")
    assert queries.session_confirmation(_request_for(browser, people.admin_a)) is not None
    assert queries.session_confirmation(_request_for(browser, people.admin_a), max_age=timedelta(seconds=1)) is not None
    clock.advance(timedelta(minutes=1))
    assert queries.session_confirmation(_request_for(browser, people.admin_a), max_age=timedelta(seconds=30)) is None
    actions.do_import_crl(actor=staff_actor, crl=pki.crl("sub", [cert_a.cert], this_update=clock.now()))
    assert queries.session_confirmation(_request_for(browser, people.admin_a)) is None


def test_print_mode_and_document_signing(people, key_files, tmp_path):
    row = actions.do_start_challenge(actor=people.actor(people.admin_a))
    printed = json.loads(_sign(row.text, key_files, "--print"))
    assert printed["respond"] == f"/api/v1/ca/challenges/{row.pk}/respond"
    assert printed["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    (tmp_path / "doc.txt").write_text("招标文件")
    out = StringIO()
    call_command("sign", "--file", str(tmp_path / "doc.txt"), "--key", key_files[0], "--cert", key_files[1], stdout=out)
    signed = json.loads(out.getvalue())
    assert signed["digest_algorithm"] == "sm3"
    import base64

    check = queries.verify_document(
        base64.b64decode(signed["signature"]), signed["certificate"], data="招标文件".encode()
    )
    assert check.ok
    with pytest.raises(CommandError, match="malformed"):
        _sign("YWSIGN1.garbage", key_files)


def test_starting_a_challenge_needs_a_signed_in_person(db, clock):
    response = Client().post("/ca/confirm/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    for actor in (Actor.anonymous(), Actor.system("clock")):
        with pytest.raises(PermissionDenied, match=r"ca\.account_required"):
            actions.do_start_challenge(actor=actor)
    assert counts()["challenges"] == 0

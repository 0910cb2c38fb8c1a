"""Probes against the pages and the API as a browser would send them: cross-site request forgery (a signed-in
person's cookie without the form's token changes nothing), script injection (reflected and stored text comes
back escaped), and reading someone else's things by guessing their number (IDOR)."""

from __future__ import annotations

import pytest
from django.test import Client

from yiwang.identity import actions as identity
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor
from yiwang.platform.notify import actions as inbox

pytestmark = pytest.mark.django_db

PASSWORD = "Reliability-Probe-2026"
SCRIPT = '<script>alert("一网")</script>'


def _person(username: str):
    return identity.do_create_account(
        actor=Actor.anonymous(), username=username, display_name=username, password=PASSWORD
    )


def _person_named(username: str):
    from yiwang.identity import queries

    found = queries.find_account(username)
    assert found is not None
    return found


def _signed_in(username: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=username, password=PASSWORD)
    return client


def test_a_signed_in_cookie_without_the_csrf_token_changes_nothing(clock):
    person = _person("probe-csrf")
    client = _signed_in("probe-csrf")
    forged = client.post("/api/v1/auth/me/tokens", {"name": "forged"}, content_type="application/json")
    assert forged.status_code == 403
    assert forged.json()["code"] == "auth.csrf"
    assert client.get("/api/v1/auth/me/tokens").json() == []  # nothing was made
    page = client.post("/accounts/profile/", {"save_profile": "1", "display_name": "被篡改", "version": person.version})
    assert page.status_code == 403
    person.refresh_from_db()
    assert person.display_name == "probe-csrf"
    token = client.get("/accounts/profile/").cookies["csrftoken"].value
    made = client.post(
        "/api/v1/auth/me/tokens", {"name": "mine"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert made.status_code == 201, made.content  # the same request with the token is accepted


def test_reflected_script_comes_back_escaped(clock):
    page = Client().get("/search/", {"q": SCRIPT})
    assert page.status_code == 200
    body = page.content.decode()
    assert SCRIPT not in body
    assert "&lt;script&gt;" in body


def test_stored_script_in_a_profile_comes_back_escaped(clock):
    _person("probe-xss")
    client = _signed_in("probe-xss")
    token = client.get("/accounts/profile/").cookies["csrftoken"].value
    person = _person_named("probe-xss")
    form = {"save_profile": "1", "display_name": SCRIPT, "mobile": "", "email": "", "version": person.version}
    saved = client.post("/accounts/profile/", {**form, "csrfmiddlewaretoken": token})
    assert saved.status_code == 302  # stored as typed
    body = client.get("/accounts/profile/").content.decode() + client.get("/").content.decode()
    assert SCRIPT not in body
    assert "&lt;script&gt;alert(&quot;一网&quot;)&lt;/script&gt;" in body


def test_nobody_reads_another_persons_message_by_its_number(clock):
    alice, bob = _person("probe-alice"), _person("probe-bob")
    message = inbox.do_send_message(
        actor=Actor.system("test"), recipient=actor_for_account(alice).ref, title="中标通知（机密）", body="仅限本人"
    )
    assert message is not None
    as_bob = _signed_in("probe-bob")
    assert as_bob.get(f"/api/v1/messages/{message.pk}").status_code == 404
    assert as_bob.get(f"/messages/{message.pk}/").status_code == 404
    assert "中标通知" not in as_bob.get("/messages/").content.decode()
    as_alice = _signed_in("probe-alice")
    assert as_alice.get(f"/api/v1/messages/{message.pk}").json()["title"] == "中标通知（机密）"
    assert bob.pk != alice.pk

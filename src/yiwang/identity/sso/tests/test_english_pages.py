"""The single sign-on pages under the English switch: the consent page (with the scope descriptions), the
sign-out page and the administrators' list of relying systems read in English. Relying systems' names and
people's names are data and stay as registered. Without the switch the same pages are Chinese."""

from __future__ import annotations

from django.test import Client

from yiwang.identity.sso.tests.conftest import PASSWORD
from yiwang.platform.web.testing import chinese_left, use_english

SWITCH = "中文"  # the language switch's own label


def test_the_consent_and_sign_out_pages_in_english(relying_party, person):
    browser = Client()
    use_english(browser)
    start = browser.get(relying_party.authorization_url())
    login = browser.post(start["Location"], {"username": "lina", "password": PASSWORD})
    html = browser.get(login["Location"]).content.decode()
    for english in ("Allow", "Allow and sign in", "Refuse", "Your name and username", "Your roles on the platform"):
        assert english in html, english
    assert chinese_left(html, "江苏分平台", "李娜", SWITCH) == []

    bye = browser.get("/sso/logout/", {"client_id": relying_party.client_id}).content.decode()
    for english in ("Sign out of One-Stop Trading", "asks to sign you out", "Cancel"):
        assert english in bye, english
    assert chinese_left(bye, "江苏分平台", "李娜", SWITCH) == []


def test_the_relying_systems_page_in_english(client, admin, relying_party):
    client.force_login(admin)
    assert "登记接入系统" in client.get("/sso/").content.decode()

    use_english(client)
    html = client.get("/sso/").content.decode()
    for english in ("Register a relying system", "Client type", "Server application (with a secret)", "Active"):
        assert english in html, english
    assert chinese_left(html, "江苏分平台", "平台管理员", SWITCH) == []
    bad = client.post("/sso/", {"name": "坏", "client_type": "public", "redirect_uris": "http://x.example.cn/cb"})
    assert "sso.invalid_redirect_uri" in bad.content.decode()
    assert chinese_left(bad.content.decode(), "江苏分平台", "平台管理员", "坏", SWITCH) == []

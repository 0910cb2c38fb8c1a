"""The certificate pages under the English switch: the CA trust list, a CA's page with the staff forms,
我的证书 with binding, and the scan-to-confirm pages read in English. CA names, subjects, issuers and the
people's names are data and stay as they are. Without the switch the same pages are Chinese."""

from __future__ import annotations

from django.test import Client

from yiwang.identity.ca import queries
from yiwang.platform.web.testing import chinese_left, use_english

SWITCH = "中文"  # the language switch's own label


def _english(account=None) -> Client:
    browser = Client()
    if account is not None:
        browser.force_login(account)
    use_english(browser)
    return browser


def _ca_data() -> tuple[str, ...]:
    """What the certificates say: CA names, subjects and issuers (the test PKI names its CAs in Chinese)."""
    out: list[str] = []
    for ca in queries.list_trusted_cas(include_removed=True):
        out += [ca.name, ca.subject, ca.issuer, ca.note or ""]
    return tuple(v for v in out if v)


def test_the_trust_list_and_a_ca_in_english(people, trusted):
    root, _sub = trusted
    assert "互认中" in Client().get("/ca/").content.decode()

    staff = _english(people.staff)
    html = staff.get("/ca/").content.decode()
    for english in ("CA trust list", "Recognised", "SM2 (Chinese national standard)", "Register a CA", "CRL policy"):
        assert english in html, english
    assert chinese_left(html, *_ca_data(), "交易中心管理员", SWITCH) == []

    detail = staff.get(f"/ca/authorities/{root.pk}/").content.decode()
    for english in ("Certificate revocation lists", "Subject mapping", "Change the status", "Recognition suspended"):
        assert english in detail, english
    assert chinese_left(detail, *_ca_data(), "交易中心管理员", SWITCH) == []


def test_my_certificates_and_the_confirmation_in_english(people, bound_a):
    _cert, binding = bound_a
    chinese = Client()
    chinese.force_login(people.admin_a)
    assert "我的数字证书" in chinese.get("/ca/certificates/").content.decode()
    admin = _english(people.admin_a)
    html = admin.get("/ca/certificates/").content.decode()
    for english in ("My digital certificates", "Organisation certificate", "Valid", "Unbind", "Bind"):
        assert english in html, english
    data = (*_ca_data(), binding.subject_name, binding.issuer, "浦江管理员")
    assert chinese_left(html, *data, SWITCH) == []

    confirm = admin.get("/ca/confirm/").content.decode()
    assert "Generate a challenge and confirm by scanning" in confirm
    assert chinese_left(confirm, *data, SWITCH) == []
    started = admin.post("/ca/confirm/", {"purpose": "login_confirm"})
    assert started.status_code == 302
    page = admin.get(started["Location"]).content.decode()
    for english in ("Purpose: Sign-in confirmation", "Waiting for the signature", "Sign on the command line"):
        assert english in page, english
    assert chinese_left(page, *data, SWITCH) == []

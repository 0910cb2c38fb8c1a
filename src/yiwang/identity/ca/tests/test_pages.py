"""Pages: the public CA互认 list, a CA's detail with staff forms, 我的证书, and the confirmation pages."""

from __future__ import annotations

from asn1crypto import pem
from django.test import Client

from yiwang.identity.ca import queries
from yiwang.identity.ca.tests.support import PUJIANG, T0, Pki, counts


def _browser(account) -> Client:
    browser = Client()
    browser.force_login(account)
    return browser


def test_the_trust_list_page_is_public(trusted, pki):
    root, sub = trusted
    html = Client().get("/ca/").content.decode()
    assert "CA互认名单" in html
    assert root.name in html
    assert sub.name in html
    assert "互认中" in html
    assert "SM2（国密）" in html
    assert "登记CA" not in html  # no staff form for visitors
    detail = Client().get(f"/ca/authorities/{root.pk}/").content.decode()
    assert root.fingerprint_sha256 in detail
    assert "subject.serialNumber" in detail
    assert "BEGIN CERTIFICATE" in detail
    assert "变更状态" not in detail
    assert Client().get("/ca/authorities/999/").status_code == 404
    assert Client().post("/ca/", {"certificate": "x"}).status_code == 404


def test_staff_manage_the_list_on_pages(people, pki):
    staff = _browser(people.staff)
    assert "登记CA" in staff.get("/ca/").content.decode()
    before = counts()
    refused = staff.post("/ca/", {"certificate": "garbage", "crl_policy": "fail"})
    assert refused.status_code == 200
    assert "ca.malformed" in refused.content.decode()
    assert counts() == before
    root_pem = pem.armor("CERTIFICATE", pki.root.cert.der).decode()
    response = staff.post(
        "/ca/", {"certificate": root_pem, "mapping": "demo", "crl_policy": "fail", "name": "页面登记根CA"}
    )
    assert response.status_code == 302
    ca = queries.list_trusted_cas()[0]
    assert ca.name == "页面登记根CA"
    crl = pem.armor("X509 CRL", pki.crl("root", this_update=T0)).decode()
    response = staff.post(f"/ca/authorities/{ca.id}/", {"op": "crl", "crl": crl})
    assert response.status_code == 302
    assert queries.get_ca(ca.id).crl_number == "1"
    response = staff.post(
        f"/ca/authorities/{ca.id}/", {"op": "status", "status": "suspended", "reason": "审查", "version": 1}
    )
    assert response.status_code == 302
    assert queries.get_ca(ca.id).status == "suspended"
    stale = staff.post(f"/ca/authorities/{ca.id}/", {"op": "status", "status": "active", "version": 1})
    assert stale.status_code == 200
    assert "precondition.failed" in stale.content.decode()
    assert "暂停互认" in Client().get("/ca/").content.decode()


def test_my_certificates_page_binds_and_unbinds(people, pki, trusted):
    admin = _browser(people.admin_a)
    html = admin.get("/ca/certificates/").content.decode()
    assert "尚未绑定数字证书" in html
    other = Pki("sm2", label="别家").issue(entity=PUJIANG)
    refused = admin.post("/ca/certificates/", {"certificate": other.pem})
    assert "ca.unknown_issuer" in refused.content.decode()
    cert = pki.issue(entity=PUJIANG)
    assert admin.post("/ca/certificates/", {"certificate": cert.pem}).status_code == 302
    html = admin.get("/ca/certificates/").content.decode()
    assert cert.cert.serial_hex in html
    assert "有效" in html
    binding = queries.list_bindings_for(people.actor(people.admin_a))[0]
    assert admin.post(f"/ca/certificates/{binding.id}/unbind/").status_code == 302
    assert "已解绑" in admin.get("/ca/certificates/").content.decode()
    assert Client().get("/ca/certificates/").status_code == 302  # sign-in required


def test_confirm_pages_render_at_phone_width(people, bound_a):
    admin = _browser(people.admin_a)
    html = admin.get("/ca/confirm/").content.decode()
    assert "生成挑战码" in html
    assert 'name="viewport"' in html
    response = admin.post("/ca/confirm/", {"purpose": "login_confirm"})
    page = admin.get(response["Location"]).content.decode()
    assert "<svg" in page
    assert "<title>扫码签名挑战</title>" in page
    assert "yiwang sign" in page
    assert "http" not in page.split("<svg", 1)[1].split("</svg>", 1)[0].replace("http://www.w3.org/2000/svg", "")

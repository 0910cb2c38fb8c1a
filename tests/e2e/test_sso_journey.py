"""Single sign-on in a browser: a platform administrator registers a sub-platform on /sso/, then a person of a
company signs in to that sub-platform with her Yiwang account (login, Chinese consent page, back to the
sub-platform with a code), the sub-platform redeems the code and reads the entity claims, and logs her out."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from yiwang.identity.actions import do_create_account, do_grant_role
from yiwang.identity.auth import actor_for_account
from yiwang.kernel.actors import Actor, Role
from yiwang.registry.actions import do_register_entity

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Journey-sso-2026"
SUB = "https://sub-platform.example.cn"
CALLBACK = f"{SUB}/oidc/callback"
AFTER_LOGOUT = f"{SUB}/bye"


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _people() -> None:
    system = Actor.system("test")
    admin = do_create_account(actor=system, username="hub-admin", display_name="平台管理员", password=PASSWORD)
    do_grant_role(actor=system, role=Role.STAFF, account=admin, region="310000", admin=True)
    person = do_create_account(actor=system, username="lina", display_name="李娜", password=PASSWORD)
    do_register_entity(
        actor=actor_for_account(person),
        data={
            "kind": "legal_person",
            "uscc": "91310115MA1FL2X37F",
            "contact_name": "李娜",
            "contact_phone": "13812345678",
            "contact_email": "lina@example.cn",
            "roles": ["bidder"],
        },
    )


def _sign_in(page, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_person_signs_in_to_a_sub_platform_through_the_hub(page, browser, live_server):
    _people()
    # the sub-platform's own pages are stood in for: the browser never leaves the loopback
    seen: list[str] = []
    logout_link = {"href": ""}

    def sub_platform(route):
        seen.append(route.request.url)
        link = f'<a id="logout" href="{logout_link["href"]}">退出登录</a>' if logout_link["href"] else ""
        route.fulfill(status=200, content_type="text/html", body=f"<html><body><h1>分平台</h1>{link}</body></html>")

    page.set_default_timeout(60_000)  # a shared, loaded machine: the first page warms the live server up
    # 1. the administrator registers the sub-platform and reads its client id and secret once
    page.goto("/accounts/login/?next=/sso/")
    _sign_in(page, "hub-admin")
    page.wait_for_url("**/sso/")
    page.fill("#id_name", "浦东分平台")
    page.fill("#id_redirect_uris", CALLBACK)
    page.fill("#id_post_logout_redirect_uris", AFTER_LOGOUT)
    page.get_by_role("button", name="登记").click()
    client_id = page.get_by_test_id("client-id").inner_text().strip()
    secret = page.get_by_test_id("client-secret").inner_text().strip()
    assert client_id
    assert secret

    # 2. a person, in another browser, starts at the sub-platform's "login with 一网交易" link
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, base_url=live_server.url)
    person = context.new_page()
    person.set_default_timeout(60_000)
    person.route(lambda url: url.startswith(SUB), sub_platform)
    verifier = _b64url(secrets.token_bytes(32))
    state = secrets.token_urlsafe(12)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid profile entity roles",
            "state": state,
            "nonce": "n-1",
            "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
    )
    person.goto(f"/sso/authorize/?{query}")
    person.wait_for_url("**/accounts/login/**")
    _sign_in(person, "lina")
    person.wait_for_url("**/sso/authorize/**")
    assert "浦东分平台" in person.get_by_test_id("rp-name").inner_text()
    assert "统一社会信用代码" in person.locator("main").inner_text()
    person.get_by_role("button", name="同意并登录").click()
    person.wait_for_url(f"{CALLBACK}**")
    back = parse_qs(urlsplit(seen[-1]).query)
    assert back["state"] == [state]

    # 3. the sub-platform's server redeems the code and asks who she is
    channel = Client()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    tokens = channel.post(
        "/sso/token/",
        urlencode(
            {
                "grant_type": "authorization_code",
                "code": back["code"][0],
                "redirect_uri": CALLBACK,
                "code_verifier": verifier,
            }
        ),
        "application/x-www-form-urlencoded",
        headers={"Authorization": f"Basic {basic}"},
    ).json()
    info = channel.get("/sso/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert info["name"] == "李娜"
    assert info["credit_code"] == "91310115MA1FL2X37F"
    assert info["roles"] == ["market_entity_user"]

    # 4. she logs out from the sub-platform: the hub ends her session and sends her back
    logout = urlencode({"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT, "state": "b"})
    logout_link["href"] = f"{live_server.url}/sso/logout/?{logout}"
    person.goto(f"{SUB}/home")
    person.click("#logout")
    person.wait_for_url(f"{AFTER_LOGOUT}**")
    assert seen[-1] == f"{AFTER_LOGOUT}?state=b"
    person.goto("/accounts/profile/")
    person.wait_for_url("**/accounts/login/**")
    context.close()

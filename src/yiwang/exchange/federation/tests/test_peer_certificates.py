"""Certificate-based peer authentication: a CA-issued certificate for a peer's platform key, chained to this hub's
CA trust list and naming the peer's PLATFORM_CODE, is pinned; every batch must then verify under it too. A
certificate that does not chain, names someone else, or is later distrusted (its CA suspended) refuses."""

from __future__ import annotations

import pytest

from yiwang.exchange.federation import actions
from yiwang.exchange.federation.tests.support import JIANGSU, RemoteHub, counts
from yiwang.identity.ca import actions as ca_actions
from yiwang.identity.ca.tests.support import Pki
from yiwang.kernel.actors import Actor
from yiwang.kernel.errors import YiwangError

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


@pytest.fixture
def pki() -> Pki:
    return Pki("sm2", label="国密")


@pytest.fixture
def trusted(db, clock, pki):
    root = ca_actions.do_register_ca(actor=SYSTEM, certificate=pki.root.cert.der, mapping="demo", crl_policy="warn")
    ca_actions.do_register_ca(actor=SYSTEM, certificate=pki.sub.cert.der, mapping="demo", crl_policy="warn")
    return root


@pytest.fixture
def certified(db, clock, pki, trusted):
    """江苏 with a platform key certified by a CA of this hub's trust list (subject serialNumber = its code)."""
    issued = pki.issue(entity=JIANGSU, name="江苏省公共资源交易平台")
    hub = RemoteHub(JIANGSU, "江苏省公共资源交易平台", "http://127.0.0.1:18101", key=issued.key)
    hub.register()
    actions.do_set_peer_certificate(actor=SYSTEM, code=JIANGSU, certificate=issued.pem)
    return hub


def _code(call) -> str:
    with pytest.raises(YiwangError) as info:
        call()
    return info.value.code


def test_a_certified_peer_delivers(api, certified):
    response = certified.send(api, certified.batch(("notice.published", certified.notice(1))))
    assert response.status_code == 200, response.content
    assert response.json()["applied"] == 1


def test_a_batch_is_refused_once_the_certificates_ca_is_suspended(api, certified, trusted):
    ca_actions.do_change_ca_status(actor=SYSTEM, ca_id=trusted.pk, status="suspended", reason="测试")
    before = counts()
    response = certified.send(api, certified.batch(("notice.published", certified.notice(1))))
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "federation.certificate_refused"
    assert response.json()["details"]["reason"] == "ca.ca_suspended"
    assert counts()["inbound"] == before["inbound"]


def test_certificates_that_do_not_chain_or_name_someone_else_are_refused(db, clock, pki, trusted, jiangsu):
    stranger = Pki("sm2", label="外部").issue(entity=JIANGSU)
    someone = pki.issue(entity="91310115MA1FL2X37F")
    before = counts()
    assert (
        _code(lambda: actions.do_set_peer_certificate(actor=SYSTEM, code=JIANGSU, certificate=stranger.pem))
        == "federation.certificate_refused"
    )
    assert (
        _code(lambda: actions.do_set_peer_certificate(actor=SYSTEM, code=JIANGSU, certificate=someone.pem))
        == "federation.certificate_wrong_subject"
    )
    assert (
        _code(lambda: actions.do_set_peer_certificate(actor=SYSTEM, code=JIANGSU, certificate="not a certificate"))
        == "federation.certificate_malformed"
    )
    assert counts() == before


def test_a_certificate_for_another_key_refuses_the_peers_batches(api, db, clock, pki, trusted, jiangsu):
    other = pki.issue(entity=JIANGSU)  # names 江苏 but certifies a key it does not sign with
    actions.do_set_peer_certificate(actor=SYSTEM, code=JIANGSU, certificate=other.pem)
    response = jiangsu.send(api, jiangsu.batch(("notice.published", jiangsu.notice(1))))
    assert response.status_code == 401
    assert response.json()["code"] == "federation.certificate_refused"
    assert response.json()["details"]["reason"] == "ca.signature_invalid"


def test_a_hub_may_require_certificates(api, jiangsu, settings):
    settings.YIWANG_FEDERATION = {"REQUIRE_CERTIFICATE": True}
    response = jiangsu.send(api, jiangsu.batch(("notice.published", jiangsu.notice(1))))
    assert response.status_code == 401
    assert response.json()["code"] == "federation.certificate_required"


def test_the_api_pins_a_certificate(api, db, clock, pki, trusted, settings):
    from yiwang.kernel.actors import ActorKind, Role, RoleGrant
    from yiwang.platform.api import auth
    from yiwang.platform.api.testing import ACTORS

    issued = pki.issue(entity=JIANGSU)
    RemoteHub(JIANGSU, "江苏省公共资源交易平台", "http://127.0.0.1:18101", key=issued.key).register()
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.api.testing.TestActors"
    auth.resolver.cache_clear()
    try:
        ACTORS["admin-token"] = Actor(
            ActorKind.ACCOUNT, "80", "管理员", (RoleGrant(Role.STAFF, region="310000", admin=True),)
        )
        admin = api.with_token("admin-token")
        path = f"/federation/peers/{JIANGSU}/certificate"
        answer = admin.post(path, {"certificate": issued.pem}, headers={"Idempotency-Key": "cert-1"})
        assert answer.status_code == 200, answer.content
        assert answer.json()["certified"] is True
        bad = admin.post(path, {"certificate": "x"}, headers={"Idempotency-Key": "cert-2"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "federation.certificate_malformed"
    finally:
        ACTORS.pop("admin-token", None)
        auth.resolver.cache_clear()


def test_the_command_line_pins_and_removes_a_certificate(db, clock, pki, trusted, tmp_path):
    from django.core.management import CommandError, call_command

    from yiwang.exchange.federation.models import Peer

    issued = pki.issue(entity=JIANGSU)
    RemoteHub(JIANGSU, "江苏省公共资源交易平台", "http://127.0.0.1:18101", key=issued.key).register()
    pem = tmp_path / "js.pem"
    pem.write_text(issued.pem, encoding="ascii")
    call_command("federation", "set-certificate", JIANGSU, str(pem))
    assert Peer.objects.get(code=JIANGSU).certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
    call_command("federation", "set-certificate", JIANGSU)
    assert Peer.objects.get(code=JIANGSU).certificate_pem == ""
    bad = tmp_path / "bad.pem"
    bad.write_text("nonsense", encoding="ascii")
    with pytest.raises(CommandError, match=r"federation\.certificate_malformed"):
        call_command("federation", "set-certificate", JIANGSU, str(bad))

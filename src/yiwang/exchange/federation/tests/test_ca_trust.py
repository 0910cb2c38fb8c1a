"""CA trust lists shared between hubs (CA互认名单): a CA put on this hub's list (and its status changes) goes to
the peer hubs; a peer's CA is a proposal here, never trusted before a trust administrator adopts it (then it is on
the local list, its origin noted, and certificates chained to it verify); the peer's later suspension of an
adopted CA is flagged; every refusal leaves nothing."""

from __future__ import annotations

import pytest

from yiwang.exchange.federation import actions, queries
from yiwang.exchange.federation.models import OutboundMessage, PeerCaProposal
from yiwang.exchange.federation.tests.support import counts
from yiwang.identity.ca import actions as ca_actions
from yiwang.identity.ca import queries as ca_queries
from yiwang.identity.ca.tests.support import Pki
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import YiwangError

pytestmark = pytest.mark.django_db

CA_TRUST = "ca.trust"
# the CA context's demo subject mapping (USCC in subject serialNumber, 身份证 in the GM/T extension), as configured
DEMO_MAPPING = {
    "rules": [
        {"kind": "entity", "source": "subject.serialNumber"},
        {"kind": "person", "source": "ext.1.2.156.10260.4.1.1"},
    ]
}
SYSTEM = Actor.system("test")
TRUST_ADMIN = Actor(ActorKind.ACCOUNT, "50", "互认名单管理员", (RoleGrant(Role.STAFF, region="310000", admin=True),))
REGULATOR = Actor(ActorKind.ACCOUNT, "51", "监管", (RoleGrant(Role.REGULATOR, region="310000"),))


@pytest.fixture
def pki() -> Pki:
    return Pki("sm2", label="江苏")


def _body(pki: Pki, *, cert=None, status: str = "active", version: int = 1, name: str = "江苏测试根CA") -> dict:
    issued = cert or pki.root
    return {
        "fingerprint_sha256": issued.cert.fingerprint_sha256,
        "name": name,
        "kind": "root",
        "status": status,
        "version": version,
        "certificate_pem": issued.pem,
        "mapping": DEMO_MAPPING,
        "crl_policy": "warn",
    }


def _code(call) -> str:
    with pytest.raises(YiwangError) as info:
        call()
    return info.value.code


def test_a_ca_put_on_the_list_here_goes_to_the_hub_peers(jiangsu, clock, pki):
    ca = ca_actions.do_register_ca(actor=SYSTEM, certificate=pki.root.pem, name="上海测试根CA", crl_policy="warn")
    ca_actions.do_change_ca_status(actor=SYSTEM, ca_id=ca.pk, status="suspended", reason="测试")
    actions.collect_feed(clock.now())
    rows = list(OutboundMessage.objects.filter(message_type=CA_TRUST).order_by("seq"))
    assert len(rows) == 2
    body = rows[0].body
    assert body["fingerprint_sha256"] == pki.root.cert.fingerprint_sha256
    assert body["status"] == "suspended"  # read when queued
    assert body["version"] == 2
    assert body["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----")


def test_a_peer_ca_is_only_proposed_until_an_administrator_adopts_it(api, jiangsu, pki):
    holder = pki.issue(entity="91320505MA1ABC1232", name="苏州示范路桥建设有限公司")
    signed = holder.sign(b"bid")

    def verifies() -> tuple[bool, str | None]:
        check = ca_queries.verify_signed(b"bid", signed, holder.pem, require_binding=False)
        return check.ok, check.reason

    before = counts()
    response = jiangsu.send(api, jiangsu.batch((CA_TRUST, _body(pki))))
    assert response.status_code == 200, response.content
    assert not verifies()[0]
    proposal = PeerCaProposal.objects.get()
    assert proposal.state == "pending"
    assert ca_queries.list_trusted_cas() == []  # not trusted by the message alone
    assert counts()["witness"] == before["witness"] + 1
    [listed] = queries.list_ca_proposals_for(REGULATOR)
    assert listed.pk == proposal.pk
    assert (
        _code(lambda: actions.do_decide_ca_proposal(actor=REGULATOR, proposal_id=proposal.pk, adopt=True))
        == "federation.forbidden"
    )
    adopted = actions.do_decide_ca_proposal(actor=TRUST_ADMIN, proposal_id=proposal.pk, adopt=True, note="核验指纹")
    assert adopted.state == "adopted"
    [trusted] = ca_queries.list_trusted_cas()
    assert trusted.id == adopted.ca_id
    assert trusted.note.startswith("互联平台推荐：江苏省公共资源交易平台")
    # a certificate chained to the adopted root now verifies here (after its issuing CA is adopted too)
    jiangsu.send(api, jiangsu.batch((CA_TRUST, _body(pki, cert=pki.sub, name="江苏测试签发CA"))))
    sub = PeerCaProposal.objects.get(fingerprint_sha256=pki.sub.cert.fingerprint_sha256)
    actions.do_decide_ca_proposal(actor=TRUST_ADMIN, proposal_id=sub.pk, adopt=True)
    assert len(ca_queries.list_trusted_cas()) == 2
    assert verifies() == (True, None)
    assert (
        _code(lambda: actions.do_decide_ca_proposal(actor=TRUST_ADMIN, proposal_id=proposal.pk, adopt=False))
        == "federation.ca_proposal_decided"
    )


def test_the_peer_suspending_an_adopted_ca_is_flagged_and_a_late_older_version_changes_nothing(api, jiangsu, pki):
    jiangsu.send(api, jiangsu.batch((CA_TRUST, _body(pki))))
    proposal = PeerCaProposal.objects.get()
    actions.do_decide_ca_proposal(actor=TRUST_ADMIN, proposal_id=proposal.pk, adopt=True)
    jiangsu.send(api, jiangsu.batch((CA_TRUST, _body(pki, status="suspended", version=3))))
    proposal.refresh_from_db()
    assert proposal.home_status == "suspended"
    assert proposal.attention
    assert proposal.state == "adopted"  # the local list changes only by the administrator's hand
    before = counts()
    jiangsu.send(api, jiangsu.batch((CA_TRUST, _body(pki, status="active", version=2))))
    proposal.refresh_from_db()
    assert proposal.home_status == "suspended"
    assert counts()["events"] == before["events"]


def test_a_ca_already_trusted_here_is_marked_so(api, jiangsu, pki):
    ca_actions.do_register_ca(actor=SYSTEM, certificate=pki.root.pem, name="本地登记", crl_policy="warn")
    jiangsu.send(api, jiangsu.batch((CA_TRUST, _body(pki))))
    assert PeerCaProposal.objects.get().state == "trusted_already"


def test_refused_decisions_leave_nothing(api, jiangsu, pki):
    jiangsu.send(api, jiangsu.batch((CA_TRUST, _body(pki, cert=pki.sub, name="只有签发CA"))))
    orphan = PeerCaProposal.objects.get()
    jiangsu.send(api, jiangsu.batch((CA_TRUST, _body(pki, status="removed"))))
    removed = PeerCaProposal.objects.get(fingerprint_sha256=pki.root.cert.fingerprint_sha256)
    before = counts()
    # an issuing CA whose root is not trusted here: the CA context refuses it
    assert _code(
        lambda: actions.do_decide_ca_proposal(actor=TRUST_ADMIN, proposal_id=orphan.pk, adopt=True)
    ).startswith("ca.")
    assert (
        _code(lambda: actions.do_decide_ca_proposal(actor=TRUST_ADMIN, proposal_id=removed.pk, adopt=True))
        == "federation.ca_not_active_at_home"
    )
    assert (
        _code(lambda: actions.do_decide_ca_proposal(actor=TRUST_ADMIN, proposal_id=999_999, adopt=True))
        == "federation.ca_proposal_not_found"
    )
    assert counts() == before
    assert ca_queries.list_trusted_cas(include_removed=True) == []
    orphan.refresh_from_db()
    assert orphan.state == "pending"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"fingerprint_sha256": "ABC"}, "fingerprint_sha256"),
        ({"status": "trusted"}, "status"),
        ({"certificate_pem": "not a certificate"}, "certificate_pem"),
        ({"version": 0}, "version"),
        ({"mapping": []}, "mapping"),
    ],
)
def test_malformed_ca_messages_are_refused(api, jiangsu, pki, change, field):
    before = counts()
    response = jiangsu.send(api, jiangsu.batch((CA_TRUST, {**_body(pki), **change})))
    assert response.status_code == 422, response.content
    assert response.json()["details"]["field"] == field
    assert counts() == before


def test_the_api_lists_proposals_and_takes_decisions(api, jiangsu, pki, settings):
    from yiwang.platform.api import auth
    from yiwang.platform.api.testing import ACTORS

    jiangsu.send(api, jiangsu.batch((CA_TRUST, _body(pki))))
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.api.testing.TestActors"
    auth.resolver.cache_clear()
    try:
        ACTORS["admin-token"] = TRUST_ADMIN
        admin = api.with_token("admin-token")
        [listed] = admin.get("/federation/ca-proposals").json()
        assert listed["state"] == "pending"
        answer = admin.post(f"/federation/ca-proposals/{listed['id']}/decision", {"adopt": False, "note": "未核实"})
        assert answer.status_code == 200, answer.content
        assert answer.json()["state"] == "declined"
        assert api.get("/federation/ca-proposals").status_code == 401
    finally:
        ACTORS.pop("admin-token", None)
        auth.resolver.cache_clear()

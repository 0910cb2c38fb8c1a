"""The page /exchange/federation/: the regional notices for everyone; the peers and their delivery state for
staff, regulators and auditors; registering a peer (from its identity file) for staff administrators."""

from __future__ import annotations

import json

import pytest

from yiwang.exchange.federation.models import Peer, PeerCaProposal, RecognisedEntity
from yiwang.exchange.federation.tests.support import ANHUI, RemoteHub
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.platform.api import auth
from yiwang.platform.api.testing import ACTORS

pytestmark = pytest.mark.django_db

PAGE = "/exchange/federation/"


@pytest.fixture
def as_actor(settings, monkeypatch):
    settings.YIWANG_ACTOR_RESOLVER = "yiwang.platform.api.testing.TestActors"
    auth.resolver.cache_clear()

    def use(name: str, *grants: RoleGrant) -> dict[str, str]:
        monkeypatch.setitem(ACTORS, name, Actor(ActorKind.ACCOUNT, str(abs(hash(name)) % 10_000), name, grants))
        return {"X-Test-Actor": name}

    yield use
    auth.resolver.cache_clear()


def test_everyone_sees_the_regional_notices(client, api, jiangsu):
    jiangsu.send(api, jiangsu.batch(("notice.published", jiangsu.notice(1))))
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "苏州工业园区第1号道路改造工程施工招标公告" in text
    assert 'href="http://127.0.0.1:18101/notices/1/"' in text
    assert "江苏省公共资源交易平台" in text
    assert 'data-testid="peers"' not in text  # the peers are not for visitors


def test_staff_see_the_peers_and_administrators_register_one(client, jiangsu, as_actor):
    reader = as_actor("监管", RoleGrant(Role.REGULATOR, region="310000"))
    text = client.get(PAGE, headers=reader).content.decode()
    assert 'data-testid="peers"' in text
    assert jiangsu.code in text
    assert "登记互联平台" not in text
    admin = as_actor("管理员", RoleGrant(Role.STAFF, region="310000", admin=True))
    hub = RemoteHub(ANHUI, "安徽省公共资源交易平台", "http://127.0.0.1:18103")
    identity = {"code": hub.code, "name": hub.name, "base_url": hub.base_url, "public_key_pem": hub.public_pem}
    answer = client.post(f"{PAGE}peers/", {"identity": json.dumps(identity)}, headers=admin)
    assert answer.status_code == 200
    assert "已登记互联平台 安徽省公共资源交易平台" in answer.content.decode()
    assert Peer.objects.filter(code=ANHUI).exists()
    again = client.post(f"{PAGE}peers/", {"identity": "not json"}, headers=admin)
    assert again.status_code == 422
    assert "federation.identity_malformed" in again.content.decode()
    refused = client.post(f"{PAGE}peers/", {"identity": json.dumps(identity)}, headers=reader)
    assert refused.status_code == 403


def test_everyone_sees_the_recognised_organisations_with_their_home_hub(client, api, jiangsu):
    jiangsu.send(api, jiangsu.batch(("entity.registration", jiangsu.entity())))
    text = client.get(PAGE).content.decode()
    assert 'data-testid="recognised-entities"' in text
    assert "苏州示范路桥建设有限公司" in text
    assert "91320505MA1ABC1232" in text
    assert "已互认（只读副本）" in text
    entity_id = RecognisedEntity.objects.get().entity_id
    assert f'href="/registry/{entity_id}/"' in text


def test_trust_administrators_adopt_a_proposed_ca_on_the_page(client, api, jiangsu, as_actor):
    from yiwang.identity.ca import queries as ca_queries
    from yiwang.identity.ca.tests.support import Pki

    root = Pki("sm2", label="江苏").root
    body = {
        "fingerprint_sha256": root.cert.fingerprint_sha256,
        "name": "江苏测试根CA",
        "kind": "root",
        "status": "active",
        "version": 1,
        "certificate_pem": root.pem,
        "mapping": {},
        "crl_policy": "warn",
    }
    jiangsu.send(api, jiangsu.batch(("ca.trust", body)))
    proposal = PeerCaProposal.objects.get()
    reader = as_actor("监管", RoleGrant(Role.REGULATOR, region="310000"))
    text = client.get(PAGE, headers=reader).content.decode()
    assert 'data-testid="ca-proposals"' in text
    assert "江苏测试根CA" in text
    assert "采纳</button>" not in text
    refused = client.post(f"{PAGE}ca-proposals/{proposal.pk}/", {"decision": "adopt"}, headers=reader)
    assert refused.status_code == 403
    admin = as_actor("管理员", RoleGrant(Role.STAFF, region="310000", admin=True))
    assert "采纳</button>" in client.get(PAGE, headers=admin).content.decode()
    answer = client.post(f"{PAGE}ca-proposals/{proposal.pk}/", {"decision": "adopt", "note": "已核验"}, headers=admin)
    assert answer.status_code == 200
    assert "已采纳，列入本平台CA互认名单" in answer.content.decode()
    assert [c.fingerprint_sha256 for c in ca_queries.list_trusted_cas()] == [root.cert.fingerprint_sha256]
    again = client.post(f"{PAGE}ca-proposals/{proposal.pk}/", {"decision": "adopt"}, headers=admin)
    assert again.status_code == 409
    assert "federation.ca_proposal_decided" in again.content.decode()

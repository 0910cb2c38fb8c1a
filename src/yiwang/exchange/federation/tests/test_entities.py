"""Entity registrations recognised across hubs (一地注册、区域通用): an organisation registered here is sent to
the peer hubs as a signed snapshot (changes and deregistration too, never natural persons, never to the national
uplink); a peer's snapshot is held read-only in the registry, newer versions replace it, an older one changes
nothing, and the organisation acts here (registers to bid) without registering again."""

from __future__ import annotations

from base64 import b64decode

import pytest

from yiwang.exchange.federation import actions, queries
from yiwang.exchange.federation.domain.messages import entity_signed_bytes
from yiwang.exchange.federation.models import OutboundMessage, RecognisedEntity
from yiwang.exchange.federation.tests.support import ZHEJIANG, RemoteHub, counts
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.crypto import generate_private_key, load_public_key, verify_signature
from yiwang.kernel.errors import YiwangError
from yiwang.platform import keys
from yiwang.registry import actions as registry_actions
from yiwang.registry import queries as registry
from yiwang.registry.tests.support import full_org_data, person_data
from yiwang.trading.auction import actions as auction
from yiwang.trading.auction.tests.support import judicial_spec
from yiwang.trading.auction.tests.support import staff as auction_staff

pytestmark = pytest.mark.django_db

ENTITY = "entity.registration"
SUZHOU = "91320505MA1ABC1232"
BAD_CHECK_DIGIT = "91320505MA1ABC1230"
PUJIANG = "91310115MA1FL2X37F"  # a company of the registry's authoritative demo source (浦东新区)
SYSTEM = Actor.system("test")


def _register_here(uscc: str = PUJIANG):
    return registry_actions.do_register_entity(
        actor=SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": uscc,
            "contact_name": "刘敏",
            "contact_phone": "13812345678",
            "roles": ["bidder"],
        },
    )


# -- sending ----------------------------------------------------------------------------------------------------------
def test_a_registration_here_is_sent_signed_to_hubs_but_not_to_the_national_uplink(jiangsu, clock):
    national = RemoteHub(ZHEJIANG, "国家公共资源交易平台", "http://127.0.0.1:18109")
    actions.do_register_peer(
        actor=SYSTEM, code=national.code, name=national.name, base_url=national.base_url,
        public_key=national.public_pem, kind="national",
    )  # fmt: skip
    entity = _register_here()
    registry_actions.do_update_entity(
        actor=SYSTEM, entity_id=entity.pk, changes={"business_scope": "建设工程施工。"}, expected_version=None
    )
    assert actions.collect_feed(clock.now()) == 2
    rows = list(OutboundMessage.objects.filter(peer__code=jiangsu.code).order_by("seq"))
    assert [r.message_type for r in rows] == [ENTITY, ENTITY]
    assert not OutboundMessage.objects.filter(peer__code=ZHEJIANG).exists()
    body = rows[0].body
    snapshot = body["entity"]
    assert snapshot["uscc"] == PUJIANG
    assert snapshot["home_entity_id"] == entity.pk
    assert snapshot["version"] == 2  # read when queued: both messages carry the newest version
    assert snapshot["business_scope"] == "建设工程施工。"
    assert "contact_phone" not in snapshot
    own = keys.platform_signer().public_key
    assert body["key_id"] == own.key_id
    key = load_public_key(own.to_pem())
    verify_signature(key, actions._algorithm_of(key), entity_signed_bytes(snapshot), b64decode(body["signature"]))


def test_natural_persons_and_copies_are_not_sent(jiangsu, clock, api):
    registry_actions.do_register_entity(actor=SYSTEM, data=person_data())
    jiangsu.send(api, jiangsu.batch((ENTITY, jiangsu.entity())))  # a copy held here is not passed on
    actions.collect_feed(clock.now())
    assert not OutboundMessage.objects.exists()


# -- receiving --------------------------------------------------------------------------------------------------------
def test_a_peer_registration_is_recognised_read_only_with_its_home_hub(api, jiangsu):
    before = counts()
    response = jiangsu.send(api, jiangsu.batch((ENTITY, jiangsu.entity())))
    assert response.status_code == 200, response.content
    assert response.json()["applied"] == 1
    row = RecognisedEntity.objects.get()
    assert row.state == "recognised"
    assert row.signature_verified
    ref = registry.find_entity_by_uscc(SUZHOU)
    assert ref is not None
    assert row.entity_id == ref.id
    assert registry.home_hub_of(ref.id) == jiangsu.code
    view = queries.home_hub_of_entity(ref.id)
    assert view.hub_name == "江苏省公共资源交易平台"
    after = counts()
    assert after["recognised"] == before["recognised"] + 1
    assert after["entities"] == before["entities"] + 1
    listed = api.get("/federation/entities").json()
    assert [(e["uscc"], e["hub_code"], e["state"], e["entity_id"]) for e in listed] == [
        (SUZHOU, jiangsu.code, "recognised", ref.id)
    ]
    # read-only here
    with pytest.raises(YiwangError) as refused:
        registry_actions.do_update_entity(
            actor=SYSTEM, entity_id=ref.id, changes={"name": "改名"}, expected_version=None
        )
    assert refused.value.code == "registry.entity_is_copy"


def test_changes_and_deregistration_propagate_and_a_late_older_version_changes_nothing(api, jiangsu):
    jiangsu.send(api, jiangsu.batch((ENTITY, jiangsu.entity())))
    jiangsu.send(api, jiangsu.batch((ENTITY, jiangsu.entity(version=3, name="苏州示范路桥集团有限公司"))))
    ref = registry.find_entity_by_uscc(SUZHOU)
    assert ref.name == "苏州示范路桥集团有限公司"
    before = counts()
    late = jiangsu.send(api, jiangsu.batch((ENTITY, jiangsu.entity(version=2, name="旧名称"))))
    assert late.json()["applied"] == 1  # the message is held (numbered) but the copy does not go back
    assert registry.find_entity_by_uscc(SUZHOU).name == "苏州示范路桥集团有限公司"
    after = counts()
    assert after["entities"] == before["entities"]
    assert after["events"] == before["events"]  # no registry or federation event for a stale version
    jiangsu.send(api, jiangsu.batch((ENTITY, jiangsu.entity(version=4, status="cancelled"))))
    assert registry.find_entity_by_uscc(SUZHOU).status == "cancelled"
    assert RecognisedEntity.objects.get().home_version == 4


def test_a_local_registration_stands_and_a_refused_snapshot_does_not_stop_the_stream(api, jiangsu, clock):
    local = _register_here()
    jiangsu.send(
        api,
        jiangsu.batch(
            (ENTITY, jiangsu.entity(uscc=PUJIANG, name="别的名称")),
            (ENTITY, jiangsu.entity(roles=["no_such_role"])),
            (ENTITY, jiangsu.entity(uscc=BAD_CHECK_DIGIT)),
        ),
    )
    states = dict(RecognisedEntity.objects.values_list("uscc", "state"))
    assert states[PUJIANG] == "local"
    assert states[SUZHOU] == "refused"
    assert registry.get_entity_ref(local.pk).name != "别的名称"
    assert registry.home_hub_of(local.pk) is None
    assert RecognisedEntity.objects.get(uscc=SUZHOU).refusal == "catalog.code_unknown"
    assert RecognisedEntity.objects.get(uscc=BAD_CHECK_DIGIT).refusal == "registry.copy_invalid"
    assert registry.find_entity_by_uscc(SUZHOU) is None
    assert jiangsu.send(api, jiangsu.batch((ENTITY, jiangsu.entity(version=2)))).json()["acknowledged"] == 4
    assert RecognisedEntity.objects.get(uscc=SUZHOU).state == "recognised"


def test_a_snapshot_signed_by_another_key_is_refused_and_leaves_nothing(api, jiangsu):
    before = counts()
    forged = jiangsu.entity(key=generate_private_key("sm2"))  # names the pinned key id, signed by another key
    response = jiangsu.send(api, jiangsu.batch((ENTITY, forged)))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "federation.malformed_message"
    assert response.json()["details"]["field"] == "signature"
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"entity": "x"}, "entity"),
        ({"signature": "***"}, "signature"),
        ({"key_id": ""}, "key_id"),
        ({"extra": 1}, "body"),
    ],
)
def test_malformed_entity_messages_are_refused(api, jiangsu, change, field):
    before = counts()
    body = {**jiangsu.entity(), **change}
    response = jiangsu.send(api, jiangsu.batch((ENTITY, body)))
    assert response.status_code == 422, response.content
    assert response.json()["details"]["field"] == field
    assert counts() == before


def test_a_recognised_organisation_registers_to_bid_here_without_registering_again(api, jiangsu, clock):
    jiangsu.send(api, jiangsu.batch((ENTITY, jiangsu.entity())))
    ref = registry.find_entity_by_uscc(SUZHOU)
    with pytest.raises(YiwangError) as again:
        registry_actions.do_register_entity(
            actor=Actor(ActorKind.ACCOUNT, "9", "苏州用户"),
            data=full_org_data(uscc=SUZHOU),
        )
    assert again.value.code == "registry.duplicate"
    lot = auction.do_create_lot(actor=auction_staff(), spec=judicial_spec(deposit_fen=0))
    user = Actor(ActorKind.ACCOUNT, "9", "苏州用户", (RoleGrant(Role.MARKET_ENTITY_USER, entity_id=ref.id),))
    bidder = auction.do_register_bidder(actor=user, lot_id=lot.pk, entity_id=ref.id)
    assert bidder.entity_id == ref.id

"""Qualifications (资质) and key personnel of recognised organisations: the home hub's registration carries them
(identity numbers masked, as the registry shows them to the public) and sends it again when they change; the
peer holds them on the copy, so its registry's qualification check sees them; a withdrawn qualification is
withdrawn on the peer, a person no longer listed leaves."""

from __future__ import annotations

from base64 import b64decode
from datetime import date

import pytest

from yiwang.exchange.federation import actions
from yiwang.exchange.federation.domain.messages import entity_signed_bytes
from yiwang.exchange.federation.models import OutboundMessage, RecognisedEntity
from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.crypto import load_public_key, verify_signature
from yiwang.kernel.errors import YiwangError
from yiwang.platform import keys
from yiwang.registry import actions as registry_actions
from yiwang.registry import queries as registry

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
PUJIANG = "91310115MA1FL2X37F"
SUZHOU = "91320505MA1ABC1232"
ENTITY = "entity.registration"
QUALI = {
    "qualification_type": "construction_general",
    "certificate_no": "D231000001",
    "level": "一级",
    "scope": "建筑工程施工总承包",
    "issuing_authority": "上海市住房和城乡建设管理委员会",
    "valid_from": "2021-06-01",
    "valid_to": "2030-03-20",
}
PERSON = {
    "name": "陈建华",
    "id_number": "310115198506154568",
    "personnel_role": "project_manager",
    "title": "高级工程师",
}
MASKED = "310***********4568"


def test_qualifications_and_personnel_travel_with_the_registration_masked_and_signed(jiangsu, clock):
    entity = registry_actions.do_register_entity(
        actor=SYSTEM,
        data={"kind": "legal_person", "uscc": PUJIANG, "contact_name": "刘敏", "contact_phone": "13812345678",
              "roles": ["bidder"]},
    )  # fmt: skip
    q = registry_actions.do_add_qualification(actor=SYSTEM, entity_id=entity.pk, data=QUALI)
    registry_actions.do_add_personnel(actor=SYSTEM, entity_id=entity.pk, data={**PERSON, "certificates": []})
    assert actions.collect_feed(clock.now()) == 3  # registered, qualification added, person added
    last = OutboundMessage.objects.filter(peer__code=jiangsu.code).order_by("seq").last()
    assert last.message_type == ENTITY
    snapshot = last.body["entity"]
    [sent_q] = snapshot["qualifications"]
    assert sent_q["certificate_no"] == "D231000001"
    assert sent_q["valid_to"] == "2030-03-20"
    [sent_p] = snapshot["personnel"]
    assert sent_p["id_number"] == MASKED
    assert "310115198506154568" not in canonical_json(last.body).decode()  # the full number never leaves
    own = keys.platform_signer().public_key
    key = load_public_key(own.to_pem())
    verify_signature(key, actions._algorithm_of(key), entity_signed_bytes(snapshot), b64decode(last.body["signature"]))
    # withdrawn here: sent again without it
    registry_actions.do_withdraw_qualification(actor=SYSTEM, entity_id=entity.pk, qualification_id=q.pk, reason="降级")
    assert actions.collect_feed(clock.now()) == 1
    last = OutboundMessage.objects.filter(peer__code=jiangsu.code).order_by("seq").last()
    assert last.body["entity"]["qualifications"] == []


def _recognised_id() -> int:
    return RecognisedEntity.objects.get(uscc=SUZHOU).entity_id


def test_the_peer_holds_them_on_the_copy_and_a_withdrawn_one_disappears(api, jiangsu, clock):
    person = {**PERSON, "id_number": MASKED, "id_document_type": "resident_id"}
    quali = {**QUALI, "certificate_no": "D232000009"}
    body = jiangsu.entity(version=2, qualifications=[quali], personnel=[person])
    assert jiangsu.send(api, jiangsu.batch((ENTITY, body))).status_code == 200
    entity_id = _recognised_id()
    [held] = registry.list_valid_qualifications(entity_id, date(2026, 3, 2))
    assert (held.qualification_type, held.certificate_no, held.level) == ("construction_general", "D232000009", "一级")
    [view] = registry.list_personnel_for(SYSTEM, entity_id)
    assert view.id_number == MASKED
    assert view.name == "陈建华"
    # a change at home (level) is a change here
    body = jiangsu.entity(version=3, qualifications=[{**quali, "level": "特级"}], personnel=[person])
    assert jiangsu.send(api, jiangsu.batch((ENTITY, body))).status_code == 200
    [held] = registry.list_valid_qualifications(entity_id, date(2026, 3, 2))
    assert held.level == "特级"
    # withdrawn at home: gone here; the person left too
    body = jiangsu.entity(version=4, qualifications=[], personnel=[])
    assert jiangsu.send(api, jiangsu.batch((ENTITY, body))).status_code == 200
    assert registry.list_valid_qualifications(entity_id, date(2026, 3, 2)) == []
    assert registry.list_personnel_for(SYSTEM, entity_id) == []
    # an older version arriving late changes nothing
    late = jiangsu.entity(version=3, qualifications=[quali], personnel=[person])
    assert jiangsu.send(api, jiangsu.batch((ENTITY, late))).status_code == 200
    assert registry.list_valid_qualifications(entity_id, date(2026, 3, 2)) == []
    # the copy stays read-only for everyone else
    with pytest.raises(YiwangError) as info:
        registry_actions.do_add_qualification(actor=SYSTEM, entity_id=entity_id, data=QUALI)
    assert info.value.code == "registry.entity_is_copy"


def test_a_qualification_this_hub_cannot_hold_refuses_the_version_and_leaves_nothing(api, jiangsu, clock):
    body = jiangsu.entity(qualifications=[{**QUALI, "qualification_type": "no_such_type"}], personnel=[])
    assert jiangsu.send(api, jiangsu.batch((ENTITY, body))).status_code == 200
    row = RecognisedEntity.objects.get(uscc=SUZHOU)
    assert row.state == "refused"
    assert row.entity_id is None
    assert registry.find_entity_by_uscc(SUZHOU) is None


def test_a_registration_without_parts_from_an_older_hub_leaves_them_as_they_are(api, jiangsu, clock):
    body = jiangsu.entity(version=1, qualifications=[QUALI], personnel=[])
    jiangsu.send(api, jiangsu.batch((ENTITY, body)))
    entity_id = _recognised_id()
    jiangsu.send(api, jiangsu.batch((ENTITY, jiangsu.entity(version=2, name="苏州示范路桥建设集团有限公司"))))
    assert registry.get_entity_ref(entity_id).name == "苏州示范路桥建设集团有限公司"
    assert len(registry.list_valid_qualifications(entity_id, date(2026, 3, 2))) == 1

"""Key-rotation notices (密钥轮换通知): a hub that rotates its platform key tells every peer in a ``key.rotation``
message — the new key's record endorsed by the OLD key, with the NEW key's proof — carried in a header by every
batch until the peer holds it; the peer verifies both against the key it pinned, re-pins, accepts either key in
the overlap window and only the new one after it; a notice not endorsed by the pinned key is refused and
witnessed. The hub's own certificate is published in its identity file."""

from __future__ import annotations

import base64
import json
import shutil
from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.exchange.federation import actions
from yiwang.exchange.federation.domain.messages import rotation_bytes
from yiwang.exchange.federation.models import OutboundMessage, Peer
from yiwang.exchange.federation.tests.support import RemoteHub, counts
from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.crypto import generate_private_key, load_public_key, signer_for, verify_signature
from yiwang.platform.clock import now
from yiwang.platform.keys import platform_key_id, service
from yiwang.platform.keys.actions import do_rotate_platform_key
from yiwang.platform.keys.document import ALGORITHM_OF_KIND, KeyRecord, endorsement_bytes
from yiwang.platform.keys.stores import FileKeyStore

pytestmark = pytest.mark.django_db

NOTICE = "notice.published"
ROTATION = "key.rotation"
HEADER = "X-Yiwang-Key-Rotation"


def _notice_body(hub: RemoteHub, new, *, endorser=None, prover=None, hours: int = 24) -> dict:
    """A rotation notice of ``hub`` to key ``new``, endorsed by ``endorser`` (default: the hub's pinned key) and
    proved by ``prover`` (default: the new key)."""
    endorser = endorser or hub.key
    kind = new.public_key.kind
    record = KeyRecord(
        key_id=new.public_key.key_id,
        kind=kind,
        algorithm=ALGORITHM_OF_KIND[kind],
        public_key_pem=new.public_key.to_pem().decode("ascii"),
        valid_from=now(),
        endorsed_by=endorser.public_key.key_id,
    )
    endorsement = base64.b64encode(signer_for(endorser).sign(endorsement_bytes(record))).decode("ascii")
    record = KeyRecord(**{**record.__dict__, "endorsement": endorsement})
    body = {
        "hub": hub.code,
        "key": record.to_json(),
        "overlap_until": iso_utc(now() + timedelta(hours=hours)),
        "certificate_pem": "",
    }
    body["proof"] = base64.b64encode(signer_for(prover or new).sign(rotation_bytes(body))).decode("ascii")
    return body


def _header(body: dict) -> dict:
    return {HEADER: base64.b64encode(canonical_json(body)).decode("ascii")}


def _send(api, hub: RemoteHub, payload: dict, key, extra: dict | None = None):
    headers = hub.headers(payload, key=key)
    headers["X-Yiwang-Key-Id"] = key.public_key.key_id
    return api.post("/federation/inbox", payload, headers={**headers, **(extra or {})})


def _witnessed(action: str) -> int:
    return apps.get_model("audit", "WitnessEntry").objects.filter(action=action).count()


def test_a_rotation_mid_stream_re_pins_and_the_old_key_works_only_in_the_window(api, jiangsu, clock):
    old, new = jiangsu.key, generate_private_key("sm2")
    assert _send(api, jiangsu, jiangsu.batch((NOTICE, jiangsu.notice(1))), old).status_code == 200
    # the batch with the notice is signed by the NEW key and carries the notice in its header
    rotation = _notice_body(jiangsu, new)
    answer = _send(
        api, jiangsu, jiangsu.batch((NOTICE, jiangsu.notice(2)), (ROTATION, rotation)), new, _header(rotation)
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["applied"] == 2
    peer = Peer.objects.get(code=jiangsu.code)
    assert peer.key_id == new.public_key.key_id
    assert peer.previous_key_id == old.public_key.key_id
    assert peer.previous_key_until == clock.now() + timedelta(hours=24)
    assert _witnessed("federation.receive_messages") >= 2
    events = apps.get_model("outbox", "OutboxEvent").objects.filter(event_type="federation.peer_key_rotated.v1")
    assert events.count() == 1
    # within the window: the old key and the new one
    assert _send(api, jiangsu, jiangsu.batch((NOTICE, jiangsu.notice(3))), old).status_code == 200
    assert _send(api, jiangsu, jiangsu.batch((NOTICE, jiangsu.notice(4))), new).status_code == 200
    # after it: the new one only
    clock.advance(timedelta(hours=24, seconds=1))
    before = counts()
    late = _send(api, jiangsu, jiangsu.batch((NOTICE, jiangsu.notice(5)), start=5), old)
    assert late.status_code == 401
    assert late.json()["code"] == "federation.key_not_registered"
    assert counts() == before
    assert _send(api, jiangsu, jiangsu.batch((NOTICE, jiangsu.notice(5)), start=5), new).status_code == 200
    assert Peer.objects.get(code=jiangsu.code).received == 5
    # the notice arriving again (a resend) changes nothing
    again = _send(api, jiangsu, jiangsu.batch((NOTICE, jiangsu.notice(6)), start=6), new, _header(rotation))
    assert again.status_code == 200
    assert Peer.objects.get(code=jiangsu.code).key_id == new.public_key.key_id


@pytest.mark.parametrize("forgery", ["endorsed_by_stranger", "proof_by_stranger", "other_hub", "garbage"])
def test_a_forged_rotation_is_refused_and_witnessed(api, jiangsu, clock, forgery):
    stranger, new = generate_private_key("sm2"), generate_private_key("sm2")
    if forgery == "endorsed_by_stranger":
        body, signer = _notice_body(jiangsu, new, endorser=stranger), new
    elif forgery == "proof_by_stranger":
        body, signer = _notice_body(jiangsu, new, prover=stranger), new
    elif forgery == "other_hub":
        body, signer = {**_notice_body(jiangsu, new), "hub": "12330000MB0000000E"}, new
    else:
        body, signer = {"key": "x"}, new
    payload = jiangsu.batch((ROTATION, body) if isinstance(body.get("key"), dict) else (NOTICE, jiangsu.notice(1)))
    before = counts()
    answer = _send(api, jiangsu, payload, signer, _header(body))
    assert answer.status_code == 401
    assert answer.json()["code"] == "federation.rotation_refused"
    after = counts()
    assert after["witness"] == before["witness"] + 1  # the refusal is witnessed, nothing else stored
    assert {k: v for k, v in after.items() if k != "witness"} == {k: v for k, v in before.items() if k != "witness"}
    assert _witnessed("federation.refuse_key_rotation") == 1
    assert Peer.objects.get(code=jiangsu.code).key_id == jiangsu.key.public_key.key_id


def test_a_notice_in_the_stream_not_endorsed_by_the_pinned_key_changes_nothing(api, jiangsu, clock):
    forged = _notice_body(jiangsu, generate_private_key("sm2"), endorser=generate_private_key("sm2"))
    answer = _send(api, jiangsu, jiangsu.batch((ROTATION, forged)), jiangsu.key)  # a batch by the pinned key
    assert answer.status_code == 200
    assert Peer.objects.get(code=jiangsu.code).key_id == jiangsu.key.public_key.key_id
    entry = apps.get_model("audit", "WitnessEntry").objects.filter(action="federation.receive_messages").last()
    assert json.loads(entry.payload_text)["outcome"] == "refused"


def test_malformed_rotation_messages_refuse_the_batch(api, jiangsu, clock):
    body = {**_notice_body(jiangsu, generate_private_key("sm2")), "overlap_until": "tomorrow"}
    before = counts()
    answer = _send(api, jiangsu, jiangsu.batch((ROTATION, body)), jiangsu.key)
    assert answer.status_code == 422
    assert answer.json()["code"] == "federation.malformed_message"
    assert counts() == before


# -- the sending side --------------------------------------------------------------------------------------------
@pytest.fixture
def key_dir(settings, tmp_path):
    """This test's own key directory, holding a copy of the current key (rotation writes the new one here)."""
    current = FileKeyStore(service.key_directory()).path_for(platform_key_id())
    target = tmp_path / "keys"
    target.mkdir(mode=0o700)
    shutil.copy(current, target / current.name)
    settings.YIWANG_PLATFORM_KEY_DIR = target
    return target


def test_rotating_this_hubs_key_announces_it_to_every_peer(jiangsu, clock, key_dir, monkeypatch):
    sent: list[dict] = []

    def post(url, body, headers):
        sent.append(headers)
        payload = json.loads(body)
        return 200, {"acknowledged": payload["messages"][-1]["seq"], "applied": 1, "duplicates": 0}

    monkeypatch.setattr(actions, "_post", post)
    actions.sync_due()  # the peer's (empty) initial sync
    old_id = platform_key_id()
    do_rotate_platform_key(actor=Actor.system("ops"), reason="test")
    new_id = platform_key_id()
    assert actions.collect_feed(clock.now()) == 1
    (row,) = OutboundMessage.objects.filter(peer__code=jiangsu.code, message_type=ROTATION)
    body = row.body
    assert body["hub"] == actions.own_code()
    assert body["key"]["key_id"] == new_id
    assert body["key"]["endorsed_by"] == old_id
    assert body["overlap_until"] == iso_utc(clock.now() + timedelta(days=1))
    # the new key proves it; the old key endorsed it (what the peer, pinning the old key, checks)
    record = KeyRecord.from_json(body["key"])
    new_key = record.public_key()
    verify_signature(new_key, "sm2-sm3", rotation_bytes(body), base64.b64decode(body["proof"]))
    old_key = load_public_key(service.platform_public_key(old_id).to_pem())
    verify_signature(old_key, "sm2-sm3", endorsement_bytes(record), base64.b64decode(record.endorsement))
    # delivered signed by the new key, the notice in the header until the peer holds it
    actions.deliver_to(jiangsu.code)
    assert sent[-1]["X-Yiwang-Key-Id"] == new_id
    assert json.loads(base64.b64decode(sent[-1][HEADER])) == body
    # a notice queued later goes without it
    from yiwang.services.notices.tests.support import tender_notice

    tender_notice(title="闵行区七宝镇第8号道路大修工程施工招标公告", owner="tender.section:58")
    actions.collect_feed(clock.now())
    actions.deliver_to(jiangsu.code)
    assert HEADER not in sent[-1]


def test_the_identity_file_publishes_this_hubs_certificate(settings, tmp_path, db):
    assert actions.own_identity()["certificate_pem"] == ""
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    (tmp_path / "hub.pem").write_text(pem + "\n", encoding="ascii")
    settings.YIWANG_FEDERATION = {"CERTIFICATE_FILE": str(tmp_path / "hub.pem")}
    assert actions.own_identity()["certificate_pem"] == pem
    (tmp_path / "hub.pem").write_text("not a certificate", encoding="ascii")
    assert actions.own_identity()["certificate_pem"] == ""

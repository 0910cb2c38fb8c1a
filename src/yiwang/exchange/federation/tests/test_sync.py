"""Initial sync (首次同步): when a hub first peers, what this hub holds already — its CA trust list, the
registrations of its own organisations, its public notices — is queued for the new peer as ordinary signed,
witnessed messages, in bounded steps, paced by the deliveries; an interrupted step leaves nothing and the sync
continues where it stood; events after the peering come through the relay, never twice; a suspended peer is
synced again when resumed, with the requests that waited for it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.exchange.federation import actions, queries
from yiwang.exchange.federation.models import OutboundMessage, Peer
from yiwang.exchange.federation.tests.support import JIANGSU, ZHEJIANG, RemoteHub, counts
from yiwang.identity.ca import actions as ca_actions
from yiwang.identity.ca.tests.support import Pki
from yiwang.kernel.actors import Actor, ActorKind, Role, RoleGrant
from yiwang.kernel.errors import YiwangError
from yiwang.registry import actions as registry_actions
from yiwang.registry.tests.support import person_data
from yiwang.services.notices import actions as notices
from yiwang.services.notices.tests.support import tender_notice
from yiwang.services.venues.tests.support import at

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
PUJIANG = "91310115MA1FL2X37F"  # a company of the registry's authoritative demo source (浦东新区)


class FakePeer:
    """The peer's inbox: records the batches, acknowledges in order (or is down)."""

    def __init__(self) -> None:
        self.down = False
        self.held: dict[str, int] = {}
        self.messages: dict[str, list[dict]] = {}

    def __call__(self, url: str, body: bytes, headers: dict[str, str]):
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        payload = json.loads(body)
        to = payload["to"]
        for message in payload["messages"]:
            if message["seq"] == self.held.get(to, 0) + 1:
                self.held[to] = message["seq"]
                self.messages.setdefault(to, []).append(message)
        return 200, {"acknowledged": self.held.get(to, 0), "applied": 0, "duplicates": 0, "expected": None}


@pytest.fixture
def fake(monkeypatch) -> FakePeer:
    peer = FakePeer()
    monkeypatch.setattr(actions, "_post", peer)
    return peer


def _publish(n: int):
    return tender_notice(title=f"闵行区七宝镇第{n}号道路大修工程施工招标公告", owner=f"tender.section:{40 + n}")


def _history(pki: Pki):
    """What this hub holds before any peer: a CA, one organisation of its own, a natural person, a published
    notice, a corrected one and a withdrawn one. The relay has looked at all of it (no peer then)."""
    ca_actions.do_register_ca(actor=SYSTEM, certificate=pki.root.pem, name="上海测试根CA", crl_policy="warn")
    registry_actions.do_register_entity(
        actor=SYSTEM,
        data={
            "kind": "legal_person",
            "uscc": PUJIANG,
            "contact_name": "刘敏",
            "contact_phone": "13812345678",
            "roles": ["bidder"],
        },
    )
    registry_actions.do_register_entity(actor=SYSTEM, data=person_data())
    first = _publish(1)
    second = _publish(2)
    notices.do_correct_notice(
        actor=SYSTEM,
        notice_id=second.pk,
        title="闵行区七宝镇第2号道路大修工程施工招标更正公告",
        body_html="<p>更正：投标截止时间顺延。</p>",
        reason="投标截止时间顺延",
    )
    third = _publish(3)
    notices.do_withdraw_notice(actor=SYSTEM, notice_id=third.pk, reason="项目取消")
    assert actions.collect_feed() == 0
    return first, second, third


def _sync_all(code: str, *, deliver: bool = True) -> list[int]:
    """Run the sync step by step (delivering in between) until it has nothing to do; the steps' sizes."""
    sizes = []
    for _ in range(100):
        size = actions.sync_step(code)
        if size is None:
            if not deliver or Peer.objects.get(code=code).sync_state != "running":
                break
        else:
            sizes.append(size)
        if deliver:
            actions.deliver_to(code)
    return sizes


def _outbox(code: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(peer__code=code).order_by("seq"))


def _zhejiang() -> RemoteHub:
    hub = RemoteHub(ZHEJIANG, "浙江省公共资源交易平台", "http://127.0.0.1:18102")
    hub.register()
    return hub


@pytest.fixture
def pki() -> Pki:
    return Pki("sm2", label="上海")


def test_a_new_peer_gets_what_this_hub_holds_in_bounded_signed_steps(clock, settings, fake, pki):
    settings.YIWANG_FEDERATION = {"SYNC_BATCH": 2}
    first, second, third = _history(pki)
    copy = RemoteHub(JIANGSU, "江苏省公共资源交易平台", "http://127.0.0.1:18101").entity()["entity"]
    registry_actions.do_store_entity_copy(actor=SYSTEM, home_hub=JIANGSU, data=copy)  # another hub's: not passed on
    _zhejiang()
    peer = Peer.objects.get(code=ZHEJIANG)
    assert (peer.sync_state, peer.sync_reason, peer.sync_phase) == ("running", "peered", "cas")
    witnesses = apps.get_model("audit", "WitnessEntry").objects

    sizes = _sync_all(ZHEJIANG)
    assert sizes
    assert max(sizes) <= 2

    rows = _outbox(ZHEJIANG)
    assert [r.message_type for r in rows] == [
        "ca.trust",
        "entity.registration",
        "notice.published",
        "notice.published",
        "notice.published",
        "notice.published",
        "notice.withdrawn",
    ]
    assert rows[0].body["name"] == "上海测试根CA"
    assert rows[1].body["entity"]["uscc"] == PUJIANG  # the natural person never leaves
    assert [r.body.get("chain") for r in rows[2:6]] == [
        f"notice:{first.pk}",
        f"notice:{second.pk}",
        f"notice:{second.pk}",
        f"notice:{third.pk}",
    ]
    assert rows[3].body["version"] == 1
    assert rows[4].body["version"] == 2
    assert rows[6].body["notice_id"] == third.pk
    assert all(r.source_event > 0 for r in rows[2:])  # notices name the feed event they replay
    # every message witnessed as queued by the sync, once
    queued = witnesses.filter(action="federation.queue_message")
    assert queued.count() == len(rows)
    assert {json.loads(e.payload_text)["sync"] for e in queued} == {"peered"}
    # delivered as ordinary signed batches, in order, acknowledged
    assert [m["seq"] for m in fake.messages[ZHEJIANG]] == list(range(1, len(rows) + 1))
    peer = Peer.objects.get(code=ZHEJIANG)
    assert (peer.sync_state, peer.sync_phase, peer.sync_queued) == ("done", "", len(rows))
    view = queries.get_peer_for(SYSTEM, ZHEJIANG)
    assert view.sync_delivered
    assert view.sync_finished_at == clock.now()
    assert apps.get_model("outbox", "OutboxEvent").objects.filter(event_type="federation.peer_synced.v1").count() == 1
    # nothing more to do: another run queues nothing
    assert actions.sync_due() == 0
    assert len(_outbox(ZHEJIANG)) == len(rows)


def test_the_sync_waits_for_deliveries_while_the_peer_is_down(clock, settings, fake, pki):
    settings.YIWANG_FEDERATION = {"SYNC_BATCH": 1}
    _history(pki)
    _zhejiang()
    fake.down = True
    assert actions.relay(clock.now()) == 3  # three steps of one, then it waits: more than two unacknowledged
    assert actions.relay(clock.now()) == 0
    assert len(_outbox(ZHEJIANG)) == 3
    assert Peer.objects.get(code=ZHEJIANG).sync_state == "running"
    fake.down = False
    for _ in range(10):
        clock.advance(timedelta(minutes=20))  # past any backoff
        actions.relay(clock.now())
    assert Peer.objects.get(code=ZHEJIANG).sync_state == "done"
    assert len(fake.messages[ZHEJIANG]) == len(_outbox(ZHEJIANG)) == 7


def test_an_interrupted_step_leaves_nothing_and_the_sync_continues_without_duplicates(
    clock, settings, fake, pki, monkeypatch
):
    settings.YIWANG_FEDERATION = {"SYNC_BATCH": 3}
    _history(pki)
    _zhejiang()
    assert actions.sync_step(ZHEJIANG) == 3  # the CA, the organisation, the first notice event
    before = counts()
    peer_before = Peer.objects.values().get(code=ZHEJIANG)
    real = actions._message_of
    calls = {"n": 0}

    def crash_on_the_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed mid-step")
        return real(*args, **kwargs)

    monkeypatch.setattr(actions, "_message_of", crash_on_the_second)
    with pytest.raises(RuntimeError):
        actions.sync_step(ZHEJIANG)
    assert counts() == before  # no message, no witness entry, no event
    assert Peer.objects.values().get(code=ZHEJIANG) == peer_before  # the cursor did not move
    monkeypatch.setattr(actions, "_message_of", real)
    _sync_all(ZHEJIANG)
    rows = _outbox(ZHEJIANG)
    assert len(rows) == 7
    keys = [(r.message_type, r.source_event) for r in rows if r.source_event]
    assert len(keys) == len(set(keys))  # every feed event replayed once


def test_events_after_the_peering_come_through_the_relay_once(clock, fake, pki):
    first, _second, _third = _history(pki)
    _zhejiang()
    later = _publish(9)  # after the peering, before the sync's first step
    assert actions.collect_feed() == 1  # the relay queues it for the new peer
    _sync_all(ZHEJIANG)
    chains = [r.body["chain"] for r in _outbox(ZHEJIANG) if r.message_type == "notice.published"]
    assert chains.count(f"notice:{later.pk}") == 1
    assert chains.count(f"notice:{first.pk}") == 1


def test_a_peer_registered_while_the_relay_looks_is_not_missed(clock, fake, pki, monkeypatch):
    """The relay read the active peers, a hub is registered, then the relay queues: it notices the new peer
    under its lock and looks again, so the event reaches the new peer once (by the relay, not the sync)."""
    notice = _publish(1)
    real = actions._queue
    calls = {"n": 0}

    def register_meanwhile(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            _zhejiang()
        return real(*args, **kwargs)

    jiangsu = RemoteHub(JIANGSU, "江苏省公共资源交易平台", "http://127.0.0.1:18101")
    jiangsu.register()
    _sync_all(JIANGSU)
    monkeypatch.setattr(actions, "_queue", register_meanwhile)
    later = _publish(2)
    actions.collect_feed()
    _sync_all(ZHEJIANG)
    chains = [r.body.get("chain") for r in _outbox(ZHEJIANG) if r.message_type == "notice.published"]
    assert sorted(chains) == sorted([f"notice:{notice.pk}", f"notice:{later.pk}"])


def test_a_resumed_peer_is_synced_again_with_the_requests_that_waited(clock, fake, pki):
    _history(pki)
    jiangsu = RemoteHub(JIANGSU, "江苏省公共资源交易平台", "http://127.0.0.1:18101")
    jiangsu.register()
    _sync_all(JIANGSU)
    synced = len(_outbox(JIANGSU))
    staff = Actor.system("test")
    site = actions.do_request_remote_site(
        actor=staff, peer_code=JIANGSU, room_id=41, start=at(9), end=at(17), seats=3, owner_ref="tender.section:12"
    )
    actions.do_set_peer_active(actor=staff, code=JIANGSU, active=False)
    during = _publish(7)
    actions.collect_feed()  # the request and the notice are not queued for a suspended peer
    assert len(_outbox(JIANGSU)) == synced
    peer = actions.do_set_peer_active(actor=staff, code=JIANGSU, active=True)
    assert (peer.sync_state, peer.sync_reason) == ("running", "resumed")
    _sync_all(JIANGSU)
    resent = _outbox(JIANGSU)[synced:]
    requests = [r for r in resent if r.message_type == "venue.booking_request"]
    assert [r.body["request_id"] for r in requests] == [site.request_id]
    assert requests[0].body["room_id"] == 41
    assert requests[0].body["seats"] == 3
    assert f"notice:{during.pk}" in [r.body.get("chain") for r in resent]
    # a request already on its way is not sent again by a later sync
    actions.do_start_peer_sync(actor=staff, code=JIANGSU)
    before = len(_outbox(JIANGSU))
    _sync_all(JIANGSU)
    again = _outbox(JIANGSU)[before:]
    assert not [r for r in again if r.message_type == "venue.booking_request"]


def test_the_national_uplink_is_not_synced_and_a_sync_needs_an_active_hub(clock, fake, pki):
    national = RemoteHub(ZHEJIANG, "国家公共资源交易平台", "http://127.0.0.1:18109")
    actions.do_register_peer(
        actor=SYSTEM, code=national.code, name=national.name, base_url=national.base_url,
        public_key=national.public_pem, kind="national",
    )  # fmt: skip
    assert Peer.objects.get(code=ZHEJIANG).sync_state == ""
    before = counts()
    for code in (ZHEJIANG, "91310000MA1FL00000"):
        with pytest.raises(YiwangError) as info:
            actions.do_start_peer_sync(actor=SYSTEM, code=code)
        assert info.value.code in ("federation.peer_inactive", "federation.unknown_peer")
    clerk = Actor(ActorKind.ACCOUNT, "61", "工作人员", (RoleGrant(Role.STAFF, region="310000"),))
    with pytest.raises(YiwangError) as info:
        actions.do_start_peer_sync(actor=clerk, code=ZHEJIANG)
    assert info.value.code == "federation.forbidden"
    assert counts() == before

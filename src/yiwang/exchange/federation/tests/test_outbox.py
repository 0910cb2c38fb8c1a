"""The sending side: published, corrected and withdrawn notices (and notices pushed by sub-platforms) become
messages for every active peer, numbered per peer and witnessed; delivery is signed with this hub's platform
key, retried with exponential backoff while the peer is down, and resumes from what the peer acknowledged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.exchange.federation import actions
from yiwang.exchange.federation.models import OutboundMessage, Peer
from yiwang.exchange.federation.tests.support import ZHEJIANG, RemoteHub
from yiwang.kernel.actors import Actor
from yiwang.kernel.crypto import load_public_key, verify_signature
from yiwang.services.notices import actions as notices
from yiwang.services.notices.tests.support import tender_notice

pytestmark = pytest.mark.django_db


class FakePeer:
    """Stands in for the peer's inbox: records what it was sent, answers like a receiver (or is down)."""

    def __init__(self) -> None:
        self.down = False
        self.held = 0
        self.batches: list[tuple[str, dict, dict]] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]):
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        payload = json.loads(body)
        self.batches.append((url, payload, headers))
        for message in payload["messages"]:
            if message["seq"] == self.held + 1:
                self.held += 1
        return 200, {"acknowledged": self.held, "applied": 0, "duplicates": 0, "expected": None}


@pytest.fixture
def fake(monkeypatch) -> FakePeer:
    peer = FakePeer()
    monkeypatch.setattr(actions, "_post", peer)
    return peer


def _publish(n: int = 1):
    return tender_notice(title=f"闵行区七宝镇第{n}号道路大修工程施工招标公告", owner=f"tender.section:{30 + n}")


def test_a_published_notice_is_queued_for_every_active_peer_and_witnessed(jiangsu, clock):
    RemoteHub(ZHEJIANG, "浙江省公共资源交易平台", "http://127.0.0.1:18102").register()
    actions.collect_feed(clock.now())  # nothing yet
    notice = _publish()
    before = apps.get_model("audit", "WitnessEntry").objects.count()
    assert actions.collect_feed(clock.now()) == 2
    rows = list(OutboundMessage.objects.order_by("peer__code"))
    assert [(r.peer.code, r.seq, r.message_type) for r in rows] == [
        (jiangsu.code, 1, "notice.published"),
        (ZHEJIANG, 1, "notice.published"),
    ]
    body = rows[0].body
    assert body["chain"] == f"notice:{notice.pk}"
    assert body["title"] == notice.title
    assert body["url"].startswith("http")
    assert apps.get_model("audit", "WitnessEntry").objects.count() == before + 2
    assert actions.collect_feed(clock.now()) == 0  # the cursor moved on: nothing is queued twice


def test_corrections_and_withdrawals_follow(jiangsu, clock):
    notice = _publish()
    staff = Actor.system("test")
    corrected = notices.do_correct_notice(
        actor=staff,
        notice_id=notice.pk,
        title="闵行区七宝镇第1号道路大修工程施工招标更正公告",
        body_html="<p>更正：投标截止时间顺延。</p>",
        reason="投标截止时间顺延",
    )
    notices.do_withdraw_notice(actor=staff, notice_id=corrected.pk, reason="项目取消")
    actions.collect_feed(clock.now())
    rows = list(OutboundMessage.objects.order_by("seq"))
    assert [r.message_type for r in rows] == ["notice.published", "notice.published", "notice.withdrawn"]
    assert rows[0].body["chain"] == rows[1].body["chain"] == f"notice:{notice.pk}"
    assert rows[1].body["version"] == 2
    assert rows[2].body["notice_id"] == corrected.pk


def test_delivery_is_signed_in_order_and_acknowledged(jiangsu, clock, fake):
    for n in (1, 2, 3):
        _publish(n)
    actions.collect_feed(clock.now())
    assert actions.deliver_due(clock.now()) == 3
    ((url, payload, headers),) = fake.batches
    assert url == "http://127.0.0.1:18101/api/v1/federation/inbox"
    assert payload["from"] == actions.own_code()
    assert payload["to"] == jiangsu.code
    assert [m["seq"] for m in payload["messages"]] == [1, 2, 3]
    identity = actions.own_identity()
    assert headers["X-Yiwang-Key-Id"] == identity["key_id"]
    from base64 import b64decode

    from yiwang.exchange.federation.domain.messages import signed_bytes
    from yiwang.identity.ca import queries as ca

    message = signed_bytes(
        ca.api_signing_input(payload, timestamp=headers["X-Yiwang-Timestamp"], nonce=headers["X-Yiwang-Nonce"])
    )
    key = load_public_key(identity["public_key_pem"])
    verify_signature(key, identity["algorithm"], message, b64decode(headers["X-Yiwang-Signature"]))
    peer = Peer.objects.get()
    assert (peer.acknowledged, peer.last_queued, peer.failures) == (3, 3, 0)
    assert not OutboundMessage.objects.filter(delivered_at__isnull=True).exists()
    assert actions.deliver_due(clock.now()) == 0
    assert len(fake.batches) == 1


def test_a_peer_that_is_down_is_retried_with_backoff_and_catches_up(jiangsu, clock, fake):
    fake.down = True
    _publish(1)
    actions.collect_feed(clock.now())
    actions.deliver_due(clock.now())
    peer = Peer.objects.get()
    assert peer.failures == 1
    assert "Connection refused" in peer.last_error
    assert peer.next_attempt_at == clock.now() + timedelta(seconds=2)
    clock.advance(timedelta(seconds=1))
    actions.deliver_due(clock.now())  # not due yet: no attempt
    assert Peer.objects.get().failures == 1
    clock.advance(timedelta(seconds=1))
    actions.deliver_due(clock.now())
    peer = Peer.objects.get()
    assert peer.failures == 2
    assert peer.next_attempt_at == clock.now() + timedelta(seconds=4)
    _publish(2)
    actions.collect_feed(clock.now())
    fake.down = False
    clock.advance(timedelta(seconds=4))
    assert actions.deliver_due(clock.now()) == 2
    ((_, payload, _),) = fake.batches
    assert [m["seq"] for m in payload["messages"]] == [1, 2]
    peer = Peer.objects.get()
    assert (peer.acknowledged, peer.failures, peer.next_attempt_at, peer.last_error) == (2, 0, None, "")


def test_a_peer_that_lost_messages_gets_them_again(jiangsu, clock, fake):
    for n in (1, 2):
        _publish(n)
    actions.collect_feed(clock.now())
    actions.deliver_due(clock.now())
    fake.held = 1  # the peer was restored from a backup holding message 1 only
    _publish(3)
    actions.collect_feed(clock.now())
    actions.deliver_due(clock.now())
    # it answered 1 to message 3: everything above 1 is sent again, in order
    assert [m["seq"] for m in fake.batches[-1][1]["messages"]] == [2, 3]
    assert Peer.objects.get().acknowledged == 3


def test_a_suspended_peer_gets_no_new_messages(jiangsu, clock):
    actions.do_set_peer_active(actor=Actor.system("test"), code=jiangsu.code, active=False)
    _publish()
    assert actions.collect_feed(clock.now()) == 0
    assert not OutboundMessage.objects.exists()

"""Receiving a peer's batches: signed by its pinned key, applied once and in order, notices searchable with
the home hub's name and a link back; corrections replace, withdrawals remove. Every refusal is specific and
leaves nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.exchange.federation.models import InboundMessage, Peer, RemoteNotice
from yiwang.exchange.federation.tests.support import ANHUI, ZHEJIANG, RemoteHub, counts
from yiwang.kernel.actors import Actor
from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.crypto import generate_private_key
from yiwang.platform.search.domain.documents import SearchQuery
from yiwang.platform.search.queries import search_for

pytestmark = pytest.mark.django_db

PUBLISHED, WITHDRAWN = "notice.published", "notice.withdrawn"


def _search(text: str) -> list:
    page = search_for(Actor.anonymous(), SearchQuery(text=text, kinds=("federation_notice",)))
    return list(page.hits)


def _refused(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def test_a_peer_notice_shows_in_search_with_its_hub_and_a_link_back(api, jiangsu):
    response = jiangsu.send(api, jiangsu.batch((PUBLISHED, jiangsu.notice(1))))
    assert response.status_code == 200, response.content
    assert response.json() == {"acknowledged": 1, "applied": 1, "duplicates": 0, "expected": None}
    (hit,) = _search("道路改造")
    assert hit.kind == "federation_notice"
    assert hit.url == "http://127.0.0.1:18101/notices/1/"
    assert hit.extra["hub_name"] == "江苏省公共资源交易平台"
    assert hit.extra["hub_code"] == jiangsu.code
    listed = api.get("/federation/notices").json()
    assert [(n["hub_code"], n["number"]) for n in listed] == [(jiangsu.code, "JS-2026-0001")]


def test_a_delivery_repeated_changes_nothing(api, jiangsu):
    payload = jiangsu.batch((PUBLISHED, jiangsu.notice(1)), (PUBLISHED, jiangsu.notice(2)))
    assert jiangsu.send(api, payload).json()["applied"] == 2
    before = counts()
    again = jiangsu.send(api, payload)  # the answer was lost: the sender sends the same messages again
    assert again.json() == {"acknowledged": 2, "applied": 0, "duplicates": 2, "expected": None}
    assert counts() == before
    # overlapping: 2 again, then 3
    overlap = jiangsu.batch((PUBLISHED, jiangsu.notice(2)), (PUBLISHED, jiangsu.notice(3)), start=2)
    jiangsu.seq = 3
    assert jiangsu.send(api, overlap).json() == {"acknowledged": 3, "applied": 1, "duplicates": 1, "expected": None}
    assert RemoteNotice.objects.count() == 3
    assert list(InboundMessage.objects.values_list("seq", flat=True)) == [1, 2, 3]


def test_a_gap_applies_nothing_and_names_the_expected_number(api, jiangsu):
    jiangsu.send(api, jiangsu.batch((PUBLISHED, jiangsu.notice(1))))
    before = counts()
    ahead = jiangsu.batch((PUBLISHED, jiangsu.notice(5)), start=5)
    assert jiangsu.send(api, ahead).json() == {"acknowledged": 1, "applied": 0, "duplicates": 0, "expected": 2}
    assert counts() == before


def test_a_correction_replaces_the_document_and_a_withdrawal_marks_it(api, jiangsu):
    jiangsu.send(api, jiangsu.batch((PUBLISHED, jiangsu.notice(1))))
    corrected = jiangsu.notice(1, title="苏州工业园区第1号道路改造工程施工招标更正公告", version=2)
    jiangsu.send(api, jiangsu.batch((PUBLISHED, corrected)))
    (hit,) = _search("道路改造")
    assert "更正" in hit.title
    notice = RemoteNotice.objects.get()
    assert notice.version == 2
    assert notice.notice_id == 12
    # an older version arriving late changes nothing
    jiangsu.send(api, jiangsu.batch((PUBLISHED, jiangsu.notice(1))))
    assert RemoteNotice.objects.get().version == 2
    withdrawal = {"chain": "", "notice_id": 12, "number": "JS-2026-0001", "reason": "项目取消"}
    assert jiangsu.send(api, jiangsu.batch((WITHDRAWN, withdrawal))).json()["applied"] == 1
    (hit,) = _search("道路改造")
    assert hit.extra["status"] == "withdrawn"
    notice = RemoteNotice.objects.get()
    assert notice.withdrawn
    assert notice.withdraw_reason == "项目取消"
    assert api.get("/federation/notices").json() == []


def test_a_deleted_subplatform_notice_leaves_the_index(api, jiangsu):
    chain = "exchange:TENDER_ANN_QUA_INQUERY_ANN:E3201000001000001|1"
    jiangsu.send(api, jiangsu.batch((PUBLISHED, {**jiangsu.notice(1), "chain": chain, "notice_id": None})))
    assert len(_search("道路改造")) == 1
    deleted = {"chain": chain, "notice_id": None, "number": "", "reason": "删除 deleted"}
    jiangsu.send(api, jiangsu.batch((WITHDRAWN, deleted)))
    assert _search("道路改造") == []
    assert RemoteNotice.objects.get().withdrawn


def test_each_applied_message_is_witnessed_and_published(api, jiangsu):
    from django.apps import apps

    WitnessEntry = apps.get_model("audit", "WitnessEntry")
    OutboxEvent = apps.get_model("outbox", "OutboxEvent")
    before_w, before_e = WitnessEntry.objects.count(), OutboxEvent.objects.count()
    jiangsu.send(api, jiangsu.batch((PUBLISHED, jiangsu.notice(1)), (PUBLISHED, jiangsu.notice(2))))
    assert WitnessEntry.objects.count() == before_w + 2
    events = list(OutboxEvent.objects.filter(seq__gt=before_e).values_list("event_type", flat=True))
    assert events == ["federation.notice_received.v1"] * 2


# -- refusals -------------------------------------------------------------------------------------------------------
def test_an_unknown_peer_is_refused(api, jiangsu):
    stranger = RemoteHub(ZHEJIANG, "浙江", "http://127.0.0.1:18102")
    before = counts()
    _refused(stranger.send(api, stranger.batch((PUBLISHED, stranger.notice(1)))), 403, "federation.unknown_peer")
    assert counts() == before


def test_a_suspended_peer_is_refused(api, jiangsu):
    from yiwang.exchange.federation import actions

    actions.do_set_peer_active(actor=Actor.system("test"), code=jiangsu.code, active=False)
    before = counts()
    _refused(jiangsu.send(api, jiangsu.batch((PUBLISHED, jiangsu.notice(1)))), 403, "federation.unknown_peer")
    assert counts() == before


def test_a_wrong_signature_is_refused(api, jiangsu):
    payload = jiangsu.batch((PUBLISHED, jiangsu.notice(1)))
    headers = jiangsu.headers(payload)
    tampered = {**payload, "messages": [{**payload["messages"][0], "body": jiangsu.notice(1, title="篡改")}]}
    before = counts()
    _refused(api.post("/federation/inbox", tampered, headers=headers), 401, "federation.signature_invalid")
    # signed by another key that claims the peer's key id
    other = generate_private_key("sm2")
    headers = jiangsu.headers(payload, key=other)
    headers["X-Yiwang-Key-Id"] = jiangsu.key.public_key.key_id
    _refused(api.post("/federation/inbox", payload, headers=headers), 401, "federation.signature_invalid")
    # signed by a key that is not the registered one
    _refused(jiangsu.send(api, payload, key=other), 401, "federation.key_not_registered")
    assert counts() == before


def test_an_unsigned_or_malformed_signature_is_refused(api, jiangsu):
    payload = jiangsu.batch((PUBLISHED, jiangsu.notice(1)))
    before = counts()
    _refused(api.post("/federation/inbox", payload), 401, "federation.unsigned")
    headers = jiangsu.headers(payload)
    del headers["X-Yiwang-Nonce"]
    _refused(api.post("/federation/inbox", payload, headers=headers), 401, "federation.unsigned")
    headers = jiangsu.headers(payload)
    headers["X-Yiwang-Signature"] = "not base64 !"
    _refused(api.post("/federation/inbox", payload, headers=headers), 401, "federation.signature_malformed")
    headers = jiangsu.headers(payload)
    headers["X-Yiwang-Timestamp"] = "yesterday"
    _refused(api.post("/federation/inbox", payload, headers=headers), 401, "federation.signature_malformed")
    assert counts() == before


def test_a_replayed_nonce_is_refused(api, jiangsu):
    payload = jiangsu.batch((PUBLISHED, jiangsu.notice(1)))
    headers = jiangsu.headers(payload, nonce="nonce-used-once-0001")
    assert api.post("/federation/inbox", payload, headers=headers).status_code == 200
    before = counts()
    _refused(api.post("/federation/inbox", payload, headers=headers), 409, "federation.replayed")
    assert counts() == before


def test_a_too_old_or_future_timestamp_is_refused(api, jiangsu, clock):
    payload = jiangsu.batch((PUBLISHED, jiangsu.notice(1)))
    before = counts()
    old = iso_utc(clock.now() - timedelta(minutes=6))
    _refused(jiangsu.send(api, payload, timestamp=old), 401, "federation.timestamp_out_of_window")
    future = iso_utc(clock.now() + timedelta(minutes=6))
    _refused(jiangsu.send(api, payload, timestamp=future), 401, "federation.timestamp_out_of_window")
    assert counts() == before
    # within the window it passes
    assert jiangsu.send(api, payload, timestamp=iso_utc(clock.now() - timedelta(minutes=4))).status_code == 200


def test_a_batch_for_another_hub_or_malformed_is_refused(api, jiangsu):
    before = counts()
    wrong = jiangsu.batch((PUBLISHED, jiangsu.notice(1)), to=ANHUI, start=1)
    _refused(jiangsu.send(api, wrong), 422, "federation.wrong_recipient")
    for bad in (
        {"from": jiangsu.code, "to": "x"},
        {"from": jiangsu.code, "to": "x", "messages": []},
        {"from": jiangsu.code, "to": "x", "messages": [{"seq": 1, "type": "gossip", "body": {}}]},
        {
            "from": jiangsu.code,
            "to": "x",
            "messages": [{"seq": 1, "type": PUBLISHED, "body": {}}, {"seq": 3, "type": PUBLISHED, "body": {}}],
        },
        [1, 2],
    ):
        _refused(jiangsu.send(api, bad), 422, "federation.malformed_batch")
    no_title = jiangsu.notice(1)
    no_title["title"] = ""
    _refused(jiangsu.send(api, jiangsu.batch((PUBLISHED, no_title), start=1)), 422, "federation.malformed_message")
    bad_url = {**jiangsu.notice(1), "url": "javascript:alert(1)"}
    _refused(jiangsu.send(api, jiangsu.batch((PUBLISHED, bad_url), start=1)), 422, "federation.malformed_message")
    assert counts() == before
    assert Peer.objects.get().received == 0

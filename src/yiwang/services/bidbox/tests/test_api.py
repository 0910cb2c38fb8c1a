"""The bid-box API end to end: ceremony, box, multipart submission with receipt, secrecy, the opening with a
content key, the custodians' shares, the record; errors with their codes."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.kernel.crypto import envelope
from yiwang.platform import keys as platform_keys
from yiwang.platform.clock import get_clock
from yiwang.services.bidbox.models import OpeningKey, Submission
from yiwang.services.bidbox.tests.support import DEADLINE, bid_document, counts, flip_ciphertext_byte, seal_for

pytestmark = pytest.mark.django_db
BASE = "/api/v1/bidbox"


def _client(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def _upload(client: Client, box_id: int, data: bytes):
    upload = SimpleUploadedFile("bid.ywenv", data, content_type="application/octet-stream")
    return client.post(f"{BASE}/boxes/{box_id}/submissions", {"file": upload})


def test_ceremony_over_the_api(world, client):
    staff = _client(world.staff)
    refused = staff.post(
        f"{BASE}/keys",
        {"threshold": 2, "custodians": ["甲", "乙", "丙"]},
        content_type="application/json",
        headers={"Idempotency-Key": "k-1"},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "bidbox.ceremony_not_idempotent"
    assert OpeningKey.objects.count() == 0
    made = staff.post(
        f"{BASE}/keys", {"threshold": 2, "custodians": ["甲", "乙", "丙"]}, content_type="application/json"
    )
    assert made.status_code == 201
    body = made.json()
    assert [s["name"] for s in body["shares"]] == ["甲", "乙", "丙"]
    key = OpeningKey.objects.get()
    public = envelope.recover_opening_key([s["share"] for s in body["shares"][:2]], public_key=_public(key))
    assert public.public_key.key_id == body["key"]["key_id"]
    read = client.get(f"{BASE}/keys/{key.pk}")
    assert read.status_code == 200
    assert "share" not in read.content.decode()
    bidder = _client(world.a.account).post(
        f"{BASE}/keys", {"threshold": 2, "custodians": ["甲", "乙"]}, content_type="application/json"
    )
    assert bidder.status_code == 403
    assert bidder.json()["code"] == "bidbox.forbidden"


def _public(key):
    from yiwang.services.bidbox.actions import opening_key_of

    return opening_key_of(key)


def test_the_whole_flow_over_the_api(world, ceremony, client):
    staff = _client(world.staff)
    created = staff.post(
        f"{BASE}/boxes",
        {
            "owner_context": "auction.lot",
            "owner_ref": "LOT-1",
            "title": "一次报价 LOT-1",
            "deadline": DEADLINE.isoformat(),
            "opening_key": ceremony.key.key_id,
            "min_bidders_rule": "judicial.min_bidders",
            "decryption_window_minutes": 20,
            "readout_fields": ["price_fen"],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    box = created.json()
    assert created["Location"] == f"{BASE}/boxes/{box['id']}"
    assert box["opening_at"].startswith("2026-03-04T01:00:00")
    from yiwang.services.bidbox.models import Box

    row = Box.objects.get(pk=box["id"])
    bidder = _client(world.a.account)
    sealed = seal_for(row, world.a, bid_document(8_800))

    # a refused upload: its code, nothing stored
    before = counts()
    bad = _upload(bidder, row.pk, b"")
    assert bad.status_code == 422
    assert bad.json()["code"] == "bidbox.empty_file"
    bad = _upload(bidder, row.pk, flip_ciphertext_byte(sealed))
    assert (bad.status_code, bad.json()["code"]) == (422, "crypto.envelope_tampered")
    assert counts() == before

    done = _upload(bidder, row.pk, sealed)
    assert done.status_code == 201, done.content
    receipt = done.json()
    appended = sealed + base64.b64decode(receipt["receipt"])
    found = envelope.verify_receipt(appended, platform_key=platform_keys.platform_public_key(receipt["receipt_key_id"]))
    assert found.receipt_id == receipt["receipt_id"]
    sub = Submission.objects.get()
    assert bidder.get(f"{BASE}/submissions/{sub.pk}/receipt").json()["receipt_id"] == receipt["receipt_id"]
    assert [r["receipt_id"] for r in bidder.get(f"{BASE}/submissions/mine").json()] == [receipt["receipt_id"]]

    # secrecy over the API
    assert staff.get(f"{BASE}/boxes/{row.pk}/count").json() == {"box_id": row.pk, "submissions": 1}
    sealed_count = bidder.get(f"{BASE}/boxes/{row.pk}/count")
    assert (sealed_count.status_code, sealed_count.json()["code"]) == (403, "bidbox.sealed")
    assert client.get(f"{BASE}/boxes/{row.pk}").json()["submission_count"] is None
    assert staff.get(f"{BASE}/submissions/{sub.pk}/receipt").status_code == 404
    assert client.get(f"{BASE}/boxes/{row.pk}/hall").json()["code"] == "bidbox.sealed"
    assert client.get(f"{BASE}/boxes/{row.pk}/record").status_code == 409
    early = staff.post(f"{BASE}/boxes/{row.pk}/opening")
    assert (early.status_code, early.json()["code"]) == (409, "bidbox.not_yet_open")

    # the opening
    get_clock().set(DEADLINE)
    assert staff.post(f"{BASE}/boxes/{row.pk}/opening").json()["status"] == "opening"
    wrong = bidder.post(
        f"{BASE}/submissions/{sub.pk}/content-key", {"content_key": "00" * 16}, content_type="application/json"
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "crypto.wrong_key")
    cek = envelope.unwrap_content_key(sealed, private_key=world.a.issued.key).hex()
    opened = bidder.post(
        f"{BASE}/submissions/{sub.pk}/content-key",
        {"content_key": cek},
        content_type="application/json",
        headers={"Idempotency-Key": "decrypt-1"},
    )
    assert opened.status_code == 200
    assert opened.json()["opening_status"] == "decrypted"
    hall = client.get(f"{BASE}/boxes/{row.pk}/hall").json()
    assert [(e["number"], e["opening_status"], e["submission_id"]) for e in hall["entries"]] == [(1, "decrypted", None)]
    closed = staff.post(f"{BASE}/boxes/{row.pk}/close")
    assert closed.json()["status"] == "closed"
    record = client.get(f"{BASE}/boxes/{row.pk}/record").json()["record"]
    assert record["outcome"] == "opened"
    assert record["entries"][0]["readout"] == {"price_fen": "8800"}
    assert record["entries"][0]["bidder_id"] == world.a.uscc


def test_postpone_and_withdraw_over_the_api(world, box):
    staff = _client(world.staff)
    bidder = _client(world.a.account)
    done = _upload(bidder, box.pk, seal_for(box, world.a, bid_document(1)))
    sub_id = done.json()["submission_id"]
    late = (DEADLINE + timedelta(days=1)).isoformat()
    stale = staff.post(
        f"{BASE}/boxes/{box.pk}/postpone",
        {"new_deadline": late, "reason": "澄清"},
        content_type="application/json",
        headers={"If-Match": '"7"'},
    )
    assert stale.status_code == 412
    moved = staff.post(
        f"{BASE}/boxes/{box.pk}/postpone", {"new_deadline": late, "reason": "澄清"}, content_type="application/json"
    )
    assert moved.status_code == 200
    assert moved.json()["postponements"][0]["reason"] == "澄清"
    assert moved["ETag"] == '"2"'
    withdrawn = bidder.post(f"{BASE}/submissions/{sub_id}/withdraw")
    assert withdrawn.json()["status"] == "withdrawn"
    other = _client(world.b.account).post(f"{BASE}/submissions/{sub_id}/withdraw")
    assert other.status_code == 404


def test_shares_and_fallback_over_the_api(world, ceremony, box1):
    bidder = _client(world.a.account)
    sub_id = _upload(bidder, box1.pk, seal_for(box1, world.a, bid_document(2))).json()["submission_id"]
    get_clock().set(DEADLINE)
    staff = _client(world.staff)
    staff.post(f"{BASE}/boxes/{box1.pk}/opening")
    allowed = staff.post(
        f"{BASE}/submissions/{sub_id}/fallback", {"reason": "platform_outage"}, content_type="application/json"
    )
    assert allowed.status_code == 200
    for i in range(3):
        answer = _client(world.custodians[i]).post(
            f"{BASE}/boxes/{box1.pk}/shares", {"share": ceremony.shares[i].text}, content_type="application/json"
        )
        assert answer.status_code == 200, answer.content
    assert answer.json()["opened"] == [Submission.objects.get().receipt_id]
    bad = _client(world.custodians[3]).post(
        f"{BASE}/boxes/{box1.pk}/shares", {"share": "YWSS1-AAAA-BBBB"}, content_type="application/json"
    )
    assert bad.status_code in (409, 422)

"""The pages render for each role, at each stage, and the forms do what the API does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.kernel.crypto import envelope
from yiwang.platform.clock import get_clock
from yiwang.services.bidbox.models import PendingShare, Submission
from yiwang.services.bidbox.tests.support import DEADLINE, bid_document, seal_for

pytestmark = pytest.mark.django_db


def _client(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def test_pages_before_the_opening(world, box, client):
    bidder = _client(world.a.account)
    staff = _client(world.staff)
    assert "电子投标箱" in client.get("/bidbox/").content.decode()
    page = client.get(f"/bidbox/{box.pk}/").content.decode()
    assert "开标公钥" in page
    assert "递交投标文件" not in page  # anonymous: no submit button
    assert "递交投标文件" in bidder.get(f"/bidbox/{box.pk}/").content.decode()
    assert client.get(f"/bidbox/{box.pk}/submit/").status_code == 302  # sign in first
    form = bidder.get(f"/bidbox/{box.pk}/submit/")
    assert form.status_code == 200
    assert "上海浦江数智建设工程有限公司" in form.content.decode()
    # a refused upload shows its reason on the form
    bad = bidder.post(
        f"/bidbox/{box.pk}/submit/",
        {"entity_id": world.a.entity_id, "file": SimpleUploadedFile("x.ywenv", b"not an envelope")},
    )
    assert bad.status_code == 200
    assert "crypto.envelope_malformed" in bad.content.decode()
    sealed = seal_for(box, world.a, bid_document(5))
    done = bidder.post(
        f"/bidbox/{box.pk}/submit/", {"entity_id": world.a.entity_id, "file": SimpleUploadedFile("b.ywenv", sealed)}
    )
    sub = Submission.objects.get()
    assert done.status_code == 302
    assert done["Location"] == f"/bidbox/submissions/{sub.pk}/"
    receipt = bidder.get(done["Location"]).content.decode()
    assert sub.receipt_id in receipt
    assert "撤回投标文件" in receipt
    assert sub.receipt_id in bidder.get("/bidbox/mine/").content.decode()
    download = bidder.get(f"/bidbox/submissions/{sub.pk}/envelope/")
    assert envelope.verify_receipt(b"".join(download.streaming_content)).receipt_id == sub.receipt_id
    # staff: the count, no names, no download; others: nothing
    manage = staff.get(f"/bidbox/{box.pk}/manage/").content.decode()
    assert "1 份" in manage
    assert "浦江" not in manage
    assert staff.get(f"/bidbox/submissions/{sub.pk}/").status_code == 404
    assert staff.get(f"/bidbox/submissions/{sub.pk}/envelope/").status_code == 404
    assert bidder.get(f"/bidbox/{box.pk}/manage/").status_code == 403
    assert "尚未开标" in client.get(f"/bidbox/{box.pk}/hall/").content.decode()
    assert "开标记录在全部解密结束后公布" in client.get(f"/bidbox/{box.pk}/record/").content.decode()
    # withdraw from the receipt page
    bidder.post(f"/bidbox/submissions/{sub.pk}/withdraw/")
    sub.refresh_from_db()
    assert sub.status == "withdrawn"


def test_postponement_from_the_staff_page(world, box):
    staff = _client(world.staff)
    answer = staff.post(
        f"/bidbox/{box.pk}/manage/", {"do": "postpone", "new_deadline": "2026-03-10T10:00", "reason": "澄清答疑"}
    )
    assert answer.status_code == 302
    box.refresh_from_db()
    assert box.deadline.isoformat() == "2026-03-10T02:00:00+00:00"  # 10:00 Beijing time
    refused = staff.post(
        f"/bidbox/{box.pk}/manage/", {"do": "postpone", "new_deadline": "2026-03-01T10:00", "reason": "提前"}
    )
    assert refused.status_code == 200
    assert "bidbox.deadline_not_later" in refused.content.decode()


def test_the_opening_hall_and_staff_control(world, ceremony, box1, client):
    bidder = _client(world.a.account)
    staff = _client(world.staff)
    sealed = seal_for(box1, world.a, bid_document(77))
    bidder.post(
        f"/bidbox/{box1.pk}/submit/", {"entity_id": world.a.entity_id, "file": SimpleUploadedFile("b.ywenv", sealed)}
    )
    sub = Submission.objects.get()
    early = staff.post(f"/bidbox/{box1.pk}/manage/", {"do": "start"}, follow=True)
    assert "bidbox.not_yet_open" in early.content.decode()
    get_clock().set(DEADLINE)
    staff.post(f"/bidbox/{box1.pk}/manage/", {"do": "start"})
    hall = bidder.get(f"/bidbox/{box1.pk}/hall/").content.decode()
    assert "本单位" in hall
    assert 'hx-trigger="live:update, every 5s"' in hall  # pushed over the live stream, checked every 5 s
    assert f"/live/bidbox.box:{box1.pk}" in hall
    assert "浦江" not in client.get(f"/bidbox/{box1.pk}/hall/status/").content.decode()
    wrong = bidder.post(f"/bidbox/submissions/{sub.pk}/decrypt/", {"content_key": "00" * 16}, follow=True)
    assert "crypto.wrong_key" in wrong.content.decode()
    # staff allow the fallback, the custodians enter their shares on the staff page
    staff.post(f"/bidbox/submissions/{sub.pk}/fallback/", {"reason": "ca_failure", "note": ""})
    page = staff.get(f"/bidbox/{box1.pk}/manage/").content.decode()
    assert "已批准" in page
    assert bidder.get(f"/bidbox/{box1.pk}/manage/").status_code == 403
    regulator = _client(world.custodians[1])  # a custodian from the supervision side
    assert "录入分片" in regulator.get(f"/bidbox/{box1.pk}/manage/").content.decode()
    regulator.post(f"/bidbox/{box1.pk}/manage/", {"do": "share", "share": ceremony.shares[0].text})
    assert PendingShare.objects.count() == 1
    refused = regulator.post(f"/bidbox/{box1.pk}/manage/", {"do": "start"}, follow=True)
    assert "bidbox.wrong_state" in refused.content.decode() or "bidbox.forbidden" in refused.content.decode()
    # close early is refused while pending; at the end of the window it closes and the record is public
    get_clock().advance(timedelta(minutes=30))
    staff.post(f"/bidbox/{box1.pk}/manage/", {"do": "close"})
    record = client.get(f"/bidbox/{box1.pk}/record/").content.decode()
    assert "上海浦江数智建设工程有限公司" in record
    assert "非投标人原因" in record

"""CN-40-1, CN-40-1F and CN-40-IP on the platform's own data: bidders upload through the bid box's API, the bid
tool's fingerprints travel in the envelopes' signed metadata, and a platform run finds the pairs after the
opening — and nothing before it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from yiwang.kernel.actors import Actor
from yiwang.kernel.crypto import envelope
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import get_clock
from yiwang.services.bidbox import actions as bidbox
from yiwang.services.bidbox import queries as bidbox_queries
from yiwang.services.bidbox.tests import support as box_support
from yiwang.supervision.redflags import actions, queries
from yiwang.supervision.redflags.tests.support import regulator

pytestmark = pytest.mark.django_db
MH = regulator("310112")
CODES = ["CN-40-1", "CN-40-1F", "CN-40-IP"]
ONE_MACHINE = {
    "tool.machine.mac": "3C-7C-3F-1A-2B-4D",
    "tool.machine.disk": "WD-WCC4N1234567",
    "tool.file_creation_id": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _upload(account, box_id: int, data: bytes, ip: str):
    client = Client()
    client.force_login(account)
    upload = SimpleUploadedFile("bid.ywenv", data, content_type="application/octet-stream")
    response = client.post(f"/api/v1/bidbox/boxes/{box_id}/submissions", {"file": upload}, REMOTE_ADDR=ip)
    assert response.status_code == 201, response.content
    return response.json()


def _box_with_bids(system):
    world = box_support.make_world(system)
    key = box_support.ceremony(world.staff_actor).key
    box = box_support.open_box(world.staff_actor, key, ref="RF-1", region="310112")
    a, b, c = world.a, world.b, world.c
    sealed = [
        (a, box_support.seal_for(box, a, box_support.bid_document(100_000_00), extra=ONE_MACHINE)),
        (
            b,
            box_support.seal_for(
                box, b, box_support.bid_document(102_000_00), extra={"tool.machine.mac": "3c7c3f1a2b4d"}
            ),
        ),
        (
            c,
            box_support.seal_for(
                box, c, box_support.bid_document(104_000_00), extra={"tool.machine.mac": "90E2BA112233"}
            ),
        ),
    ]
    for (bidder, data), ip in zip(sealed, ["198.51.100.23", "198.51.100.23", "203.0.113.5"], strict=True):
        _upload(bidder.account, box.pk, data, ip)
    return world, box, sealed


def _open_and_close(world, box, sealed) -> None:
    get_clock().set(box_support.DEADLINE)
    bidbox.do_start_opening(actor=world.staff_actor, box_id=box.pk)
    for bidder, data in sealed:
        [sub] = [s for s in bidbox_queries.list_my_submissions_for(bidder.actor, box_id=box.pk)]
        key = envelope.unwrap_content_key(data, private_key=bidder.issued.key)
        assert bidbox.do_decrypt_with_content_key(actor=bidder.actor, submission_id=sub.submission_id, content_key=key)
    bidbox.do_close_opening(actor=world.staff_actor, box_id=box.pk)


def test_two_bidders_uploading_from_one_machine_are_flagged_after_the_opening(clock, system):
    world, box, sealed = _box_with_bids(system)
    # before the opening the box is not closed: no process, no fingerprint — nothing to find
    early = actions.do_run_platform(actor=MH, region_code="310112", codes=CODES)
    assert early.findings_count == 0
    assert early.summary["CN-40-1"]["not_computable"]["code"] == "redflags.data_missing"

    _open_and_close(world, box, sealed)
    run = actions.do_run_platform(actor=MH, region_code="310112", codes=CODES)
    a, b = str(world.a.entity_id), str(world.b.entity_id)
    pair = "|".join(sorted([a, b]))
    _, rows = queries.list_run_findings_for(MH, run.pk, limit=500)
    findings = {(f.code, f.unit, f.unit_id) for f in rows}
    assert ("CN-40-1", "bidder_pair", pair) in findings
    assert ("CN-40-IP", "bidder_pair", pair) in findings
    assert not any(code == "CN-40-1F" for code, _, _ in findings)  # only one bidder carries the file id
    assert not any(str(world.c.entity_id) in unit_id for _, unit, unit_id in findings if unit == "bidder_pair")
    note = next(n for n in run.notes if n.startswith("投标工具特征码"))
    assert note.startswith("投标工具特征码：3 份投标文件，3 份带机器码或文件标识，3 份有上传 IP")
    # the alert explains itself with the bid box as the source of the evidence
    [alert] = queries.list_alerts_for(MH).rows
    detail = queries.get_alert_for(MH, alert.id)
    evidence = str([f.evidence for f in detail.findings])
    assert "3C7C3F1A2B4D" in evidence.replace("-", "").upper()
    assert "bidbox.envelope" in evidence


def test_fingerprints_stay_closed_to_everyone_but_supervision(clock, system):
    world, box, sealed = _box_with_bids(system)
    _open_and_close(world, box, sealed)
    owner = ("tender.section", "RF-1")
    assert len(bidbox_queries.list_submission_fingerprints(owner, actor=Actor.system("redflags"))) == 3
    assert len(bidbox_queries.list_submission_fingerprints(owner, actor=MH)) == 3
    for who in (world.staff_actor, world.a.actor, regulator("310115"), Actor.system("clock")):
        with pytest.raises(YiwangError) as caught:
            bidbox_queries.list_submission_fingerprints(owner, actor=who)
        assert caught.value.code == "bidbox.fingerprints_forbidden"

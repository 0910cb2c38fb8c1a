"""Submitting, replacing and withdrawing envelopes before the deadline; the deadline to the microsecond; the
receipt; what the witness log and the feed say (digests, never the bidder before the opening)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest

from yiwang.identity.ca import actions as ca
from yiwang.kernel.crypto import envelope
from yiwang.kernel.errors import YiwangError
from yiwang.platform import keys as platform_keys
from yiwang.platform.clock import get_clock
from yiwang.platform.outbox import feed
from yiwang.platform.storage import queries as storage_queries
from yiwang.services.bidbox import actions, queries
from yiwang.services.bidbox.models import Submission, SubmitterNotice
from yiwang.services.bidbox.tests import support
from yiwang.services.bidbox.tests.support import DEADLINE, bid_document, counts, seal_for, submit, witnessed

pytestmark = pytest.mark.django_db


def refused(code: str, fn, *args, **kwargs) -> YiwangError:
    before = counts()
    with pytest.raises(YiwangError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    assert counts() == before, "a refused submission leaves nothing behind"
    return caught.value


def test_a_submission_gets_a_signed_receipt_at_once(world, box):
    sealed = seal_for(box, world.a, bid_document(1_000))
    sub = submit(box, world.a, sealed)
    assert sub.received_at == get_clock().now()
    assert sub.receipt_id.startswith("YWR-")
    assert sub.receipt_key_id == platform_keys.platform_key_id()
    found = envelope.verify_receipt(sealed + bytes(sub.receipt), platform_key=platform_keys.platform_public_key())
    assert (found.receipt_id, found.received_at, found.envelope_sm3) == (
        sub.receipt_id,
        sub.received_at,
        envelope.inspect(sealed).envelope_sm3,
    )
    # the receipt does not verify over another envelope
    other = seal_for(box, world.a, bid_document(2_000))
    with pytest.raises(YiwangError) as caught:
        envelope.verify_receipt(other + bytes(sub.receipt))
    assert caught.value.code == "crypto.receipt_invalid"
    # the bidder's view and the downloadable envelope with receipt
    view = queries.get_receipt_for(world.a.actor, sub.pk)
    assert view.receipt_id == sub.receipt_id
    assert view.status == "submitted"
    name, stream = queries.envelope_with_receipt_for(world.a.actor, sub.pk)
    assert name == f"{sub.receipt_id}.ywenv"
    assert envelope.verify_receipt(stream.read()).receipt_id == sub.receipt_id


def test_the_deadline_to_the_microsecond(world, box):
    clock = get_clock()
    clock.set(DEADLINE - timedelta(microseconds=1))
    sub = submit(box, world.a, seal_for(box, world.a, bid_document(1)))
    assert sub.received_at == DEADLINE - timedelta(microseconds=1)
    clock.set(DEADLINE)
    error = refused("bidbox.deadline_passed", submit, box, world.b, seal_for(box, world.b, bid_document(2)))
    assert error.details["server_time"] == error.details["deadline"]


class _SlowUpload(io.BytesIO):
    """An upload still in transit at the deadline: the clock passes the deadline while the file is being stored."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.read_total = 0
        self.size = len(data)

    def read(self, n: int | None = -1) -> bytes:
        data = super().read(n)
        self.read_total += len(data)
        if self.read_total > 2 * self.size:  # past the checks, while the store copies the file
            get_clock().set(DEADLINE)
        return data


def test_an_upload_completing_at_the_deadline_counts_as_not_submitted(world, box):
    get_clock().set(DEADLINE - timedelta(seconds=2))
    sealed = seal_for(box, world.a, bid_document(1))
    before = counts()
    with pytest.raises(YiwangError) as caught:
        actions.do_submit_envelope(
            actor=world.a.actor, box_id=box.pk, entity_id=world.a.entity_id, stream=_SlowUpload(sealed)
        )
    assert caught.value.code == "bidbox.deadline_passed"
    assert get_clock().now() == DEADLINE, "the check ran when the upload was complete"
    assert counts() == before


def test_a_second_envelope_replaces_the_first_which_stays_stored(world, box):
    first = submit(box, world.a, seal_for(box, world.a, bid_document(1)))
    get_clock().advance(timedelta(hours=1))
    second = submit(box, world.a, seal_for(box, world.a, bid_document(2)))
    first.refresh_from_db()
    assert (first.status, first.superseded_by_id) == ("superseded", second.pk)
    assert second.status == "submitted"
    assert Submission.objects.filter(box=box, status="submitted").count() == 1
    # both envelopes are still in the store
    for s in (first, second):
        document = storage_queries.get_owned_document(actions.owner_of_box(box), s.document_id)
        assert storage_queries.verify_version(storage_queries.get_version(document)).ok
    entries = witnessed("bidbox.submit_envelope")
    marked = [e for e in entries if e["object_id"] == str(first.pk) and "superseded_by" in e]
    assert [(e["receipt_id"], e["superseded_by"]) for e in marked] == [(first.receipt_id, second.receipt_id)]
    assert next(e for e in entries if e["object_id"] == str(second.pk))["supersedes"] == [first.receipt_id]
    assert [r.receipt_id for r in queries.list_my_submissions_for(world.a.actor)] == [
        second.receipt_id,
        first.receipt_id,
    ]


def test_withdrawal_before_the_deadline_only(world, box):
    sub = submit(box, world.a, seal_for(box, world.a, bid_document(1)))
    with pytest.raises(YiwangError) as caught:
        actions.do_withdraw_submission(actor=world.b.actor, submission_id=sub.pk)
    assert caught.value.code == "bidbox.submission_not_found"
    actions.do_withdraw_submission(actor=world.a.actor, submission_id=sub.pk)
    sub.refresh_from_db()
    assert sub.status == "withdrawn"
    assert witnessed("bidbox.withdraw_submission")[0]["receipt_id"] == sub.receipt_id
    with pytest.raises(YiwangError) as caught:
        actions.do_withdraw_submission(actor=world.a.actor, submission_id=sub.pk)
    assert caught.value.code == "bidbox.not_current"
    again = submit(box, world.a, seal_for(box, world.a, bid_document(3)))
    get_clock().set(DEADLINE)
    refused("bidbox.deadline_passed", actions.do_withdraw_submission, actor=world.a.actor, submission_id=again.pk)


def test_the_log_and_the_feed_carry_digests_not_the_bidder(world, box):
    sub = submit(box, world.a, seal_for(box, world.a, bid_document(1)))
    [entry] = witnessed("bidbox.submit_envelope")
    assert entry["actor"] == "system:bidbox"
    assert entry["object_type"] == "bidbox.submission"
    assert entry["object_id"] == str(sub.pk)
    assert entry["envelope_sm3"] == sub.envelope_sm3
    assert entry["envelope_sha256"] == sub.envelope_sha256
    assert entry["receipt_id"] == sub.receipt_id
    text = json.dumps(entry, ensure_ascii=False)
    assert not [key for key in entry if "entity" in key or "bidder" in key or "account" in key]
    for secret in (world.a.uscc, f"account:{world.a.account.pk}", "浦江"):
        assert secret not in text
    # the store's own entry for the file names the box, not the bidder
    stored = witnessed("storage.store_document")[-1]
    assert stored["actor"] == "system:bidbox"
    assert stored["filename"] == f"{sub.receipt_id}.ywenv"
    # the feed: the submission event is restricted, and even its data names no bidder
    page = feed.read(0, 1000, [])
    events = [e for e in page.events if e.event_type == "bidbox.envelope_submitted.v1"]
    assert [e.visibility for e in events] == ["restricted"]
    assert events[0].actor_ref == "system:bidbox"
    assert set(events[0].data) == {"box_id", "receipt_id", "envelope_sm3"}


def test_refusals_of_envelopes_that_do_not_fit_the_box(world, box, ceremony):
    plain = bid_document(1)
    refused(
        "bidbox.deadline_mismatch",
        submit,
        box,
        world.a,
        seal_for(box, world.a, plain, deadline=DEADLINE + timedelta(days=1)),
    )
    refused("bidbox.wrong_bidder", submit, box, world.a, seal_for(box, world.a, plain, bidder_id=world.b.uscc))
    refused("bidbox.wrong_box", submit, box, world.a, seal_for(box, world.a, plain, project_code="OTHER"))
    refused(
        "bidbox.not_wrapped_to_bidder",
        submit,
        box,
        world.a,
        seal_for(box, world.a, plain, bidder_key=support.other_key()),
    )
    refused("bidbox.certificate_missing", submit, box, world.a, seal_for(box, world.a, plain, with_certificate=False))
    refused("crypto.envelope_malformed", submit, box, world.a, b"%PDF-1.7 this is not an envelope")
    truncated = seal_for(box, world.a, plain)
    refused("crypto.envelope_truncated", submit, box, world.a, truncated[:-10])
    # an envelope that already carries a receipt (submitted elsewhere)
    sealed = seal_for(box, world.a, plain)
    sub = submit(box, world.a, sealed)
    refused("bidbox.receipt_present", submit, box, world.a, sealed + bytes(sub.receipt))


def test_refusals_about_who_submits(world, box):
    plain = bid_document(1)
    sealed = seal_for(box, world.a, plain)
    # someone not acting for the entity
    from yiwang.identity.auth import actor_for_account

    refused(
        "bidbox.forbidden",
        actions.do_submit_envelope,
        actor=actor_for_account(world.outsider),
        box_id=box.pk,
        entity_id=world.a.entity_id,
        stream=io.BytesIO(sealed),
    )
    # a trusted certificate of the entity that is not bound on the platform
    unbound = world.pki.issue(entity=world.a.uscc)
    refused("ca.not_bound", submit, box, world.a, seal_for(box, world.a, plain, issued=unbound))
    # a revoked certificate
    revoked = world.pki.issue(entity=world.a.uscc)
    ca.do_bind_certificate(actor=world.a.actor, certificate=revoked.cert.der)
    ca.do_import_crl(actor=world.staff_actor, crl=world.pki.crl("sub", revoked=[revoked.cert]))
    refused("ca.revoked", submit, box, world.a, seal_for(box, world.a, plain, issued=revoked))
    # a box that asks for a certificate-confirmed session
    strict = support.open_box(world.staff_actor, box.opening_key, ref="S-STRICT", require_confirmed_session=True)
    refused("bidbox.session_not_confirmed", submit, strict, world.a, seal_for(strict, world.a, plain))
    assert submit(strict, world.a, seal_for(strict, world.a, plain), confirmation=object()).status == "submitted"


def test_a_postponement_keeps_received_envelopes_and_asks_for_the_new_deadline(world, box):
    sub = submit(box, world.a, seal_for(box, world.a, bid_document(1)))
    new = DEADLINE + timedelta(days=3)
    actions.do_postpone_deadline(actor=world.staff_actor, box_id=box.pk, new_deadline=new, reason="招标文件澄清")
    box.refresh_from_db()
    assert (box.deadline, box.opening_at) == (new, new)
    sub.refresh_from_db()
    assert sub.status == "submitted"
    [notice] = SubmitterNotice.objects.filter(submission=sub)
    assert notice.kind == "deadline_postponed"
    assert "招标文件澄清" in notice.text
    [entry] = witnessed("bidbox.postpone_deadline")
    assert entry["deadline"] == "2026-03-07T01:00:00.000000Z"
    assert entry["old_deadline"] == "2026-03-04T01:00:00.000000Z"
    # an envelope sealed for the old deadline is refused now; one for the new one is accepted
    old_deadline = DEADLINE
    refused(
        "bidbox.deadline_mismatch", submit, box, world.b, seal_for(box, world.b, bid_document(2), deadline=old_deadline)
    )
    get_clock().set(DEADLINE + timedelta(hours=1))  # after the old deadline, before the new one
    assert submit(box, world.b, seal_for(box, world.b, bid_document(2))).status == "submitted"


def test_postponement_rules(world, box):
    refused(
        "bidbox.deadline_not_later",
        actions.do_postpone_deadline,
        actor=world.staff_actor,
        box_id=box.pk,
        new_deadline=DEADLINE - timedelta(hours=1),
        reason="提前",
    )
    refused(
        "bidbox.forbidden",
        actions.do_postpone_deadline,
        actor=world.a.actor,
        box_id=box.pk,
        new_deadline=DEADLINE + timedelta(days=1),
        reason="投标人想延期",
    )
    refused(
        "bidbox.invalid",
        actions.do_postpone_deadline,
        actor=world.staff_actor,
        box_id=box.pk,
        new_deadline=DEADLINE + timedelta(days=1),
        reason="  ",
    )
    refused(
        "precondition.failed",
        actions.do_postpone_deadline,
        actor=world.staff_actor,
        box_id=box.pk,
        new_deadline=DEADLINE + timedelta(days=1),
        reason="澄清",
        expected_version=99,
    )
    get_clock().set(DEADLINE)
    refused(
        "bidbox.deadline_passed",
        actions.do_postpone_deadline,
        actor=world.staff_actor,
        box_id=box.pk,
        new_deadline=DEADLINE + timedelta(days=1),
        reason="截止后顺延",
    )

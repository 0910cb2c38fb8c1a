"""The opening: starting it, bidders' decryption, failure attribution (撤销 / 撤回), the custodians' fallback,
closing, too few bidders, the clock's jobs, and the read-out hook."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.apps import apps

from yiwang.kernel.crypto import envelope
from yiwang.kernel.crypto.chunked import ChunkEncryptor
from yiwang.kernel.errors import YiwangError
from yiwang.platform.clock import get_clock
from yiwang.platform.storage import queries as storage_queries
from yiwang.services.bidbox import actions, hooks, jobs, queries
from yiwang.services.bidbox.models import Box, PendingShare, Submission, SubmitterNotice
from yiwang.services.bidbox.tests import support
from yiwang.services.bidbox.tests.support import DEADLINE, bid_document, counts, seal_for, submit, witnessed

pytestmark = pytest.mark.django_db
WINDOW_END = DEADLINE + timedelta(minutes=30)


def _code(fn, *args, **kwargs) -> str:
    with pytest.raises(YiwangError) as caught:
        fn(*args, **kwargs)
    return caught.value.code


def _cek(sealed: bytes, bidder: support.Bidder) -> bytes:
    return envelope.unwrap_content_key(sealed, private_key=bidder.issued.key)


def _start(world, box: Box) -> None:
    get_clock().set(DEADLINE)
    actions.do_start_opening(actor=world.staff_actor, box_id=box.pk)


def _blob_path(blob_root, submission: Submission):
    return next(p for p in blob_root.rglob(submission.envelope_sha256) if p.is_file())


def test_wrong_content_key_may_be_retried_then_the_right_one_opens(world, box1):
    sealed = seal_for(box1, world.a, bid_document(7))
    sub = submit(box1, world.a, sealed)
    _start(world, box1)
    result = actions.do_decrypt_with_content_key(actor=world.a.actor, submission_id=sub.pk, content_key=b"\x01" * 16)
    assert not result.ok
    assert result.error is not None
    assert result.error.code == "crypto.wrong_key"
    assert result.verdict is not None
    assert not result.verdict.final
    with pytest.raises(YiwangError):
        result.raise_if_retryable()
    sub.refresh_from_db()
    assert (sub.opening_status, sub.attempts, sub.last_attempt_code) == ("pending", 1, "crypto.wrong_key")
    assert witnessed("bidbox.decryption_failed")[0]["final"] is False
    ok = actions.do_decrypt_with_content_key(
        actor=world.a.actor, submission_id=sub.pk, content_key=_cek(sealed, world.a).hex()
    )
    assert ok.ok
    sub.refresh_from_db()
    assert sub.opening_status == "decrypted"
    [entry] = witnessed("bidbox.decrypt_envelope")
    assert entry["plaintext_sm3"] == sub.plaintext_sm3
    assert entry["actor"] == "system:bidbox"
    # once decrypted, not again; nor by anyone else; nor malformed keys
    assert (
        _code(actions.do_decrypt_with_content_key, actor=world.a.actor, submission_id=sub.pk, content_key=b"\x01" * 16)
        == "bidbox.not_pending"
    )
    assert (
        _code(actions.do_decrypt_with_content_key, actor=world.b.actor, submission_id=sub.pk, content_key=b"\x01" * 16)
        == "bidbox.submission_not_found"
    )
    assert (
        _code(actions.do_decrypt_with_content_key, actor=world.a.actor, submission_id=sub.pk, content_key="xyz")
        == "bidbox.content_key_invalid"
    )


def test_a_stored_copy_damaged_after_receipt_is_the_platforms_fault(world, box1, blob_root):
    sealed = seal_for(box1, world.a, bid_document(7))
    sub = submit(box1, world.a, sealed)
    _start(world, box1)
    path = _blob_path(blob_root, sub)
    path.chmod(0o600)
    path.write_bytes(support.flip_ciphertext_byte(path.read_bytes()))
    result = actions.do_decrypt_with_content_key(
        actor=world.a.actor, submission_id=sub.pk, content_key=_cek(sealed, world.a)
    )
    assert not result.ok
    assert result.verdict is not None
    assert result.verdict.final
    result.raise_if_retryable()  # decided: nothing to retry
    assert result.error is not None
    assert result.error.code == "crypto.envelope_tampered"
    sub.refresh_from_db()
    assert (sub.opening_status, sub.fault, sub.claim) == ("withdrawn", "platform", True)
    assert SubmitterNotice.objects.filter(submission=sub, kind="decryption_failed").exists()


def test_an_envelope_whose_data_does_not_decrypt_under_the_signed_key_is_the_bidders_fault(world, box1, monkeypatch):
    other_key = envelope.aead_by_name("sm4-gcm").generate_key()

    class WrongKeyEncryptor(ChunkEncryptor):
        def __init__(self, aead, key, **kwargs):
            super().__init__(aead, other_key, **kwargs)

    monkeypatch.setattr(envelope, "ChunkEncryptor", WrongKeyEncryptor)
    sealed = seal_for(box1, world.a, bid_document(7))  # a faulty bidder tool
    monkeypatch.undo()
    sub = submit(box1, world.a, sealed)  # every keyless check passes
    _start(world, box1)
    result = actions.do_decrypt_with_content_key(
        actor=world.a.actor, submission_id=sub.pk, content_key=_cek(sealed, world.a)
    )
    assert result.error is not None
    assert result.error.code == "crypto.envelope_tampered"
    sub.refresh_from_db()
    assert (sub.opening_status, sub.fault, sub.claim) == ("revoked", "bidder", False)


def test_the_custodians_open_what_the_bidder_could_not_for_reasons_not_its_own(world, ceremony, box1):
    sealed = seal_for(box1, world.a, bid_document(42))
    sub = submit(box1, world.a, sealed)
    _start(world, box1)
    # not before staff allowed it
    assert (
        _code(actions.do_submit_share, actor=world.custodian(0), box_id=box1.pk, share_text=ceremony.shares[0].text)
        == "bidbox.nothing_to_recover"
    )
    assert _code(actions.do_allow_fallback, actor=world.a.actor, submission_id=sub.pk, reason="ca_failure") == (
        "bidbox.forbidden"
    )
    assert (
        _code(actions.do_allow_fallback, actor=world.staff_actor, submission_id=sub.pk, reason="bidder_forgot")
        == "bidbox.fallback_reason_invalid"
    )
    assert (
        _code(actions.do_allow_fallback, actor=world.staff_actor, submission_id=sub.pk, reason="other_external")
        == "bidbox.invalid"
    ), "another external reason must be explained"
    actions.do_allow_fallback(actor=world.staff_actor, submission_id=sub.pk, reason="ca_failure", note="CA 服务中断")
    texts = [s.text for s in ceremony.shares]
    # shares of another key, a garbled share, a bidder entering a share: refused, nothing stored
    other = support.ceremony(world.staff_actor)
    before = counts()
    assert (
        _code(actions.do_submit_share, actor=world.custodian(0), box_id=box1.pk, share_text=other.shares[0].text)
        == "crypto.share_set_mismatch"
    )
    garbled = texts[0][:-6] + ("AAAA-AA" if not texts[0].endswith("AAAA-AA") else "BBBB-BB")
    assert (
        _code(actions.do_submit_share, actor=world.custodian(0), box_id=box1.pk, share_text=garbled)
        == "crypto.share_invalid"
    )
    assert (
        _code(actions.do_submit_share, actor=world.a.actor, box_id=box1.pk, share_text=texts[0]) == "bidbox.forbidden"
    )
    assert counts() == before
    # one custodian, one share; one index, once
    actions.do_submit_share(actor=world.custodian(0), box_id=box1.pk, share_text=texts[0])
    assert (
        _code(actions.do_submit_share, actor=world.custodian(0), box_id=box1.pk, share_text=texts[1])
        == "bidbox.custodian_twice"
    )
    assert (
        _code(actions.do_submit_share, actor=world.custodian(1), box_id=box1.pk, share_text=texts[0])
        == "crypto.share_duplicate"
    )
    entries = witnessed("bidbox.submit_share")
    assert entries[0]["share_index"] == 1
    assert texts[0] not in json.dumps(entries, ensure_ascii=False)
    # too few shares open nothing
    second = actions.do_submit_share(actor=world.custodian(1), box_id=box1.pk, share_text=texts[1])
    assert (second.entered, second.threshold, second.opened) == (2, 3, [])
    assert queries.list_hall_for(world.staff_actor, box1.pk).pending_shares == 2
    third = actions.do_submit_share(actor=world.custodian(2), box_id=box1.pk, share_text=texts[2])
    assert third.opened == [sub.receipt_id]
    assert PendingShare.objects.count() == 0
    sub.refresh_from_db()
    assert (sub.opening_status, sub.decrypted_via, sub.summary["price_fen"]) == ("decrypted", "shares", "42")


def test_a_forged_share_with_a_valid_checksum_discards_the_shares(world, ceremony, box1):
    from yiwang.kernel.crypto.shamir import Share

    sub = submit(box1, world.a, seal_for(box1, world.a, bid_document(1)))
    _start(world, box1)
    actions.do_allow_fallback(actor=world.staff_actor, submission_id=sub.pk, reason="platform_outage")
    real = Share.from_text(ceremony.shares[2].text)
    forged = Share(real.set_id, real.threshold, real.total, real.index, bytes(32), real.secret_check).to_text()
    actions.do_submit_share(actor=world.custodian(0), box_id=box1.pk, share_text=ceremony.shares[0].text)
    actions.do_submit_share(actor=world.custodian(1), box_id=box1.pk, share_text=ceremony.shares[1].text)
    result = actions.do_submit_share(actor=world.custodian(2), box_id=box1.pk, share_text=forged)
    assert result.error is not None
    assert result.error.code == "crypto.share_invalid"
    assert result.opened == []
    assert PendingShare.objects.count() == 0, "the shares were discarded: the custodians enter them again"
    sub.refresh_from_db()
    assert sub.opening_status == "pending"
    # entered again, correctly: it opens
    for i in (0, 1, 2):
        last = actions.do_submit_share(actor=world.custodian(i), box_id=box1.pk, share_text=ceremony.shares[i].text)
    assert last.opened == [sub.receipt_id]


def test_an_opening_wrap_of_another_key_is_the_bidders_fault(world, ceremony, box1, monkeypatch):
    opening = actions.opening_key_of(ceremony.key)
    real_wrap = envelope.wrap_key

    def faulty_wrap(public_key, key, **kwargs):
        if public_key == opening:  # the bidder's tool wraps something else to the opening key
            return real_wrap(public_key, bytes(len(key)), **kwargs)
        return real_wrap(public_key, key, **kwargs)

    monkeypatch.setattr(envelope, "wrap_key", faulty_wrap)
    sealed = seal_for(box1, world.a, bid_document(1))
    monkeypatch.undo()
    sub = submit(box1, world.a, sealed)
    _start(world, box1)
    actions.do_allow_fallback(actor=world.staff_actor, submission_id=sub.pk, reason="ca_failure")
    for i in (0, 1):
        actions.do_submit_share(actor=world.custodian(i), box_id=box1.pk, share_text=ceremony.shares[i].text)
    result = actions.do_submit_share(actor=world.custodian(2), box_id=box1.pk, share_text=ceremony.shares[2].text)
    assert result.failed == [{"receipt_id": sub.receipt_id, "code": "crypto.key_check_failed"}]
    sub.refresh_from_db()
    assert (sub.opening_status, sub.fault) == ("revoked", "bidder")


def test_closing_classifies_the_rest_and_publishes_the_record(world, ceremony, box):
    hooks.register_summary_parser("tender.section", lambda stream, name: {"price_fen": json.load(stream)["p"]})
    try:
        subs = {}
        for bidder, price in ((world.a, 100), (world.b, 200), (world.c, 300)):
            sealed = seal_for(box, bidder, json.dumps({"p": price}).encode())
            subs[bidder.uscc] = (submit(box, bidder, sealed), sealed)
            get_clock().advance(timedelta(minutes=1))
        _start(world, box)
        assert (
            _code(actions.do_close_opening, actor=world.staff_actor, box_id=box.pk) == "bidbox.decryption_window_open"
        )
        for bidder in (world.a, world.b):
            sub, sealed = subs[bidder.uscc]
            assert actions.do_decrypt_with_content_key(
                actor=bidder.actor, submission_id=sub.pk, content_key=_cek(sealed, bidder)
            ).ok
        c_sub = subs[world.c.uscc][0]
        actions.do_allow_fallback(actor=world.staff_actor, submission_id=c_sub.pk, reason="network_failure")
        get_clock().set(WINDOW_END)
        assert (
            _code(
                actions.do_decrypt_with_content_key,
                actor=world.c.actor,
                submission_id=c_sub.pk,
                content_key=_cek(subs[world.c.uscc][1], world.c),
            )
            == "bidbox.decryption_window_closed"
        )
        actions.do_close_opening(actor=world.staff_actor, box_id=box.pk)
    finally:
        hooks.unregister_summary_parser("tender.section")
    c_sub.refresh_from_db()
    assert (c_sub.opening_status, c_sub.fault, c_sub.claim) == ("withdrawn", "platform", True)
    record = queries.get_opening_record(box.pk)
    assert record["outcome"] == "insufficient_bids"
    assert record["valid"] == 2
    assert [(e["number"], e["bidder_id"], e["opening_status"], e["readout"]) for e in record["entries"]] == [
        (1, world.a.uscc, "decrypted", {"price_fen": "100", "duration_days": ""}),
        (2, world.b.uscc, "decrypted", {"price_fen": "200", "duration_days": ""}),
        (3, world.c.uscc, "withdrawn", {}),
    ]
    [entry] = witnessed("bidbox.close_opening")
    assert [(e["receipt_id"], e["envelope_sm3"]) for e in entry["entries"]] == [
        (subs[u][0].receipt_id, subs[u][0].envelope_sm3) for u in (world.a.uscc, world.b.uscc, world.c.uscc)
    ]
    # the bidders' signatures are recorded with the identity context now that the names are public
    from yiwang.identity.ca import queries as ca_queries

    recorded = ca_queries.list_signatures_of("bidbox.submission", str(subs[world.a.uscc][0].pk))
    assert [(r.entity_id, r.fingerprint) for r in recorded] == [
        (world.a.entity_id, world.a.issued.cert.fingerprint_sha256)
    ]
    assert _code(actions.do_close_opening, actor=world.staff_actor, box_id=box.pk) == "bidbox.wrong_state"
    bids = queries.list_decrypted_bids(("tender.section", box.owner_ref))
    assert [b.entity_id for b in bids] == [world.a.entity_id, world.b.entity_id]


def test_too_few_bidders_at_the_opening_nothing_is_decrypted(world, box):
    sub = submit(box, world.a, seal_for(box, world.a, bid_document(1)))
    get_clock().set(DEADLINE)
    box_after = actions.do_start_opening(actor=world.staff_actor, box_id=box.pk)
    assert (box_after.status, box_after.outcome) == ("closed", "insufficient_bids")
    sub.refresh_from_db()
    assert sub.opening_status == "not_opened"
    record = queries.get_opening_record(box.pk)
    assert (record["submissions"], record["valid"], record["outcome"]) == (1, 0, "insufficient_bids")
    assert "第四十四条" in record["min_bidders_source"]
    assert (
        _code(actions.do_decrypt_with_content_key, actor=world.a.actor, submission_id=sub.pk, content_key=b"\0" * 16)
        == "bidbox.wrong_state"
    )


def test_only_staff_start_and_close(world, box1):
    submit(box1, world.a, seal_for(box1, world.a, bid_document(1)))
    get_clock().set(DEADLINE)
    assert _code(actions.do_start_opening, actor=world.a.actor, box_id=box1.pk) == "bidbox.forbidden"
    actions.do_start_opening(actor=world.staff_actor, box_id=box1.pk)
    assert _code(actions.do_start_opening, actor=world.staff_actor, box_id=box1.pk) == "bidbox.wrong_state"
    get_clock().set(WINDOW_END)
    assert _code(actions.do_close_opening, actor=world.a.actor, box_id=box1.pk) == "bidbox.forbidden"


def test_the_clock_starts_and_closes_openings(world, box1):
    sealed = seal_for(box1, world.a, bid_document(1))
    sub = submit(box1, world.a, sealed)
    assert jobs.start_due_openings(get_clock().now()) == 0
    get_clock().set(DEADLINE)
    assert jobs.start_due_openings(DEADLINE) == 1
    assert jobs.start_due_openings(DEADLINE) == 0  # idempotent
    actions.do_decrypt_with_content_key(actor=world.a.actor, submission_id=sub.pk, content_key=_cek(sealed, world.a))
    get_clock().set(WINDOW_END)
    assert jobs.close_due_openings(WINDOW_END) == 1
    box1.refresh_from_db()
    assert (box1.status, box1.outcome) == ("closed", "opened")
    [entry] = witnessed("bidbox.start_opening")
    assert entry["actor"] == "system:clock"


def test_a_shared_key_is_not_recovered_while_another_box_is_still_sealed(world, ceremony, box1):
    later = support.open_box(world.staff_actor, ceremony.key, ref="S-LATER", deadline=DEADLINE + timedelta(days=5))
    sub = submit(box1, world.a, seal_for(box1, world.a, bid_document(1)))
    _start(world, box1)
    actions.do_allow_fallback(actor=world.staff_actor, submission_id=sub.pk, reason="platform_outage")
    assert (
        _code(actions.do_submit_share, actor=world.custodian(0), box_id=box1.pk, share_text=ceremony.shares[0].text)
        == "bidbox.key_shared_with_sealed_box"
    )
    assert later.status == "accepting"


def test_all_pending_policy_lets_the_custodians_open_every_pending_envelope(world, ceremony):
    box = support.open_box(
        world.staff_actor, ceremony.key, ref="AUCTION-1", min_rule="judicial.min_bidders", fallback_policy="all_pending"
    )
    sub = submit(box, world.a, seal_for(box, world.a, bid_document(9)))
    _start(world, box)
    for i in range(3):
        result = actions.do_submit_share(
            actor=world.custodian(i), box_id=box.pk, share_text=ceremony.shares[i + 2].text
        )
    assert result.opened == [sub.receipt_id]


def test_the_decrypted_bid_is_stored_for_the_evaluation_only(world, box1):
    plain = bid_document(3)
    sealed = seal_for(box1, world.a, plain)
    sub = submit(box1, world.a, sealed)
    _start(world, box1)
    actions.do_decrypt_with_content_key(actor=world.a.actor, submission_id=sub.pk, content_key=_cek(sealed, world.a))
    sub.refresh_from_db()
    document = storage_queries.get_owned_document(actions.owner_of_opened(box1), sub.plaintext_document_id)
    assert document.public is False
    version = storage_queries.get_version(document)
    assert version.sm3 == sub.plaintext_sm3
    assert _code(queries.list_decrypted_bids, ("tender.section", box1.owner_ref)) == "bidbox.record_not_published"


def test_a_bid_in_any_format_is_kept(world, box1):
    plain = bytes(range(256)) * 40  # a bid tool's own binary format: neither PDF nor ZIP nor text
    sealed = seal_for(box1, world.a, plain, file_name="投标文件.gef")
    sub = submit(box1, world.a, sealed)
    _start(world, box1)
    result = actions.do_decrypt_with_content_key(
        actor=world.a.actor, submission_id=sub.pk, content_key=_cek(sealed, world.a)
    )
    assert result.ok
    sub.refresh_from_db()
    assert sub.summary_error  # no JSON summary: the bid still counts as opened
    document = storage_queries.get_owned_document(actions.owner_of_opened(box1), sub.plaintext_document_id)
    with storage_queries.open_version(storage_queries.get_version(document)) as stream:
        assert stream.read() == plain


def test_a_bid_the_store_will_not_keep_is_the_platforms_fault(world, box1, settings):
    settings.YIWANG_BIDBOX = {"PLAINTEXT_KIND": "notice"}  # PDF and OFD only, and no fallback when configured
    sealed = seal_for(box1, world.a, bid_document(1))
    sub = submit(box1, world.a, sealed)
    _start(world, box1)
    result = actions.do_decrypt_with_content_key(
        actor=world.a.actor, submission_id=sub.pk, content_key=_cek(sealed, world.a)
    )
    assert result.error is not None
    assert result.error.code == "storage.type_not_allowed"
    sub.refresh_from_db()
    assert (sub.opening_status, sub.fault, sub.claim) == ("withdrawn", "platform", True)


def test_the_opening_hall_hears_each_step_over_its_live_channel_without_a_name(world, box1):
    """开标大厅 live: the opening, each decryption and the close publish the box's state and counts (after
    commit, ids growing by one); nothing is published while bids are still accepted, and no bidder is named."""
    sealed_a, sealed_b = seal_for(box1, world.a, bid_document(1)), seal_for(box1, world.b, bid_document(2))
    sub_a = submit(box1, world.a, sealed_a)
    submit(box1, world.b, sealed_b)
    channel = queries.hall_channel(box1.pk)
    live_events = apps.get_model("live", "LiveEvent").objects.filter(channel=channel)  # the live context's table
    assert not live_events.exists()
    _start(world, box1)
    ok = actions.do_decrypt_with_content_key(
        actor=world.a.actor, submission_id=sub_a.pk, content_key=_cek(sealed_a, world.a).hex()
    )
    assert ok.ok
    get_clock().set(WINDOW_END)
    actions.do_close_opening(actor=world.staff_actor, box_id=box1.pk)
    events = list(live_events.order_by("event_id"))
    assert [e.event_id for e in events] == [1, 2, 3]
    states = [json.loads(e.data) for e in events]
    assert [(d["status"], d["pending"], d["decided"]) for d in states] == [
        ("opening", 2, 0),
        ("opening", 1, 1),
        ("closed", 0, 2),
    ]
    assert all(set(d) == {"status", "outcome", "pending", "decided"} for d in states)  # counts only, no bidder

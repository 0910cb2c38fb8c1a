"""The trust issue's acceptance test: seal bids for a deadline, show the server cannot open them before it (by
design), open one at the deadline with the bidder's key and another with k custodians' shares; the receipt
verifies with the platform key; and each bad input is refused with its own code, nothing stored."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from yiwang.kernel.crypto import envelope, load_private_key
from yiwang.kernel.crypto.errors import CryptoError
from yiwang.kernel.crypto.keys import PrivateKey
from yiwang.kernel.errors import YiwangError
from yiwang.platform import keys as platform_keys
from yiwang.platform.storage import queries as storage_queries
from yiwang.services.bidbox import actions, queries
from yiwang.services.bidbox.models import Box, Submission
from yiwang.services.bidbox.tests import support
from yiwang.services.bidbox.tests.support import DEADLINE, bid_document, counts, seal_for, submit

pytestmark = pytest.mark.django_db


def _stored_bytes(submission: Submission) -> bytes:
    document = storage_queries.get_owned_document(actions.owner_of_box(submission.box), submission.document_id)
    with storage_queries.open_version(storage_queries.get_version(document)) as stream:
        return stream.read()


def _everything_the_server_stores() -> list[bytes]:
    """Every value of every row of every table of the project (bid box, storage, witness log, feed, identity,
    CA, catalogue …), every blob, and the settings — as bytes."""
    values: list[bytes] = []
    for row in support.every_stored_row():
        for value in row:
            if isinstance(value, bytes | memoryview):
                values.append(bytes(value))
            elif isinstance(value, str):
                values.append(value.encode("utf-8"))
            elif isinstance(value, dict | list):
                values.append(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    root = settings.YIWANG_STORAGE["OPTIONS"]["root"]
    values += [path.read_bytes() for path in root.rglob("*") if path.is_file()]
    # the platform's own key files (the receipt key), wherever the key store keeps them
    key_dir = Path(getattr(settings, "YIWANG_PLATFORM_KEY_DIR", None) or Path(settings.DATA_DIR) / "keys")
    if key_dir.is_dir():
        values += [path.read_bytes() for path in key_dir.rglob("*") if path.is_file()]
    values += [str(getattr(settings, name)).encode("utf-8") for name in dir(settings) if name.isupper()]
    return values


def _candidate_keys(blobs: list[bytes]) -> tuple[list[PrivateKey], list[bytes], list[str]]:
    """Every piece of stored material that could be a private key, a content key or a share."""
    private: list[PrivateKey] = []
    content: set[bytes] = set()
    shares: list[str] = []
    for data in blobs:
        for candidate in (data, data.strip()):
            with contextlib.suppress(CryptoError, ValueError):
                private.append(load_private_key(candidate))
        text = data.decode("utf-8", "replace")
        shares += [w for w in text.replace('"', " ").split() if w.upper().startswith("YWSS1-")]
        for word in text.replace('"', " ").replace(",", " ").split():
            if len(word) in (32, 64) and all(c in "0123456789abcdefABCDEF" for c in word):
                content.add(bytes.fromhex(word))
        if len(data) in (16, 32):
            content.add(data)
    signer = platform_keys.platform_signer()
    for attr in ("private_key", "_private_key", "key", "_key"):  # the receipt key, if the signer exposes it
        value = getattr(signer, attr, None)
        if isinstance(value, PrivateKey.__args__):  # type: ignore[attr-defined]
            private.append(value)
    return private, sorted(content), shares


def test_seal_cannot_open_early_open_with_bidder_key_and_with_shares(world, ceremony, box, tmp_path):
    # -- two bidders seal and submit before the deadline; each gets a receipt at once -------------------------------
    plain_a, plain_b = bid_document(12_345_600, bidder="A"), bid_document(11_900_000, bidder="B")
    sealed_a = seal_for(box, world.a, plain_a)
    sealed_b = seal_for(box, world.b, plain_b)
    sealed_c = seal_for(box, world.c, bid_document(13_000_000, bidder="C"))
    from yiwang.platform.clock import get_clock

    sub_a = submit(box, world.a, sealed_a)
    get_clock().advance(timedelta(minutes=1))
    sub_b = submit(box, world.b, sealed_b)
    get_clock().advance(timedelta(minutes=1))
    submit(box, world.c, sealed_c)

    # the receipt verifies with the platform key, over the stored envelope
    stored_a = _stored_bytes(sub_a)
    assert stored_a == sealed_a
    receipt = envelope.verify_receipt(
        stored_a + bytes(sub_a.receipt), platform_key=platform_keys.platform_public_key(sub_a.receipt_key_id)
    )
    assert receipt.receipt_id == sub_a.receipt_id
    assert receipt.received_at == sub_a.received_at
    assert receipt.envelope_sm3 == sub_a.envelope_sm3
    assert queries.verify_receipt_of(sub_a.pk, stored_a, bytes(sub_a.receipt)).receipt_id == sub_a.receipt_id

    # -- before the opening the server cannot open a bid, by design ----------------------------------------------
    stored = _everything_the_server_stores()
    private, content_keys, shares = _candidate_keys(stored)
    assert shares == [], "no share of the opening key is stored anywhere"
    assert content_keys, "the test must actually try something"
    if apps.is_installed("yiwang.platform.keys"):
        assert private, "the platform's own receipt key is among what was tried"
    for key in private:
        with pytest.raises(CryptoError) as caught:
            envelope.open(stored_a, private_key=key)
        assert caught.value.code == "crypto.wrong_key"
    for key in content_keys:
        with pytest.raises(CryptoError) as caught:
            envelope.open_with_content_key(stored_a, key)
        assert caught.value.code == "crypto.wrong_key"
    # and the opening actions refuse before the opening time
    with pytest.raises(YiwangError) as caught:
        actions.do_start_opening(actor=world.staff_actor, box_id=box.pk)
    assert caught.value.code == "bidbox.not_yet_open"
    cek_a = envelope.unwrap_content_key(sealed_a, private_key=world.a.issued.key)
    with pytest.raises(YiwangError) as caught:
        actions.do_decrypt_with_content_key(actor=world.a.actor, submission_id=sub_a.pk, content_key=cek_a)
    assert caught.value.code == "bidbox.not_yet_open"
    with pytest.raises(YiwangError) as caught:
        actions.do_submit_share(actor=world.custodian(0), box_id=box.pk, share_text=ceremony.shares[0].text)
    assert caught.value.code == "bidbox.not_yet_open"

    # -- at the deadline: the opening; bidder A decrypts with its own key ------------------------------------------
    get_clock().set(DEADLINE)
    actions.do_start_opening(actor=world.staff_actor, box_id=box.pk)
    result = actions.do_decrypt_with_content_key(actor=world.a.actor, submission_id=sub_a.pk, content_key=cek_a)
    assert result.ok
    sub_a.refresh_from_db()
    assert sub_a.opening_status == "decrypted"
    assert sub_a.summary == {"price_fen": "12345600", "duration_days": "180"}

    # -- bidder B's client fails for a reason not B's own: the custodians open B with k shares ----------------------
    actions.do_allow_fallback(actor=world.staff_actor, submission_id=sub_b.pk, reason="platform_outage")
    first = actions.do_submit_share(actor=world.custodian(0), box_id=box.pk, share_text=ceremony.shares[0].text)
    second = actions.do_submit_share(actor=world.custodian(1), box_id=box.pk, share_text=ceremony.shares[3].text)
    assert (first.entered, second.entered, second.opened) == (1, 2, [])
    third = actions.do_submit_share(actor=world.custodian(2), box_id=box.pk, share_text=ceremony.shares[4].text)
    assert third.error is None
    assert third.opened == [sub_b.receipt_id]
    assert apps.get_model("bidbox", "PendingShare").objects.count() == 0, "shares do not outlive the opening call"
    sub_b.refresh_from_db()
    assert (sub_b.opening_status, sub_b.decrypted_via) == ("decrypted", "shares")

    # the decrypted bids are what the bidders sealed
    get_clock().set(DEADLINE + timedelta(minutes=30))  # the end of the decryption window
    actions.do_close_opening(actor=world.staff_actor, box_id=box.pk)  # C never decrypted: revoked
    bids = {b.receipt_id: b for b in queries.list_decrypted_bids(("tender.section", box.owner_ref))}
    with queries.open_decrypted_bid(bids[sub_a.receipt_id]) as stream:
        assert stream.read() == plain_a
    with queries.open_decrypted_bid(bids[sub_b.receipt_id]) as stream:
        assert stream.read() == plain_b
    record = queries.get_opening_record(box.pk)
    assert [e["opening_status"] for e in record["entries"]] == ["decrypted", "decrypted", "revoked"]
    assert record["outcome"] == "insufficient_bids"  # two valid bids, the tender minimum is three

    # -- afterwards anyone can prove the bid was received unchanged, from an exported archive alone -------------
    _prove_from_an_exported_archive(sub_a, tmp_path)


def _prove_from_an_exported_archive(submission, tmp_path: Path) -> None:
    """Export the witness log and the platform's public keys to files, then — with nothing but those files —
    find the submission's witness entry by the envelope's SM3 digest, prove its inclusion under the signed tree
    head and verify the proof (the trust issue's "done when")."""
    from django.core.management import call_command

    from yiwang.platform.audit import offline

    archive, keys = tmp_path / "witness.jsonl", tmp_path / "keys.json"
    call_command("witness", "export", "--out", str(archive))
    keys.write_text(json.dumps(platform_keys.public_keys_document(), ensure_ascii=False), encoding="utf-8")

    ring = offline.load_key_ring(keys)
    assert offline.verify_archive_file(archive, ring).ok
    lines = archive.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if '"type":"entry"' in line.replace(" ", "")]
    (seq,) = [
        e["seq"]
        for e in entries
        if e["action"] == "bidbox.submit_envelope" and submission.envelope_sm3 in e["payload_text"]
    ]
    proof = offline.prove_from_archive(archive, seq, ring)
    report = offline.verify_proof_document(json.loads(offline.dumps(proof.to_json())), ring)
    assert report.ok, report
    # and a tampered archive does not verify
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(
        archive.read_text(encoding="utf-8").replace(submission.envelope_sm3, "0" * len(submission.envelope_sm3)),
        encoding="utf-8",
    )
    assert not offline.verify_archive_file(tampered, ring).ok


def _refused(code: str, fn, *args, **kwargs) -> YiwangError:
    before = counts()
    with pytest.raises(YiwangError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    assert counts() == before, "nothing stored"
    return caught.value


def test_refusals_each_with_their_code_and_nothing_stored(world, ceremony, box, settings):
    plain = bid_document(100)
    # a tampered envelope (one ciphertext byte flipped)
    sealed = support.flip_ciphertext_byte(seal_for(box, world.a, plain))
    _refused("crypto.envelope_tampered", submit, box, world.a, sealed)
    # an envelope for another box (another section)
    other = support.open_box(world.staff_actor, ceremony.key, ref="S-OTHER")
    _refused("bidbox.wrong_box", submit, box, world.a, seal_for(other, world.a, plain))
    # an envelope wrapped to another opening key
    _refused(
        "bidbox.wrong_opening_key", submit, box, world.a, seal_for(box, world.a, plain, opening_key=support.other_key())
    )
    # a certificate of another entity (B's bound certificate in A's envelope)
    _refused("ca.wrong_entity", submit, box, world.a, seal_for(box, world.a, plain, issued=world.b.issued))
    # an expired certificate: valid when bound, expired at submission time
    from yiwang.identity.ca import actions as ca
    from yiwang.identity.ca.tests.support import T0

    short = world.pki.issue(entity=world.a.uscc, not_before=T0 - timedelta(days=1), days=2)
    ca.do_bind_certificate(actor=world.a.actor, certificate=short.cert.der)
    late_seal = seal_for(box, world.a, plain, issued=short)
    from yiwang.platform.clock import get_clock

    get_clock().set(T0 + timedelta(days=1, hours=1))  # past the certificate, before the deadline
    _refused("ca.expired", submit, box, world.a, late_seal)
    # a 0-byte file and one over the box's size limit
    _refused("bidbox.empty_file", submit, box, world.a, b"")
    small = support.open_box(world.staff_actor, ceremony.key, ref="S-SMALL", max_bytes=4096)
    _refused("bidbox.too_large", submit, small, world.a, seal_for(small, world.a, b"x" * 8000))
    # too few shares, a wrong share: the kernel refuses, and the box refuses shares of another key
    shares = [s.text for s in ceremony.shares]
    with pytest.raises(CryptoError) as caught:
        envelope.open_with_shares(seal_for(box, world.a, plain), shares[:2])
    assert caught.value.code == "crypto.shares_insufficient"
    other_ceremony = support.ceremony(world.staff_actor)
    with pytest.raises(CryptoError) as caught:
        envelope.open_with_shares(seal_for(box, world.a, plain), [*shares[:2], other_ceremony.shares[0].text])
    assert caught.value.code == "crypto.share_set_mismatch"
    assert Submission.objects.count() == 0
    assert Box.objects.filter(pk=box.pk, status="accepting").exists()


def test_envelope_sealed_with_the_cli_and_opened_with_the_unwrapped_key(world, ceremony, box1, tmp_path):
    """The bidder's whole path without a browser: ``yiwang bidbox seal`` → upload → ``yiwang bidbox unwrap`` →
    the content key posted at the opening."""
    from django.core.management import call_command

    (tmp_path / "bid.json").write_bytes(bid_document(5_000_000))
    (tmp_path / "key.pem").write_bytes(world.a.issued.key.to_pem())
    (tmp_path / "cert.pem").write_text(world.a.issued.pem)
    call_command("bidbox", "pubkey", "--box", str(box1.pk), "--out", str(tmp_path / "box.pub"), stdout=io.StringIO())
    call_command(
        "bidbox",
        "seal",
        "--box",
        str(box1.pk),
        "--file",
        str(tmp_path / "bid.json"),
        "--key",
        str(tmp_path / "key.pem"),
        "--cert",
        str(tmp_path / "cert.pem"),
        "--opening-key",
        str(tmp_path / "box.pub"),
        "--out",
        str(tmp_path / "bid.ywenv"),
        stdout=io.StringIO(),
    )
    sub = submit(box1, world.a, (tmp_path / "bid.ywenv").read_bytes())
    name, stream = queries.envelope_with_receipt_for(world.a.actor, sub.pk)
    (tmp_path / name).write_bytes(stream.read())
    verified = io.StringIO()
    call_command("bidbox", "verify-receipt", "--envelope", str(tmp_path / name), stdout=verified)
    assert f"receipt {sub.receipt_id} valid" in verified.getvalue()
    from yiwang.platform.clock import get_clock

    get_clock().set(DEADLINE)
    actions.do_start_opening(actor=world.staff_actor, box_id=box1.pk)
    out = io.StringIO()
    call_command(
        "bidbox", "unwrap", "--envelope", str(tmp_path / "bid.ywenv"), "--key", str(tmp_path / "key.pem"), stdout=out
    )
    result = actions.do_decrypt_with_content_key(
        actor=world.a.actor, submission_id=sub.pk, content_key=out.getvalue().strip()
    )
    assert result.ok
    actions.do_close_opening(actor=world.staff_actor, box_id=box1.pk)
    record = queries.get_opening_record(box1.pk)
    assert record["outcome"] == "opened"
    assert record["entries"][0]["readout"] == {"price_fen": "5000000", "duration_days": "180"}
    assert record["entries"][0]["bidder"] == "上海浦江数智建设工程有限公司"

"""The pure rules: deadline and opening-time checks, postponement, failure attribution, closing, read-out fields,
and reading the signed parts of an envelope."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yiwang.kernel.crypto import envelope, generate_private_key, signer_for, verify_signature
from yiwang.kernel.crypto.envelope import BidMeta, Recipient
from yiwang.kernel.crypto.errors import EnvelopeMalformed
from yiwang.kernel.errors import YiwangError
from yiwang.services.bidbox.domain import rules
from yiwang.services.bidbox.domain.container import signed_parts
from yiwang.services.bidbox.domain.rules import DecryptPath, Fault, OpeningStatus
from yiwang.services.bidbox.domain.summary import SummaryUnreadable, clean_summary, json_summary, readout

DEADLINE = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC))


@given(moments)
def test_a_transfer_counts_only_if_it_completes_strictly_before_the_deadline(moment):
    if moment < DEADLINE:
        rules.check_before_deadline(moment, DEADLINE)
    else:
        with pytest.raises(YiwangError) as caught:
            rules.check_before_deadline(moment, DEADLINE)
        assert caught.value.code == "bidbox.deadline_passed"
        assert caught.value.details["deadline"] == "2026-03-04T01:00:00.000000Z"


def test_the_deadline_boundary_to_the_microsecond():
    rules.check_before_deadline(DEADLINE - timedelta(microseconds=1), DEADLINE)
    with pytest.raises(YiwangError):
        rules.check_before_deadline(DEADLINE, DEADLINE)


@given(moments)
def test_nothing_opens_before_the_opening_time(moment):
    if moment >= DEADLINE:
        rules.check_opening_time(moment, DEADLINE)
    else:
        with pytest.raises(YiwangError) as caught:
            rules.check_opening_time(moment, DEADLINE)
        assert caught.value.code == "bidbox.not_yet_open"


def test_opening_time_follows_the_catalogue_offset():
    assert rules.opening_at_for(DEADLINE, 0) == DEADLINE
    assert rules.opening_at_for(DEADLINE, 30) == DEADLINE + timedelta(minutes=30)
    with pytest.raises(YiwangError):
        rules.opening_at_for(DEADLINE, -1)


@given(moments, moments)
def test_postponement_only_before_the_deadline_and_only_later(moment, proposed):
    ok = moment < DEADLINE and proposed > DEADLINE
    if ok:
        rules.check_postponement(moment, DEADLINE, proposed)
    else:
        with pytest.raises(YiwangError) as caught:
            rules.check_postponement(moment, DEADLINE, proposed)
        expected = "bidbox.deadline_passed" if moment >= DEADLINE else "bidbox.deadline_not_later"
        assert caught.value.code == expected


@pytest.mark.parametrize(
    ("code", "path", "intact", "final", "status", "fault", "claim"),
    [
        ("crypto.wrong_key", DecryptPath.BIDDER_KEY, True, False, OpeningStatus.PENDING, Fault.BIDDER, False),
        ("crypto.wrong_key", DecryptPath.SHARES, True, False, OpeningStatus.PENDING, Fault.NONE, False),
        ("crypto.key_check_failed", DecryptPath.SHARES, True, True, OpeningStatus.REVOKED, Fault.BIDDER, False),
        ("crypto.envelope_tampered", DecryptPath.BIDDER_KEY, True, True, OpeningStatus.REVOKED, Fault.BIDDER, False),
        (
            "crypto.envelope_tampered",
            DecryptPath.BIDDER_KEY,
            False,
            True,
            OpeningStatus.WITHDRAWN,
            Fault.PLATFORM,
            True,
        ),
        ("crypto.envelope_truncated", DecryptPath.SHARES, False, True, OpeningStatus.WITHDRAWN, Fault.PLATFORM, True),
        ("storage.blob_missing", DecryptPath.BIDDER_KEY, False, True, OpeningStatus.WITHDRAWN, Fault.PLATFORM, True),
        ("crypto.signature_invalid", DecryptPath.BIDDER_KEY, True, True, OpeningStatus.WITHDRAWN, Fault.PLATFORM, True),
        ("crypto.backend_unavailable", DecryptPath.BIDDER_KEY, True, False, OpeningStatus.PENDING, Fault.NONE, False),
    ],
)
def test_failure_attribution(code, path, intact, final, status, fault, claim):
    verdict = rules.attribute_failure(code, path=path, stored_intact=intact)
    assert (verdict.final, verdict.status, verdict.fault, verdict.claim) == (final, status, fault, claim)


def test_closing_classifies_only_what_is_still_pending():
    revoked = rules.classify_at_close(OpeningStatus.PENDING, fallback_allowed=False)
    assert revoked is not None
    assert (revoked.status, revoked.fault, revoked.claim) == (OpeningStatus.REVOKED, Fault.BIDDER, False)
    withdrawn = rules.classify_at_close(OpeningStatus.PENDING, fallback_allowed=True)
    assert withdrawn is not None
    assert (withdrawn.status, withdrawn.fault, withdrawn.claim) == (OpeningStatus.WITHDRAWN, Fault.PLATFORM, True)
    for done in (OpeningStatus.DECRYPTED, OpeningStatus.REVOKED, OpeningStatus.WITHDRAWN):
        assert rules.classify_at_close(done, fallback_allowed=True) is None


@given(st.integers(0, 20), st.integers(1, 5))
def test_outcome_against_the_minimum(valid, minimum):
    expected = rules.Outcome.OPENED if valid >= minimum else rules.Outcome.INSUFFICIENT_BIDS
    assert rules.outcome(valid, minimum) == expected


def test_fallback_policy():
    pending = OpeningStatus.PENDING
    assert rules.may_use_fallback("attributed", fallback_allowed=True, status=pending)
    assert not rules.may_use_fallback("attributed", fallback_allowed=False, status=pending)
    assert rules.may_use_fallback("all_pending", fallback_allowed=False, status=pending)
    assert not rules.may_use_fallback("all_pending", fallback_allowed=True, status=OpeningStatus.DECRYPTED)


def test_may_close_at_the_end_of_the_window_or_when_nothing_is_pending():
    assert rules.may_close(DEADLINE, DEADLINE, 3)
    assert not rules.may_close(DEADLINE - timedelta(seconds=1), DEADLINE, 1)
    assert rules.may_close(DEADLINE - timedelta(hours=1), DEADLINE, 0)


def test_state_checks_name_the_expected_state():
    rules.check_state("opening", rules.BoxState.OPENING)
    with pytest.raises(YiwangError) as caught:
        rules.check_state("accepting", rules.BoxState.OPENING)
    assert caught.value.code == "bidbox.wrong_state"
    assert caught.value.details == {"state": "accepting", "expected": "opening"}


# -- read-out fields -------------------------------------------------------------------------------------------------


def test_generic_json_summary_and_readout():
    doc = {"summary": {"price_fen": 123, "ok": True, "note": "含税"}, "body": "…"}
    summary = clean_summary(json_summary(io.BytesIO(json.dumps(doc).encode()), "bid.json"))
    assert summary == {"price_fen": "123", "ok": "是", "note": "含税"}
    assert readout(summary, ["price_fen", "duration_days"]) == {"price_fen": "123", "duration_days": ""}
    assert readout(summary, []) == summary


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe not utf-8", b"[1, 2]", b'{"summary": 3}', b"%PDF-1.7 binary", b'{"summary": {"x": [1]}}'],
)
def test_unreadable_summaries(data):
    with pytest.raises(SummaryUnreadable):
        clean_summary(json_summary(io.BytesIO(data), "bid"))


@given(st.dictionaries(st.text(min_size=1, max_size=64), st.one_of(st.integers(), st.text(max_size=600)), max_size=40))
def test_clean_summary_bounds(raw):
    out = clean_summary(raw)
    assert len(out) <= 32
    assert all(len(v) <= 500 for v in out.values())


# -- signed parts ---------------------------------------------------------------------------------------------------


def test_signed_parts_are_what_the_bidder_signed():
    bidder, opening = generate_private_key("sm2"), generate_private_key("sm2")
    plaintext = b"bid " * 50_000  # several chunks
    meta = BidMeta(
        project_code="P",
        section_code="S",
        bidder_id="B",
        deadline=DEADLINE,
        file_name="b.txt",
        file_size=len(plaintext),
    )
    sealed = envelope.seal(
        plaintext,
        meta=meta,
        bidder_signer=signer_for(bidder),
        recipients=[Recipient("bidder", bidder.public_key), Recipient("opening", opening.public_key)],
    )
    stream = io.BytesIO(sealed)
    parts = signed_parts(stream)
    assert stream.tell() == 0
    verify_signature(bidder.public_key, "sm2-sm3", parts.signed_message, parts.signature)
    assert json.loads(parts.tail)["plaintext_size"] == len(plaintext)
    with pytest.raises(EnvelopeMalformed):
        signed_parts(io.BytesIO(b"not an envelope at all"))

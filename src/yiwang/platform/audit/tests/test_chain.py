"""The witness log: actions append chained entries; every kind of tampering is found and named."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from yiwang.kernel.canonical import canonical_json, iso_utc, sha256_hex
from yiwang.platform.audit import chain
from yiwang.platform.audit.format import GENESIS_HASH, entry_body, payload_digest
from yiwang.platform.audit.models import SignedTreeHead, WitnessEntry, WitnessHead, WitnessNode
from yiwang.platform.testing import THING, do_touch_thing

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(clock, system, base) -> int:
    """Five witnessed actions, one clock second apart; payloads with Chinese text and nesting. Returns the
    number of entries before them (the test database's reference data is witnessed too)."""
    for n in range(1, 6):
        do_touch_thing(actor=system, n=n, payload={"n": n, "名称": f"第{n}号", "nested": {"b": [1, 2], "a": None}})
        clock.advance(timedelta(seconds=1))
    return base.witness


def _verify_error() -> str:
    with pytest.raises(CommandError) as caught:
        call_command("witness", "verify")
    return str(caught.value)


def test_actions_append_chained_entries(five, clock, system):
    w = five
    previous_hash = chain.entries(w - 1, 1)[0].entry_hash if w else GENESIS_HASH
    entries = chain.entries(w)
    assert [e.fields.seq for e in entries] == [w + 1, w + 2, w + 3, w + 4, w + 5]
    assert entries[0].fields.prev_hash == previous_hash
    for before, after in itertools.pairwise(entries):
        assert after.fields.prev_hash == before.entry_hash
    first = entries[0]
    assert first.fields.actor_ref == system.ref == "system:test"
    assert first.fields.actor_label == system.label
    assert first.fields.action == "test.touch_thing"
    assert (first.fields.object_type, first.fields.object_id) == (THING, "1")
    assert iso_utc(first.fields.occurred_at) == "2026-03-02T01:00:00.000000Z"
    # the payload is stored as its canonical text; the digest is recomputed from exactly that text
    assert first.payload_text == '{"n":1,"nested":{"a":null,"b":[1,2]},"名称":"第1号"}'
    assert first.fields.payload_digest == sha256_hex(first.payload_text.encode())
    # the entry hash is SHA-256 of the canonical body (format 1), reproducible without a database
    assert first.entry_hash == sha256_hex(canonical_json(entry_body(first.fields)))
    assert chain.head() == (w + 5, entries[-1].entry_hash)


def test_verify_reports_ok_on_a_clean_log(five):
    report = chain.verify(batch=2)  # small batches: the walk continues across pages
    assert report.ok
    assert report.checked == five + 5
    assert report.last_seq == five + 5
    assert report.last_hash == chain.head()[1]
    call_command("witness", "verify", "--batch", "3")  # no error


def test_verify_command_prints_the_head(five, capsys):
    from io import StringIO

    out = StringIO()
    call_command("witness", "verify", stdout=out)
    n = five + 5
    assert out.getvalue().startswith(f"OK: {n} entries, head seq {n} hash ")


def test_an_empty_log_verifies(db):
    assert chain.verify().ok  # whatever the test database starts with
    WitnessEntry.objects.all().delete()
    WitnessHead.objects.all().delete()
    WitnessNode.objects.all().delete()
    SignedTreeHead.objects.all().delete()
    assert chain.verify().ok
    assert chain.head() == (0, GENESIS_HASH)
    assert chain.entries() == []


def _swap(a: int, b: int) -> None:
    WitnessEntry.objects.filter(seq=a).update(seq=-1)
    WitnessEntry.objects.filter(seq=b).update(seq=a)
    WitnessEntry.objects.filter(seq=-1).update(seq=b)


def _rewrite_consistently(seq: int, **changes) -> None:
    """An attacker who also recomputes the entry's own digest and hash: only the next link betrays it."""
    row = WitnessEntry.objects.get(seq=seq)
    for name, value in changes.items():
        setattr(row, name, value)
    row.payload_digest = payload_digest(row.payload_text)
    row.entry_hash = sha256_hex(canonical_json(entry_body(row.stored().fields)))
    row.save()


TAMPERS = {
    "payload text edited": (
        lambda w: WitnessEntry.objects.filter(seq=w + 3).update(payload_text='{"n":33}'),
        3,
        "payload_digest_mismatch",
    ),
    "payload text and digest edited together": (
        lambda w: WitnessEntry.objects.filter(seq=w + 3).update(
            payload_text='{"n":33}', payload_digest=payload_digest('{"n":33}')
        ),
        3,
        "hash_mismatch",
    ),
    "actor edited": (
        lambda w: WitnessEntry.objects.filter(seq=w + 2).update(actor_ref="account:999"),
        2,
        "hash_mismatch",
    ),
    "actor label edited": (
        lambda w: WitnessEntry.objects.filter(seq=w + 2).update(actor_label="别人"),
        2,
        "hash_mismatch",
    ),
    "action edited": (
        lambda w: WitnessEntry.objects.filter(seq=w + 4).update(action="test.other_thing"),
        4,
        "hash_mismatch",
    ),
    "object edited": (
        lambda w: WitnessEntry.objects.filter(seq=w + 4).update(object_id="404"),
        4,
        "hash_mismatch",
    ),
    "time edited by one microsecond": (
        lambda w: WitnessEntry.objects.filter(seq=w + 1).update(
            occurred_at=F("occurred_at") + timedelta(microseconds=1)
        ),
        1,
        "hash_mismatch",
    ),
    "entry hash edited": (
        lambda w: WitnessEntry.objects.filter(seq=w + 5).update(entry_hash="f" * 64),
        5,
        "hash_mismatch",
    ),
    "entry deleted (gap)": (
        lambda w: WitnessEntry.objects.filter(seq=w + 3).delete(),
        3,
        "sequence_gap",
    ),
    "first entry deleted": (
        lambda w: WitnessEntry.objects.filter(seq=w + 1).delete(),
        1,
        "sequence_gap",
    ),
    "last entry deleted": (
        lambda w: WitnessEntry.objects.filter(seq=w + 5).delete(),
        5,
        "sequence_gap",
    ),
    "two entries swapped": (lambda w: _swap(w + 2, w + 3), 2, "prev_link_mismatch"),
    "entry rewritten with its own hash recomputed": (
        lambda w: _rewrite_consistently(w + 3, actor_ref="account:999", payload_text='{"n":3,"forged":true}'),
        4,
        "prev_link_mismatch",
    ),
    "head hash altered": (
        lambda w: WitnessHead.objects.filter(pk=1).update(entry_hash="0" * 64),
        5,
        "head_mismatch",
    ),
    "head moved forward": (
        lambda w: WitnessHead.objects.filter(pk=1).update(seq=w + 7),
        6,
        "sequence_gap",
    ),
    "head moved back (last entries disowned)": (
        lambda w: WitnessHead.objects.filter(pk=1).update(
            seq=w + 3, entry_hash=WitnessEntry.objects.get(seq=w + 3).entry_hash
        ),
        4,
        "entry_beyond_head",
    ),
}


@pytest.mark.parametrize("tamper", TAMPERS.values(), ids=TAMPERS.keys())
def test_tampering_is_found_at_the_first_broken_entry(five, tamper):
    change, bad_offset, reason = tamper
    bad_seq = five + bad_offset
    assert chain.verify().ok
    change(five)
    report = chain.verify(batch=2)
    assert not report.ok
    assert (report.first_bad_seq, report.reason) == (bad_seq, reason)
    message = _verify_error()
    assert f"BROKEN at entry {bad_seq}: {reason}" in message


def test_new_entries_after_a_verified_head_are_not_a_break(five, system):
    """Entries past the head that were appended with their head (not left behind) verify."""
    do_touch_thing(actor=system, n=6)
    assert chain.verify().ok
    assert chain.verify().checked == five + 6


def test_the_chain_continues_across_actions_with_several_entries(clock, system, base):
    def more(act):
        act.witness((THING, 100), {"extra": True})
        act.witness((THING, 101), {})

    do_touch_thing(actor=system, n=1, inside=more)
    do_touch_thing(actor=system, n=2)
    entries = base.entries()
    w = base.witness
    assert [(e.fields.seq, e.fields.object_id) for e in entries] == [
        (w + 1, "1"),
        (w + 2, "100"),
        (w + 3, "101"),
        (w + 4, "2"),
    ]
    assert entries[2].payload_text == "{}"
    assert chain.verify().ok

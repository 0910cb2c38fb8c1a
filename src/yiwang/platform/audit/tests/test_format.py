"""The witness-entry format as pure functions: an exported log verifies without a database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from yiwang.platform.audit.format import (
    GENESIS_HASH,
    EntryFields,
    StoredEntry,
    entry_hash,
    payload_digest,
    payload_text,
    verify_entries,
)

T = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
payloads = st.dictionaries(st.text(max_size=6), json_values, max_size=4)


def build(payload_list: list[dict]) -> list[StoredEntry]:
    out, prev = [], GENESIS_HASH
    for i, payload in enumerate(payload_list, start=1):
        text = payload_text(payload)
        fields = EntryFields(
            seq=i,
            prev_hash=prev,
            occurred_at=T + timedelta(seconds=i),
            actor_ref="account:1",
            actor_label="张三",
            action="test.touch_thing",
            object_type="test.thing",
            object_id=str(i),
            payload_digest=payload_digest(text),
        )
        prev = entry_hash(fields)
        out.append(StoredEntry(fields=fields, payload_text=text, entry_hash=prev))
    return out


@given(st.lists(payloads, min_size=1, max_size=6))
def test_an_untouched_chain_verifies(payload_list):
    entries = build(payload_list)
    report = verify_entries(entries)
    assert report.ok
    assert report.checked == len(entries)
    assert report.last_hash == entries[-1].entry_hash


FIELD_CHANGES = {
    "actor_ref": "account:2",
    "actor_label": "李四",
    "action": "test.other",
    "object_type": "test.other",
    "object_id": "x",
    "occurred_at": T - timedelta(days=1),
}


@given(
    st.lists(payloads, min_size=1, max_size=6),
    st.data(),
    st.sampled_from(sorted(FIELD_CHANGES)),
)
def test_any_changed_field_is_found_at_that_entry(payload_list, data, name):
    entries = build(payload_list)
    i = data.draw(st.integers(0, len(entries) - 1))
    victim = entries[i]
    entries[i] = dataclasses.replace(victim, fields=dataclasses.replace(victim.fields, **{name: FIELD_CHANGES[name]}))
    report = verify_entries(entries)
    assert not report.ok
    assert (report.first_bad_seq, report.reason) == (i + 1, "hash_mismatch")
    assert report.checked == i


@given(st.lists(payloads, min_size=1, max_size=6), st.data())
def test_a_changed_payload_is_found_by_its_digest(payload_list, data):
    entries = build(payload_list)
    i = data.draw(st.integers(0, len(entries) - 1))
    entries[i] = dataclasses.replace(entries[i], payload_text=entries[i].payload_text + " ")
    report = verify_entries(entries)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, i + 1, "payload_digest_mismatch")


@given(st.lists(payloads, min_size=2, max_size=6), st.data())
def test_a_dropped_entry_is_a_gap(payload_list, data):
    entries = build(payload_list)
    i = data.draw(st.integers(0, len(entries) - 2))
    del entries[i]
    report = verify_entries(entries)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, i + 1, "sequence_gap")


def test_a_chain_can_be_verified_in_pieces():
    entries = build([{"n": n} for n in range(6)])
    first = verify_entries(entries[:3])
    rest = verify_entries(entries[3:], start_seq=first.last_seq + 1, start_prev=first.last_hash)
    assert rest.ok
    assert rest.last_hash == entries[-1].entry_hash


def test_describe_names_the_first_broken_entry():
    entries = build([{}, {}])
    broken = [entries[0], dataclasses.replace(entries[1], entry_hash="0" * 64)]
    assert verify_entries(broken).describe() == "BROKEN at entry 2: hash_mismatch (checked 1 entries before it)"
    assert verify_entries(entries).describe().startswith("OK: 2 entries, head seq 2 hash ")

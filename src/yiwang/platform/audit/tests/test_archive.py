"""Witness archives offline: export, verify, prove one entry, prove consistency — and every kind of tampering."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.kernel.canonical import canonical_json
from yiwang.kernel.errors import InvalidInput
from yiwang.platform.audit.archive import (
    ConsistencyProof,
    EntryProof,
    archive_lines,
    entry_from_json,
    entry_to_json,
    loads_strict,
    prove_consistency,
    prove_entry,
    verify_archive,
    verify_consistency_proof,
    verify_consistency_proof_json,
    verify_entry_proof,
    verify_entry_proof_json,
    write_archive,
)
from yiwang.platform.audit.format import (
    FORMAT_VERSION,
    GENESIS_HASH,
    EntryFields,
    StoredEntry,
    entry_hash,
    payload_digest,
    payload_text,
)
from yiwang.platform.audit.merkle import MerkleTree, TreeHead, entry_leaf_data, make_tree_head

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _key(name: str) -> bytes:
    return hashlib.sha256(name.encode()).digest()


def signer(name: str = "platform"):
    return lambda message: hmac.new(_key(name), message, hashlib.sha256).digest()


def verifier(name: str = "platform"):
    return lambda message, signature: hmac.compare_digest(signer(name)(message), signature)


SIGN, VERIFY = signer(), verifier()


def make_entries(n: int, *, start: int = 1, prev: str = GENESIS_HASH) -> list[StoredEntry]:
    """A well-formed chain, built with the same format functions the database uses."""
    entries = []
    for seq in range(start, start + n):
        text = payload_text({"标段": f"BD-{seq:04d}", "金额_fen": seq * 1000, "备注": "开标记录"})
        fields = EntryFields(
            seq=seq,
            prev_hash=prev,
            occurred_at=T0 + timedelta(seconds=seq, microseconds=seq),
            actor_ref=f"account:{seq % 3}",
            actor_label=["招标人甲", "代理机构乙", "system"][seq % 3],
            action="tender.open_bids",
            object_type="tender.section",
            object_id=str(seq),
            payload_digest=payload_digest(text),
            format=FORMAT_VERSION,
        )
        digest = entry_hash(fields)
        entries.append(StoredEntry(fields=fields, payload_text=text, entry_hash=digest))
        prev = digest
    return entries


def head_for(entries: list[StoredEntry], *, sign=SIGN, key_id: str = "platform", size: int | None = None) -> TreeHead:
    tree = MerkleTree()
    tree.extend(entry_leaf_data(e.entry_hash) for e in entries)
    return make_tree_head(tree, timestamp=T0 + timedelta(days=1), key_id=key_id, sign=sign, size=size)


def export(entries: list[StoredEntry], head: TreeHead | None = None) -> list[str]:
    return list(archive_lines(entries, head or head_for(entries)))


N = 37


@pytest.fixture(scope="module")
def entries() -> list[StoredEntry]:
    return make_entries(N)


@pytest.fixture(scope="module")
def lines(entries) -> list[str]:
    return export(entries)


def edit(lines: list[str], number: int, **changes) -> list[str]:
    """Change fields of the JSON object on (1-based) line ``number``."""
    data = json.loads(lines[number - 1])
    data.update(changes)
    return [*lines[: number - 1], canonical_json(data).decode() + "\n", *lines[number:]]


def entry_line(seq: int) -> int:
    return seq + 1  # line 1 is the header


# the format ------------------------------------------------------------------------------------------------


def test_an_archive_is_header_entries_head(entries, lines):
    assert len(lines) == N + 2
    assert json.loads(lines[0]) == {"type": "yiwang.witness.archive", "v": 1, "hash_alg": "sha256", "tree_size": N}
    assert entry_from_json(json.loads(lines[1])) == entries[0]
    assert json.loads(lines[-1])["type"] == "tree_head"
    assert all(line.endswith("\n") and "\n" not in line[:-1] for line in lines)
    assert "招标人甲" in "".join(lines)  # UTF-8, not \u escapes


def test_write_archive_to_a_file_and_verify_it_from_the_file(entries):
    buffer = io.StringIO()
    assert write_archive(buffer, entries, head_for(entries)) == N
    buffer.seek(0)
    report = verify_archive(buffer, verify_signature=VERIFY)
    assert report.ok, report.describe()
    assert report.entries == N
    assert report.signature_checked
    assert "signature OK" in report.describe()


def test_entry_json_round_trips(entries):
    for entry in entries:
        assert entry_from_json(entry_to_json(entry)) == entry


def test_exporting_the_wrong_number_of_entries_is_refused(entries):
    with pytest.raises(InvalidInput) as excinfo:
        export(entries[:-1], head_for(entries))
    assert excinfo.value.code == "audit.archive_size_mismatch"


# verification ----------------------------------------------------------------------------------------------


def test_a_clean_archive_verifies(lines):
    report = verify_archive(lines, verify_signature=VERIFY)
    assert report.ok, report.describe()
    assert report.root_hash == report.head.root_hash.hex()


def test_without_a_verifier_the_signature_is_reported_unchecked(lines):
    report = verify_archive(lines)
    assert report.ok
    assert not report.signature_checked
    assert "NOT checked" in report.describe()


def test_empty_archive():
    lines = export([])
    assert verify_archive(lines, verify_signature=VERIFY).ok


def test_an_edited_payload_is_detected(lines):
    doctored = edit(lines, entry_line(5), payload_text='{"标段":"BD-9999"}')
    report = verify_archive(doctored, verify_signature=VERIFY)
    assert (report.ok, report.reason, report.first_bad_seq) == (False, "payload_digest_mismatch", 5)
    assert report.line == entry_line(5)
    assert "entry 5" in report.describe()


def test_an_edited_field_is_detected(lines):
    report = verify_archive(edit(lines, entry_line(9), actor_label="someone else"))
    assert (report.reason, report.first_bad_seq) == ("hash_mismatch", 9)
    report = verify_archive(edit(lines, entry_line(9), occurred_at="2026-03-03T01:00:00.000000Z"))
    assert (report.reason, report.first_bad_seq) == ("hash_mismatch", 9)


def test_an_edited_entry_with_its_hash_recomputed_breaks_the_next_link(entries):
    doctored = list(entries)
    fields = dataclasses.replace(doctored[9].fields, actor_label="someone else")
    doctored[9] = StoredEntry(fields, doctored[9].payload_text, entry_hash(fields))
    report = verify_archive(export(doctored, head_for(entries)))
    assert (report.reason, report.first_bad_seq) == ("prev_link_mismatch", 11)


def rewritten(entries: list[StoredEntry], at: int) -> list[StoredEntry]:
    """The whole chain rebuilt after changing entry ``at``: an insider with write access to everything."""
    doctored = make_entries(len(entries))
    fields = dataclasses.replace(doctored[at - 1].fields, actor_label="someone else")
    rebuilt = [*doctored[: at - 1], StoredEntry(fields, doctored[at - 1].payload_text, entry_hash(fields))]
    for old in doctored[at:]:
        fields = dataclasses.replace(old.fields, prev_hash=rebuilt[-1].entry_hash)
        rebuilt.append(StoredEntry(fields, old.payload_text, entry_hash(fields)))
    return rebuilt


def test_a_rewritten_chain_under_the_old_head_fails_on_the_root(entries):
    doctored = rewritten(entries, 12)
    report = verify_archive(export(doctored, head_for(entries)), verify_signature=VERIFY)
    assert report.reason == "root_mismatch"


def test_a_rewritten_chain_with_a_new_head_needs_the_key(entries):
    doctored = rewritten(entries, 12)
    forged = export(doctored, head_for(doctored, sign=signer("attacker")))
    assert verify_archive(forged).ok  # chain and root are consistent: only the signature can tell
    assert verify_archive(forged, verify_signature=VERIFY).reason == "signature_invalid"


def test_a_rewritten_chain_even_if_re_signed_fails_against_an_earlier_trusted_head(entries):
    """A head published earlier (size 20) pins the first 20 entries; rewriting entry 12 is caught."""
    trusted = head_for(entries, size=20)
    doctored = rewritten(entries, 12)
    forged = export(doctored, head_for(doctored))  # signed with the real key, e.g. by a rogue operator
    assert verify_archive(forged, verify_signature=VERIFY).ok
    report = verify_archive(forged, verify_signature=VERIFY, trusted_head=trusted)
    assert report.reason == "trusted_head_mismatch"
    assert verify_archive(export(entries), verify_signature=VERIFY, trusted_head=trusted).ok
    # a change after the trusted prefix is not the trusted head's business (the new head's signature is)
    assert verify_archive(export(rewritten(entries, 30)), trusted_head=trusted).ok
    # a trusted head larger than the archive cannot be checked
    assert verify_archive(lines_of(entries[:10]), trusted_head=trusted).reason == "trusted_head_mismatch"


def lines_of(entries: list[StoredEntry]) -> list[str]:
    return export(entries, head_for(entries))


def test_a_deleted_entry_is_detected(lines):
    report = verify_archive([*lines[: entry_line(7) - 1], *lines[entry_line(7) :]])
    assert (report.reason, report.first_bad_seq) == ("sequence_gap", 7)


def test_a_deleted_last_entry_is_detected(lines):
    report = verify_archive([*lines[: entry_line(N) - 1], lines[-1]])
    assert report.reason == "tree_size_mismatch"
    # … also when the header is adjusted
    shortened = edit([*lines[: entry_line(N) - 1], lines[-1]], 1, tree_size=N - 1)
    assert verify_archive(shortened).reason == "tree_size_mismatch"


def test_reordered_entries_are_detected(lines):
    swapped = list(lines)
    swapped[entry_line(3) - 1], swapped[entry_line(4) - 1] = swapped[entry_line(4) - 1], swapped[entry_line(3) - 1]
    report = verify_archive(swapped)
    assert (report.reason, report.first_bad_seq) == ("sequence_gap", 3)


def test_reordered_and_renumbered_entries_are_detected(lines):
    a, b = json.loads(lines[entry_line(3) - 1]), json.loads(lines[entry_line(4) - 1])
    a["seq"], b["seq"] = 4, 3
    swapped = list(lines)
    swapped[entry_line(3) - 1] = json.dumps(b) + "\n"
    swapped[entry_line(4) - 1] = json.dumps(a) + "\n"
    report = verify_archive(swapped)
    assert report.first_bad_seq == 3
    assert report.reason in {"prev_link_mismatch", "hash_mismatch"}


def test_a_head_for_a_different_root_is_detected(entries, lines):
    other = head_for(rewritten(entries, 1))
    report = verify_archive([*lines[:-1], json.dumps({"type": "tree_head", **other.to_json()}) + "\n"])
    assert report.reason == "root_mismatch"
    smaller = head_for(entries, size=N - 1)
    report = verify_archive([*lines[:-1], json.dumps({"type": "tree_head", **smaller.to_json()}) + "\n"])
    assert report.reason == "tree_size_mismatch"


def test_a_truncated_archive_is_detected(lines):
    assert verify_archive(lines[:-1]).reason == "missing_tree_head"
    assert verify_archive(lines[:10]).reason == "missing_tree_head"
    assert verify_archive([]).reason == "malformed"


@pytest.mark.parametrize(
    ("mangle", "line"),
    [
        (lambda ls: ["not json\n", *ls[1:]], 1),
        (lambda ls: [ls[0].replace('"v":1', '"v":2'), *ls[1:]], 1),
        (lambda ls: [ls[0].replace("sha256", "md4x"), *ls[1:]], 1),
        (lambda ls: [*ls[:3], "{broken\n", *ls[3:]], 4),
        (lambda ls: [*ls[:3], ls[3].replace('"seq":3,', '"seq":3,"extra":1,'), *ls[4:]], 4),
        (lambda ls: [*ls[:3], ls[3].replace('"seq":3,', '"seq":3,"seq":3,'), *ls[4:]], 4),
        (lambda ls: [*ls[:3], ls[3].replace('"seq":3', '"seq":"3"'), *ls[4:]], 4),
        (lambda ls: [*ls[:3], ls[3].replace('"seq":3', '"seq":3.0'), *ls[4:]], 4),
        (lambda ls: [*ls[:3], ls[3].replace('"seq":3', '"seq":NaN'), *ls[4:]], 4),
        (lambda ls: [*ls[:3], ls[3].replace('Z"', '+00:00"'), *ls[4:]], 4),
        (lambda ls: [*ls[:-1], ls[-1].replace('"tree_size"', '"size"')], N + 2),
        (lambda ls: [*ls, ls[1]], N + 3),
        (lambda ls: [*ls[:2], '["a list"]\n', *ls[2:]], 3),
    ],
)
def test_malformed_archives_are_reported_with_their_line(lines, mangle, line):
    report = verify_archive(mangle(lines))
    assert report.reason == "malformed", report.describe()
    assert report.line == line


def test_duplicate_keys_cannot_hide_a_second_payload(lines):
    original = lines[entry_line(2) - 1]
    doubled = original[:-2] + ',"payload_text":"{}"}\n'
    assert verify_archive([*lines[:2], doubled, *lines[3:]]).reason == "malformed"
    with pytest.raises(ValueError, match="duplicate"):
        loads_strict('{"a":1,"a":2}')


def test_blank_lines_and_windows_line_ends_are_tolerated(lines):
    assert verify_archive([line.replace("\n", "\r\n") for line in lines] + ["\n"]).ok
    assert verify_archive([lines[0], "\n", *lines[1:]]).ok


@settings(max_examples=150, deadline=None)
@given(junk=st.lists(st.text(max_size=60), max_size=6), at=st.integers(0, N + 2))
def test_garbage_never_crashes_the_verifier(lines, junk, at):
    report = verify_archive([*lines[:at], *junk, *lines[at:]])
    assert report.ok in (True, False)
    if not report.ok:
        assert report.reason


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_any_single_character_change_is_detected(lines, data):
    number = data.draw(st.integers(1, len(lines)), label="line")
    text = lines[number - 1]
    pos = data.draw(st.integers(0, len(text) - 2), label="pos")
    char = data.draw(st.characters(codec="utf-8"), label="char")
    doctored = text[:pos] + char + text[pos + 1 :]
    if doctored == text:
        return
    report = verify_archive([*lines[: number - 1], doctored, *lines[number:]], verify_signature=VERIFY)
    # a change to the head's key_id alone keeps the archive intact but breaks its signature
    assert not report.ok


# inclusion proofs ------------------------------------------------------------------------------------------


def test_every_entry_can_be_proved_and_verified_alone(entries, lines):
    tree = MerkleTree()
    tree.extend(entry_leaf_data(e.entry_hash) for e in entries)
    for seq in range(1, N + 1):
        proof = prove_entry(lines, seq, verify_signature=VERIFY)
        assert proof.entry == entries[seq - 1]
        assert list(proof.audit_path) == tree.inclusion_proof(seq - 1)  # same as the store-backed tree's
        report = verify_entry_proof(proof, verify_signature=VERIFY)
        assert report.ok, report.describe()
        document = json.loads(json.dumps(proof.to_json(), ensure_ascii=False))
        assert EntryProof.from_json(document) == proof
        assert verify_entry_proof_json(document, verify_signature=VERIFY).ok


def test_a_proof_built_from_the_tree_matches_the_archive_proof(entries, lines):
    """What the lead's database-backed ``witness prove`` will do: the same document."""
    tree = MerkleTree()
    tree.extend(entry_leaf_data(e.entry_hash) for e in entries)
    head = TreeHead.from_json({k: v for k, v in json.loads(lines[-1]).items() if k != "type"})
    built = EntryProof(entries[20], 20, tuple(tree.inclusion_proof(20, head.tree_size)), head)
    assert built == prove_entry(lines, 21)


def test_proving_a_missing_entry_or_from_a_broken_archive_is_refused(lines):
    for seq in (0, N + 1, -3, "1"):
        with pytest.raises(InvalidInput) as excinfo:
            prove_entry(lines, seq)
        assert excinfo.value.code == "audit.archive_entry_not_found"
    with pytest.raises(InvalidInput) as excinfo:
        prove_entry(edit(lines, entry_line(30), payload_text="{}"), 3)
    assert excinfo.value.code == "audit.archive_invalid"
    assert excinfo.value.details["reason"] == "payload_digest_mismatch"
    assert excinfo.value.details["first_bad_seq"] == 30
    with pytest.raises(InvalidInput) as excinfo:
        prove_entry(lines, 3, verify_signature=verifier("someone else"))
    assert excinfo.value.details["reason"] == "signature_invalid"


@pytest.fixture(scope="module")
def proof(lines) -> EntryProof:
    return prove_entry(lines, 14)


def test_a_proof_with_an_edited_payload_fails(proof):
    entry = dataclasses.replace(proof.entry, payload_text='{"标段":"BD-9999"}')
    assert verify_entry_proof(dataclasses.replace(proof, entry=entry)).reason == "payload_digest_mismatch"


def test_a_proof_with_an_edited_field_fails(proof):
    fields = dataclasses.replace(proof.entry.fields, object_id="999")
    entry = dataclasses.replace(proof.entry, fields=fields)
    assert verify_entry_proof(dataclasses.replace(proof, entry=entry)).reason == "hash_mismatch"
    # with its hash recomputed, the leaf changes and the path no longer leads to the root
    entry = StoredEntry(fields, proof.entry.payload_text, entry_hash(fields))
    assert verify_entry_proof(dataclasses.replace(proof, entry=entry)).reason == "inclusion_failed"


def test_a_proof_of_another_entry_at_this_place_fails(entries, proof):
    other = dataclasses.replace(proof, entry=entries[14])
    assert verify_entry_proof(other).reason == "index_mismatch"
    moved = dataclasses.replace(proof, entry=entries[14], leaf_index=14)
    assert verify_entry_proof(moved).reason == "inclusion_failed"


def test_a_proof_with_a_damaged_path_fails(proof):
    path = list(proof.audit_path)
    for broken in (path[:-1], [*path, path[0]], [bytes(32), *path[1:]], path[::-1]):
        assert verify_entry_proof(dataclasses.replace(proof, audit_path=tuple(broken))).reason == "inclusion_failed"


def test_a_proof_against_another_head_fails(entries, proof):
    bigger = head_for(entries + make_entries(1, start=N + 1, prev=entries[-1].entry_hash))
    assert verify_entry_proof(dataclasses.replace(proof, head=bigger)).reason == "inclusion_failed"
    forged = dataclasses.replace(proof.head, signature=signer("attacker")(proof.head.signing_bytes()))
    report = verify_entry_proof(dataclasses.replace(proof, head=forged), verify_signature=VERIFY)
    assert report.reason == "signature_invalid"
    assert verify_entry_proof(proof, trusted_head=bigger).reason == "trusted_head_mismatch"
    assert verify_entry_proof(proof, trusted_head=proof.head).ok


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: d.pop("audit_path"),
        lambda d: d.update(type="something"),
        lambda d: d.update(v=2),
        lambda d: d.update(leaf_index="13"),
        lambda d: d.update(audit_path=["00"]),
        lambda d: d.update(audit_path="not a list"),
        lambda d: d["entry"].update(seq=None),
        lambda d: d["tree_head"].update(root_hash="x"),
        lambda d: d["tree_head"].update(hash_alg="nope"),
    ],
)
def test_malformed_proof_documents_are_reported(proof, mangle):
    document = json.loads(json.dumps(proof.to_json()))
    mangle(document)
    assert verify_entry_proof_json(document).reason == "malformed"
    with pytest.raises(InvalidInput) as excinfo:
        EntryProof.from_json(document)
    assert excinfo.value.code == "audit.proof_malformed"


@settings(max_examples=100, deadline=None)
@given(
    document=st.recursive(
        st.none() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=5), c),
        max_leaves=10,
    )
)
def test_random_documents_are_malformed_proofs(document):
    assert verify_entry_proof_json(document).reason == "malformed"
    assert verify_consistency_proof_json(document).reason == "malformed"


# consistency proofs ----------------------------------------------------------------------------------------


def test_an_old_head_is_proved_consistent_with_the_archive(entries, lines):
    for old_size in (0, 1, 5, 16, 20, N):
        old = head_for(entries, size=old_size)
        cp = prove_consistency(lines, old, verify_signature=VERIFY)
        report = verify_consistency_proof(cp, verify_signature=VERIFY)
        assert report.ok, (old_size, report.describe())
        document = json.loads(json.dumps(cp.to_json()))
        assert ConsistencyProof.from_json(document) == cp
        assert verify_consistency_proof_json(document, verify_signature=VERIFY).ok


def test_an_old_head_of_a_rewritten_log_cannot_be_proved(entries):
    old = head_for(entries, size=20)
    doctored = rewritten(entries, 12)
    with pytest.raises(InvalidInput) as excinfo:
        prove_consistency(lines_of(doctored), old)
    assert excinfo.value.details["reason"] == "trusted_head_mismatch"
    with pytest.raises(InvalidInput):
        prove_consistency(lines_of(entries[:10]), old)  # the old head is newer than the archive


def test_a_damaged_consistency_proof_fails(entries, lines):
    cp = prove_consistency(lines, head_for(entries, size=13))
    assert verify_consistency_proof(cp).ok
    for path in (cp.proof[:-1], (*cp.proof, cp.proof[0]), (bytes(32), *cp.proof[1:])):
        assert verify_consistency_proof(dataclasses.replace(cp, proof=path)).reason == "consistency_failed"
    other_old = head_for(rewritten(entries, 3), size=13)
    assert verify_consistency_proof(dataclasses.replace(cp, old_head=other_old)).reason == "consistency_failed"
    report = verify_consistency_proof(cp, verify_signature=verifier("other"))
    assert report.reason == "signature_invalid"
    # heads signed by different keys (a key rotation) verify with a verifier each
    rotated_old = head_for(entries, size=13, sign=signer("2025"), key_id="2025")
    cp2 = prove_consistency(lines, rotated_old)
    assert not verify_consistency_proof(cp2, verify_signature=VERIFY).ok
    assert verify_consistency_proof(cp2, verify_signature=VERIFY, verify_old_signature=verifier("2025")).ok
    mixed = dataclasses.replace(cp, old_head=dataclasses.replace(cp.old_head, hash_alg="sm3"))
    assert verify_consistency_proof(mixed).reason == "malformed"

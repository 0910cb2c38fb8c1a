"""``/api/v1/witness/…``: heads, proofs (full or leaf-only by who asks), consistency, keys — all verifiable
offline with what the API itself hands out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from yiwang.kernel.actors import Actor, ActorKind
from yiwang.platform.audit import heads, offline
from yiwang.platform.keys.document import KeyRing
from yiwang.platform.testing import do_touch_thing

pytestmark = [pytest.mark.django_db, pytest.mark.urls("yiwang.platform.audit.tests.urls")]

BOB = Actor(ActorKind.ACCOUNT, "bob", "测试账户 bob", ())


@pytest.fixture
def signed(clock, system, base):
    """Entries by the system and one by bob, and two signed heads."""
    for n in range(6):
        do_touch_thing(actor=system, n=n, payload={"n": n, "报价_fen": 1000 * n})
    first = heads.sign_head()
    clock.advance(timedelta(minutes=5))
    do_touch_thing(actor=BOB, n=99, payload={"报价_fen": 123456})
    do_touch_thing(actor=system, n=100)
    second = heads.sign_head()
    return first, second


def ring_from(api) -> KeyRing:
    response = api.get("/witness/keys")
    assert response.status_code == 200
    return KeyRing.from_document(response.json())


def test_latest_head_and_heads_after(api, signed):
    first, second = signed
    latest = api.get("/witness/heads/latest").json()
    assert latest == second.to_json()
    page = api.get("/witness/heads", {"after": 0, "limit": 1}).json()
    assert [h["id"] for h in page["heads"]] == [first.id]
    page = api.get("/witness/heads", {"after": page["next_after"]}).json()
    assert [h["id"] for h in page["heads"]] == [second.id]
    assert api.get("/witness/heads", {"after": page["next_after"]}).json() == {
        "heads": [],
        "next_after": page["next_after"],
    }
    ring = ring_from(api)
    assert offline.TreeHead.from_json({k: v for k, v in latest.items() if k != "id"}).verify_signature(ring.verify_head)


def test_no_head_yet(api, db):
    response = api.get("/witness/heads/latest")
    assert response.status_code == 404
    assert response.json()["code"] == "audit.no_tree_head"


@pytest.mark.usefixtures("token_actors")
@pytest.mark.parametrize("token", ["auditor:ann", "regulator:rex", "staff:sue"])
def test_privileged_callers_get_the_entry_itself(api, signed, token, base):
    seq = base.witness + 3
    response = api.with_token(token).get(f"/witness/entries/{seq}/proof")
    assert response.status_code == 200
    document = response.json()
    assert document["type"] == "yiwang.witness.inclusion_proof"
    assert json.loads(document["entry"]["payload_text"]) == {"n": 2, "报价_fen": 2000}
    report = offline.verify_proof_document(document, ring_from(api))
    assert report.ok, report.describe()
    assert report.entry_signature_checked


@pytest.mark.usefixtures("token_actors")
def test_the_public_gets_a_leaf_proof_and_an_actor_its_own_entries(api, signed, base):
    bobs = base.witness + 7
    anonymous = api.get(f"/witness/entries/{bobs}/proof").json()
    assert anonymous["type"] == "yiwang.witness.leaf_inclusion_proof"
    assert "entry" not in anonymous
    assert "报价" not in json.dumps(anonymous, ensure_ascii=False)
    ring = ring_from(api)
    report = offline.verify_proof_document(anonymous, ring)
    assert report.ok, report.describe()
    assert report.entry_signature_checked
    # someone else signed in: still only the leaf
    assert (
        api.with_token("entity:eve")
        .get(f"/witness/entries/{bobs}/proof")
        .json()["type"]
        .endswith("leaf_inclusion_proof")
    )
    # bob sees his own entry, not the system's
    own = api.with_token("entity:bob").get(f"/witness/entries/{bobs}/proof").json()
    assert own["type"] == "yiwang.witness.inclusion_proof"
    assert json.loads(own["entry"]["payload_text"]) == {"报价_fen": 123456}
    assert offline.verify_proof_document(own, ring).ok
    assert (
        api.with_token("entity:bob")
        .get(f"/witness/entries/{bobs - 1}/proof")
        .json()["type"]
        .endswith("leaf_inclusion_proof")
    )
    # the leaf proof is the entry's: with the entry in hand, the hash ties them together
    leaf = offline.LeafProof.from_json(anonymous)
    full = offline.EntryProof.from_json(own)
    assert offline.verify_leaf_proof(leaf, ring=ring, entry=full.entry).ok
    assert (
        offline.verify_leaf_proof(
            leaf,
            ring=ring,
            entry=offline.EntryProof.from_json(
                api.with_token("auditor:ann").get(f"/witness/entries/{bobs - 1}/proof").json()
            ).entry,
        ).reason
        == "hash_mismatch"
    )


def test_a_proof_against_an_older_head(api, signed, base):
    first, _ = signed
    document = api.get(f"/witness/entries/{base.witness + 1}/proof", {"size": first.head.tree_size}).json()
    assert document["tree_head"]["tree_size"] == first.head.tree_size
    assert offline.verify_proof_document(document, ring_from(api)).ok


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/witness/entries/99999/proof", {}, 404, "audit.entry_not_found"),
        ("/witness/entries/{first_seq}/proof", {"size": 5}, 404, "audit.tree_head_not_found"),
        ("/witness/entries/{newest}/proof", {}, 409, "audit.entry_not_yet_covered"),
        ("/witness/consistency", {"from": "{second_size}", "to": "{first_size}"}, 422, "audit.consistency_sizes"),
        ("/witness/consistency", {"from": 4}, 404, "audit.tree_head_not_found"),
    ],
)
def test_requests_that_cannot_be_answered(api, signed, system, base, path, params, status, code):
    first, second = signed
    do_touch_thing(actor=system, n=500)
    values = {
        "first_seq": base.witness + 1,
        "newest": second.head.tree_size + 1,
        "first_size": first.head.tree_size,
        "second_size": second.head.tree_size,
    }
    path = path.format(**values)
    params = {k: (v.format(**values) if isinstance(v, str) else v) for k, v in params.items()}
    response = api.get(path, params)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def test_bad_parameters_are_422(api, signed):
    assert api.get("/witness/entries/1/proof", {"size": 0}).status_code == 422
    assert api.get("/witness/heads", {"limit": 100000}).status_code == 422
    assert api.get("/witness/consistency").status_code == 422


def test_consistency_between_two_heads(api, signed):
    first, second = signed
    response = api.get("/witness/consistency", {"from": first.head.tree_size, "to": second.head.tree_size})
    assert response.status_code == 200
    document = response.json()
    assert document["type"] == "yiwang.witness.consistency_proof"
    assert offline.verify_proof_document(document, ring_from(api), trusted_head=first.head).ok
    default_to = api.get("/witness/consistency", {"from": first.head.tree_size}).json()
    assert default_to == document
    document["proof"] = document["proof"][1:]
    assert offline.verify_proof_document(document, ring_from(api)).reason in ("consistency_failed", "malformed")


def test_the_keys_document(api, signed):
    document = api.get("/witness/keys").json()
    assert document["type"] == "yiwang.platform.public_keys"
    assert [k["key_id"] for k in document["keys"]] == [signed[0].head.key_id]

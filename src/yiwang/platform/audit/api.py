"""``/api/v1/witness/…``: signed tree heads, inclusion and consistency proofs, the platform's public keys.

Everything here is public (anonymous callers welcome), because it is what outside verifiers need — with one
restriction: a witness entry's fields and payload (who did what, with personal or commercial details) go only
to staff, regulators and auditors, and to the entry's own actor. Anyone else asking for an entry's proof gets
the **leaf proof**: the entry hash, its signature, the audit path and the signed head (:mod:`.offline`), which
proves the entry's place in the log without revealing it.

Proof documents are exactly those of :mod:`.archive` / :mod:`.offline`, so ``curl … > proof.json`` followed by
``yiwang witness verify-proof proof.json --keys keys.json`` works.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from yiwang.kernel.actors import Actor, Role
from yiwang.platform.api.auth import ActorAuth, actor_of
from yiwang.platform.api.schemas import ERRORS, ErrorOut
from yiwang.platform.audit import heads
from yiwang.platform.audit.offline import LeafProof
from yiwang.platform.keys import public_keys_document

PRIVILEGED = (Role.STAFF, Role.REGULATOR, Role.AUDITOR)
PROOF_ERRORS: dict[int, Any] = {**ERRORS, 409: ErrorOut}
MAX_HEADS = 1000


class TreeHeadOut(Schema):
    tree_size: int
    root_hash: str = Field(description="hex of the RFC 6962 root (MTH) over the first tree_size entries")
    timestamp: str = Field(description="UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ, exactly as signed")
    key_id: str = Field(description="the platform key that signed (see /witness/keys)")
    signature: str = Field(description="base64 signature over the head's canonical signing bytes (docs/adr/0007)")
    hash_alg: str


class SignedHeadOut(TreeHeadOut):
    id: int = Field(description="the head's number: pass as ?after= to list the heads signed later")


class HeadsPageOut(Schema):
    heads: list[SignedHeadOut]
    next_after: int


class HeadsQuery(Schema):
    after: int = Field(0, ge=0, description="heads with id > after, in signing order")
    limit: int = Field(100, ge=1, le=MAX_HEADS)


class EntryOut(Schema):
    type: str
    seq: int
    prev_hash: str
    occurred_at: str
    actor_ref: str
    actor_label: str
    action: str
    object_type: str
    object_id: str
    payload_digest: str
    format: int
    payload_text: str
    entry_hash: str
    signature: str | None = Field(None, description="absent for entries made before entries were signed")
    key_id: str | None = None


class EntryProofOut(Schema):
    type: str = Field(description="yiwang.witness.inclusion_proof")
    v: int
    entry: EntryOut
    leaf_index: int
    audit_path: list[str]
    tree_head: TreeHeadOut


class LeafProofOut(Schema):
    type: str = Field(description="yiwang.witness.leaf_inclusion_proof (the entry itself withheld)")
    v: int
    seq: int
    leaf_index: int
    entry_hash: str
    signature: str | None = None
    key_id: str | None = None
    audit_path: list[str]
    tree_head: TreeHeadOut


class ProofQuery(Schema):
    size: int | None = Field(None, ge=1, description="prove against the signed head of this size (default: latest)")


class ConsistencyQuery(Schema):
    from_size: int = Field(..., alias="from", ge=0, description="size of the older signed head")
    to_size: int | None = Field(None, alias="to", ge=0, description="size of the newer signed head (default: latest)")


class ConsistencyProofOut(Schema):
    type: str = Field(description="yiwang.witness.consistency_proof")
    v: int
    old_head: TreeHeadOut
    new_head: TreeHeadOut
    proof: list[str]


class PlatformOut(Schema):
    code: str
    name: str


class PublicKeyOut(Schema):
    key_id: str
    kind: str
    algorithm: str
    public_key_pem: str
    valid_from: str
    retired_at: str | None
    endorsed_by: str = Field(description="the key this one replaced and that endorsed it ('' for the first key)")
    endorsement: str


class KeysDocumentOut(Schema):
    type: str
    v: int
    platform: PlatformOut
    sm2_user_id: str
    keys: list[PublicKeyOut]


def may_read_entry(actor: Actor, actor_ref: str) -> bool:
    """Staff, regulators and auditors read every entry; anyone signed in reads the entries of their own acts."""
    return actor.has_role(*PRIVILEGED) or (actor.is_authenticated and actor.ref == actor_ref)


def build_router() -> Router:
    """A fresh router (a Ninja router can be mounted on one API only; tests mount their own)."""
    router = Router(tags=["witness 见证日志"])

    @router.get("/heads/latest", auth=ActorAuth(required=False), response={200: SignedHeadOut, **ERRORS})
    def latest_head(request: HttpRequest) -> dict[str, Any]:
        """The latest signed tree head (largest tree). ``audit.no_tree_head`` (404) before the first one."""
        found = heads.latest_head()
        if found is None:
            raise heads.missing_head(None)
        return found.to_json()

    @router.get("/heads", auth=ActorAuth(required=False), response={200: HeadsPageOut, **ERRORS})
    def list_heads(request: HttpRequest, q: Query[HeadsQuery]) -> dict[str, Any]:
        """Signed tree heads in signing order, after head ``after``. A monitor keeps ``next_after`` and checks
        each new head against the previous one with ``/witness/consistency``."""
        page = heads.heads_after(q.after, q.limit)
        return {"heads": [h.to_json() for h in page], "next_after": page[-1].id if page else q.after}

    @router.get(
        "/entries/{seq}/proof",
        auth=ActorAuth(required=False),
        response={200: EntryProofOut | LeafProofOut, **PROOF_ERRORS},
        exclude_none=True,
    )
    def entry_proof(request: HttpRequest, seq: int, q: Query[ProofQuery]) -> dict[str, Any]:
        """Inclusion proof of entry ``seq`` against a signed head (``size``, default the latest).

        Staff, regulators, auditors and the entry's own actor get the entry itself
        (``yiwang.witness.inclusion_proof``); everyone else the leaf proof
        (``yiwang.witness.leaf_inclusion_proof``). ``audit.entry_not_found`` (404),
        ``audit.tree_head_not_found`` (404), ``audit.entry_not_yet_covered`` (409: wait for the next head)."""
        proof = heads.prove_entry(seq, q.size)
        if may_read_entry(actor_of(request), proof.entry.fields.actor_ref):
            return proof.to_json()
        return LeafProof.of(proof).to_json()

    @router.get("/consistency", auth=ActorAuth(required=False), response={200: ConsistencyProofOut, **PROOF_ERRORS})
    def consistency(request: HttpRequest, q: Query[ConsistencyQuery]) -> dict[str, Any]:
        """Proof that the signed head of size ``to`` (default: latest) extends the one of size ``from``: nothing
        in the first ``from`` entries was changed, removed or reordered since."""
        return heads.prove_consistency(q.from_size, q.to_size).to_json()

    @router.get("/keys", auth=ActorAuth(required=False), response={200: KeysDocumentOut, **ERRORS})
    def keys(request: HttpRequest) -> dict[str, Any]:
        """Every platform public key, current and retired, for verifying entries, heads and receipts offline."""
        return public_keys_document()

    return router


router = build_router()

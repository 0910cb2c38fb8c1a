"""Reads of the bid box, restricted by who asks and by the box's state.

Before the opening nobody — trading-centre staff included — can list who submitted or download an envelope:
staff get counts, everybody else gets nothing, and a bidder sees only its own receipts. During the opening the
status of each envelope is shown without names (开标大厅); the names and read-out fields are published with the
opening record once every decryption has ended.

For the owning contexts (tendering, auctions): :func:`get_box_of_owner`, :func:`get_opening_record`,
:func:`list_decrypted_bids` and :func:`open_decrypted_bid` (the decrypted bids, for the evaluation — the owner
applies its own rules first, like ``platform.storage.queries.get_owned_document``).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO
from uuid import UUID

from django.core.exceptions import ValidationError

from yiwang.kernel.actors import Actor, Role
from yiwang.kernel.crypto import envelope
from yiwang.kernel.crypto.envelope import Receipt
from yiwang.platform.clock import now
from yiwang.platform.storage import queries as storage_queries
from yiwang.platform.storage.actions import Owner
from yiwang.services.bidbox.actions import hall_channel as hall_channel  # the opening hall's live channel
from yiwang.services.bidbox.actions import is_staff_for, opening_key_of, owner_of_box, owner_of_opened
from yiwang.services.bidbox.domain import errors
from yiwang.services.bidbox.domain.rules import (
    BOX_STATE_LABELS,
    FALLBACK_REASON_LABELS,
    OPENING_STATUS_LABELS,
    OUTCOME_LABELS,
    SUBMISSION_STATUS_LABELS,
    BoxState,
    FallbackReason,
    OpeningStatus,
    Outcome,
    SubmissionStatus,
)
from yiwang.services.bidbox.models import Box, OpeningKey, PendingShare, Postponement, Submission, SubmitterNotice

__all__ = [
    "BoxView",
    "DecryptedBid",
    "HallEntry",
    "ReceiptView",
    "count_submissions_for",
    "envelope_with_receipt_for",
    "get_box_for",
    "get_box_of_owner",
    "get_opening_key",
    "get_opening_record",
    "get_receipt_for",
    "list_boxes_for",
    "list_decrypted_bids",
    "list_hall_for",
    "list_my_submissions_for",
    "list_notices_for",
    "list_submission_fingerprints",
    "open_decrypted_bid",
    "verify_receipt_of",
]


# -- boxes ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostponementView:
    old_deadline: datetime
    new_deadline: datetime
    reason: str
    at: datetime


@dataclass(frozen=True)
class BoxView:
    id: int
    title: str
    owner_context: str
    owner_ref: str
    project_code: str
    section_code: str
    region: str
    deadline: datetime
    opening_at: datetime
    status: str
    status_label: str
    outcome: str
    outcome_label: str
    min_bidders: int
    min_bidders_source: str
    opening_rule_source: str
    max_bytes: int
    decryption_window_seconds: int
    opening_key_id: str
    opening_key_pem: str
    opening_key_threshold: int
    opening_key_total: int
    require_confirmed_session: bool
    fallback_policy: str
    readout_fields: list[str]
    opening_started_at: datetime | None
    decryption_ends_at: datetime | None
    closed_at: datetime | None
    version: int
    postponements: list[PostponementView] = field(default_factory=list)
    submission_count: int | None = None  # staff at any time; everyone once the opening started

    @property
    def accepting(self) -> bool:
        return self.status == BoxState.ACCEPTING and now() < self.deadline


def _count(box: Box) -> int:
    return Submission.objects.filter(box=box, status=SubmissionStatus.SUBMITTED).count()


def _counted_for(actor: Actor, box: Box) -> bool:
    return box.status != BoxState.ACCEPTING or is_staff_for(actor, box)


def _box_view(actor: Actor, box: Box, *, with_postponements: bool = True) -> BoxView:
    key = box.opening_key
    return BoxView(
        id=box.pk,
        title=box.title,
        owner_context=box.owner_context,
        owner_ref=box.owner_ref,
        project_code=box.project_code,
        section_code=box.section_code,
        region=box.region,
        deadline=box.deadline,
        opening_at=box.opening_at,
        status=box.status,
        status_label=BOX_STATE_LABELS[BoxState(box.status)],
        outcome=box.outcome,
        outcome_label=OUTCOME_LABELS[Outcome(box.outcome)],
        min_bidders=box.min_bidders,
        min_bidders_source=box.min_bidders_rule.get("source", ""),
        opening_rule_source=box.opening_rule.get("source", ""),
        max_bytes=box.max_bytes,
        decryption_window_seconds=box.decryption_window_seconds,
        opening_key_id=key.key_id,
        opening_key_pem=opening_key_of(key).to_pem().decode("ascii"),
        opening_key_threshold=key.threshold,
        opening_key_total=key.total,
        require_confirmed_session=box.require_confirmed_session,
        fallback_policy=box.fallback_policy,
        readout_fields=list(box.readout_fields),
        opening_started_at=box.opening_started_at,
        decryption_ends_at=box.decryption_ends_at,
        closed_at=box.closed_at,
        version=box.version,
        postponements=[
            PostponementView(p.old_deadline, p.new_deadline, p.reason, p.at)
            for p in (Postponement.objects.filter(box=box) if with_postponements else [])
        ],
        submission_count=_count(box) if _counted_for(actor, box) else None,
    )


def _box(box_id: int | str) -> Box:
    try:
        box = Box.objects.select_related("opening_key").filter(pk=int(box_id)).first()
    except (TypeError, ValueError):
        box = None
    if box is None:
        raise errors.box_not_found(box_id)
    return box


def get_box_for(actor: Actor, box_id: int | str) -> BoxView:
    """A box's public facts (deadline, opening time, opening key …). The number of envelopes is given to staff
    at any time and to everybody once the opening has started."""
    return _box_view(actor, _box(box_id))


def get_box_of_owner(owner: Owner | tuple[str, str], actor: Actor | None = None) -> BoxView | None:
    """The box of an owner object (for the owning context), or ``None``."""
    context, ref = (owner.context, owner.ref) if isinstance(owner, Owner) else owner
    box = Box.objects.select_related("opening_key").filter(owner_context=context, owner_ref=ref).first()
    return _box_view(actor or Actor.system("bidbox"), box) if box else None


def list_boxes_for(actor: Actor, *, status: str | None = None, limit: int = 100) -> list[BoxView]:
    """Boxes, newest deadline first (public facts; counts as in :func:`get_box_for`)."""
    rows = Box.objects.select_related("opening_key").order_by("-deadline", "-pk")
    if status:
        rows = rows.filter(status=status)
    return [_box_view(actor, b, with_postponements=False) for b in rows[: max(1, min(limit, 500))]]


def count_submissions_for(actor: Actor, box_id: int | str) -> int:
    """How many current envelopes a box holds: staff only before the opening, everybody after its start."""
    box = _box(box_id)
    if not _counted_for(actor, box):
        raise errors.sealed()
    return _count(box)


def get_opening_key(key: int | str) -> OpeningKey:
    row = OpeningKey.objects.filter(pk=int(key)).first() if str(key).isdigit() else None
    row = row or OpeningKey.objects.filter(key_id=str(key)).first()
    if row is None:
        raise errors.key_not_found(key)
    return row


# -- the bidder's own submissions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptView:
    submission_id: UUID
    box_id: int
    box_title: str
    entity_id: int
    receipt_id: str
    received_at: datetime
    envelope_sm3: str
    envelope_sha256: str
    size: int
    plaintext_sm3: str
    plaintext_sha256: str
    file_name: str
    receipt_key_id: str
    receipt_b64: str  # the RCPT ‖ RSIG sections: append them to the envelope to verify
    status: str
    status_label: str
    opening_status: str
    opening_status_label: str
    deadline: datetime
    box_status: str
    superseded_by: str = ""
    claim: bool = False
    summary: dict[str, str] = field(default_factory=dict)


def _receipt_view(s: Submission) -> ReceiptView:
    return ReceiptView(
        submission_id=s.pk,
        box_id=s.box_id,
        box_title=s.box.title,
        entity_id=s.entity_id,
        receipt_id=s.receipt_id,
        received_at=s.received_at,
        envelope_sm3=s.envelope_sm3,
        envelope_sha256=s.envelope_sha256,
        size=s.size,
        plaintext_sm3=s.plaintext_sm3,
        plaintext_sha256=s.plaintext_sha256,
        file_name=s.file_name,
        receipt_key_id=s.receipt_key_id,
        receipt_b64=base64.b64encode(bytes(s.receipt)).decode("ascii"),
        status=s.status,
        status_label=SUBMISSION_STATUS_LABELS[SubmissionStatus(s.status)],
        opening_status=s.opening_status,
        opening_status_label=OPENING_STATUS_LABELS[OpeningStatus(s.opening_status)],
        deadline=s.box.deadline,
        box_status=s.box.status,
        superseded_by=s.superseded_by.receipt_id if s.superseded_by_id and s.superseded_by else "",
        claim=s.claim,
        summary=dict(s.summary) if s.opening_status == OpeningStatus.DECRYPTED else {},
    )


def _own(actor: Actor, submission_id: UUID | str) -> Submission:
    try:
        row = Submission.objects.select_related("box", "superseded_by").filter(pk=submission_id).first()
    except (ValueError, TypeError, ValidationError):
        row = None
    if row is None or not actor.acts_for(row.entity_id):
        raise errors.submission_not_found(submission_id)
    return row


def list_my_submissions_for(actor: Actor, *, box_id: int | None = None) -> list[ReceiptView]:
    """我的递交记录: the submissions of the entities the actor acts for, newest first (all versions)."""
    entities = list(actor.entity_ids())
    if not entities:
        return []
    rows = Submission.objects.select_related("box", "superseded_by").filter(entity_id__in=entities)
    if box_id is not None:
        rows = rows.filter(box_id=box_id)
    return [_receipt_view(s) for s in rows.order_by("-received_at", "-pk")[:200]]


def get_receipt_for(actor: Actor, submission_id: UUID | str) -> ReceiptView:
    """The receipt of one of the actor's own submissions (not found for anybody else, staff included)."""
    return _receipt_view(_own(actor, submission_id))


def envelope_with_receipt_for(actor: Actor, submission_id: UUID | str) -> tuple[str, BinaryIO]:
    """The bidder's own stored envelope with the platform's receipt appended (a file name and a stream). Nobody
    else may download an envelope."""
    row = _own(actor, submission_id)
    document = storage_queries.get_owned_document(owner_of_box(row.box), row.document_id)
    version = storage_queries.get_version(document, row.document_version)
    with storage_queries.open_version(version) as stream:
        data = stream.read()
    return f"{row.receipt_id}.ywenv", io.BytesIO(data + bytes(row.receipt))


def verify_receipt_of(submission_id: UUID | str, envelope_bytes: bytes, receipt: bytes) -> Receipt:
    """Verify a receipt over an envelope with the platform's key it names (``crypto.receipt_invalid`` …)."""
    from yiwang.platform import keys as platform_keys

    row = Submission.objects.filter(pk=submission_id).only("receipt_key_id").first()
    key_id = row.receipt_key_id if row else None
    return envelope.verify_receipt(envelope_bytes + receipt, platform_key=platform_keys.platform_public_key(key_id))


@dataclass(frozen=True)
class NoticeView:
    kind: str
    text: str
    created_at: datetime
    receipt_id: str


def list_notices_for(actor: Actor, *, limit: int = 50) -> list[NoticeView]:
    entities = list(actor.entity_ids())
    if not entities:
        return []
    rows = SubmitterNotice.objects.select_related("submission").filter(entity_id__in=entities)
    return [NoticeView(n.kind, n.text, n.created_at, n.submission.receipt_id) for n in rows[:limit]]


# -- the opening hall -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HallEntry:
    """One envelope at the opening, without its bidder's name (names come with the record)."""

    number: int
    opening_status: str
    opening_status_label: str
    decrypted_at: datetime | None
    mine: bool
    submission_id: UUID | None  # the bidder's own, and staff (to allow the fallback)
    fallback_allowed: bool
    fallback_reason_label: str
    attempts: int


@dataclass(frozen=True)
class HallView:
    box: BoxView
    entries: list[HallEntry]
    pending_shares: int
    threshold: int
    counts: dict[str, int]


def list_hall_for(actor: Actor, box_id: int | str) -> HallView:
    """开标大厅: the live status of each envelope, numbered by arrival, without names (``bidbox.sealed`` before
    the opening has started)."""
    box = _box(box_id)
    if box.status == BoxState.ACCEPTING:
        raise errors.sealed()
    staff = is_staff_for(actor, box)
    mine = actor.entity_ids()
    rows = list(Submission.objects.filter(box=box, status=SubmissionStatus.SUBMITTED).order_by("received_at", "pk"))
    entries = [
        HallEntry(
            number=i,
            opening_status=s.opening_status,
            opening_status_label=OPENING_STATUS_LABELS[OpeningStatus(s.opening_status)],
            decrypted_at=s.decrypted_at,
            mine=s.entity_id in mine,
            submission_id=s.pk if (staff or s.entity_id in mine) else None,
            fallback_allowed=s.fallback_allowed,
            fallback_reason_label=FALLBACK_REASON_LABELS.get(FallbackReason(s.fallback_reason), "")
            if s.fallback_reason
            else "",
            attempts=s.attempts if (staff or s.entity_id in mine) else 0,
        )
        for i, s in enumerate(rows, start=1)
    ]
    counts: dict[str, int] = {}
    for s in rows:
        counts[s.opening_status] = counts.get(s.opening_status, 0) + 1
    return HallView(
        box=_box_view(actor, box, with_postponements=False),
        entries=entries,
        pending_shares=PendingShare.objects.filter(box=box).count(),
        threshold=box.opening_key.threshold,
        counts=counts,
    )


# -- the record and the decrypted bids ------------------------------------------------------------------------------


def get_opening_record(box_id: int | str) -> dict[str, Any]:
    """开标记录 (public), once every decryption has ended; ``bidbox.record_not_published`` before."""
    box = _box(box_id)
    if box.status != BoxState.CLOSED or box.record is None:
        raise errors.record_not_published()
    return dict(box.record)


@dataclass(frozen=True)
class DecryptedBid:
    submission_id: UUID
    box_id: int
    entity_id: int
    receipt_id: str
    received_at: datetime
    file_name: str
    plaintext_sm3: str
    plaintext_sha256: str
    plaintext_size: int
    document_id: UUID
    summary: dict[str, str]
    decrypted_via: str


def list_decrypted_bids(owner: Owner | tuple[str, str]) -> list[DecryptedBid]:
    """The decrypted bids of the owner's box, in arrival order, once the opening has closed — for the owning
    context's evaluation, after its own access rules (nobody else reaches them through the box)."""
    context, ref = (owner.context, owner.ref) if isinstance(owner, Owner) else owner
    box = Box.objects.filter(owner_context=context, owner_ref=ref).first()
    if box is None:
        raise errors.box_not_found(f"{context}/{ref}")
    if box.status != BoxState.CLOSED:
        raise errors.record_not_published()
    rows = Submission.objects.filter(
        box=box, status=SubmissionStatus.SUBMITTED, opening_status=OpeningStatus.DECRYPTED
    ).order_by("received_at", "pk")
    return [
        DecryptedBid(
            submission_id=s.pk,
            box_id=box.pk,
            entity_id=s.entity_id,
            receipt_id=s.receipt_id,
            received_at=s.received_at,
            file_name=s.file_name,
            plaintext_sm3=s.plaintext_sm3,
            plaintext_sha256=s.plaintext_sha256,
            plaintext_size=s.plaintext_size,
            document_id=s.plaintext_document_id,  # type: ignore[arg-type]
            summary=dict(s.summary),
            decrypted_via=s.decrypted_via,
        )
        for s in rows
        if s.plaintext_document_id is not None
    ]


def open_decrypted_bid(bid: DecryptedBid) -> BinaryIO:
    """The decrypted bid's bytes (the caller closes the stream)."""
    box = Box.objects.get(pk=bid.box_id)
    document = storage_queries.get_owned_document(owner_of_opened(box), bid.document_id)
    return storage_queries.open_version(storage_queries.get_version(document))


# -- fingerprints (supervision only) ---------------------------------------------------------------------------------

FINGERPRINT_READER = "system:redflags"  # the red-flag snapshot adapter's actor (supervision.redflags)


@dataclass(frozen=True)
class SubmissionFingerprints:
    receipt_id: str
    entity_id: int
    received_at: datetime
    extra: dict[str, list[str]]  # kept fingerprints per meta.extra key (domain/fingerprints.py), normalised
    notes: list[dict[str, str]]  # dropped values: {key, code, reason}
    upload_ip: str  # "" when not recorded
    upload_ip_source: str  # remote_addr | x_forwarded_for | ""


def may_read_fingerprints(actor: Actor, box_region: str) -> bool:
    """Supervision only: the red-flag adapter's system actor, or a regulator over the box's region."""
    if actor.is_system:
        return actor.ref == FINGERPRINT_READER
    return actor.covers_region(box_region, Role.REGULATOR) if box_region else actor.has_role(Role.REGULATOR)


def list_submission_fingerprints(owner: Owner | tuple[str, str], *, actor: Actor) -> list[SubmissionFingerprints]:
    """The bid tool's fingerprints and upload address of every current envelope of the owner's box, in arrival
    order — for supervision (串通投标 screens), after the opening record is published. Anyone else is refused
    (``bidbox.fingerprints_forbidden``: bidders, tenderers, agencies, trading-centre staff and other system
    components alike); before the close ``bidbox.fingerprints_sealed``; no box: ``bidbox.box_not_found``."""
    context, ref = (owner.context, owner.ref) if isinstance(owner, Owner) else owner
    box = Box.objects.filter(owner_context=context, owner_ref=ref).first()
    if box is None:
        raise errors.box_not_found(f"{context}/{ref}")
    if not may_read_fingerprints(actor, box.region):
        raise errors.fingerprints_forbidden()
    if box.status != BoxState.CLOSED or box.record is None:
        raise errors.fingerprints_sealed()
    rows = Submission.objects.filter(box=box, status=SubmissionStatus.SUBMITTED).order_by("received_at", "pk")
    out = []
    for s in rows:
        kept = s.tool_fingerprints or {}
        out.append(
            SubmissionFingerprints(
                receipt_id=s.receipt_id,
                entity_id=s.entity_id,
                received_at=s.received_at,
                extra={str(k): [str(v) for v in vs] for k, vs in (kept.get("values") or {}).items()},
                notes=[dict(n) for n in kept.get("notes") or []],
                upload_ip=s.upload_ip,
                upload_ip_source=s.upload_ip_source,
            )
        )
    return out

"""State changes of the bid box — the only door (``docs/trust/bidbox.md``).

For the owning contexts (tendering, auctions):

- :func:`do_run_key_ceremony` — a new opening key: the public half is stored, the k-of-n shares are returned
  once (and never stored);
- :func:`do_open_box` — a box for an owner object, with its deadline, opening key and rules;
- :func:`do_postpone_deadline` — 顺延, before the deadline, witnessed, submitters notified;
- :func:`do_start_opening` / :func:`do_close_opening` — the opening (also fired by the clock);
- bidders: :func:`do_submit_envelope`, :func:`do_withdraw_submission`, :func:`do_decrypt_with_content_key`;
- staff and custodians: :func:`do_allow_fallback`, :func:`do_submit_share`.

**Secrecy.** Until the opening record is published, the witness log and the feed must not tell who submitted.
Every act a bidder does before then (submit, replace, withdraw, decrypt) is therefore recorded under the box's
own system actor (:data:`SEALED`), with digests and receipt ids only; the person and entity are kept in the
submission row, which only the bidder itself may read. The bidder's identity is bound to its envelope by its
own signature inside the envelope, and the close of the opening witnesses the mapping receipt → bidder and
records every bidder signature with the identity context.
"""

from __future__ import annotations

import ipaddress
import secrets
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, BinaryIO
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Count

from yiwang.catalog import queries as catalog
from yiwang.identity.ca import actions as ca_actions
from yiwang.identity.ca import queries as ca_queries
from yiwang.kernel.actors import Actor, ActorKind, Role
from yiwang.kernel.canonical import canonical_json, iso_utc
from yiwang.kernel.crypto import envelope, sm3
from yiwang.kernel.crypto.envelope import BidMeta, EnvelopeInfo
from yiwang.kernel.crypto.errors import CryptoError, ShareDuplicate, ShareSetMismatch
from yiwang.kernel.crypto.keys import PrivateKey, PublicKey, load_public_key
from yiwang.kernel.crypto.shamir import SET_ID_SIZE, Share
from yiwang.kernel.errors import YiwangError
from yiwang.platform.actions import ActionRecorder, action
from yiwang.platform.clock import now
from yiwang.platform.live.publish import last_event_id, publish
from yiwang.platform.outbox.feed import Visibility
from yiwang.platform.storage import actions as storage
from yiwang.platform.storage import queries as storage_queries
from yiwang.registry import queries as registry
from yiwang.services.bidbox import hooks
from yiwang.services.bidbox.conf import bidbox_settings
from yiwang.services.bidbox.domain import errors, fingerprints, rules
from yiwang.services.bidbox.domain.container import signed_parts
from yiwang.services.bidbox.domain.rules import (
    BoxState,
    DecryptPath,
    FallbackPolicy,
    FallbackReason,
    OpeningStatus,
    SubmissionStatus,
    Verdict,
)
from yiwang.services.bidbox.domain.summary import SummaryUnreadable, clean_summary, readout
from yiwang.services.bidbox.lock_objects import box_for_update, submission_for_update, submissions_for_update
from yiwang.services.bidbox.models import (
    Box,
    OpeningKey,
    PendingShare,
    Postponement,
    Submission,
    SubmitterNotice,
)

__all__ = [
    "SEALED",
    "Ceremony",
    "CustodianShare",
    "DecryptResult",
    "ShareResult",
    "do_allow_fallback",
    "do_close_opening",
    "do_decrypt_with_content_key",
    "do_open_box",
    "do_postpone_deadline",
    "do_run_key_ceremony",
    "do_start_opening",
    "do_submit_envelope",
    "do_submit_share",
    "do_withdraw_submission",
]

# The actor under which bidders' acts are witnessed until the opening record is published (see the docstring).
SEALED = Actor(ActorKind.SYSTEM, "bidbox", "系统:电子投标箱（开标前不显示递交人）")
CUSTODIAN_ROLES = (Role.STAFF, Role.REGULATOR)
MAX_REASON = 500
MAX_TITLE = 200
MAX_WINDOW = timedelta(days=7)
MIN_WINDOW = timedelta(minutes=1)
MIN_BOX_BYTES = 1024
_SPOOL = 8 << 20  # decrypted bids up to this size stay in memory, larger ones spill to a temporary file


# -- small helpers ------------------------------------------------------------------------------------------------


def owner_of_box(box: Box) -> storage.Owner:
    """The document-store owner of a box's envelopes."""
    return storage.Owner(bidbox_settings().owner_context, f"box:{box.pk}")


def owner_of_opened(box: Box) -> storage.Owner:
    """The document-store owner of a box's decrypted bids (restricted to the evaluation)."""
    return storage.Owner(bidbox_settings().owner_context, f"box:{box.pk}:opened")


def is_staff_for(actor: Actor, box: Box | None = None, region: str = "") -> bool:
    if actor.is_system:
        return True
    scope = box.region if box is not None else region
    return actor.covers_region(scope, Role.STAFF) if scope else actor.has_role(Role.STAFF)


def _require_staff(actor: Actor, box: Box | None, what_zh: str, what_en: str, region: str = "") -> None:
    if not is_staff_for(actor, box, region):
        raise errors.forbidden(what_zh, what_en)


def _box(box_id: int | str) -> Box:
    try:
        pk = int(box_id)
    except (TypeError, ValueError):
        raise errors.box_not_found(box_id) from None
    box = Box.objects.select_related("opening_key").filter(pk=pk).first()
    if box is None:
        raise errors.box_not_found(box_id)
    return box


def _locked_box(box_id: int) -> Box:
    box = box_for_update(box_id)
    if box is None:
        raise errors.box_not_found(box_id)
    return box


def _submission(submission_id: UUID | str) -> Submission:
    try:
        row = Submission.objects.select_related("box", "box__opening_key").filter(pk=submission_id).first()
    except (ValueError, TypeError, ValidationError):  # not a UUID
        row = None
    if row is None:
        raise errors.submission_not_found(submission_id)
    return row


def _own_submission(actor: Actor, submission_id: UUID | str) -> Submission:
    """The submission, for a person acting for its bidding entity (not found for anyone else)."""
    row = _submission(submission_id)
    if not actor.acts_for(row.entity_id):
        raise errors.submission_not_found(submission_id)
    return row


def _reason(text: str, *, required: bool = True) -> str:
    text = " ".join((text or "").split())
    if (required and not text) or len(text) > MAX_REASON:
        raise errors.invalid("reason", "须填写原因（不超过500字）", "A reason is required (at most 500 characters)")
    return text


def _aware(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise errors.invalid(name, "时间须带时区", "The time must be timezone-aware")
    return moment


def _notify(submission: Submission, kind: str, text: str, at: datetime) -> None:
    SubmitterNotice.objects.create(
        submission=submission, entity_id=submission.entity_id, kind=kind, text=text[:500], created_at=at
    )


def _shanghai(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")


def bidder_id_of(entity: registry.EntityRef) -> str:
    """What an envelope's ``meta.bidder_id`` must say for this entity: its USCC (or ``entity:<id>`` without one)."""
    return entity.uscc or f"entity:{entity.id}"


# -- the key ceremony -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustodianShare:
    index: int
    name: str
    text: str  # YWSS1-…: shown once, never stored

    def __repr__(self) -> str:  # never show the share in logs or tracebacks
        return f"CustodianShare(index={self.index}, name={self.name!r})"


@dataclass(frozen=True)
class Ceremony:
    key: OpeningKey
    shares: list[CustodianShare]


def _custodian_names(custodians: Sequence[str], total: int) -> list[str]:
    names = [" ".join(str(n).split()) for n in custodians]
    if len(names) != total or any(not 1 <= len(n) <= 100 for n in names) or len(set(names)) != len(names):
        raise errors.invalid(
            "custodians",
            "须为每份分片指定一名不同的保管人（1–100 字）",
            "Name one different custodian (1-100 characters) per share",
            expected=total,
        )
    return names


def do_run_key_ceremony(
    *,
    actor: Actor,
    threshold: int,
    custodians: Sequence[str],
    label: str = "",
    algorithm: str = "sm2",
) -> Ceremony:
    """开标密钥仪式: a fresh opening key whose private half exists only as ``len(custodians)`` shares, any
    ``threshold`` of which recover it. Stores the public key and the custodians' names; returns each custodian's
    share text — the only time it exists outside the custodians' hands."""
    _require_staff(actor, None, "举行开标密钥仪式", "run an opening-key ceremony")
    total = len(custodians)
    if not isinstance(threshold, int) or not 2 <= threshold <= total <= 255:
        raise errors.invalid(
            "threshold",
            "门限须满足 2 ≤ k ≤ n ≤ 255",
            "The threshold must satisfy 2 <= k <= n <= 255",
            threshold=threshold,
            custodians=total,
        )
    names = _custodian_names(custodians, total)
    label = " ".join((label or "").split())[:200]
    public, shares = envelope.new_opening_key(threshold, total, kind=algorithm)
    with action(actor, "bidbox.run_key_ceremony") as act:
        key = OpeningKey.objects.create(
            key_id=public.key_id,
            algorithm=public.kind,
            public_key_der=public.to_der(),
            threshold=threshold,
            total=total,
            custodians=[{"index": i + 1, "name": name} for i, name in enumerate(names)],
            label=label,
            created_at=act.now,
            created_by=actor.ref,
        )
        facts = {"key_id": key.key_id, "algorithm": key.algorithm, "threshold": threshold, "total": total}
        act.witness(key, {**facts, "custodians": names, "label": label})
        act.emit("bidbox.opening_key_created.v1", key, facts)
    out = [CustodianShare(index=s.index, name=names[s.index - 1], text=s.to_text()) for s in shares]
    del shares
    return Ceremony(key=key, shares=out)


def opening_key_of(key: OpeningKey) -> PublicKey:
    return load_public_key(bytes(key.public_key_der))


def _opening_key(value: OpeningKey | int | str) -> OpeningKey:
    if isinstance(value, OpeningKey):
        return value
    row = None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        row = OpeningKey.objects.filter(pk=int(value)).first()
    elif isinstance(value, str):
        row = OpeningKey.objects.filter(key_id=value).first()
    if row is None:
        raise errors.key_not_found(value)
    return row


# -- boxes ------------------------------------------------------------------------------------------------------------


def _rule(rule_id: str, moment: datetime, unit: str) -> catalog.RuleValue:
    value = catalog.rule(rule_id, on=moment)
    if value.unit != unit or int(value.value) != value.value or value.value < 0:
        raise errors.invalid(
            "rule", "规则的单位或数值不适用于投标箱", "The rule's unit or value does not fit", rule=rule_id
        )
    return value


def _code(value: str, name: str) -> str:
    try:
        BidMeta(project_code=value, section_code="x", bidder_id="x", deadline=now(), file_name="x", file_size=1)
    except CryptoError:
        raise errors.invalid(
            name, "编号须为1–128个字符，不含控制字符", "1 to 128 characters, no control characters"
        ) from None
    return value


def do_open_box(
    *,
    actor: Actor,
    owner: tuple[str, str] | storage.Owner,
    title: str,
    deadline: datetime,
    opening_key: OpeningKey | int | str,
    min_bidders_rule: str,
    opening_rule: str = "tender.opening_at_deadline",
    max_bytes: int | None = None,
    decryption_window: timedelta | None = None,
    project_code: str | None = None,
    section_code: str | None = None,
    region: str = "",
    require_confirmed_session: bool = False,
    fallback_policy: str = FallbackPolicy.ATTRIBUTED,
    readout_fields: Iterable[str] = (),
    auto_start: bool = True,
    owner_checked: bool = False,
) -> Box:
    """Open a sealed-submission box for ``owner`` (the caller's object, e.g. ``("tender.section", "123")``).

    The opening time follows the catalogue rule ``opening_rule`` (a duration after the deadline: 0 by law for
    tenders) and the minimum number of bidders the rule ``min_bidders_rule`` (e.g. ``tender.min_bidders``); both
    are snapshotted on the box. ``opening_key`` is a ceremony's key (id or key id). ``max_bytes`` defaults to the
    document store's limit for envelopes; ``decryption_window`` to the setting. Envelopes must name
    ``project_code``/``section_code`` (default: the owner's context and reference).

    Staff (over ``region``) and the platform may open boxes; an owning context that has checked its own rules
    passes ``owner_checked=True``."""
    if not (owner_checked or is_staff_for(actor, None, region)):
        raise errors.forbidden("开设投标箱", "open a bid box")
    if not isinstance(owner, storage.Owner):
        owner = storage.Owner(str(owner[0]), str(owner[1]))
    title = " ".join((title or "").split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise errors.invalid("title", "标题须为1–200字", "The title must be 1-200 characters")
    moment = now()
    deadline = _aware(deadline, "deadline")
    rules.check_new_deadline(moment, deadline)
    key = _opening_key(opening_key)
    opening = _rule(opening_rule, moment, "minute")
    minimum = _rule(min_bidders_rule, moment, "count")
    conf = bidbox_settings()
    limit = conf.envelope_limit
    max_bytes = limit if max_bytes is None else int(max_bytes)
    if not MIN_BOX_BYTES <= max_bytes <= limit:
        raise errors.invalid(
            "max_bytes", f"大小上限须在 {MIN_BOX_BYTES} 至 {limit} 字节之间", "Size limit out of range", limit=limit
        )
    window = conf.decryption_window if decryption_window is None else decryption_window
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        raise errors.invalid("decryption_window", "解密时长须在1分钟至7天之间", "The window must be 1 minute to 7 days")
    if fallback_policy not in {p.value for p in FallbackPolicy}:
        raise errors.invalid("fallback_policy", "未知的应急解密策略", "Unknown fallback policy")
    fields = [str(f)[:64] for f in readout_fields][:32]
    project = _code(project_code or owner.context, "project_code")
    section = _code(section_code or owner.ref, "section_code")
    with action(actor, "bidbox.open_box") as act:
        if Box.objects.filter(owner_context=owner.context, owner_ref=owner.ref).exists():
            raise errors.owner_taken(str(owner))
        box = Box.objects.create(
            owner_context=owner.context,
            owner_ref=owner.ref,
            title=title,
            project_code=project,
            section_code=section,
            region=region or "",
            deadline=deadline,
            opening_at=rules.opening_at_for(deadline, int(opening.value)),
            opening_rule=opening.as_json(),
            min_bidders=max(1, int(minimum.value)),
            min_bidders_rule=minimum.as_json(),
            max_bytes=max_bytes,
            decryption_window_seconds=int(window.total_seconds()),
            opening_key=key,
            require_confirmed_session=require_confirmed_session,
            fallback_policy=fallback_policy,
            readout_fields=fields,
            auto_start=auto_start,
            created_at=act.now,
            created_by=actor.ref,
        )
        facts = {
            "owner": str(owner),
            "title": title,
            "deadline": iso_utc(box.deadline),
            "opening_at": iso_utc(box.opening_at),
            "opening_key_id": key.key_id,
            "min_bidders": box.min_bidders,
        }
        act.witness(
            box,
            {
                **facts,
                "project_code": project,
                "section_code": section,
                "opening_rule": opening.rule_id,
                "min_bidders_rule": minimum.rule_id,
                "rules_version": opening.version,
                "max_bytes": max_bytes,
                "decryption_window_seconds": box.decryption_window_seconds,
                "fallback_policy": fallback_policy,
            },
        )
        act.emit("bidbox.box_opened.v1", box, facts)
        return box


def do_postpone_deadline(
    *,
    actor: Actor,
    box_id: int,
    new_deadline: datetime,
    reason: str,
    expected_version: int | None = None,
    owner_checked: bool = False,
) -> Box:
    """截止时间顺延: only before the current deadline and only to a later time; the opening time moves with it
    (by the rule snapshotted on the box). Every bidder with a current envelope is notified; envelopes already
    received stay valid, new ones must name the new deadline."""
    from yiwang.kernel.versioning import check_version

    new_deadline = _aware(new_deadline, "new_deadline")
    reason = _reason(reason)
    with action(actor, "bidbox.postpone_deadline") as act:
        box = _locked_box(box_id)
        if not (owner_checked or is_staff_for(actor, box)):
            raise errors.forbidden("顺延截止时间", "postpone the deadline")
        check_version(box.version, expected_version)
        rules.check_state(box.status, BoxState.ACCEPTING)
        moment = now()
        rules.check_postponement(moment, box.deadline, new_deadline)
        offset = int(box.opening_rule.get("value", 0))
        old_deadline, old_opening = box.deadline, box.opening_at
        box.deadline = new_deadline
        box.opening_at = rules.opening_at_for(new_deadline, offset)
        box.version += 1
        box.save(update_fields=["deadline", "opening_at", "version"])
        Postponement.objects.create(
            box=box,
            old_deadline=old_deadline,
            new_deadline=new_deadline,
            old_opening_at=old_opening,
            new_opening_at=box.opening_at,
            reason=reason,
            actor_ref=actor.ref,
            actor_label=actor.label[:200],
            at=act.now,
        )
        text = (
            f"「{box.title}」投标截止时间已顺延至 {_shanghai(new_deadline)}（原因：{reason}）。"
            "已递交的投标文件仍然有效；如需修改，请在新的截止时间前按新的截止时间重新加密并递交。"
        )
        for submission in Submission.objects.filter(box=box, status=SubmissionStatus.SUBMITTED):
            _notify(submission, "deadline_postponed", text, act.now)
        facts = {
            "old_deadline": iso_utc(old_deadline),
            "deadline": iso_utc(new_deadline),
            "old_opening_at": iso_utc(old_opening),
            "opening_at": iso_utc(box.opening_at),
            "reason": reason,
        }
        act.witness(box, facts)
        act.emit("bidbox.deadline_postponed.v1", box, facts)
        return box


# -- submissions ------------------------------------------------------------------------------------------------------


def _size_of(stream: BinaryIO) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _check_meta(box: Box, info: EnvelopeInfo, bidder_id: str) -> None:
    meta = info.meta
    if meta.project_code != box.project_code:
        raise errors.wrong_box("project_code", box.project_code, meta.project_code)
    if meta.section_code != box.section_code:
        raise errors.wrong_box("section_code", box.section_code, meta.section_code)
    if meta.deadline != box.deadline:
        raise errors.deadline_mismatch(box.deadline, meta.deadline)
    if meta.bidder_id != bidder_id:
        raise errors.wrong_bidder(bidder_id, meta.bidder_id)


def _upload_ip(value: str, source: str) -> tuple[str, str]:
    if not value:
        return "", ""
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        raise errors.invalid("upload_ip", "上传地址不是有效的 IP 地址", "upload_ip is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    source = source or "remote_addr"
    if source not in ("remote_addr", "x_forwarded_for"):
        raise errors.invalid("upload_ip_source", "上传地址来源无效", "unknown upload_ip_source", source=source[:20])
    return address.compressed, source


def _check_recipients(box: Box, info: EnvelopeInfo) -> None:
    opening = [entry.key_id for entry in info.recipient("opening")]
    if opening != [box.opening_key.key_id]:
        raise errors.wrong_opening_key(box.opening_key.key_id, opening)
    signer_key_id = info.signer_public_key.key_id
    if signer_key_id not in {entry.key_id for entry in info.recipient("bidder")}:
        raise errors.not_wrapped_to_bidder(signer_key_id)


def do_submit_envelope(
    *,
    actor: Actor,
    box_id: int,
    entity_id: int,
    stream: BinaryIO,
    confirmation: Any = None,
    upload_ip: str = "",
    upload_ip_source: str = "",
) -> Submission:
    """递交投标文件: receive a sealed envelope for ``entity_id`` (which ``actor`` acts for) and return the new
    submission with its signed receipt (``submission.receipt``, to append to the envelope).

    Checks, each refusal with its code and nothing stored: the box accepts (``bidbox.wrong_state``) and the
    deadline has not passed (``bidbox.deadline_passed``); the file is not empty or over the box's limit
    (``bidbox.empty_file``, ``bidbox.too_large``); the envelope passes every keyless check (``crypto.*``) and has
    no receipt yet; its metadata names this box, its deadline and this bidder (``bidbox.wrong_box``,
    ``bidbox.deadline_mismatch``, ``bidbox.wrong_bidder``); it is wrapped to this box's opening key and to the
    bidder's own certificate key (``bidbox.wrong_opening_key``, ``bidbox.not_wrapped_to_bidder``); the signing
    certificate is valid now, trusted and bound to this entity (``bidbox.certificate_missing``, ``ca.*``); and,
    when the box requires it, the session is certificate-confirmed (``bidbox.session_not_confirmed``).

    The deadline is checked again when the upload is complete, under the box's row lock, with the server clock:
    an upload that started before the deadline but completes at or after it is refused (counts as not
    submitted). A second envelope of the same bidder replaces the first, which stays stored, marked superseded.

    The bid tool's authoring fingerprints in the envelope's signed ``meta.extra`` (``domain/fingerprints.py``) and
    ``upload_ip`` (the caller reads it from the request: ``web.upload_address_of``) are kept, confidential, for
    supervision after the opening; a malformed fingerprint is dropped with a note, never a reason to refuse."""
    box = _box(box_id)
    if not actor.acts_for(entity_id):
        raise errors.forbidden("代表该单位递交投标文件", "submit for this entity")
    entity = registry.get_entity_ref(entity_id)
    if entity is None or not entity.is_active:
        raise errors.forbidden("代表该单位递交投标文件（主体状态异常）", "submit for this entity (not active)")
    rules.check_state(box.status, BoxState.ACCEPTING)
    rules.check_before_deadline(now(), box.deadline)  # fail fast; checked again at completion
    size = _size_of(stream)
    if size == 0:
        raise errors.empty_file()
    if size > box.max_bytes:
        raise errors.too_large(box.max_bytes, size)
    info = envelope.inspect(stream, max_size=box.max_bytes)
    if info.receipt is not None:
        raise errors.receipt_present()
    _check_meta(box, info, bidder_id_of(entity))
    _check_recipients(box, info)
    if info.certificate is None:
        raise errors.certificate_missing()
    parts = signed_parts(stream)
    check = ca_queries.verify_signed(
        parts.signed_message,
        parts.signature,
        info.certificate,
        expected_entity_id=entity_id,
        at=now(),
        require_binding=True,
        algorithm=info.signer_algorithm,
    )
    check.raise_for_failure()
    if box.require_confirmed_session and confirmation is None:
        raise errors.session_not_confirmed()
    ip, ip_source = _upload_ip(upload_ip, upload_ip_source)
    tool = fingerprints.normalise(info.meta.extra)
    receipt_id = "YWR-" + secrets.token_hex(8).upper()
    stream.seek(0)
    with action(SEALED, "bidbox.submit_envelope") as act:
        version = storage.do_store_document(
            actor=SEALED,
            owner=owner_of_box(box),
            title="投标文件（数字信封密文）",
            kind=bidbox_settings().envelope_kind,
            stream=stream,
            filename=f"{receipt_id}.ywenv",
        )
        if version.sm3 != info.envelope_sm3 or version.size != info.sealed_size:
            raise _tampered()  # the file changed between the check and the store
        locked = _locked_box(box.pk)
        moment = now()  # the upload is complete: this is the instant that counts
        rules.check_state(locked.status, BoxState.ACCEPTING)
        rules.check_before_deadline(moment, locked.deadline)
        if info.meta.deadline != locked.deadline:  # postponed while the file was in transit
            raise errors.deadline_mismatch(locked.deadline, info.meta.deadline)
        previous = submissions_for_update(locked.pk, entity_id=entity_id, status=SubmissionStatus.SUBMITTED)
        for old in previous:
            old.status = SubmissionStatus.SUPERSEDED
            old.save(update_fields=["status"])
        receipt = _make_receipt(info, moment, receipt_id)
        submission = Submission.objects.create(
            box=locked,
            entity_id=entity_id,
            submitted_by=actor.ref,
            document_id=version.document.pk,
            document_version=version.number,
            envelope_id=info.envelope_id,
            envelope_sm3=info.envelope_sm3,
            envelope_sha256=version.sha256,
            size=version.size,
            plaintext_sm3=info.plaintext_sm3,
            plaintext_sha256=info.plaintext_sha256,
            plaintext_size=info.plaintext_size,
            file_name=info.meta.file_name,
            receipt_id=receipt_id,
            received_at=moment,
            receipt=receipt.data,
            receipt_key_id=receipt.key_id,
            cert_fingerprint=check.fingerprint,
            cert_serial=check.serial,
            cert_issuer=check.issuer[:1000],
            cert_binding_id=check.binding_id,
            signer_algorithm=check.algorithm,
            signed_digest=check.digest,
            digest_algorithm=check.digest_algorithm,
            bidder_signature=parts.signature,
            tool_fingerprints=tool.to_json(),
            upload_ip=ip,
            upload_ip_source=ip_source,
        )
        for old in previous:
            old.superseded_by = submission
            old.save(update_fields=["superseded_by"])
            act.witness(old, {"receipt_id": old.receipt_id, "superseded_by": receipt_id})
        facts = {
            "receipt_id": receipt_id,
            "received_at": iso_utc(moment),
            "envelope_sm3": info.envelope_sm3,
            "envelope_sha256": version.sha256,
            "size": version.size,
            "plaintext_sm3": info.plaintext_sm3,
            "receipt_key_id": receipt.key_id,
            "receipt_sm3": sm3(receipt.data).hex(),
            # which fingerprints were kept, never their values (they are confidential)
            "fingerprint_keys": sorted(tool.values),
            "fingerprint_notes": [n.code for n in tool.notes],
            "upload_ip_recorded": bool(ip),
        }
        if previous:
            facts["supersedes"] = [old.receipt_id for old in previous]
        act.witness(submission, facts)
        act.emit(
            "bidbox.envelope_submitted.v1",
            submission,
            {"box_id": locked.pk, "receipt_id": receipt_id, "envelope_sm3": info.envelope_sm3},
            visibility=Visibility.RESTRICTED,
        )
        return submission


@dataclass(frozen=True)
class _Receipt:
    data: bytes
    key_id: str


def _make_receipt(info: EnvelopeInfo, moment: datetime, receipt_id: str) -> _Receipt:
    from yiwang.platform import keys as platform_keys

    data = envelope.make_receipt(
        info, receipt_signer=platform_keys.platform_signer(), received_at=moment, receipt_id=receipt_id
    )
    return _Receipt(data=data, key_id=platform_keys.platform_key_id())


def do_withdraw_submission(*, actor: Actor, submission_id: UUID | str, confirmation: Any = None) -> Submission:
    """撤回投标文件: before the deadline, the bidder withdraws its current envelope (it stays stored)."""
    row = _own_submission(actor, submission_id)
    if row.box.require_confirmed_session and confirmation is None:
        raise errors.session_not_confirmed()
    with action(SEALED, "bidbox.withdraw_submission") as act:
        box = _locked_box(row.box_id)
        rules.check_state(box.status, BoxState.ACCEPTING)
        rules.check_before_deadline(now(), box.deadline)
        locked = submission_for_update(row.pk)
        assert locked is not None
        if locked.status != SubmissionStatus.SUBMITTED:
            raise errors.not_current(locked.status)
        locked.status = SubmissionStatus.WITHDRAWN
        locked.withdrawn_at = act.now
        locked.save(update_fields=["status", "withdrawn_at"])
        act.witness(locked, {"receipt_id": locked.receipt_id, "withdrawn_at": iso_utc(act.now)})
        act.emit(
            "bidbox.submission_withdrawn.v1",
            locked,
            {"box_id": box.pk, "receipt_id": locked.receipt_id},
            visibility=Visibility.RESTRICTED,
        )
        return locked


# -- the opening ------------------------------------------------------------------------------------------------------


def hall_channel(box: Box | int) -> str:
    """The opening hall's live channel (public: it carries the box's state and counts, never a bidder)."""
    return f"bidbox.box:{box if isinstance(box, int) else box.pk}"


def _announce(box: Box) -> None:
    """Tell the opening hall's watchers that the opening moved on (after the action commits). Called with the box
    row locked, so the event ids of one box grow one by one."""
    counts = dict(
        Submission.objects.filter(box=box, status=SubmissionStatus.SUBMITTED)
        .values_list("opening_status")
        .annotate(n=Count("pk"))
    )
    channel = hall_channel(box)
    publish(
        channel,
        last_event_id(channel) + 1,
        {
            "status": box.status,
            "outcome": box.outcome or "",
            "pending": counts.get(OpeningStatus.PENDING, 0),
            "decided": sum(n for status, n in counts.items() if status not in ("", OpeningStatus.PENDING)),
        },
    )


def do_start_opening(*, actor: Actor, box_id: int) -> Box:
    """开标: at or after the opening time (``bidbox.not_yet_open`` before), staff or the clock start the opening.
    Every current envelope waits for its bidder's decryption until the window ends. With fewer current envelopes
    than the box's minimum, nothing is decrypted: the box closes as ``insufficient_bids`` (the caller decides
    流标 or re-tendering)."""
    with action(actor, "bidbox.start_opening") as act:
        box = _locked_box(box_id)
        if not is_staff_for(actor, box):
            raise errors.forbidden("启动开标", "start the opening")
        moment = now()
        rules.check_opening_time(moment, box.opening_at)
        rules.check_state(box.status, BoxState.ACCEPTING)
        current = submissions_for_update(box.pk, status=SubmissionStatus.SUBMITTED)
        box.opening_started_at = moment
        envelopes = [{"receipt_id": s.receipt_id, "envelope_sm3": s.envelope_sm3} for s in current]
        if len(current) < box.min_bidders:
            for s in current:
                s.opening_status = OpeningStatus.NOT_OPENED
                s.decided_at = moment
                s.save(update_fields=["opening_status", "decided_at"])
                _notify(
                    s, "not_opened", f"「{box.title}」递交投标文件的投标人不足 {box.min_bidders} 家，不予开标。", moment
                )
            box.status = BoxState.CLOSED
            box.outcome = rules.Outcome.INSUFFICIENT_BIDS
            box.closed_at = moment
            box.record = _record(box, current, moment)
        else:
            box.status = BoxState.OPENING
            box.decryption_ends_at = moment + timedelta(seconds=box.decryption_window_seconds)
            for s in current:
                s.opening_status = OpeningStatus.PENDING
                s.save(update_fields=["opening_status"])
                _notify(
                    s,
                    "opening_started",
                    f"「{box.title}」已开标，请在 {_shanghai(box.decryption_ends_at)} 前完成解密。",
                    moment,
                )
        box.version += 1
        box.save()
        facts = {
            "submissions": len(current),
            "min_bidders": box.min_bidders,
            "status": box.status,
            "outcome": box.outcome,
            "decryption_ends_at": iso_utc(box.decryption_ends_at) if box.decryption_ends_at else None,
        }
        act.witness(box, {**facts, "envelopes": envelopes})
        act.emit("bidbox.opening_started.v1", box, facts)
        if box.status == BoxState.CLOSED:
            _record_signatures(actor, current)
            act.emit("bidbox.opening_closed.v1", box, {"outcome": box.outcome, "submissions": len(current)})
        _announce(box)
        return box


@dataclass
class _Opened:
    plaintext: Any  # a spooled temporary file, positioned at 0
    info: EnvelopeInfo


@dataclass
class _Failed:
    code: str
    error: YiwangError
    stored_intact: bool


def _stored_version(submission: Submission) -> Any:
    box = submission.box
    document = storage_queries.get_owned_document(owner_of_box(box), submission.document_id)
    return storage_queries.get_version(document, submission.document_version)


def _intact(submission: Submission) -> bool:
    """Does the stored envelope still match what was received (digests recorded at receipt)?"""
    try:
        version = _stored_version(submission)
        check = storage_queries.verify_version(version)
    except YiwangError:
        return False
    return check.ok and version.sha256 == submission.envelope_sha256 and version.sm3 == submission.envelope_sm3


def _try_open(submission: Submission, opener: Callable[[BinaryIO, BinaryIO], EnvelopeInfo]) -> _Opened | _Failed:
    """Decrypt the stored envelope into a temporary file (outside any transaction: this is the slow part)."""
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 - handed to the caller, closed there
    try:
        with storage_queries.open_version(_stored_version(submission)) as source:
            info = opener(source, out)
        if info.plaintext_sm3 != submission.plaintext_sm3 or info.envelope_sm3 != submission.envelope_sm3:
            out.close()
            return _Failed("crypto.envelope_tampered", _tampered(), stored_intact=False)
    except CryptoError as exc:
        out.close()
        return _Failed(exc.code, exc, stored_intact=_intact(submission))
    except YiwangError as exc:  # storage.blob_missing / storage.blob_corrupted
        out.close()
        return _Failed(exc.code, exc, stored_intact=False)
    out.seek(0)
    return _Opened(out, info)


def _tampered() -> YiwangError:
    from yiwang.kernel.crypto.errors import EnvelopeTampered

    return EnvelopeTampered(reason="the stored envelope differs from the one received")


@dataclass
class DecryptResult:
    """The outcome of one decryption attempt. ``error`` is set when it failed; ``verdict.final`` says whether the
    envelope's fate was decided (revoked / withdrawn) or the bidder may try again."""

    submission: Submission
    ok: bool
    verdict: Verdict | None = None
    error: YiwangError | None = None

    def raise_if_retryable(self) -> DecryptResult:
        if self.error is not None and not (self.verdict and self.verdict.final):
            raise self.error
        return self


def _check_decryptable(box: Box, submission: Submission, moment: datetime) -> None:
    if box.status == BoxState.ACCEPTING:
        rules.check_opening_time(moment, box.opening_at)
    rules.check_state(box.status, BoxState.OPENING)
    assert box.decryption_ends_at is not None
    if moment >= box.decryption_ends_at:
        raise errors.window_closed(box.decryption_ends_at, moment)
    if submission.status != SubmissionStatus.SUBMITTED or submission.opening_status != OpeningStatus.PENDING:
        raise errors.not_pending(submission.opening_status or submission.status)


def _parse_summary(box: Box, plaintext: Any, file_name: str) -> tuple[dict[str, str], str]:
    plaintext.seek(0)
    try:
        summary = clean_summary(hooks.parser_for(box.owner_context)(plaintext, file_name))
        error = ""
    except SummaryUnreadable as exc:
        summary, error = {}, str(exc)[:200]
    plaintext.seek(0)
    return summary, error


def _store_plaintext(box: Box, submission: Submission, opened: _Opened) -> Any:
    """Store the decrypted bid. A bid may be in any format (bid tools write their own), so when the configured kind
    refuses its type or size, the kinds the document store always has are tried before giving up."""
    conf = bidbox_settings()
    kinds = [conf.plaintext_kind, *([] if conf.plaintext_kind_configured else ["attachment", conf.envelope_kind])]
    error: YiwangError | None = None
    for kind in dict.fromkeys(kinds):
        opened.plaintext.seek(0)
        try:
            return storage.do_store_document(
                actor=SEALED,
                owner=owner_of_opened(box),
                title=f"投标文件（开标解密）{submission.receipt_id}",
                kind=kind,
                stream=opened.plaintext,
                filename=opened.info.meta.file_name,
            )
        except YiwangError as exc:
            if exc.code not in ("storage.type_not_allowed", "storage.too_large", "storage.unknown_kind"):
                raise
            error = exc
    assert error is not None
    raise error


def _apply_opened(
    act: ActionRecorder, actor: Actor, box: Box, submission: Submission, opened: _Opened, path: DecryptPath
) -> tuple[Verdict, YiwangError] | None:
    """Record a decrypted bid; when the platform cannot keep it (the store refuses it), record that failure."""
    summary, summary_error = _parse_summary(box, opened.plaintext, opened.info.meta.file_name)
    try:
        version = _store_plaintext(box, submission, opened)
    except YiwangError as exc:
        return _apply_failed(act, box, submission, _Failed(exc.code, exc, stored_intact=True), path), exc
    moment = act.now
    submission.opening_status = OpeningStatus.DECRYPTED
    submission.decrypted_via = path
    submission.decrypted_at = moment
    submission.decrypted_by = actor.ref
    submission.decided_at = moment
    submission.plaintext_document_id = version.document.pk
    submission.summary = summary
    submission.summary_error = summary_error
    submission.save()
    act.witness(
        submission,
        {
            "receipt_id": submission.receipt_id,
            "decrypted_via": path.value,
            "plaintext_sm3": version.sm3,
            "plaintext_sha256": version.sha256,
            "plaintext_size": version.size,
            "document_id": str(version.document.pk),
        },
    )
    act.emit(
        "bidbox.envelope_decrypted.v1",
        submission,
        {"box_id": box.pk, "receipt_id": submission.receipt_id, "via": path.value},
        visibility=Visibility.RESTRICTED,
    )
    _notify(submission, "decrypted", f"「{box.title}」投标文件已解密（回执 {submission.receipt_id}）。", moment)
    _announce(box)
    return None


def _apply_failed(act: ActionRecorder, box: Box, submission: Submission, failed: _Failed, path: DecryptPath) -> Verdict:
    verdict = rules.attribute_failure(failed.code, path=path, stored_intact=failed.stored_intact)
    submission.attempts += 1
    submission.last_attempt_at = act.now
    submission.last_attempt_code = failed.code[:80]
    if verdict.final:
        submission.opening_status = verdict.status
        submission.fault = verdict.fault
        submission.claim = verdict.claim
        submission.failure_code = failed.code[:80]
        submission.decided_at = act.now
        _notify(
            submission,
            "decryption_failed",
            f"「{box.title}」投标文件（回执 {submission.receipt_id}）解密失败："
            f"{rules.OPENING_STATUS_LABELS[verdict.status]}。",
            act.now,
        )
    submission.save()
    act.witness(
        submission,
        {
            "receipt_id": submission.receipt_id,
            "attempt": submission.attempts,
            "path": path.value,
            "code": failed.code,
            "final": verdict.final,
            "opening_status": verdict.status.value if verdict.final else OpeningStatus.PENDING.value,
            "fault": verdict.fault.value,
            "stored_intact": failed.stored_intact,
        },
        action="bidbox.decryption_failed",
    )
    if verdict.final:
        act.emit(
            "bidbox.envelope_failed.v1",
            submission,
            {"box_id": box.pk, "receipt_id": submission.receipt_id, "opening_status": verdict.status.value},
            visibility=Visibility.RESTRICTED,
        )
        _announce(box)
    return verdict


def _content_key(value: bytes | str) -> bytes:
    if isinstance(value, str):
        text = "".join(value.split()).lower()
        if len(text) not in (32, 64) or any(c not in "0123456789abcdef" for c in text):
            raise errors.content_key_invalid()
        return bytes.fromhex(text)
    if not isinstance(value, bytes) or len(value) not in (16, 32):
        raise errors.content_key_invalid()
    return value


def do_decrypt_with_content_key(*, actor: Actor, submission_id: UUID | str, content_key: bytes | str) -> DecryptResult:
    """The bidder's decryption at the opening (投标人解密): its client unwrapped the content key with the bidder's
    own private key (``envelope.unwrap_content_key``, e.g. ``yiwang bidbox unwrap``) and sends it here; the
    platform decrypts the stored envelope, checks the plaintext against the digests the bidder signed, stores the
    decrypted bid (restricted to the evaluation) and witnesses it.

    A wrong content key is recorded as an attempt and may be retried within the window (the result carries the
    ``crypto.wrong_key`` error: :meth:`DecryptResult.raise_if_retryable`). A failure that decides the envelope's
    fate (a stored copy damaged → withdrawn, the platform's fault; an envelope the bidder's tool sealed wrongly →
    revoked) is recorded and returned."""
    row = _own_submission(actor, submission_id)
    key = _content_key(content_key)
    _check_decryptable(row.box, row, now())
    max_size = row.box.max_bytes
    outcome = _try_open(row, lambda src, out: envelope.open_with_content_key_to(out, src, key, max_size=max_size))
    try:
        with action(SEALED, "bidbox.decrypt_envelope") as act:
            box = _locked_box(row.box_id)
            locked = submission_for_update(row.pk)
            assert locked is not None
            locked.box = box
            _check_decryptable(box, locked, now())
            if isinstance(outcome, _Opened):
                failed = _apply_opened(act, actor, box, locked, outcome, DecryptPath.BIDDER_KEY)
                if failed is None:
                    return DecryptResult(locked, True)
                return DecryptResult(locked, False, *failed)
            verdict = _apply_failed(act, box, locked, outcome, DecryptPath.BIDDER_KEY)
            return DecryptResult(locked, False, verdict, outcome.error)
    finally:
        if isinstance(outcome, _Opened):
            outcome.plaintext.close()


def do_allow_fallback(*, actor: Actor, submission_id: UUID | str, reason: str, note: str = "") -> Submission:
    """Staff mark an envelope whose bidder could not decrypt for a reason not its own (platform outage, CA
    failure …): the custodians' shares may then open it (``do_submit_share``)."""
    allowed = [r.value for r in FallbackReason]
    if reason not in allowed:
        raise errors.fallback_reason_invalid(str(reason), allowed)
    note = _reason(note, required=reason == FallbackReason.OTHER_EXTERNAL)
    row = _submission(submission_id)
    with action(actor, "bidbox.allow_fallback") as act:
        box = _locked_box(row.box_id)
        if not is_staff_for(actor, box):
            raise errors.forbidden("批准应急解密", "allow the fallback")
        locked = submission_for_update(row.pk)
        assert locked is not None
        rules.check_state(box.status, BoxState.OPENING)
        if locked.status != SubmissionStatus.SUBMITTED or locked.opening_status != OpeningStatus.PENDING:
            raise errors.not_pending(locked.opening_status or locked.status)
        locked.fallback_allowed = True
        locked.fallback_reason = reason
        locked.fallback_note = note
        locked.save(update_fields=["fallback_allowed", "fallback_reason", "fallback_note"])
        act.witness(locked, {"receipt_id": locked.receipt_id, "reason": reason, "note": note})
        _notify(
            locked,
            "fallback_allowed",
            f"「{box.title}」投标文件（回执 {locked.receipt_id}）因非投标人原因未能解密，已批准由密钥保管人应急解密。",
            act.now,
        )
        return locked


@dataclass
class ShareResult:
    """After a share is entered: how many are in, how many are needed, and — when the k-th arrived — which
    envelopes the recovered key opened and which failed. ``error`` is set when the shares did not combine (they
    were discarded: the custodians enter them again)."""

    entered: int
    threshold: int
    opened: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    error: YiwangError | None = None


def _may_enter_share(actor: Actor) -> bool:
    return actor.kind is ActorKind.ACCOUNT and actor.has_role(*CUSTODIAN_ROLES)


def _parse_share(text: str, key: OpeningKey) -> Share:
    share = Share.from_text(text)
    set_id = bytes.fromhex(key.key_id.removeprefix("sm3:"))[:SET_ID_SIZE]
    if share.set_id != set_id or share.threshold != key.threshold or share.total != key.total:
        raise ShareSetMismatch(index=share.index)
    return share


def do_submit_share(*, actor: Actor, box_id: int, share_text: str) -> ShareResult:
    """A custodian enters its share at the opening (每位保管人分别录入). Shares wait (for this opening only) until
    ``k`` are in; the call that brings the k-th recovers the opening key *in memory*, opens every envelope the
    fallback may open, and deletes all pending shares — used or not. A combination that fails (a wrong share)
    discards them all, with ``crypto.share_invalid`` in the result."""
    if not _may_enter_share(actor):
        raise errors.forbidden("录入开标密钥分片", "enter an opening-key share")
    box = _box(box_id)
    if box.status == BoxState.ACCEPTING:
        rules.check_opening_time(now(), box.opening_at)
    rules.check_state(box.status, BoxState.OPENING)
    share = _parse_share(share_text, box.opening_key)
    with action(actor, "bidbox.submit_share") as act:
        box = _locked_box(box.pk)
        rules.check_state(box.status, BoxState.OPENING)
        _check_window(box)
        eligible = _fallback_candidates(box)
        if not eligible:
            raise errors.nothing_to_recover()
        sealed_elsewhere = list(
            Box.objects.filter(opening_key=box.opening_key, status=BoxState.ACCEPTING)
            .exclude(pk=box.pk)
            .values_list("pk", flat=True)
        )
        if sealed_elsewhere:
            raise errors.key_shared_with_sealed_box(sealed_elsewhere)
        pending = list(PendingShare.objects.filter(box=box))
        if any(p.entered_by == actor.ref for p in pending):
            raise errors.custodian_twice(actor.label)
        if any(p.share_index == share.index for p in pending):
            raise ShareDuplicate(index=share.index)
        names = {c["index"]: c["name"] for c in box.opening_key.custodians}
        PendingShare.objects.create(
            box=box,
            share_index=share.index,
            share_text=share.to_text(),
            custodian_name=names.get(share.index, ""),
            entered_by=actor.ref,
            entered_at=act.now,
        )
        entered = len(pending) + 1
        result = ShareResult(entered=entered, threshold=box.opening_key.threshold)
        act.witness(
            box,
            {
                "share_index": share.index,
                "custodian": names.get(share.index, ""),
                "entered": entered,
                "threshold": result.threshold,
            },
        )
        if entered >= result.threshold:
            _recover_and_open(act, actor, box, eligible, result)
        return result


def _check_window(box: Box) -> None:
    moment = now()
    assert box.decryption_ends_at is not None
    if moment >= box.decryption_ends_at:
        raise errors.window_closed(box.decryption_ends_at, moment)


def _fallback_candidates(box: Box) -> list[Submission]:
    rows = Submission.objects.filter(box=box, status=SubmissionStatus.SUBMITTED, opening_status=OpeningStatus.PENDING)
    return [
        s
        for s in rows.order_by("received_at", "pk")
        if rules.may_use_fallback(box.fallback_policy, fallback_allowed=s.fallback_allowed, status=s.opening_status)
    ]


def _recover_and_open(
    act: ActionRecorder, actor: Actor, box: Box, eligible: list[Submission], result: ShareResult
) -> None:
    texts = list(PendingShare.objects.filter(box=box).order_by("share_index").values_list("share_text", flat=True))
    PendingShare.objects.filter(box=box).delete()  # used or not, the shares do not outlive this call
    try:
        private = envelope.recover_opening_key(texts, public_key=opening_key_of(box.opening_key))
    except CryptoError as exc:
        result.error = exc
        act.witness(box, {"recovered": False, "code": exc.code, "shares_discarded": len(texts)})
        return
    _open_with(act, actor, box, eligible, private, result)  # the key is a local of this call only
    act.witness(box, {"recovered": True, "opened": result.opened, "failed": result.failed})


def _open_with(
    act: ActionRecorder, actor: Actor, box: Box, eligible: list[Submission], private: PrivateKey, result: ShareResult
) -> None:
    def opener(src: BinaryIO, out: BinaryIO) -> EnvelopeInfo:
        return envelope.open_to(out, src, private_key=private, max_size=box.max_bytes)

    for submission in eligible:
        locked = submission_for_update(submission.pk)
        assert locked is not None
        locked.box = box
        outcome = _try_open(locked, opener)
        if isinstance(outcome, _Opened):
            try:
                failed = _apply_opened(act, actor, box, locked, outcome, DecryptPath.SHARES)
            finally:
                outcome.plaintext.close()
            if failed is None:
                result.opened.append(locked.receipt_id)
            else:
                result.failed.append({"receipt_id": locked.receipt_id, "code": failed[0].code})
        else:
            verdict = _apply_failed(act, box, locked, outcome, DecryptPath.SHARES)
            result.failed.append({"receipt_id": locked.receipt_id, "code": verdict.code})


# -- closing and the record ------------------------------------------------------------------------------------


def _record(box: Box, submissions: Sequence[Submission], moment: datetime) -> dict[str, Any]:
    """开标记录: bidder names, submission times, decryption status, the read-out fields."""
    names = registry.get_entity_refs([s.entity_id for s in submissions])
    entries = []
    for number, s in enumerate(sorted(submissions, key=lambda s: (s.received_at, str(s.pk))), start=1):
        ref = names.get(s.entity_id)
        entries.append(
            {
                "number": number,
                "bidder": ref.name if ref else f"entity:{s.entity_id}",
                "bidder_id": (ref.uscc or "") if ref else "",
                "entity_id": s.entity_id,
                "receipt_id": s.receipt_id,
                "received_at": iso_utc(s.received_at),
                "envelope_sm3": s.envelope_sm3,
                "opening_status": s.opening_status,
                "opening_status_label": rules.OPENING_STATUS_LABELS.get(OpeningStatus(s.opening_status), ""),
                "fault": s.fault,
                "claim": s.claim,
                "readout": readout(s.summary, box.readout_fields)
                if s.opening_status == OpeningStatus.DECRYPTED
                else {},
            }
        )
    valid = sum(1 for e in entries if e["opening_status"] == OpeningStatus.DECRYPTED)
    return {
        "box_id": box.pk,
        "title": box.title,
        "owner": f"{box.owner_context}/{box.owner_ref}",
        "project_code": box.project_code,
        "section_code": box.section_code,
        "deadline": iso_utc(box.deadline),
        "opening_at": iso_utc(box.opening_at),
        "opening_started_at": iso_utc(box.opening_started_at) if box.opening_started_at else None,
        "closed_at": iso_utc(moment),
        "min_bidders": box.min_bidders,
        "min_bidders_source": box.min_bidders_rule.get("source", ""),
        "submissions": len(entries),
        "valid": valid,
        "outcome": box.outcome,
        "readout_fields": list(box.readout_fields),
        "entries": entries,
    }


def _record_signatures(actor: Actor, submissions: Iterable[Submission]) -> None:
    """Now that the bidders' names are public: record each bidder's envelope signature with the identity context."""
    for s in submissions:
        check = ca_queries.SignatureCheck(
            True,
            entity_id=s.entity_id,
            fingerprint=s.cert_fingerprint,
            serial=s.cert_serial,
            issuer=s.cert_issuer,
            binding_id=s.cert_binding_id,
            algorithm=s.signer_algorithm,
            digest_algorithm=s.digest_algorithm,
            digest=s.signed_digest,
        )
        ca_actions.do_record_signature(
            actor=actor, check=check, signature=bytes(s.bidder_signature), purpose="投标文件签名（数字信封）", obj=s
        )


def do_close_opening(*, actor: Actor, box_id: int) -> Box:
    """End the opening (staff, or the clock at the end of the window; earlier once nothing is pending).
    Envelopes still pending are classified (撤销 / 撤回, ``domain.rules.classify_at_close``); fewer decrypted
    bids than the minimum make the outcome ``insufficient_bids``; the opening record is published."""
    with action(actor, "bidbox.close_opening") as act:
        box = _locked_box(box_id)
        if not is_staff_for(actor, box):
            raise errors.forbidden("结束开标", "close the opening")
        rules.check_state(box.status, BoxState.OPENING)
        moment = now()
        current = submissions_for_update(box.pk, status=SubmissionStatus.SUBMITTED)
        pending = sum(1 for s in current if s.opening_status == OpeningStatus.PENDING)
        assert box.decryption_ends_at is not None
        if not rules.may_close(moment, box.decryption_ends_at, pending):
            raise errors.window_open(box.decryption_ends_at, moment)
        for s in current:
            verdict = rules.classify_at_close(s.opening_status, fallback_allowed=s.fallback_allowed)
            if verdict is None:
                continue
            s.opening_status, s.fault, s.claim = verdict.status, verdict.fault, verdict.claim
            s.failure_code, s.decided_at = verdict.code, moment
            s.save(update_fields=["opening_status", "fault", "claim", "failure_code", "decided_at"])
        valid = sum(1 for s in current if s.opening_status == OpeningStatus.DECRYPTED)
        box.outcome = rules.outcome(valid, box.min_bidders)
        box.status = BoxState.CLOSED
        box.closed_at = moment
        box.record = _record(box, current, moment)
        box.version += 1
        box.save()
        PendingShare.objects.filter(box=box).delete()
        for s in current:
            _notify(
                s,
                "opening_closed",
                f"「{box.title}」开标结束：{rules.OPENING_STATUS_LABELS[OpeningStatus(s.opening_status)]}。",
                moment,
            )
        act.witness(
            box,
            {
                "outcome": box.outcome,
                "submissions": len(current),
                "valid": valid,
                "record_sm3": sm3(canonical_json(box.record)).hex(),
                "entries": [
                    {
                        "receipt_id": e["receipt_id"],
                        "envelope_sm3": e["envelope_sm3"],
                        "entity_id": e["entity_id"],
                        "opening_status": e["opening_status"],
                    }
                    for e in box.record["entries"]
                ],
            },
        )
        _record_signatures(actor, current)
        act.emit(
            "bidbox.opening_closed.v1",
            box,
            {"outcome": box.outcome, "submissions": len(current), "valid": valid},
        )
        _announce(box)
        return box


def boxes_due_to_start(moment: datetime) -> list[int]:
    return list(
        Box.objects.filter(status=BoxState.ACCEPTING, auto_start=True, opening_at__lte=moment)
        .order_by("opening_at", "pk")
        .values_list("pk", flat=True)[:100]
    )


def boxes_due_to_close(moment: datetime) -> list[int]:
    return list(
        Box.objects.filter(status=BoxState.OPENING, decryption_ends_at__lte=moment)
        .order_by("decryption_ends_at", "pk")
        .values_list("pk", flat=True)[:100]
    )


def submission_counts(box_ids: list[int]) -> dict[int, int]:
    rows = (
        Submission.objects.filter(box_id__in=box_ids, status=SubmissionStatus.SUBMITTED)
        .values("box_id")
        .annotate(n=Count("pk"))
    )
    return {r["box_id"]: r["n"] for r in rows}

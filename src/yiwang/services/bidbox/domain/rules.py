"""The state machine of a box and of a submission, the time checks, and who is at fault when an envelope does not
open (《电子招标投标办法》: a failure caused by the bidder makes the bid *revoked* 撤销; one caused by others makes
it *withdrawn* 撤回, and the bidder may claim damages; the other bids open as normal).

Pure Python: no Django here. Times are aware datetimes; the caller passes the server clock's reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from yiwang.services.bidbox.domain import errors


class BoxState(StrEnum):
    ACCEPTING = "accepting"  # 接收投标文件: submissions until the deadline (the deadline itself is a column)
    OPENING = "opening"  # 开标解密中: at/after the opening time, bidders decrypt within the window
    CLOSED = "closed"  # 已结束: every envelope classified, the record published


BOX_STATE_LABELS = {
    BoxState.ACCEPTING: "接收中",
    BoxState.OPENING: "开标解密中",
    BoxState.CLOSED: "已结束",
}


class Outcome(StrEnum):
    NONE = ""
    OPENED = "opened"  # 开标完成
    INSUFFICIENT_BIDS = "insufficient_bids"  # 有效投标不足：由调用方决定流标/重新招标


OUTCOME_LABELS = {Outcome.NONE: "", Outcome.OPENED: "开标完成", Outcome.INSUFFICIENT_BIDS: "有效投标不足"}


class SubmissionStatus(StrEnum):
    SUBMITTED = "submitted"  # the current envelope of this bidder
    SUPERSEDED = "superseded"  # replaced by a later envelope of the same bidder before the deadline (kept)
    WITHDRAWN = "withdrawn"  # 撤回投标文件 before the deadline


SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.SUBMITTED: "已递交",
    SubmissionStatus.SUPERSEDED: "已被替换",
    SubmissionStatus.WITHDRAWN: "已撤回",
}


class OpeningStatus(StrEnum):
    NONE = ""  # not (yet) in an opening
    PENDING = "pending"  # 待解密
    DECRYPTED = "decrypted"  # 已解密
    REVOKED = "revoked"  # 撤销: not decrypted for a reason of the bidder's own
    WITHDRAWN = "withdrawn"  # 撤回: not decrypted for a reason of others (the platform …): the bidder may claim
    NOT_OPENED = "not_opened"  # 未开标: too few bidders at the opening, returned unopened


OPENING_STATUS_LABELS = {
    OpeningStatus.NONE: "",
    OpeningStatus.PENDING: "待解密",
    OpeningStatus.DECRYPTED: "已解密",
    OpeningStatus.REVOKED: "解密失败（投标人原因，视为撤销）",
    OpeningStatus.WITHDRAWN: "解密失败（非投标人原因，视为撤回，可索赔）",
    OpeningStatus.NOT_OPENED: "未开标（投标人不足）",
}

FINAL_OPENING_STATUSES = frozenset(
    {OpeningStatus.DECRYPTED, OpeningStatus.REVOKED, OpeningStatus.WITHDRAWN, OpeningStatus.NOT_OPENED}
)


class Fault(StrEnum):
    NONE = ""
    BIDDER = "bidder"
    PLATFORM = "platform"  # the platform or another party not the bidder


class DecryptPath(StrEnum):
    BIDDER_KEY = "bidder_key"  # the content key the bidder unwrapped with its own key
    SHARES = "shares"  # the opening key recovered from k custodians' shares


class FallbackPolicy(StrEnum):
    """Which envelopes the custodians' shares may open (docs/trust/bidbox.md §5)."""

    ATTRIBUTED = "attributed"  # only envelopes staff marked as failed for reasons not the bidder's own (default)
    ALL_PENDING = "all_pending"  # every envelope still pending (rules that let the platform decrypt)


class FallbackReason(StrEnum):
    """Reasons, not the bidder's own, that let the custodians open an envelope."""

    PLATFORM_OUTAGE = "platform_outage"  # 平台故障：投标人无法提交内容密钥
    CA_FAILURE = "ca_failure"  # 数字证书服务（CA）故障
    NETWORK_FAILURE = "network_failure"  # 公共网络、电力等外部原因
    OTHER_EXTERNAL = "other_external"  # 其他非投标人原因（须写明）


FALLBACK_REASON_LABELS = {
    FallbackReason.PLATFORM_OUTAGE: "平台故障",
    FallbackReason.CA_FAILURE: "数字证书服务故障",
    FallbackReason.NETWORK_FAILURE: "网络、电力等外部原因",
    FallbackReason.OTHER_EXTERNAL: "其他非投标人原因",
}

# -- time -------------------------------------------------------------------------------------------------------


def opening_at_for(deadline: datetime, offset_minutes: int) -> datetime:
    """The opening time from the deadline and the catalogue's offset (开标时间 = 投标截止时间 + offset; 0 in law)."""
    if offset_minutes < 0:
        raise errors.invalid(
            "opening_offset", "开标时间不得早于投标截止时间", "The opening cannot precede the deadline"
        )
    return deadline + timedelta(minutes=offset_minutes)


def check_before_deadline(moment: datetime, deadline: datetime) -> None:
    """A transfer completes in time only strictly before the deadline: at the deadline itself it is late."""
    if moment >= deadline:
        raise errors.deadline_passed(deadline, moment)


def check_opening_time(moment: datetime, opening_at: datetime) -> None:
    if moment < opening_at:
        raise errors.not_yet_open(opening_at, moment)


def check_postponement(moment: datetime, deadline: datetime, new_deadline: datetime) -> None:
    """顺延: only before the current deadline, and only to a later one."""
    check_before_deadline(moment, deadline)
    if new_deadline <= deadline:
        raise errors.deadline_not_later(deadline, new_deadline)


def check_new_deadline(moment: datetime, deadline: datetime) -> None:
    if deadline <= moment:
        raise errors.deadline_in_past(deadline, moment)


def check_state(state: str, wanted: BoxState) -> None:
    if state != wanted:
        zh = {
            BoxState.ACCEPTING: "投标箱已不再接收投标文件",
            BoxState.OPENING: "投标箱不在开标解密阶段",
            BoxState.CLOSED: "开标尚未结束",
        }[wanted]
        en = {
            BoxState.ACCEPTING: "The box no longer accepts envelopes",
            BoxState.OPENING: "The box is not in its opening",
            BoxState.CLOSED: "The opening has not ended",
        }[wanted]
        raise errors.wrong_state(state, wanted.value, zh, en)


def may_close(moment: datetime, ends_at: datetime, pending: int) -> bool:
    """The opening may close at the end of the decryption window, or earlier once nothing is pending."""
    return moment >= ends_at or pending == 0


def outcome(valid: int, min_bidders: int) -> Outcome:
    return Outcome.OPENED if valid >= min_bidders else Outcome.INSUFFICIENT_BIDS


# -- failure attribution ------------------------------------------------------------------------------------------

# Failures that mean the stored envelope is no longer what was received, or cannot be read back.
_DAMAGE_CODES = frozenset(
    {
        "crypto.envelope_tampered",
        "crypto.envelope_truncated",
        "crypto.envelope_malformed",
        "crypto.envelope_version",
        "crypto.signature_invalid",
        "crypto.size_mismatch",
        "storage.blob_missing",
        "storage.blob_corrupted",
    }
)

# The document store refused to keep a decrypted bid (a type or size its kinds do not take): the platform's side.
_KEEPING_CODES = frozenset({"storage.type_not_allowed", "storage.too_large", "storage.unknown_kind"})


@dataclass(frozen=True)
class Verdict:
    """What one failed decryption attempt means.

    ``final``: the envelope's fate is decided now (else the attempt may be repeated within the window).
    ``status``: the opening status when final. ``fault``: whose side caused it. ``claim``: the bidder may claim
    damages (撤回 caused by others)."""

    final: bool
    status: OpeningStatus
    fault: Fault
    claim: bool
    code: str


def attribute_failure(code: str, *, path: DecryptPath, stored_intact: bool) -> Verdict:
    """Decide a failed attempt (``code`` is the refusal's code).

    - A content key returned by the bidder that fails the signed key check (``crypto.wrong_key``): the bidder's
      side, but not final — the bidder may try again until the window ends.
    - The opening recipient's wrap holds another key than the one the bidder signed (``crypto.key_check_failed``
      on the custodian path): the bidder's sealing tool wrapped a wrong key — final, revoked.
    - The stored envelope no longer matches the digests recorded at receipt, or cannot be read back: the
      platform's side — final, withdrawn, with a claim.
    - The stored envelope is exactly what was received (and signed), yet the signed key does not decrypt it to
      the signed digests (``crypto.envelope_tampered``): the bidder's sealing tool produced it — final, revoked.
    - The bid decrypted, but the document store refuses to keep it (its type or size): the platform's side —
      final, withdrawn, with a claim; a decrypted bid the virus scanner flags (``storage.infected``): revoked.
    - Anything else (a backend or scanner not available …) is nobody's verdict yet: not final.
    """
    if code == "crypto.wrong_key":
        fault = Fault.BIDDER if path is DecryptPath.BIDDER_KEY else Fault.NONE
        return Verdict(False, OpeningStatus.PENDING, fault, False, code)
    if code == "crypto.key_check_failed":
        return Verdict(True, OpeningStatus.REVOKED, Fault.BIDDER, False, code)
    if code == "storage.infected":  # the decrypted bid carries malware: the bidder's file
        return Verdict(True, OpeningStatus.REVOKED, Fault.BIDDER, False, code)
    if code in _KEEPING_CODES:  # the bid opened, but the platform's store would not keep it
        return Verdict(True, OpeningStatus.WITHDRAWN, Fault.PLATFORM, True, code)
    if code in _DAMAGE_CODES:
        if not stored_intact:
            return Verdict(True, OpeningStatus.WITHDRAWN, Fault.PLATFORM, True, code)
        if code == "crypto.envelope_tampered":
            return Verdict(True, OpeningStatus.REVOKED, Fault.BIDDER, False, code)
        # the same bytes passed every keyless check at receipt: a reading fault on the platform's side
        return Verdict(True, OpeningStatus.WITHDRAWN, Fault.PLATFORM, True, code)
    return Verdict(False, OpeningStatus.PENDING, Fault.NONE, False, code)


@dataclass(frozen=True)
class Classification:
    status: OpeningStatus
    fault: Fault
    claim: bool
    code: str


def classify_at_close(status: str, *, fallback_allowed: bool) -> Classification | None:
    """An envelope still pending when the opening closes (``None`` for one already decided).

    Marked for the custodians' fallback (its failure is not the bidder's) but still not opened: withdrawn (撤回),
    with a claim. Otherwise the bidder did not decrypt its own bid within the window: revoked (撤销)."""
    if status != OpeningStatus.PENDING:
        return None
    if fallback_allowed:
        return Classification(OpeningStatus.WITHDRAWN, Fault.PLATFORM, True, "bidbox.fallback_not_completed")
    return Classification(OpeningStatus.REVOKED, Fault.BIDDER, False, "bidbox.not_decrypted_in_window")


def may_use_fallback(policy: str, *, fallback_allowed: bool, status: str) -> bool:
    """May the custodians' recovered key open this envelope?"""
    if status != OpeningStatus.PENDING:
        return False
    return fallback_allowed or policy == FallbackPolicy.ALL_PENDING

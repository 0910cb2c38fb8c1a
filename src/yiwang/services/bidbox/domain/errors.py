"""The refusals of the bid box: one function per situation, each with a stable ``bidbox.*`` code and zh/en messages.

Pure Python: no Django here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
    YiwangError,
)

SOURCE_1_5 = "《电子招标投标办法》（2013）"


class PayloadTooLarge(YiwangError):
    status = 413


def box_not_found(box_id: Any) -> NotFound:
    return NotFound("bidbox.box_not_found", "投标箱不存在", "No such bid box", {"box_id": str(box_id)[:40]})


def submission_not_found(submission_id: Any) -> NotFound:
    return NotFound(
        "bidbox.submission_not_found",
        "递交记录不存在",
        "No such submission",
        {"submission_id": str(submission_id)[:40]},
    )


def key_not_found(key: Any) -> NotFound:
    return NotFound("bidbox.key_not_found", "开标密钥不存在", "No such opening key", {"key": str(key)[:80]})


def forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied("bidbox.forbidden", f"无权{what_zh}", f"Not allowed to {what_en}")


def invalid(field: str, zh: str, en: str, **details: Any) -> InvalidInput:
    return InvalidInput("bidbox.invalid", zh, en, {"field": field, **details})


def owner_taken(owner: str) -> Conflict:
    return Conflict("bidbox.owner_taken", "该业务对象已有投标箱", "This owner already has a bid box", {"owner": owner})


# -- time -------------------------------------------------------------------------------------------------------


def deadline_passed(deadline: datetime, moment: datetime) -> RuleViolation:
    return RuleViolation(
        "bidbox.deadline_passed",
        "已过投标截止时间，投标文件不予接收（截止时间前未完成传输的视为撤回）",
        "The submission deadline has passed: the envelope is refused (a transfer not completed by the "
        "deadline counts as withdrawn)",
        {"deadline": iso_utc(deadline), "server_time": iso_utc(moment), "source": SOURCE_1_5},
    )


def not_yet_open(opening_at: datetime, moment: datetime) -> Conflict:
    return Conflict(
        "bidbox.not_yet_open",
        "未到开标时间，任何人不得解密或提取投标文件",
        "The opening time has not come: nobody may decrypt or extract a bid before it",
        {"opening_at": iso_utc(opening_at), "server_time": iso_utc(moment), "source": SOURCE_1_5},
    )


def deadline_not_later(current: datetime, proposed: datetime) -> InvalidInput:
    return InvalidInput(
        "bidbox.deadline_not_later",
        "顺延后的截止时间须晚于当前截止时间",
        "A postponed deadline must be later than the current one",
        {"deadline": iso_utc(current), "proposed": iso_utc(proposed)},
    )


def deadline_in_past(proposed: datetime, moment: datetime) -> InvalidInput:
    return InvalidInput(
        "bidbox.deadline_in_past",
        "截止时间须晚于当前时间",
        "The deadline must be in the future",
        {"deadline": iso_utc(proposed), "server_time": iso_utc(moment)},
    )


def window_closed(ends_at: datetime, moment: datetime) -> Conflict:
    return Conflict(
        "bidbox.decryption_window_closed",
        "解密时间已结束",
        "The decryption window has ended",
        {"decryption_ends_at": iso_utc(ends_at), "server_time": iso_utc(moment)},
    )


def window_open(ends_at: datetime, moment: datetime) -> Conflict:
    return Conflict(
        "bidbox.decryption_window_open",
        "解密时间尚未结束，且仍有投标文件待解密",
        "The decryption window is still open and envelopes are still pending",
        {"decryption_ends_at": iso_utc(ends_at), "server_time": iso_utc(moment)},
    )


# -- states -----------------------------------------------------------------------------------------------------


def wrong_state(state: str, wanted: str, zh: str, en: str) -> Conflict:
    return Conflict("bidbox.wrong_state", zh, en, {"state": state, "expected": wanted})


def not_pending(status: str) -> Conflict:
    return Conflict(
        "bidbox.not_pending",
        "该投标文件已解密或已定性，不能再次解密",
        "This envelope is no longer waiting for decryption",
        {"opening_status": status},
    )


def not_current(status: str) -> Conflict:
    return Conflict(
        "bidbox.not_current",
        "该递交已被替换或撤回",
        "This submission was replaced or withdrawn",
        {"status": status},
    )


def sealed() -> PermissionDenied:
    return PermissionDenied(
        "bidbox.sealed",
        "开标前任何人（含交易中心工作人员）不得查看递交人名单或下载投标文件",
        "Before the opening nobody, staff included, may list who submitted or download envelopes",
        {"source": SOURCE_1_5},
    )


def fingerprints_forbidden() -> PermissionDenied:
    return PermissionDenied(
        "bidbox.fingerprints_forbidden",
        "投标文件制作特征码与上传地址仅供监管部门核查，不向投标人、招标人或代理机构公开",
        "Bid-authoring fingerprints and upload addresses are for supervision only",
        {"source": "《招标投标法实施条例》第40条"},
    )


def fingerprints_sealed() -> Conflict:
    return Conflict(
        "bidbox.fingerprints_sealed",
        "开标记录公布前不得查看投标文件制作特征码与上传地址",
        "Fingerprints are readable only after the opening record is published",
        {"source": SOURCE_1_5},
    )


def record_not_published() -> Conflict:
    return Conflict(
        "bidbox.record_not_published",
        "开标记录在全部解密结束后公布",
        "The opening record is published after all decryptions have ended",
    )


# -- envelopes --------------------------------------------------------------------------------------------------


def empty_file() -> InvalidInput:
    return InvalidInput("bidbox.empty_file", "上传的文件为空（0 字节）", "The uploaded file is empty (0 bytes)")


def too_large(limit: int, size: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        "bidbox.too_large",
        f"投标文件超过本投标箱的大小上限（{limit} 字节）",
        f"The envelope exceeds this box's size limit ({limit} bytes)",
        {"limit": limit, "size": size},
    )


def wrong_box(field: str, expected: str, found: str) -> InvalidInput:
    return InvalidInput(
        "bidbox.wrong_box",
        "投标文件是为其他项目或标段加密的",
        "The envelope was sealed for another project or section",
        {"field": field, "expected": expected, "found": found},
    )


def deadline_mismatch(expected: datetime, found: datetime) -> InvalidInput:
    return InvalidInput(
        "bidbox.deadline_mismatch",
        "投标文件中的截止时间与本投标箱不符（截止时间顺延后须重新加密）",
        "The envelope names another deadline than this box (re-seal after a postponement)",
        {"expected": iso_utc(expected), "found": iso_utc(found)},
    )


def wrong_bidder(expected: str, found: str) -> InvalidInput:
    return InvalidInput(
        "bidbox.wrong_bidder",
        "投标文件中的投标人与递交单位不符",
        "The envelope names another bidder than the submitting entity",
        {"expected": expected, "found": found},
    )


def wrong_opening_key(expected: str, found: list[str]) -> InvalidInput:
    return InvalidInput(
        "bidbox.wrong_opening_key",
        "投标文件未使用本投标箱的开标公钥加密",
        "The envelope is not wrapped to this box's opening key",
        {"expected": expected, "found": found},
    )


def not_wrapped_to_bidder(signer_key_id: str) -> InvalidInput:
    return InvalidInput(
        "bidbox.not_wrapped_to_bidder",
        "投标文件未使用投标人本人的证书密钥加密，开标时投标人将无法自行解密",
        "The envelope is not wrapped to the bidder's own certificate key: the bidder could not decrypt it",
        {"signer_key_id": signer_key_id},
    )


def certificate_missing() -> InvalidInput:
    return InvalidInput(
        "bidbox.certificate_missing",
        "投标文件未附投标人签名证书",
        "The envelope carries no signing certificate",
    )


def session_not_confirmed() -> PermissionDenied:
    return PermissionDenied(
        "bidbox.session_not_confirmed",
        "本投标箱要求先用数字证书确认当前会话（扫码签名/登录确认）",
        "This box requires a certificate-confirmed session",
    )


def receipt_present() -> Conflict:
    return Conflict(
        "bidbox.receipt_present",
        "该投标文件已带有回执，可能是其他投标箱的已递交文件",
        "The envelope already carries a receipt (it was submitted elsewhere)",
    )


def content_key_invalid() -> InvalidInput:
    return InvalidInput(
        "bidbox.content_key_invalid",
        "内容密钥须为 32 或 64 位十六进制字符（16 或 32 字节）",
        "The content key must be 32 or 64 hex digits (16 or 32 bytes)",
        {"field": "content_key"},
    )


# -- ceremony and custodians ------------------------------------------------------------------------------------


def ceremony_not_idempotent() -> InvalidInput:
    return InvalidInput(
        "bidbox.ceremony_not_idempotent",
        "密钥仪式的结果（密钥分片）只出示一次，不得使用幂等键（否则分片将被服务器保存）",
        "The key ceremony shows the shares once: Idempotency-Key is refused (the response would be stored)",
        {"header": "Idempotency-Key"},
    )


def custodian_twice(name: str) -> Conflict:
    return Conflict(
        "bidbox.custodian_twice",
        "同一人不得录入两份密钥分片",
        "One person may not enter two shares",
        {"custodian": name},
    )


def share_already_entered(index: int) -> Conflict:
    return Conflict(
        "bidbox.share_already_entered",
        "该编号的密钥分片已录入",
        "A share with this index was already entered",
        {"index": index},
    )


def nothing_to_recover() -> Conflict:
    return Conflict(
        "bidbox.nothing_to_recover",
        "没有需要以开标密钥分片应急解密的投标文件",
        "No envelope is waiting for the custodians' fallback",
    )


def key_shared_with_sealed_box(box_ids: list[int]) -> Conflict:
    return Conflict(
        "bidbox.key_shared_with_sealed_box",
        "该开标密钥还用于尚未开标的投标箱，恢复私钥会危及其保密，不予恢复",
        "This opening key also seals boxes not yet opened: it is not recovered",
        {"box_ids": box_ids},
    )


def fallback_reason_invalid(reason: str, allowed: list[str]) -> InvalidInput:
    return InvalidInput(
        "bidbox.fallback_reason_invalid",
        "应急解密须说明非投标人原因",
        "The fallback needs a reason not attributable to the bidder",
        {"reason": reason[:40], "allowed": allowed},
    )

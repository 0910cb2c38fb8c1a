"""The archive's refusals, each with a stable code and Chinese + English messages."""

from __future__ import annotations

from datetime import datetime

from yiwang.kernel.canonical import iso_utc
from yiwang.kernel.errors import Conflict, InvalidInput, NotFound, PermissionDenied, ServiceUnavailable

MAX_REASON = 500


def forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied("archive.forbidden", f"无权{what_zh}", f"You may not {what_en}")


def check_reason(reason: object, field: str = "reason") -> str:
    text = " ".join(str(reason or "").split())
    if not 1 <= len(text) <= MAX_REASON:
        raise InvalidInput(
            "archive.reason_required",
            f"请填写事由（1–{MAX_REASON} 字）",
            f"A reason of 1-{MAX_REASON} characters is required",
            {"field": field},
        )
    return text


def archive_not_found(ident: object) -> NotFound:
    return NotFound("archive.not_found", "没有这个电子档案", "No such archive", {"archive": str(ident)[:120]})


def version_not_found(ident: object, number: object) -> NotFound:
    return NotFound(
        "archive.version_not_found",
        "没有这个档案版本",
        "No such archive version",
        {"archive": str(ident)[:120], "version": str(number)[:20]},
    )


def hold_not_found(hold_id: object) -> NotFound:
    return NotFound("archive.hold_not_found", "没有这项法律保全", "No such legal hold", {"hold": str(hold_id)[:40]})


def nothing_to_archive(project_ref: str) -> Conflict:
    return Conflict(
        "archive.nothing_to_archive",
        "该项目没有可归档的文件或见证记录",
        "Nothing is known about this project: no files and no witness entries",
        {"project_ref": project_ref},
    )


def collector_failed(name: str, detail: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        "archive.collector_failed",
        f"归档收集器 {name} 出错，未生成档案",
        f"the archive collector {name} failed, no archive was made: {detail}",
        {"collector": name, "detail": detail[:300]},
    )


def item_corrupted(path: str, detail: str) -> Conflict:
    return Conflict(
        "archive.item_corrupted",
        "待归档文件与其登记的摘要不符（存储可能已损坏），未生成档案",
        f"a file to archive does not match its recorded digests (damaged storage?): {detail}",
        {"path": path},
    )


def digest_not_witnessed(path: str, detail: str) -> Conflict:
    return Conflict(
        "archive.digest_not_witnessed",
        "收集器声称文件摘要已见证，但见证日志中没有记录",
        f"a collector claims a witnessed digest the witness log does not record: {detail}",
        {"path": path},
    )


def too_many_entries(ref: str, limit: int) -> Conflict:
    return Conflict(
        "archive.too_many_entries",
        f"对象 {ref} 的见证条目超过 {limit} 条",
        f"object {ref} has more than {limit} witness entries",
        {"object": ref, "limit": limit},
    )


def legal_hold_active(project_ref: str, holds: int) -> Conflict:
    return Conflict(
        "archive.legal_hold_active",
        "该档案处于法律保全中，不得处置",
        "The archive is under legal hold and cannot be disposed of",
        {"project_ref": project_ref, "active_holds": holds},
    )


def retention_not_expired(until: datetime) -> Conflict:
    return Conflict(
        "archive.retention_not_expired",
        "档案保存期限未届满，不得处置",
        "The retention period has not ended",
        {"retention_until": iso_utc(until)},
    )


def already_disposed(number: int) -> Conflict:
    return Conflict(
        "archive.already_disposed",
        "该档案版本已处置",
        "This archive version has already been disposed of",
        {"version": number},
    )


def nothing_to_dispose(project_ref: str) -> Conflict:
    return Conflict(
        "archive.nothing_to_dispose",
        "没有保存期限已届满、可处置的档案版本",
        "No version of this archive is past its retention period",
        {"project_ref": project_ref},
    )


def hold_released(hold_id: int) -> Conflict:
    return Conflict(
        "archive.hold_released", "该法律保全已解除", "This legal hold has already been released", {"hold": hold_id}
    )


def version_disposed(number: int) -> Conflict:
    return Conflict(
        "archive.version_disposed",
        "该档案版本已处置，只保留清单与处置记录",
        "This version was disposed of: only its manifest and tombstone remain",
        {"version": number},
    )

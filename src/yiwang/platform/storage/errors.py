"""The refusals of the document store, each with a stable code (``storage.*``) and zh/en messages."""

from __future__ import annotations

from typing import Any

from yiwang.kernel.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    YiwangError,
)


class PayloadTooLarge(YiwangError):
    status = 413


class UnsupportedType(YiwangError):
    status = 415


class Gone(YiwangError):
    status = 410


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} B"


def empty_file() -> InvalidInput:
    return InvalidInput("storage.empty_file", "文件为空（0 字节），不予接收", "The file is empty (0 bytes)")


def too_large(limit: int, kind: str) -> PayloadTooLarge:
    return PayloadTooLarge(
        "storage.too_large",
        f"文件超过该类文件允许的大小上限（{_mib(limit)}）",
        f"The file exceeds the size limit for this kind of document ({_mib(limit)})",
        {"limit_bytes": limit, "kind": kind},
    )


def type_not_allowed(mime: str, kind: str, allowed: list[str]) -> UnsupportedType:
    return UnsupportedType(
        "storage.type_not_allowed",
        f"该类文件不接受此格式（识别为 {mime}）",
        f"This kind of document does not accept {mime}",
        {"detected": mime, "kind": kind, "allowed": allowed},
    )


def type_mismatch(filename: str, mime: str) -> InvalidInput:
    return InvalidInput(
        "storage.type_mismatch",
        f"文件扩展名与实际内容不符（内容识别为 {mime}）",
        f"The file name's extension contradicts its content (detected {mime})",
        {"filename": filename, "detected": mime},
    )


def filename_invalid() -> InvalidInput:
    return InvalidInput(
        "storage.filename_invalid",
        "文件名无效（清理路径和控制字符后为空）",
        "The file name is empty once path and control characters are removed",
        {"field": "filename"},
    )


def infected(signature: str) -> InvalidInput:
    return InvalidInput(
        "storage.infected",
        "文件未通过病毒扫描，不予接收",
        "The file failed the virus scan",
        {"signature": signature},
    )


def scan_unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        "storage.scan_unavailable",
        "病毒扫描服务暂不可用，请稍后重试",
        "The virus scanner is not available; try again later",
    )


def unknown_kind(kind: str, known: list[str]) -> InvalidInput:
    return InvalidInput(
        "storage.unknown_kind",
        f"未知的文件类别：{kind}",
        f"Unknown document kind: {kind}",
        {"field": "kind", "kind": kind[:60], "known": known},
    )


def text_invalid(field: str, limit: int) -> InvalidInput:
    return InvalidInput(
        f"storage.{field}_invalid",
        f"{'标题' if field == 'title' else '说明'}须为 {1 if field == 'title' else 0}–{limit} 个字符",
        f"The {field} must be {1 if field == 'title' else 0}-{limit} characters",
        {"field": field},
    )


def link_invalid() -> PermissionDenied:
    return PermissionDenied("storage.link_invalid", "下载链接无效", "The download link is invalid")


def link_expired(expired_at: str) -> Gone:
    return Gone(
        "storage.link_expired",
        "下载链接已过期，请重新获取",
        "The download link has expired; request a new one",
        {"expired_at": expired_at},
    )


def link_ttl(maximum: int) -> InvalidInput:
    return InvalidInput(
        "storage.link_ttl",
        f"链接有效期须为 1–{maximum} 秒",
        f"The link lifetime must be 1-{maximum} seconds",
        {"field": "ttl_seconds", "max": maximum},
    )


def document_not_found(document_id: Any) -> NotFound:
    return NotFound(
        "storage.document_not_found",
        "文件不存在或无权查看",
        "No such document (or not visible to you)",
        {"document": str(document_id)},
    )


def version_not_found(version_id: Any) -> NotFound:
    return NotFound(
        "storage.version_not_found",
        "文件版本不存在或无权查看",
        "No such document version (or not visible to you)",
        {"version": str(version_id)},
    )


def forbidden(what_zh: str, what_en: str) -> PermissionDenied:
    return PermissionDenied("storage.forbidden", f"无权{what_zh}", f"Not allowed to {what_en}")


def not_attachable() -> Conflict:
    return Conflict(
        "storage.not_attachable",
        "只有本人经通用接口上传、尚未归属业务的文件才能归属",
        "Only your own unattached uploads can be attached to an owner",
    )


def blob_missing(sha256: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        "storage.blob_missing",
        "文件内容缺失，已记录，请联系平台运维",
        "The stored content is missing (logged)",
        {"sha256": sha256},
    )


def blob_corrupted(sha256: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        "storage.blob_corrupted",
        "文件内容校验失败，已记录，请联系平台运维",
        "The stored content failed its check (logged)",
        {"sha256": sha256},
    )

"""Optimistic concurrency: compare the version a client saw with the version stored now."""

from __future__ import annotations

from yiwang.kernel.errors import PreconditionFailed


def check_version(current: int, expected: int | None) -> None:
    """Raise 412 unless ``expected`` is ``None`` (``If-Match: *``) or equals ``current``."""
    if expected is not None and expected != current:
        raise PreconditionFailed(
            "precondition.failed",
            "资源已被他人修改，请重新读取后再提交",
            "The resource was changed by someone else; read it again and retry",
            {"current_etag": f'"{current}"', "if_match": f'"{expected}"'},
        )

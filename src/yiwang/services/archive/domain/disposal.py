"""When an archive version may be disposed of (处置): never automatically, never under a legal hold.

A version is *eligible* once its retention period has ended (``now >= retention_until``), it is not disposed of
yet, and the archive has no active legal hold. The retention sweep only lists eligible versions; disposing of
one is an explicit act of trading-centre staff, with a reason, and keeps the manifest and a tombstone.
"""

from __future__ import annotations

from datetime import datetime

from yiwang.services.archive.domain import errors


def is_eligible(*, now: datetime, retention_until: datetime, disposed: bool, active_holds: int) -> bool:
    return not disposed and active_holds == 0 and now >= retention_until


def check_disposable(
    *, project_ref: str, number: int, now: datetime, retention_until: datetime, disposed: bool, active_holds: int
) -> None:
    """Refuse (409) a disposal that the rules above do not allow; the hold is named first, as it is the reason
    a regulator put in place."""
    if disposed:
        raise errors.already_disposed(number)
    if active_holds:
        raise errors.legal_hold_active(project_ref, active_holds)
    if now < retention_until:
        raise errors.retention_not_expired(retention_until)

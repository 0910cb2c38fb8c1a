"""The affected procedure's side of a suspension (暂停交易活动), chosen by settings.

A regulator handling a complaint may order the procedure suspended and resumed. The complaint records it
(witnessed, on the feed as ``complaints.procedure_suspended.v1`` / ``..._resumed.v1``); the procedure itself is
told through ``settings.YIWANG_COMPLAINTS["PROCEDURE_PORT"]`` (a dotted class path). The default records only:
the tender context has no action for a suspension ordered by a regulator yet (docs/credit.md §Complaints).
An adapter is called inside the complaint's action, so a refusal from it rolls the whole action back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.kernel.actors import Actor


class ProcedurePort(Protocol):
    def suspend(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime) -> None: ...

    def resume(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime) -> None: ...


class RecordOnly:
    """Default: the suspension is recorded with the complaint and on the feed; nothing else is called."""

    def suspend(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime) -> None:
        return None

    def resume(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime) -> None:
        return None


def procedure_port() -> ProcedurePort:
    conf = dict(getattr(settings, "YIWANG_COMPLAINTS", {}) or {})
    return import_string(str(conf.get("PROCEDURE_PORT", "yiwang.supervision.complaints.ports.RecordOnly")))()

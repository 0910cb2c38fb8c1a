"""The affected procedure's side of a suspension (暂停交易活动), chosen by settings.

A regulator handling a complaint may order the procedure suspended and resumed. The complaint records it
(witnessed, on the feed as ``complaints.procedure_suspended.v1`` / ``..._resumed.v1``); the procedure itself is
told through ``settings.YIWANG_COMPLAINTS["PROCEDURE_PORT"]`` (a dotted class path): :class:`TenderSections`
(the site's setting) orders a tender section (``tender.section:<id>``) suspended and lifts the order through the
tender context's actions; :class:`RecordOnly` records only. ``order_ref`` names the complaint that orders it. An
adapter is called inside the complaint's action, so a refusal from it rolls the whole action back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.kernel.actors import Actor
from yiwang.trading.tender import actions as tender_actions
from yiwang.trading.tender import queries as tender_queries


class ProcedurePort(Protocol):
    def suspend(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime, order_ref: str) -> None: ...

    def resume(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime, order_ref: str) -> None: ...


class RecordOnly:
    """The suspension is recorded with the complaint and on the feed; nothing else is called."""

    def suspend(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime, order_ref: str) -> None:
        return None

    def resume(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime, order_ref: str) -> None:
        return None


class TenderSections:
    """A tender section (``tender.section:<id>``, a later round ``-r<n>`` included) is suspended and resumed by the
    tender context's 责令暂停 actions under the regulator's own authority; other procedures are recorded only."""

    def suspend(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime, order_ref: str) -> None:
        found = tender_queries.section_of_ref(procedure_ref)
        if found is not None:
            tender_actions.do_order_suspension(actor=actor, section_id=found[0], reason=reason, order_ref=order_ref)

    def resume(self, *, actor: Actor, procedure_ref: str, reason: str, at: datetime, order_ref: str) -> None:
        found = tender_queries.section_of_ref(procedure_ref)
        if found is not None:
            tender_actions.do_lift_suspension(actor=actor, section_id=found[0], reason=reason, order_ref=order_ref)


def procedure_port() -> ProcedurePort:
    conf = dict(getattr(settings, "YIWANG_COMPLAINTS", {}) or {})
    return import_string(str(conf.get("PROCEDURE_PORT", "yiwang.supervision.complaints.ports.RecordOnly")))()

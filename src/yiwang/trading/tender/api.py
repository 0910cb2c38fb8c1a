"""Tender API (``/api/v1/tender``)."""

from __future__ import annotations

from ninja import Router


def build_router() -> Router:
    router = Router(tags=["tender 招标投标与政府采购"])
    return router


router = build_router()

"""交易指标与一屏管交易 API."""

from ninja import Router

router = Router(tags=["supervision"])

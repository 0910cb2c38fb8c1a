"""OCDS 数据发布 API."""

from ninja import Router

router = Router(tags=["ocds"])

"""跨区域互联（长三角）与国家平台上传 API."""

from ninja import Router

router = Router(tags=["federation"])

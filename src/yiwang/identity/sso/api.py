"""统一身份认证（OpenID Connect） API."""

from ninja import Router

router = Router(tags=["sso"])

"""Router helpers: :func:`creates` and :func:`acts` (POST with Idempotency-Key), :func:`updates` (If-Match), and
the API root."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import NinjaAPI, Router
from ninja.decorators import decorate_view

from yiwang.platform.api.auth import ActorAuth
from yiwang.platform.api.conditional import OPENAPI_IF_MATCH
from yiwang.platform.api.errors import install_error_handlers
from yiwang.platform.api.idempotency import OPENAPI_PARAMETER, idempotent


def _with_parameter(kwargs: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    extra = dict(kwargs.pop("openapi_extra", None) or {})
    extra["parameters"] = [*extra.get("parameters", []), parameter]
    return {**kwargs, "openapi_extra": extra}


def creates(router: Router, path: str, **kwargs: Any) -> Callable[[Any], Any]:
    """``router.post`` for operations that create something: honours ``Idempotency-Key``."""

    def register(fn: Any) -> Any:
        return router.post(path, **_with_parameter(kwargs, OPENAPI_PARAMETER))(decorate_view(idempotent)(fn))

    return register


def acts(router: Router, path: str, **kwargs: Any) -> Callable[[Any], Any]:
    """``router.post`` for operations that change state without creating (publish, open, award …): also
    honours ``Idempotency-Key``, so a client retrying after a timeout gets the first answer, not a 409."""
    return creates(router, path, **kwargs)


def updates(router: Router, path: str, *, method: str = "PATCH", **kwargs: Any) -> Callable[[Any], Any]:
    """``router.patch``/``put`` for updates: documents the required ``If-Match``."""
    register = router.patch if method == "PATCH" else router.put
    return register(path, **_with_parameter(kwargs, OPENAPI_IF_MATCH))


def make_api(*, urls_namespace: str = "api-v1", title: str = "Yiwang 一网交易 API") -> NinjaAPI:
    """The API root with Yiwang's authentication and error handling (tests make throwaway ones)."""
    api = NinjaAPI(
        title=title,
        version="1",
        description="上海市公共资源交易平台（一网交易）开放接口 / Yiwang public-resource trading platform API",
        urls_namespace=urls_namespace,
        auth=ActorAuth(required=True),
        openapi_url="/openapi.json",
        docs_url="/docs",
    )
    install_error_handlers(api)
    return api

"""How errors leave the API: always JSON ``{code, message_zh, message_en, details}``, never an HTML page."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from yiwang.kernel.errors import YiwangError

log = logging.getLogger("yiwang.api")


def error_response(status: int, code: str, zh: str, en: str, details: dict | None = None) -> HttpResponse:
    body = {"code": code, "message_zh": zh, "message_en": en, "details": details or {}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _field_of(loc: list[str]) -> str:
    """The client's field path: ``["body", "payload", "uscc"]`` → ``uscc`` (ninja puts the body parameter's own
    name after ``body``; clients never see it), ``["query", "limit"]`` → ``limit``."""
    if len(loc) >= 3 and loc[0] in ("body", "form"):
        return ".".join(loc[2:])
    if loc and loc[0] in ("body", "form", "query", "path", "header", "cookie", "file"):
        return ".".join(loc[1:])
    return ".".join(loc)


def _validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        ctx = e.get("ctx") or {}
        loc = [str(p) for p in e.get("loc", ())]
        out.append(
            {
                "loc": loc,
                "field": _field_of(loc),
                "code": e.get("type", "invalid"),
                "message_zh": ctx.get("message_zh", e.get("msg", "")),
                "message_en": ctx.get("message_en", e.get("msg", "")),
                **({"details": ctx["details"]} if "details" in ctx else {}),
            }
        )
    return out


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(YiwangError)
    def yiwang_error(request: HttpRequest, exc: YiwangError) -> HttpResponse:
        return error_response(exc.status, exc.code, exc.message_zh, exc.message_en, exc.details)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = _validation_details(list(exc.errors))
        # When exactly one check failed and it is one of ours (a dotted code), answer with that code.
        first = errors[0] if errors else None
        if first and len(errors) == 1 and "." in first["code"]:
            details = {"field": first["field"], **first.get("details", {}), "errors": errors}
            return error_response(422, first["code"], first["message_zh"], first["message_en"], details)
        return error_response(
            422, "request.invalid", "请求数据不符合要求", "The request data is invalid", {"errors": errors}
        )

    @api.exception_handler(AuthenticationError)
    def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error_response(401, "auth.required", "请先登录或提供有效的访问令牌", "Authentication required")

    @api.exception_handler(AuthorizationError)
    def forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
        return error_response(403, "auth.forbidden", "无权执行此操作", "Not allowed")

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return error_response(429, "rate_limited", "请求过于频繁，请稍后再试", "Too many requests")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, "not_found", "未找到", "Not found")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(exc.status_code, f"http.{exc.status_code}", str(exc), str(exc))

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal_error", "服务器内部错误，已记录", "Internal server error (logged)")

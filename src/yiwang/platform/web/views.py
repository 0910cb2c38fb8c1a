"""Error pages: JSON under /api/, a Chinese page elsewhere."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.platform.api.errors import error_response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(404, "not_found", "接口不存在", "No such API endpoint", {"path": request.path})
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(500, "internal_error", "服务器内部错误，已记录", "Internal server error (logged)")
    return render(request, "errors/500.html", status=500)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response(403, "auth.forbidden", "无权访问", "Forbidden")
    return render(request, "errors/403.html", status=403)

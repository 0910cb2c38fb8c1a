"""URLs for the plumbing tests: the throwaway API under /api/v1/ and the real error handlers."""

from django.urls import path

from yiwang.platform.api.tests.throwaway import api

urlpatterns = [path("api/v1/", api.urls)]

handler403 = "yiwang.platform.web.views.forbidden"
handler404 = "yiwang.platform.web.views.not_found"
handler500 = "yiwang.platform.web.views.server_error"

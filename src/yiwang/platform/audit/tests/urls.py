"""The site's URLs plus the witness API, for tests that run before (or after) the lead mounts it."""

from django.urls import include, path

from yiwang.platform.api.routing import make_api
from yiwang.platform.audit.api import build_router

api = make_api()
api.urls_namespace = "witness-tests-api"
api.add_router("/witness", build_router())

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("yiwang.config.urls")),
]

handler403 = "yiwang.platform.web.views.forbidden"
handler404 = "yiwang.platform.web.views.not_found"
handler500 = "yiwang.platform.web.views.server_error"

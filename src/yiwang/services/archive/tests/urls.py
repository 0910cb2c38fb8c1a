"""The site's URLs plus the archive's pages and API, for tests that run before the lead mounts them."""

from django.urls import include, path

from yiwang.platform.api.routing import make_api
from yiwang.services.archive.api import router

api = make_api(urls_namespace="archive-tests-api")
api.add_router("/archive", router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("archive/", include("yiwang.services.archive.urls")),
    path("", include("yiwang.config.urls")),
]

handler403 = "yiwang.platform.web.views.forbidden"
handler404 = "yiwang.platform.web.views.not_found"
handler500 = "yiwang.platform.web.views.server_error"

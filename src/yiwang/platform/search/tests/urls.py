"""The site's URLs plus the search API and page, for tests that run before (or after) the lead mounts them.

``/api/v1/search`` and ``/search/`` resolve here whether or not the site already includes them (the site's own
patterns come first). The site is included by name: the platform tier never imports the configuration."""

from django.urls import include, path

from yiwang.platform.api.routing import make_api
from yiwang.platform.search.api import build_router

api = make_api()
api.urls_namespace = "search-tests-api"
api.add_router("/search", build_router())

urlpatterns = [
    path("", include("yiwang.config.urls")),
    path("api/v1/", api.urls),
    path("search/", include("yiwang.platform.search.urls")),
]

handler403 = "yiwang.platform.web.views.forbidden"
handler404 = "yiwang.platform.web.views.not_found"
handler500 = "yiwang.platform.web.views.server_error"

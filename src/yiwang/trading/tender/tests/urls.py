"""The site's URLs plus the tender (and notices) pages and API, for runs before the lead mounts them."""

from django.apps import apps
from django.urls import include, path

from yiwang.platform.api.routing import make_api
from yiwang.trading.tender.api import build_router

api = make_api()
api.urls_namespace = "tender-tests-api"
api.add_router("/tender", build_router())
extra = [path("tender/", include("yiwang.trading.tender.urls"))]
if apps.is_installed("yiwang.services.notices"):
    from yiwang.services.notices.api import build_router as build_notices_router

    api.add_router("/notices", build_notices_router())
    extra.append(path("notices/", include("yiwang.services.notices.urls")))

urlpatterns = [
    path("api/v1/", api.urls),
    *extra,
    path("", include("yiwang.config.urls")),
]

handler403 = "yiwang.platform.web.views.forbidden"
handler404 = "yiwang.platform.web.views.not_found"
handler500 = "yiwang.platform.web.views.server_error"

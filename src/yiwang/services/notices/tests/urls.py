"""The site's URLs plus the notices, subscriptions, messages and search APIs and pages, for tests that run
before (or after) the lead mounts them (the site's own patterns come first)."""

from django.urls import include, path

from yiwang.platform.api.routing import make_api
from yiwang.platform.notify.api import build_router as build_messages_router
from yiwang.platform.search.api import build_router as build_search_router
from yiwang.services.notices.api import build_router, build_subscriptions_router

api = make_api()
api.urls_namespace = "notices-tests-api"
api.add_router("/notices", build_router())
api.add_router("/subscriptions", build_subscriptions_router())
api.add_router("/messages", build_messages_router())
api.add_router("/search", build_search_router())

urlpatterns = [
    path("", include("yiwang.config.urls")),
    path("api/v1/", api.urls),
    path("notices/", include("yiwang.services.notices.urls")),
    path("messages/", include("yiwang.platform.notify.urls")),
    path("search/", include("yiwang.platform.search.urls")),
]

handler403 = "yiwang.platform.web.views.forbidden"
handler404 = "yiwang.platform.web.views.not_found"
handler500 = "yiwang.platform.web.views.server_error"

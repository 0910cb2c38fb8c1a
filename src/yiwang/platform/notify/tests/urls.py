"""The site's URLs plus the inbox API and pages, for tests that run before (or after) the lead mounts them.

The site is included by name (the platform tier never imports the configuration); its own patterns come
first, so once the lead mounts ``/messages/`` and ``/api/v1/messages`` those are the ones tested."""

from django.urls import include, path

from yiwang.platform.api.routing import make_api
from yiwang.platform.notify.api import build_router

api = make_api()
api.urls_namespace = "notify-tests-api"
api.add_router("/messages", build_router())

urlpatterns = [
    path("", include("yiwang.config.urls")),
    path("api/v1/", api.urls),
    path("messages/", include("yiwang.platform.notify.urls")),
]

handler403 = "yiwang.platform.web.views.forbidden"
handler404 = "yiwang.platform.web.views.not_found"
handler500 = "yiwang.platform.web.views.server_error"

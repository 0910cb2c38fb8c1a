"""The site's URLs plus the live token API, for tests that run before the lead mounts it."""

from django.urls import include, path

from yiwang.platform.api.routing import make_api
from yiwang.platform.live.api import router

api = make_api()
api.urls_namespace = "live-tests-api"
api.add_router("/live", router)

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("yiwang.config.urls")),
]

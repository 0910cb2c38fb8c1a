from django.contrib import admin
from django.urls import include, path

from yiwang.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("accounts/", include("yiwang.identity.urls")),
    path("ca/", include("yiwang.identity.ca.urls")),
    path("sso/", include("yiwang.identity.sso.urls")),
    path("catalog/", include("yiwang.catalog.urls")),
    path("registry/", include("yiwang.registry.urls")),
    path("experts/", include("yiwang.services.experts.urls")),
    path("finance/", include("yiwang.services.finance.urls")),
    path("files/", include("yiwang.platform.storage.urls")),
    path("search/", include("yiwang.platform.search.urls")),
    path("messages/", include("yiwang.platform.notify.urls")),
    path("bidbox/", include("yiwang.services.bidbox.urls")),
    path("archive/", include("yiwang.services.archive.urls")),
    path("notices/", include("yiwang.services.notices.urls")),
    path("venues/", include("yiwang.services.venues.urls")),
    path("onsite/", include("yiwang.services.witness.urls")),
    path("tender/", include("yiwang.trading.tender.urls")),
    path("evaluation/", include("yiwang.trading.tender.evaluation.urls")),
    path("orderbook/", include("yiwang.trading.orderbook.urls")),
    path("auction/", include("yiwang.trading.auction.urls")),
    path("supervision/redflags/", include("yiwang.supervision.redflags.urls")),
    path("credit/", include("yiwang.supervision.credit.urls")),
    path("complaints/", include("yiwang.supervision.complaints.urls")),
    path("supervision/", include("yiwang.supervision.stats.urls")),
    path("exchange/ocds/", include("yiwang.exchange.ocds.urls")),
    path("exchange/federation/", include("yiwang.exchange.federation.urls")),
    path("exchange/", include("yiwang.exchange.subplatform.urls")),
    path("admin/", admin.site.urls),
    path("", include("yiwang.portal.urls")),
]

handler403 = "yiwang.platform.web.views.forbidden"
handler404 = "yiwang.platform.web.views.not_found"
handler500 = "yiwang.platform.web.views.server_error"

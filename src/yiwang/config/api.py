"""The API root ``/api/v1/``: each context contributes its router here (the only place that sees them all)."""

from __future__ import annotations

from yiwang.catalog.api import router as catalog_router
from yiwang.exchange.federation.api import router as federation_router
from yiwang.exchange.ocds.api import router as ocds_router
from yiwang.exchange.subplatform.api import router as exchange_router
from yiwang.identity.api import router as identity_router
from yiwang.identity.ca.api import router as ca_router
from yiwang.identity.sso.api import router as sso_router
from yiwang.platform.api.routing import make_api
from yiwang.platform.audit.api import router as witness_router
from yiwang.platform.live.api import router as live_router
from yiwang.platform.notify.api import router as messages_router
from yiwang.platform.outbox.api import router as feed_router
from yiwang.platform.search.api import router as search_router
from yiwang.platform.storage.api import router as files_router
from yiwang.registry.api import router as registry_router
from yiwang.services.archive.api import router as archive_router
from yiwang.services.bidbox.api import router as bidbox_router
from yiwang.services.experts.api import router as experts_router
from yiwang.services.finance.api import router as finance_router
from yiwang.services.notices.api import router as notices_router
from yiwang.services.notices.api import subscriptions_router
from yiwang.services.venues.api import router as venues_router
from yiwang.services.witness.api import router as onsite_router
from yiwang.supervision.complaints.api import router as complaints_router
from yiwang.supervision.credit.api import router as credit_router
from yiwang.supervision.redflags.api import router as redflags_router
from yiwang.supervision.stats.api import router as stats_router
from yiwang.trading.auction.api import router as auction_router
from yiwang.trading.orderbook.api import router as orderbook_router
from yiwang.trading.tender.api import router as tender_router
from yiwang.trading.tender.evaluation.api import router as evaluation_router

api = make_api()
api.add_router("/", feed_router)
api.add_router("/auth", identity_router)
api.add_router("/ca", ca_router)
api.add_router("/catalog", catalog_router)
api.add_router("/registry", registry_router)
api.add_router("/files", files_router)
api.add_router("/experts", experts_router)
api.add_router("/finance", finance_router)
api.add_router("/bidbox", bidbox_router)
api.add_router("/witness", witness_router)
api.add_router("/messages", messages_router)
api.add_router("/search", search_router)
api.add_router("/archive", archive_router)
api.add_router("/venues", venues_router)
api.add_router("/onsite", onsite_router)
api.add_router("/notices", notices_router)
api.add_router("/subscriptions", subscriptions_router)
api.add_router("/live", live_router)
api.add_router("/tender", tender_router)
api.add_router("/evaluation", evaluation_router)
api.add_router("/orderbook", orderbook_router)
api.add_router("/auction", auction_router)
api.add_router("/redflags", redflags_router)
api.add_router("/credit", credit_router)
api.add_router("/complaints", complaints_router)
api.add_router("/exchange", exchange_router)
api.add_router("/stats", stats_router)
api.add_router("/ocds", ocds_router)
api.add_router("/federation", federation_router)
api.add_router("/sso", sso_router)

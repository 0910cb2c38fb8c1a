"""Where candidates come from: the :class:`ExpertPoolPort`.

The local adapter reads this hub's pool. Draws that span regions served by another hub (e.g. another
province in the 长三角 federation) name that hub; its adapter is provided by the federation context later.
Until then :class:`RemoteHubPool` refuses with ``503 experts.remote_pool_unavailable`` — it never pretends
to have asked anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from yiwang.kernel.errors import ServiceUnavailable
from yiwang.services.experts.domain.draw import Line, LinePool
from yiwang.services.experts.domain.eligibility import Criteria

LOCAL = "local"


class ExpertPoolPort(Protocol):
    hub: str

    def line_pools(self, lines: Sequence[Line], criteria: Criteria) -> list[LinePool]:
        """The candidates of each line (ascending ids) with the exclusion counts, read in the caller's
        transaction."""
        ...


class RemoteHubPool:
    """Another hub's pool, reached through the federation (not implemented in this context)."""

    def __init__(self, hub: str):
        self.hub = hub

    def line_pools(self, lines: Sequence[Line], criteria: Criteria) -> list[LinePool]:
        raise ServiceUnavailable(
            "experts.remote_pool_unavailable",
            f"暂不能从其他交易平台（{self.hub}）的专家库抽取：跨区域抽取接口尚未接通",
            f"cannot draw from hub {self.hub!r}: the cross-region pool link is not available",
            {"hub": self.hub},
        )


def pool_for(hub: str) -> ExpertPoolPort:
    if hub == LOCAL:
        from yiwang.services.experts.gather import LocalPool

        return LocalPool()
    adapters = getattr(settings, "YIWANG_EXPERTS_REMOTE_POOLS", {}) or {}
    path = adapters.get(hub)
    return import_string(path)(hub) if path else RemoteHubPool(hub)

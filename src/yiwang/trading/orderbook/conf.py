"""The market's session times (Asia/Shanghai), from the SEEE notice (挂牌协议 9:30–11:30 and 13:00–15:00,
Monday to Friday on trading days). They are operating hours rather than legal numbers the catalogue can hold
(its units have no time of day); a deployment may override them with ``YIWANG_ORDERBOOK_SESSIONS``."""

from __future__ import annotations

from datetime import time

from django.conf import settings

DEFAULT_SESSIONS = ((time(9, 30), time(11, 30)), (time(13, 0), time(15, 0)))


def sessions() -> tuple[tuple[time, time], ...]:
    configured = getattr(settings, "YIWANG_ORDERBOOK_SESSIONS", None)
    if not configured:
        return DEFAULT_SESSIONS
    return tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in configured)

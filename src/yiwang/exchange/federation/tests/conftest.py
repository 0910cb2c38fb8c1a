from __future__ import annotations

import pytest

from yiwang.exchange.federation.tests.support import JIANGSU, RemoteHub


@pytest.fixture
def jiangsu(db, clock) -> RemoteHub:
    hub = RemoteHub(JIANGSU, "江苏省公共资源交易平台", "http://127.0.0.1:18101")
    hub.register()
    return hub

from __future__ import annotations

from datetime import timedelta

import pytest

from yiwang.platform.commands import engine as engines
from yiwang.platform.commands.testing import ToyLotEngine


@pytest.fixture
def toy(clock) -> ToyLotEngine:
    engines.clear_cache()
    return ToyLotEngine(end=clock.now() + timedelta(hours=1))

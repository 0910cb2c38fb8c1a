"""The two builds of the matching engine the pure tests run against: ``engine.py`` interpreted, and the
compiled ``_engine_native`` (tools/build_native.py) when it is built from the current source. Without a
current build the compiled cases are skipped — unless ``YIWANG_REQUIRE_NATIVE=1``, where importing
``engines`` already fails."""

from __future__ import annotations

import pytest

from yiwang.trading.orderbook.domain import engine, engines

INTERPRETED = engine.MarketEngine
COMPILED = engines.MarketEngine if engines.IMPLEMENTATION == "compiled" else None
NOT_BUILT = "the compiled engine is not built (or stale): .venv/bin/python tools/build_native.py"

IMPLEMENTATIONS = [
    pytest.param(INTERPRETED, id="interpreted"),
    pytest.param(COMPILED, id="compiled", marks=pytest.mark.skipif(COMPILED is None, reason=NOT_BUILT)),
]

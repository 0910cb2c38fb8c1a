"""The compiled build of the engine: which one is loaded, a stale build is never used, the build tool's
fallback, and the two builds give byte-identical states on the same commands (pure, no database)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

from yiwang.trading.orderbook.domain import engine, engines
from yiwang.trading.orderbook.domain.engine import CANCEL, LIMIT, OTHER, PLACE
from yiwang.trading.orderbook.domain.rules import MarketRules
from yiwang.trading.orderbook.tests.implementations import COMPILED, INTERPRETED, NOT_BUILT

ROOT = Path(__file__).resolve().parents[5]
FAKE = "yiwang_tests_fake_engine_native"


def fake_native(monkeypatch, digest: str | None) -> types.ModuleType:
    """A stand-in for the compiled module, built from the sources whose digest is ``digest``."""
    module = types.ModuleType(FAKE)
    if digest is not None:
        module.NATIVE_SOURCE_DIGEST = digest
    module.MarketEngine = type("MarketEngine", (), {"implementation": "compiled"})
    monkeypatch.setitem(sys.modules, FAKE, module)
    return module


def test_the_interpreted_build_says_so_and_runs_without_cython():
    assert INTERPRETED.implementation == engine.IMPLEMENTATION == "interpreted"
    assert "cython" not in engine.__dict__  # a plain module: it never imports cython
    assert engines.MarketEngine.implementation == engines.IMPLEMENTATION


@pytest.mark.skipif(os.environ.get("YIWANG_REQUIRE_NATIVE", "") in ("", "0"), reason="YIWANG_REQUIRE_NATIVE is not set")
def test_with_require_native_the_compiled_engine_is_the_one_loaded():
    assert engines.IMPLEMENTATION == "compiled"
    assert engines.MarketEngine is engines.module().MarketEngine
    assert engines.MarketEngine.implementation == "compiled"
    assert engines.source_digest() == engines.module().NATIVE_SOURCE_DIGEST
    from yiwang.trading.orderbook.domain import outcome

    assert outcome.MarketState().engine_class is engines.MarketEngine


def test_a_build_of_the_current_sources_is_used(monkeypatch):
    native = fake_native(monkeypatch, engines.source_digest())
    assert engines.pick(FAKE, require=False) is native
    assert engines.pick(FAKE, require=True) is native


def test_a_stale_build_is_not_used_and_says_to_rebuild(monkeypatch, tmp_path):
    fake_native(monkeypatch, engines.source_digest())
    for name in engines.SOURCES:
        shutil.copyfile(engines.HERE / name, tmp_path / name)
    with open(tmp_path / "engine.py", "a", encoding="utf-8") as f:
        f.write("\n# an edit after the build\n")
    with pytest.warns(engines.NativeEngineStale, match=r"tools/build_native\.py"):
        assert engines.pick(FAKE, tmp_path, require=False) is engine
    with pytest.raises(ImportError, match=r"tools/build_native\.py"):
        engines.pick(FAKE, tmp_path, require=True)
    # the .pxd is part of the digest too
    shutil.copyfile(engines.HERE / "engine.py", tmp_path / "engine.py")
    assert engines.pick(FAKE, tmp_path, require=False) is not engine
    (tmp_path / "engine.pxd").write_text("# other C types\n", encoding="utf-8")
    with pytest.warns(engines.NativeEngineStale):
        assert engines.pick(FAKE, tmp_path, require=False) is engine


def test_a_build_without_a_digest_is_stale(monkeypatch):
    fake_native(monkeypatch, None)
    with pytest.warns(engines.NativeEngineStale):
        assert engines.pick(FAKE, require=False) is engine


def test_no_build_falls_back_silently_unless_required():
    assert engines.pick("yiwang_tests_no_such_module", require=False) is engine  # no warning (filterwarnings=error)
    with pytest.raises(ImportError, match="YIWANG_REQUIRE_NATIVE"):
        engines.pick("yiwang_tests_no_such_module", require=True)


def test_the_build_tool_without_a_compiler_keeps_the_fallback_and_exits_0_unless_required():
    env = dict(os.environ, CC="/nonexistent/cc", YIWANG_REQUIRE_NATIVE="")
    before = sorted(p.name for p in engines.HERE.glob("_engine_native.*"))
    tool = [sys.executable, str(ROOT / "tools" / "build_native.py"), "--force"]
    done = subprocess.run(tool, capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no C compiler" in done.stdout
    required = subprocess.run([*tool, "--require"], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert required.returncode == 1
    assert sorted(p.name for p in engines.HERE.glob("_engine_native.*")) == before  # an existing build is kept


# -- the two builds agree byte for byte -----------------------------------------------------------------------------
def _journal(seed: int) -> list[tuple[list[tuple], int]]:
    """Batches of commands over two trading days: limit, market-to-limit, IOC and FOK orders, cancels (some of
    someone else's order, some unknown), refusals of every kind, amends, block trades, deposits, the close."""
    rnd = random.Random(seed)
    rules = MarketRules(tick_fen=2, lot_t=10, listing_max_t=5000, block_min_t=5000).as_json()
    day = [(OTHER, {"op": "open_account", "owner": o}) for o in range(1, 9)]
    day += [(OTHER, {"op": "deposit_cash", "owner": o, "amount_fen": 10**9}) for o in range(1, 9)]
    day += [(OTHER, {"op": "deposit_allowances", "owner": o, "quantity_t": 10**6}) for o in range(1, 9)]
    day.append((OTHER, {"op": "open_day", "day": 20260302, "rules": rules, "reference_fen": 1000}))
    out = [(day, 1_000)]
    now = 2_000
    next_oid = 1
    for b in range(60):
        batch: list[tuple] = []
        for _ in range(50):
            r = rnd.random()
            owner = rnd.randrange(1, 9)
            if r < 0.55:
                price = rnd.choice([1000 + 2 * rnd.randrange(-6, 7)] * 12 + [1001, 2000, 0, "x"])
                qty = rnd.choice([10 * rnd.randrange(1, 40)] * 12 + [15, 0, 10**7])
                otype = rnd.choice([LIMIT] * 8 + [1, 2, 3, 9])
                client = rnd.choice([None] * 5 + ["a", "b"])
                batch.append((PLACE, owner, rnd.randrange(2), price, qty, otype, client))
                next_oid += 1
            elif r < 0.85:
                batch.append((CANCEL, owner, rnd.randrange(1, next_oid + 3)))
            elif r < 0.93:
                op = {"op": "amend", "owner": owner, "order_id": rnd.randrange(1, next_oid + 1)}
                op["quantity_t" if rnd.random() < 0.5 else "price_fen"] = rnd.choice([10, 20, 100, 996, 1004])
                batch.append((OTHER, op))
            elif r < 0.97:
                other = rnd.randrange(1, 9)
                batch.append((OTHER, {"op": "propose_block", "owner": owner, "counterparty": other, "side": "buy",
                                      "price_fen": 1100, "quantity_t": 5000}))  # fmt: skip
                batch.append((OTHER, {"op": "confirm_block", "owner": other, "proposal_id": rnd.randrange(1, 5)}))
            else:
                batch.append((OTHER, {"op": "deposit_cash", "owner": owner, "amount_fen": rnd.randrange(1, 10**6)}))
        if b == 30:
            batch.append((OTHER, {"op": "close_day"}))
            batch.append((OTHER, {"op": "open_day", "day": 20260303, "rules": rules}))
        out.append((batch, now))
        now += 1_000
    return out


def _replay(cls: type, journal: list[tuple[list[tuple], int]]) -> tuple[bytes, list, list]:
    e = cls("D", "continuous")
    results, fills = [], []
    for batch, now in journal:
        for r in e.run(list(batch), now):
            err = engine.refusal(r)
            results.append(r if err is None else err.code)
        fills.append(e.drain())
    snap = json.dumps(e.snapshot(), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return snap, results, fills


@pytest.mark.skipif(COMPILED is None, reason=NOT_BUILT)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replay_by_the_interpreted_and_the_compiled_engine_gives_byte_identical_snapshots(seed):
    journal = _journal(seed)
    interpreted = _replay(INTERPRETED, journal)
    compiled = _replay(COMPILED, journal)
    assert compiled[1] == interpreted[1]  # every result and refusal code
    assert compiled[2] == interpreted[2]  # every trade, removal and note
    assert compiled[0] == interpreted[0]  # the state, byte for byte
    codes = {r for r in interpreted[1] if isinstance(r, str)}
    assert {
        "orderbook.order_unknown",
        "orderbook.price_out_of_band",
        "orderbook.price_tick",
        "orderbook.quantity_lot",
    } <= codes
    trades = sum(len(f[0]) for f in interpreted[2])
    assert trades > 100
    restored = COMPILED.restore(json.loads(interpreted[0]))  # a snapshot of one build restores in the other
    assert restored.state_hash() == INTERPRETED.restore(json.loads(compiled[0])).state_hash()

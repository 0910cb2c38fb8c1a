"""The file journal: a torn or corrupted tail is cut at the last complete record, and the engine restarts
exactly there; damage before the tail is refused; nothing acknowledged is ever lost (pure, no database)."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from yiwang.trading.orderbook import journal as J
from yiwang.trading.orderbook.domain.engine import MarketEngine
from yiwang.trading.orderbook.domain.rules import MarketRules

pytestmark = pytest.mark.usefixtures("both_engines")  # each test runs on both engine builds

OWNERS = (1, 2, 3, 4)


def make_engine() -> MarketEngine:
    e = MarketEngine("J", "continuous")
    for owner in OWNERS:
        e.open_account(owner)
        e.deposit_cash(owner, 10**9)
        e.deposit_allowances(owner, 10**6)
    e.open_day(20260302, MarketRules(tick_fen=2, lot_t=10), 100)  # limits 90–110
    return e


def batch(rnd: random.Random, placed: int, size: int = 6) -> tuple[list[bytes], int]:
    """Orders that cross now and then, cancels of earlier ones, and a few bad messages."""
    out = []
    for _ in range(size):
        r = rnd.random()
        if r < 0.65 or not placed:
            side = rnd.choice(("buy", "sell"))
            price = rnd.choice((94, 96, 98, 100, 102, 104, 106)) + (1 if rnd.random() < 0.05 else 0)
            body = {"op": "place", "owner": rnd.choice(OWNERS), "side": side, "price_fen": price}
            body["quantity_t"] = rnd.choice((10, 20, 30, 40))
            placed += 1
        elif r < 0.95:
            body = {"op": "cancel", "owner": rnd.choice(OWNERS), "order_id": rnd.randint(1, placed)}
        else:
            body = {"op": "place", "owner": 1, "side": "sideways", "price_fen": 100, "quantity_t": 10}
        out.append(json.dumps(body).encode())
    if rnd.random() < 0.3:
        out.append(b"{not json")
    return out, placed


def write_journal(path: Path, batches: int = 6, seed: int = 1) -> tuple[list[int], list[str], list[list]]:
    """Process ``batches`` batches; returns the file size and the state hash after each acknowledged batch (index
    0 = empty), and the results the caller received."""
    rnd = random.Random(seed)
    market = J.JournalledMarket(path, make_engine)
    sizes, hashes, acks = [0], [market.engine.state_hash()], []
    placed = 0
    for k in range(batches):
        messages, placed = batch(rnd, placed)
        seq, results = market.process(messages, now=1_000_000 + k)
        assert seq == k + 1
        acks.append(results)
        sizes.append(path.stat().st_size)
        hashes.append(market.engine.state_hash())
    market.close()
    return sizes, hashes, acks


def reopen(path: Path) -> J.JournalledMarket:
    market = J.JournalledMarket(path, make_engine)
    market.engine.check_invariants()
    return market


def test_replay_of_the_journal_gives_the_same_state_and_the_same_trades(tmp_path: Path):
    path = tmp_path / "j"
    sizes, hashes, _ = write_journal(path, batches=20)
    market = reopen(path)
    assert market.engine.state_hash() == hashes[-1]
    assert market.recovery == J.Recovery(20, sizes[-1], 0, "")
    assert market.engine.next_tid > 1, "the flow should have traded"
    market.close()


def test_a_torn_tail_at_every_byte_of_the_last_record_restarts_at_the_last_complete_record(tmp_path: Path):
    path = tmp_path / "j"
    sizes, hashes, _ = write_journal(path)
    data = path.read_bytes()
    start, end = sizes[-2], sizes[-1]
    assert end - start > J.HEADER.size
    for cut in range(start, end):
        torn = tmp_path / f"torn-{cut}"
        torn.write_bytes(data[:cut])
        market = reopen(torn)
        assert market.engine.state_hash() == hashes[-2], cut
        assert market.recovery.records == len(sizes) - 2
        assert market.recovery.end == start
        assert market.recovery.dropped == cut - start
        assert market.recovery.torn == (
            "" if cut == start else "incomplete header" if cut - start < 16 else "incomplete payload"
        )
        assert torn.stat().st_size == start, "the torn bytes are cut off"
        market.close()
        torn.unlink()


def test_appending_after_a_cut_tail_continues_the_sequence(tmp_path: Path):
    path = tmp_path / "j"
    sizes, hashes, _ = write_journal(path)
    data = path.read_bytes()
    path.write_bytes(data[: sizes[-1] - 3])  # the last batch's write was torn
    market = reopen(path)
    assert market.engine.state_hash() == hashes[-2]
    seq, _ = market.process([b'{"op":"place","owner":1,"side":"buy","price_fen":92,"quantity_t":10}'], now=9_000_000)
    assert seq == len(sizes) - 1  # the torn record's number is given again: it was never acknowledged
    after = market.engine.state_hash()
    market.close()
    again = reopen(path)
    assert again.engine.state_hash() == after
    assert again.recovery.dropped == 0
    again.close()


@pytest.mark.parametrize("where", ["payload", "last_byte", "checksum", "seq", "length"])
def test_a_corrupted_last_record_is_detected_and_cut(tmp_path: Path, where: str):
    path = tmp_path / "j"
    sizes, hashes, _ = write_journal(path)
    data = bytearray(path.read_bytes())
    start = sizes[-2]
    offset = {
        "payload": start + J.HEADER.size + 5,
        "last_byte": len(data) - 1,
        "checksum": start + 4,
        "seq": start + 8,
        "length": start + 1,  # a length that runs past the end of the file
    }[where]
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    market = reopen(path)
    assert market.engine.state_hash() == hashes[-2]
    assert market.recovery.records == len(sizes) - 2
    assert market.recovery.torn in ("checksum mismatch", "incomplete payload", "impossible length")
    assert path.stat().st_size == start
    market.close()


@pytest.mark.parametrize("where", ["payload", "length"])
def test_damage_before_the_tail_is_refused_not_cut(tmp_path: Path, where: str):
    """A bad record with complete records after it is not a torn write: cutting there would drop acknowledged
    commands, so recovery refuses and leaves the file as it is."""
    path = tmp_path / "j"
    sizes, _, _ = write_journal(path)
    data = bytearray(path.read_bytes())
    start = sizes[2]
    data[start + (J.HEADER.size + 3 if where == "payload" else 0)] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(J.JournalCorrupt) as info:
        J.JournalledMarket(path, make_engine)
    assert info.value.seq == 3
    assert info.value.offset == start
    assert path.read_bytes() == bytes(data)


def test_a_crash_during_the_group_commit_loses_only_the_unacknowledged_batch(tmp_path: Path, monkeypatch):
    path = tmp_path / "j"
    _, hashes, acks = write_journal(path)
    market = reopen(path)
    real_write = os.write

    def half_then_crash(fd: int, data) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError("power lost")

    monkeypatch.setattr(J.os, "write", half_then_crash)
    messages = [b'{"op":"place","owner":2,"side":"sell","price_fen":110,"quantity_t":10}'] * 3
    with pytest.raises(OSError, match="power lost"):
        market.process(messages, now=5_000_000)  # no acknowledgement was given
    monkeypatch.setattr(J.os, "write", real_write)
    os.close(market.journal.fd)
    after = reopen(path)
    assert after.engine.state_hash() == hashes[-1], "every acknowledged batch is there"
    assert after.recovery.records == len(acks)
    assert after.recovery.torn == "incomplete payload"
    after.close()


def test_the_acknowledgement_follows_the_fdatasync(tmp_path: Path, monkeypatch):
    calls: list[str] = []
    real_sync = os.fdatasync
    monkeypatch.setattr(J.os, "fdatasync", lambda fd: (calls.append("sync"), real_sync(fd))[1])
    market = J.JournalledMarket(tmp_path / "j", make_engine)
    for k in range(3):
        _, results = market.process([b'{"op":"cancel","owner":1,"order_id":1}'] * 4, now=k + 1)
        calls.append("ack")
        assert results
    assert calls == ["sync", "ack"] * 3, "one fdatasync per batch, before its results are returned"
    market.close()


def test_bad_messages_are_journalled_refused_and_replayed_the_same(tmp_path: Path):
    path = tmp_path / "j"
    market = J.JournalledMarket(path, make_engine)
    messages = [
        b"[1, 2]",
        b"not json",
        b'{"op":"explode"}',
        b'{"op":"place","owner":1,"side":"buy","price_fen":100,"quantity_t":10,"type":"stop"}',
        b'{"op":"place","owner":1,"side":"up","price_fen":100,"quantity_t":10}',
        b'{"op":"place","owner":9,"side":"buy","price_fen":100,"quantity_t":10}',
        b'{"op":"place","owner":1,"side":"buy","price_fen":101,"quantity_t":10}',
        b'{"op":"place","owner":1,"side":"buy","price_fen":100,"quantity_t":15}',
        b'{"op":"place","owner":1,"side":"buy","price_fen":120,"quantity_t":10}',
        b'{"op":"cancel","owner":1,"order_id":77}',
        b'{"op":"place","owner":[1],"side":"buy","price_fen":100,"quantity_t":10}',
        b'{"op":"place","owner":true,"side":"buy","price_fen":100,"quantity_t":10}',
        b'{"op":"place","owner":1,"side":"buy","price_fen":100,"quantity_t":10,"client_order_id":["x"]}',
        b'{"op":"place","owner":1,"side":"buy","price_fen":100.0,"quantity_t":10}',
        b'{"op":"cancel","owner":1,"order_id":{"a":1}}',
        b'{"op":"cancel","owner":{},"order_id":1}',
        b'{"op":"place","owner":1,"side":"buy","price_fen":100,"quantity_t":10}',
    ]
    _, results = market.process(messages, now=1)
    codes = [None if r.__class__ is int else _code(r) for r in results]
    assert codes == [
        "orderbook.command_unknown",
        "orderbook.command_unknown",
        "orderbook.command_unknown",
        "orderbook.order_type_invalid",
        "orderbook.side_invalid",
        "orderbook.account_unknown",
        "orderbook.price_tick",
        "orderbook.quantity_lot",
        "orderbook.price_out_of_band",
        "orderbook.order_unknown",
        "orderbook.account_unknown",
        "orderbook.account_unknown",
        "orderbook.command_unknown",
        "orderbook.price_invalid",
        "orderbook.order_unknown",
        "orderbook.order_unknown",
        None,
    ]
    state = market.engine.state_hash()
    market.close()
    assert reopen(path).engine.state_hash() == state
    assert [len(m) for _, m in J.records(path)] == [len(messages)]


def test_a_batch_the_engine_cannot_apply_never_reaches_the_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "j"
    market = J.JournalledMarket(path, make_engine)
    market.process([b'{"op":"place","owner":1,"side":"buy","price_fen":100,"quantity_t":10}'], now=1)
    state = market.engine.state_hash()

    class Broken:
        def run(self, batch, now):
            raise RuntimeError("engine bug")

    monkeypatch.setattr(market, "engine", Broken())  # (a compiled engine's methods cannot be patched)
    with pytest.raises(RuntimeError, match="engine bug"):
        market.process([b'{"op":"cancel","owner":1,"order_id":1}'], now=2)
    monkeypatch.undo()
    assert market.journal.commit() == 1  # nothing of the failed batch is written later either
    market.close()
    again = reopen(path)
    assert again.engine.state_hash() == state
    assert again.recovery == J.Recovery(1, path.stat().st_size, 0, "")
    again.close()


def _code(result) -> str:
    from yiwang.trading.orderbook.domain.engine import refusal

    error = refusal(result)
    assert error is not None
    return error.code

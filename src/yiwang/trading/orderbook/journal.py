"""A file journal for the matching engine: framed records, group commit, recovery of a torn tail.

The platform's command log (``platform.commands``) keeps commands as database rows, one transaction per batch.
This module is the other way to make the engine durable when the database is not in the loop (the benchmark's
end-to-end path, an engine process of its own): an append-only file of records, each

    length (u32) · CRC-32 of seq + payload (u32) · seq (u64) · payload

little-endian, ``seq`` 1, 2, 3 … without a gap. :meth:`Journal.append` buffers a record; :meth:`Journal.commit`
writes the buffer and calls ``fdatasync``: a record is *durable* when ``commit`` has returned, and only then may
what it carries be acknowledged (group commit: one ``fdatasync`` per batch of records).

Recovery (:func:`scan`, run by :meth:`Journal.open`) reads the records in order and stops at the first one that
is incomplete (the file ends inside its header or payload: a torn write) or whose checksum or sequence number
is wrong. If that record is the *last* thing in the file it is a torn or corrupted tail — the write of a batch
that never finished, so never acknowledged — and the file is truncated to the end of the last complete record;
the next append continues from there. If complete records follow a bad one, the damage is not a torn tail but
corruption inside acknowledged data: recovery refuses (:class:`JournalCorrupt`) rather than silently drop
acknowledged commands.

:class:`JournalledMarket` puts the engine behind the journal: a batch of JSON order messages is decoded and
checked, journalled as one record (the raw messages and the batch time), applied to the engine, committed, and
only then acknowledged. Opening it replays every complete record, so the engine restarts exactly at the last
complete record.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from yiwang.trading.orderbook.domain.engine import CANCEL, ORDER_TYPES, OTHER, PLACE, SIDES, MarketEngine

HEADER = struct.Struct("<IIQ")  # payload length, CRC-32 of (seq bytes + payload), seq
MAX_RECORD = 1 << 30


class JournalCorrupt(Exception):
    """Damage before the tail: a bad record followed by complete ones. Needs an operator, never a silent cut."""

    def __init__(self, offset: int, seq: int, reason: str):
        super().__init__(f"journal corrupt at byte {offset} (record {seq}): {reason}")
        self.offset = offset
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True)
class Recovery:
    """What :func:`scan` found: ``records`` complete records ending at byte ``end``; ``torn`` says why the
    bytes after ``end`` (``dropped`` of them) were not a complete record (``""``: the file ended cleanly)."""

    records: int
    end: int
    dropped: int
    torn: str


def frame(seq: int, payload: bytes) -> bytes:
    body = struct.pack("<Q", seq)
    return HEADER.pack(len(payload), zlib.crc32(payload, zlib.crc32(body)), seq) + payload


def _parse(data: bytes | memoryview, offset: int, expect: int) -> tuple[bytes | None, int, str]:
    """The record at ``offset`` (which must be number ``expect``): (payload, next offset, "") or (None, offset, why)."""
    size = len(data)
    if offset + HEADER.size > size:
        return None, offset, "incomplete header"
    length, crc, seq = HEADER.unpack_from(data, offset)
    start = offset + HEADER.size
    if length > MAX_RECORD:
        return None, offset, "impossible length"
    if start + length > size:
        return None, offset, "incomplete payload"
    payload = bytes(data[start : start + length])
    if zlib.crc32(payload, zlib.crc32(struct.pack("<Q", seq))) != crc:
        return None, offset, "checksum mismatch"
    if seq != expect:
        return None, offset, f"sequence {seq} where {expect} was expected"
    return payload, start + length, ""


def _later_record_exists(data: bytes | memoryview, offset: int, after_seq: int) -> bool:
    """Whether a complete, checksummed record numbered beyond ``after_seq`` starts anywhere after ``offset``."""
    size = len(data)
    for start in range(offset + 1, size - HEADER.size + 1):
        length, crc, seq = HEADER.unpack_from(data, start)
        if seq <= after_seq or length > MAX_RECORD or start + HEADER.size + length > size:
            continue
        payload = bytes(data[start + HEADER.size : start + HEADER.size + length])
        if zlib.crc32(payload, zlib.crc32(struct.pack("<Q", seq))) == crc:
            return True
    return False


def scan(data: bytes) -> tuple[list[bytes], Recovery]:
    """The complete records of a journal's bytes, and where they end. Raises :class:`JournalCorrupt` when a bad
    record is followed by a complete later one (damage inside the journal, not a torn tail)."""
    view = memoryview(data)
    payloads: list[bytes] = []
    offset = 0
    while offset < len(data):
        payload, nxt, why = _parse(view, offset, len(payloads) + 1)
        if payload is None:
            # a torn tail has nothing complete after it; a complete later record means real corruption (a
            # damaged length field reads as "incomplete" too, so every kind of failure is checked)
            if _later_record_exists(view, offset, len(payloads) + 1):
                raise JournalCorrupt(offset, len(payloads) + 1, why)
            return payloads, Recovery(len(payloads), offset, len(data) - offset, why)
        payloads.append(payload)
        offset = nxt
    return payloads, Recovery(len(payloads), offset, 0, "")


class Journal:
    """An append-only journal file with group commit. One writer."""

    def __init__(self, path: str | os.PathLike[str], *, sync: bool = True):
        self.path = os.fspath(path)
        self.sync = sync
        self.buf = bytearray()
        self.pending = 0  # records appended since the last commit
        self.fd = -1
        self.seq = 0  # the last record appended
        self.durable_seq = 0  # the last record made durable by a commit
        self.recovery = Recovery(0, 0, 0, "")

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, sync: bool = True) -> tuple[Journal, list[bytes]]:
        """Open (or create) the journal, recover it, and return it with the payloads of its complete records.
        A torn or corrupted tail is cut off (the file is truncated to the last complete record)."""
        journal = cls(path, sync=sync)
        try:
            with open(journal.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            data = b""
        payloads, recovery = scan(data)
        journal.fd = os.open(journal.path, os.O_RDWR | os.O_CREAT, 0o600)
        if recovery.dropped:
            os.ftruncate(journal.fd, recovery.end)
            if sync:
                os.fsync(journal.fd)
        os.lseek(journal.fd, recovery.end, os.SEEK_SET)
        journal.seq = journal.durable_seq = recovery.records
        journal.recovery = recovery
        return journal, payloads

    def append(self, payload: bytes) -> int:
        """Buffer one record; returns its sequence number. Not durable before :meth:`commit`."""
        self.seq += 1
        self.buf += frame(self.seq, payload)
        self.pending += 1
        return self.seq

    def commit(self) -> int:
        """Write everything appended and make it durable (one ``fdatasync``); returns the last durable seq.
        If the write fails the journal is unusable (reopen it: recovery finds where the file really ends)."""
        if self.pending:
            with memoryview(self.buf) as view:
                written = 0
                while written < len(view):
                    written += os.write(self.fd, view[written:])
            if self.sync:
                os.fdatasync(self.fd)
            self.buf.clear()
            self.pending = 0
            self.durable_seq = self.seq
        return self.durable_seq

    def discard(self) -> None:
        """Forget the records appended since the last commit (they were never written)."""
        self.seq = self.durable_seq
        self.buf.clear()
        self.pending = 0

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the engine behind the journal ------------------------------------------------------------------------------
BATCH = struct.Struct("<QI")  # the batch time (µs), number of messages; then per message: u32 length + bytes
_LEN = struct.Struct("<I")


def decode(raw: bytes) -> tuple:
    """One JSON order message (``place`` or ``cancel``) as an engine command tuple. Anything else — not JSON,
    not an object, another op, a bad side or order type — becomes a command the engine refuses with its code,
    so a bad message is refused, never fatal."""
    try:
        d = json.loads(raw)
    except ValueError:
        return _UNKNOWN
    if d.__class__ is not dict:
        return _UNKNOWN
    op = d.get("op")
    owner = d.get("owner")
    if owner.__class__ is not int:  # the engine's accounts are keyed by int: anything else is no account
        owner = None
    if op == "place":
        side, otype, client = d.get("side"), d.get("type", "limit"), d.get("client_order_id")
        if client is not None and (client.__class__ is not str or not 0 < len(client) <= 64):
            return _UNKNOWN
        side = SIDES.get(side) if side.__class__ is str else None
        otype = ORDER_TYPES.get(otype) if otype.__class__ is str else None
        if side is None or otype is None:
            # through the dictionary form, which names the bad field (orderbook.side_invalid / order_type_invalid)
            return (OTHER, {k: d.get(k) for k in _PLACE_FIELDS} | {"op": "place", "owner": owner})
        return (PLACE, owner, side, d.get("price_fen", 0), d.get("quantity_t"), otype, client)
    if op == "cancel":
        oid = d.get("order_id")
        return (CANCEL, owner, oid if oid.__class__ is int else None)
    return _UNKNOWN


_UNKNOWN = (OTHER, {"op": "unknown"})
_PLACE_FIELDS = ("owner", "side", "price_fen", "quantity_t", "type", "client_order_id")


def _split(payload: bytes) -> tuple[int, list[bytes]]:
    now, count = BATCH.unpack_from(payload, 0)
    offset = BATCH.size
    out = []
    for _ in range(count):
        (length,) = _LEN.unpack_from(payload, offset)
        offset += _LEN.size
        out.append(payload[offset : offset + length])
        offset += length
    return now, out


def _join(now: int, messages: list[bytes]) -> bytes:
    parts = [BATCH.pack(now, len(messages))]
    for raw in messages:
        parts.append(_LEN.pack(len(raw)))
        parts.append(raw)
    return b"".join(parts)


class JournalledMarket:
    """A :class:`MarketEngine` whose input is journalled before it is acknowledged.

    ``make_engine`` builds the engine's starting state (accounts, the trading day) deterministically: the
    journal holds the order flow after it. :meth:`process` takes one batch of JSON messages at time ``now``
    and returns the engine's results only after the batch is durable."""

    def __init__(
        self, path: str | os.PathLike[str], make_engine: Any, *, sync: bool = True, decoder: Any = None
    ) -> None:
        # ``decoder``: another implementation of :func:`decode` (a faster JSON library); it must give the same
        # tuple for every message, since replay decodes the journalled bytes again
        self.decode = decoder or decode
        self.engine: MarketEngine = make_engine()
        self.journal, payloads = Journal.open(path, sync=sync)
        self.recovery = self.journal.recovery
        for payload in payloads:  # replay: the same batches at the same times give the same state
            now, messages = _split(payload)
            self.engine.run([self.decode(raw) for raw in messages], now)
        self.engine.drain()

    def process(self, messages: list[bytes], now: int) -> tuple[int, list[Any]]:
        """Decode, journal, apply, commit; returns (the batch's record number, one result per message).
        If it raises (the disk failed), nothing was acknowledged and this object must be dropped: reopen the
        journal, whose recovery finds what was really written."""
        dec = self.decode
        commands = [dec(raw) for raw in messages]
        seq = self.journal.append(_join(now, messages))
        try:
            results = self.engine.run(commands, now)
        except BaseException:
            self.journal.discard()  # a batch the engine could not apply never reaches the file
            raise
        self.journal.commit()  # durable before the results leave: acknowledged = durable
        return seq, results

    def close(self) -> None:
        self.journal.close()


def records(path: str | os.PathLike[str]) -> Iterator[tuple[int, list[bytes]]]:
    """The batches of a journal file (read only; stops at the last complete record)."""
    with open(path, "rb") as f:
        payloads, _ = scan(f.read())
    for payload in payloads:
        yield _split(payload)

"""The matching engine of one carbon market (one product, one command stream, one writer).

Two trading modes share one book structure:

- ``continuous``: a price-time-priority limit order book. Order types ``limit`` (a day order), ``market``
  (market-to-limit: executes at the best opposite price only, the rest stays as a limit order at that
  price), ``ioc`` (immediate or cancel) and ``fok`` (fill or kill). Cancel; amend keeps the order's place
  when it only reduces the quantity and sends it to the back of the queue when it raises the quantity or
  changes the price.
- ``listing`` (挂牌协议, national CEA): orders rest as listings and never match on entry; a listing that would
  cross the best opposite listing is refused. A taker *picks* a resting listing (摘牌) within the
  counterparty's best N price levels and trades at that listing's price — any listing at a price may be
  picked, so there is no time priority.

Negotiated trades (大宗协议 block trades, 配额回购 repos) go through the same engine because they move the
same cash and allowances: proposals freeze the proposer's side, the counterparty's confirmation executes.

Every participant has one account in the market: cash (available, frozen for buy orders, posted as repo
margin) and allowances (available, frozen for sell orders, received under a repo and held until it ends).
Orders are checked against what is *available* and freeze it on entry, so balances never go negative.

Self-trade prevention: when an incoming order meets a resting order of the same participant, the resting
order is cancelled (reason ``stp``) and matching continues — wash trades (对敲) cannot happen.

Time is an input: every command carries ``now`` (integer microseconds); the engine never reads a clock and
never iterates an unordered collection where order matters, so replaying the command log reproduces the
state exactly (:meth:`MarketEngine.state_hash`).

Hot-path note: orders and accounts are plain lists (indexed below) and price levels are an array indexed by
tick offset from the day's lower price limit — the daily price limits bound the number of levels, so no
heap or sorted map is needed. A level's queue is a dict order id → order: a dict keeps insertion order (time
priority), and a cancel deletes its entry in O(1) — no dead entries are left behind to skip or to hold memory.
Matching walks the front of the dict and deletes what it consumed afterwards.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from typing import Any

from yiwang.kernel.errors import YiwangError
from yiwang.trading.orderbook.domain import errors as E
from yiwang.trading.orderbook.domain.rules import MarketRules, price_limits, round_half_up

BUY = 0
SELL = 1
SIDES = {"buy": BUY, "sell": SELL}
SIDE_NAMES = ("buy", "sell")

CONTINUOUS = "continuous"
LISTING = "listing"
MODES = (CONTINUOUS, LISTING)

# order types
LIMIT = 0
MARKET = 1  # market-to-limit
IOC = 2
FOK = 3
ORDER_TYPES = {"limit": LIMIT, "market": MARKET, "ioc": IOC, "fok": FOK}
ORDER_TYPE_NAMES = ("limit", "market", "ioc", "fok")

# trade kinds
T_CONTINUOUS = 0  # matched in the price-time book
T_LISTING = 1  # 挂牌协议 (摘牌)
T_BLOCK = 2  # 大宗协议
T_REPO_OPEN = 3  # 配额回购 first leg
T_REPO_CLOSE = 4  # 配额回购 repurchase leg
TRADE_KIND_NAMES = ("continuous", "listing", "block", "repo_open", "repo_close")
# trades that enter the closing price (the day's VWAP): the on-screen trades, never block or repo legs
ELIGIBLE_KINDS = frozenset({T_CONTINUOUS, T_LISTING})

# phases
CLOSED = "closed"  # no trading day open
OPEN = "open"  # a session is running
HALTED = "halted"  # the midday break, or a halt: cancels only
PHASES = (CLOSED, OPEN, HALTED)

# order record: a list [oid, owner, side, price, open, qty, filled, account, client_id, type]
#   qty = everything ever entered (raised by amendments); cancelled = qty - open - filled when it leaves
# account record: a list [cash_avail, cash_frozen, allow_avail, allow_frozen, allow_repo, cash_margin]
# trade tuple: (tid, kind, price, qty, buy_oid, sell_oid, buyer, seller, aggressor_side, now, ref)
# removal tuple: (oid, reason, qty, side, price, owner) for an order leaving the book other than by a full fill
#   or an explicit cancel: reason "stp" (self-trade prevention), "expired" (day end): its freeze is released;
#   "ioc" / "fok": the unfilled rest of an order that never rested (nothing was frozen)

CASH_AVAIL, CASH_FROZEN, ALLOW_AVAIL, ALLOW_FROZEN, ALLOW_REPO, CASH_MARGIN = range(6)

SNAPSHOT_VERSION = 1

# A technical limit of the engine, not a market rule: a price level's total (the sum of the open quantities
# resting at one price on one side) is a 64-bit integer (``array('q')``; C ``long long`` in the compiled
# build). An order whose quantity would push the total of its own side's level at its price past this is
# refused (``orderbook.level_total_limit``), checked with its whole quantity before it matches; an amendment
# likewise. Every level total therefore stays within 0 … 2⁶³ − 1 (matching and cancels only lower it).
LEVEL_TOTAL_MAX = 2**63 - 1

# This source runs interpreted (``engine.py``) or compiled by Cython (``_engine_native``, built from this same
# file by ``tools/build_native.py``; ``engines.py`` picks): an extension module's file is not a ``.py``.
IMPLEMENTATION = "interpreted" if __file__.endswith((".py", ".pyc")) else "compiled"


def level_totals(n: int) -> Any:
    """``n`` level totals of one side, all 0 (each stays within 0 … :data:`LEVEL_TOTAL_MAX`). Compiled: an
    ``array('q')``, which ``engine.pxd`` types as a C ``long long`` memoryview (added and subtracted in C, no
    int object per change). Interpreted: a plain list — reading an array item there would make a new int
    object each time (measured: the interpreted engine 11 % slower with an array, 5 % with a list)."""
    return array("q", bytes(8 * n)) if IMPLEMENTATION == "compiled" else [0] * n


class MarketEngine:
    """One market's book, accounts and negotiated trades. Not thread-safe: one writer."""

    # Slots, not an instance dict: with this many attributes an instance dict no longer shares its keys with
    # the class, and every ``self.x`` on the hot path would cost twice as much (measured: 35 vs 18 ns).
    __slots__ = (
        "accounts",
        "am",
        "aq",
        "asks",
        "best_ask",
        "best_bid",
        "bids",
        "block_hi",
        "block_lo",
        "bm",
        "bq",
        "code",
        "d_high",
        "d_kind_val",
        "d_kind_vol",
        "d_low",
        "d_open",
        "d_trades",
        "d_val",
        "d_vol",
        "day",
        "fills",
        "hi",
        "last_close",
        "listing",
        "lo",
        "lot",
        "max_qty",
        "mode",
        "n",
        "next_oid",
        "next_pid",
        "next_rid",
        "next_tid",
        "notes",
        "now",
        "orders",
        "phase",
        "proposals",
        "reference",
        "removed",
        "repos",
        "rules",
        "seen",
        "tick",
    )  # fmt: skip

    implementation = IMPLEMENTATION

    def __init__(self, code: str, mode: str = CONTINUOUS):
        if mode not in MODES:
            raise ValueError(f"unknown market mode {mode!r}")
        self.code = code
        self.mode = mode
        self.listing = mode == LISTING
        self.accounts: dict[int, list[int]] = {}
        self.orders: dict[int, list] = {}
        self.seen: set[tuple[int, str]] = set()  # (owner, client order id) used today
        self.proposals: dict[int, list] = {}  # block proposals
        self.repos: dict[int, list] = {}  # proposed and open repos
        self.next_oid = 1
        self.next_tid = 1
        self.next_pid = 1
        self.next_rid = 1
        self.now = 0
        self.phase = CLOSED
        self.day = 0  # yyyymmdd of the open (or last) trading day
        self.last_close = 0  # the previous trading day's closing price (fen)
        self.rules = MarketRules()
        self.lot = self.rules.lot_t
        self.max_qty = self.rules.listing_max_t
        self.reference = 0
        self.block_lo = self.block_hi = 0
        self.fills: list[tuple] = []  # trades since the caller last drained
        self.removed: list[tuple] = []  # orders that left the book other than by a full fill
        self.notes: list[tuple] = []  # other facts for the caller (repo defaults …)
        self._reset_day_stats()
        self._build_levels(0, 0, 1)

    # -- structure --------------------------------------------------------------------------------------------------
    def _build_levels(self, lo: int, hi: int, tick: int) -> None:
        self.lo = lo
        self.hi = hi
        self.tick = tick
        n = (hi - lo) // tick + 1 if hi >= lo and hi > 0 else 0
        self.n = n
        self.bids: list[dict[int, list]] = [{} for _ in range(n)]
        self.asks: list[dict[int, list]] = [{} for _ in range(n)]
        self.bq = level_totals(n)
        self.aq = level_totals(n)
        # one byte per level, 1 where the level holds quantity: the next non-empty level is found by
        # bytearray.find / rfind, which scan at C speed
        self.bm = bytearray(n)
        self.am = bytearray(n)
        self.best_bid = -1
        self.best_ask = n

    def _reset_day_stats(self) -> None:
        self.d_open = 0
        self.d_high = 0
        self.d_low = 0
        self.d_vol = 0  # eligible (on-screen) volume
        self.d_val = 0  # eligible value (fen)
        self.d_kind_vol = [0] * len(TRADE_KIND_NAMES)
        self.d_kind_val = [0] * len(TRADE_KIND_NAMES)
        self.d_trades = 0

    def drain(self) -> tuple[list[tuple], list[tuple], list[tuple]]:
        """Take the trades, removals and notes produced since the last call."""
        out = self.fills, self.removed, self.notes
        self.fills, self.removed, self.notes = [], [], []
        return out

    # -- accounts ---------------------------------------------------------------------------------------------------
    def open_account(self, owner: int, now: int = 0) -> None:
        if owner in self.accounts:
            raise E.account_exists(owner)
        self.now = now or self.now
        self.accounts[owner] = [0, 0, 0, 0, 0, 0]

    def _account(self, owner: int) -> list[int]:
        acct = self.accounts.get(owner)
        if acct is None:
            raise E.account_unknown(owner)
        return acct

    def deposit_cash(self, owner: int, fen: int, now: int = 0) -> None:
        """入金: money arrives in the participant's market cash account."""
        acct = self._account(owner)
        if type(fen) is not int or fen <= 0:
            raise E.amount_invalid("amount_fen")
        self.now = now or self.now
        acct[CASH_AVAIL] += fen

    def withdraw_cash(self, owner: int, fen: int, now: int = 0) -> None:
        """出金: only available cash leaves."""
        acct = self._account(owner)
        if type(fen) is not int or fen <= 0:
            raise E.amount_invalid("amount_fen")
        if acct[CASH_AVAIL] < fen:
            raise E.insufficient_cash(fen, acct[CASH_AVAIL])
        self.now = now or self.now
        acct[CASH_AVAIL] -= fen

    def deposit_allowances(self, owner: int, tonnes: int, now: int = 0) -> None:
        """Allowances transferred in from the registration system (注册登记系统)."""
        acct = self._account(owner)
        if type(tonnes) is not int or tonnes <= 0:
            raise E.amount_invalid("quantity_t")
        self.now = now or self.now
        acct[ALLOW_AVAIL] += tonnes

    def withdraw_allowances(self, owner: int, tonnes: int, now: int = 0) -> None:
        """Allowances transferred out (to the registry, e.g. for compliance surrender)."""
        acct = self._account(owner)
        if type(tonnes) is not int or tonnes <= 0:
            raise E.amount_invalid("quantity_t")
        if acct[ALLOW_AVAIL] < tonnes:
            raise E.insufficient_allowances(tonnes, acct[ALLOW_AVAIL])
        self.now = now or self.now
        acct[ALLOW_AVAIL] -= tonnes

    # -- the trading day --------------------------------------------------------------------------------------------
    def open_day(self, day: int, rules: MarketRules, reference_fen: int | None = None, now: int = 0) -> None:
        """Start trading day ``day`` (yyyymmdd) with the day's rules. The reference price for the price
        limits is the previous close; the first day of a market needs ``reference_fen`` (its listing price)."""
        if self.phase != CLOSED:
            raise E.day_already_open(self.day)
        if day <= self.day:
            raise E.day_sequence(day, self.day)
        reference = reference_fen if reference_fen is not None else self.last_close
        if type(reference) is not int or reference <= 0:
            raise E.bad_price(reference)
        lo, hi = price_limits(reference, rules.band_bp, rules.tick_fen)
        self.now = now or self.now
        self.day = day
        self.rules = rules
        self.lot = rules.lot_t
        self.max_qty = rules.listing_max_t
        self.reference = reference
        if not self.last_close:
            self.last_close = reference
        self.block_lo, self.block_hi = price_limits(reference, rules.block_band_bp, rules.tick_fen)
        self._build_levels(lo, hi, rules.tick_fen)
        self.seen = set()
        self._reset_day_stats()
        self.phase = OPEN

    def set_phase(self, phase: str, now: int = 0) -> None:
        """Between the sessions of a day (the midday break) the market is ``halted``: only cancels pass."""
        if phase not in (OPEN, HALTED):
            raise ValueError(f"cannot set phase {phase!r}")
        if self.phase == CLOSED:
            raise E.no_trading_day()
        self.now = now or self.now
        self.phase = phase

    def close_day(self, now: int = 0) -> dict[str, Any]:
        """End the trading day: every resting order and pending proposal expires (their freezes are
        released); the closing price is the VWAP of the day's eligible trades, or the previous close
        if there were none. Returns the day's summary."""
        if self.phase == CLOSED:
            raise E.no_trading_day()
        self.now = now or self.now
        for book in (self.bids, self.asks):
            for level in book:
                for o in level.values():
                    if o[4]:
                        self._release(o, o[4])
                        self.removed.append((o[0], "expired", o[4], o[2], o[3], o[1]))
                        del self.orders[o[0]]
                        o[4] = 0
        for pid in sorted(self.proposals):
            prop = self.proposals.pop(pid)
            self._release_proposal(prop)
            self.notes.append(("proposal_expired", pid, prop[1], prop[2], prop[4], prop[5]))
        for rid in sorted(self.repos):
            repo = self.repos[rid]
            if repo[8] == 0:  # proposed, never confirmed
                self._release_repo_proposal(repo)
                del self.repos[rid]
                self.notes.append(("repo_expired", rid, repo[1], repo[3], repo[7]))
        summary = self.day_summary()
        self.last_close = summary["close_fen"]
        self.phase = CLOSED
        self._build_levels(0, 0, 1)
        self.seen = set()
        return summary

    def day_summary(self) -> dict[str, Any]:
        previous = self.last_close
        if self.d_vol:
            tick = self.rules.tick_fen
            close = round_half_up(self.d_val, self.d_vol * tick) * tick
        else:
            close = previous
        return {
            "day": self.day,
            "previous_close_fen": previous,
            "open_fen": self.d_open or previous,
            "high_fen": self.d_high or previous,
            "low_fen": self.d_low or previous,
            "close_fen": close,
            "eligible_volume_t": self.d_vol,
            "eligible_value_fen": self.d_val,
            "volume_t": dict(zip(TRADE_KIND_NAMES, self.d_kind_vol, strict=True)),
            "value_fen": dict(zip(TRADE_KIND_NAMES, self.d_kind_val, strict=True)),
            "trades": self.d_trades,
        }

    # -- helpers ----------------------------------------------------------------------------------------------------
    def _check_qty(self, qty: Any) -> None:
        if type(qty) is not int or qty <= 0:
            raise E.bad_quantity(qty)
        if qty % self.rules.lot_t:
            raise E.wrong_lot(qty, self.rules.lot_t)

    def _check_price(self, price: Any, lo: int, hi: int, rule: str) -> None:
        if type(price) is not int or price <= 0:
            raise E.bad_price(price)
        if price % self.tick:
            raise E.wrong_tick(price, self.tick)
        if price < lo or price > hi:
            raise E.price_out_of_band(price, lo, hi, rule)

    def _release(self, o: list, qty: int) -> None:
        """Give back the freeze of ``qty`` of resting order ``o``."""
        acct = o[7]
        if o[2] == BUY:
            amount = o[3] * qty
            acct[CASH_FROZEN] -= amount
            acct[CASH_AVAIL] += amount
        else:
            acct[ALLOW_FROZEN] -= qty
            acct[ALLOW_AVAIL] += qty

    def _unlink(self, o: list) -> None:
        """Take a resting order off its level (at once: the level queues hold live orders only)."""
        idx = (o[3] - self.lo) // self.tick
        if o[2] == BUY:
            q = self.bq[idx] - o[4]
            self.bq[idx] = q
            del self.bids[idx][o[0]]
            if not q:
                self.bm[idx] = 0
                if idx == self.best_bid:
                    self.best_bid = self.bm.rfind(1, 0, idx)
        else:
            q = self.aq[idx] - o[4]
            self.aq[idx] = q
            del self.asks[idx][o[0]]
            if not q:
                self.am[idx] = 0
                if idx == self.best_ask:
                    nxt = self.am.find(1, idx)
                    self.best_ask = nxt if nxt >= 0 else self.n
        o[4] = 0

    def _rest(self, o: list) -> None:
        """Put order ``o`` (its open quantity already frozen) at the back of its price level."""
        idx = (o[3] - self.lo) // self.tick
        self.orders[o[0]] = o
        if o[2] == BUY:
            self.bids[idx][o[0]] = o
            self.bq[idx] += o[4]
            self.bm[idx] = 1
            if idx > self.best_bid:
                self.best_bid = idx
        else:
            self.asks[idx][o[0]] = o
            self.aq[idx] += o[4]
            self.am[idx] = 1
            if idx < self.best_ask:
                self.best_ask = idx

    def _record_day(self, kind: int, price: int, qty: int) -> None:
        self.d_trades += 1
        self.d_kind_vol[kind] += qty
        self.d_kind_val[kind] += price * qty
        if kind in ELIGIBLE_KINDS:
            if not self.d_open:
                self.d_open = price
            if price > self.d_high:
                self.d_high = price
            if not self.d_low or price < self.d_low:
                self.d_low = price
            self.d_vol += qty
            self.d_val += price * qty

    # -- orders ---------------------------------------------------------------------------------------------------
    # :meth:`run` is the one implementation of order entry and cancel: it applies a batch of command tuples
    # with the book's structures held in local variables (a local costs a few ns, an attribute 20–35 ns), does
    # the common checks, rests limit orders and cancels inline (a crossing limit order calls
    # :meth:`_match_buy` / :meth:`_match_sell` first), and hands refusals and other order types to
    # :meth:`_place_slow` (then :meth:`_place_special` / :meth:`_accept_and_match`). A refusal is returned
    # as a *refusal tuple*
    # ``(constructor, *args)``: building the error with its messages is left to whoever needs it
    # (:func:`refusal`), so a refused cancel in a batch costs a tuple, not an exception. :meth:`place` and
    # :meth:`cancel` are batches of one that raise.
    def place(
        self,
        owner: int,
        side: int,
        price: int,
        qty: int,
        otype: int = LIMIT,
        client_id: str | None = None,
        now: int = 0,
    ) -> int:
        """Enter an order; returns its id. Trades and removals are left in ``fills`` / ``removed``."""
        before = self.now
        (r,) = self.run([(PLACE, owner, side, price, qty, otype, client_id)], now or before)
        if type(r) is tuple:
            self.now = before  # a refusal changes nothing, not even the time of the last command
            raise r[0](*r[1:])
        return r

    def cancel(self, owner: int, oid: int, now: int = 0) -> int:
        """Cancel a resting order of ``owner``; returns the quantity released."""
        before = self.now
        (r,) = self.run([(CANCEL, owner, oid)], now or before)
        if type(r) is tuple:
            self.now = before
            raise r[0](*r[1:])
        return r

    def run(self, batch: list[tuple], now: int) -> list[Any]:
        """Apply a batch of command tuples at time ``now``; returns one result per command: an int on
        success, a refusal (tuple or error, see :func:`refusal`) otherwise. Tuples:
        ``(PLACE, owner, side, price, qty, type, client_id)``, ``(CANCEL, owner, order_id)``, or
        ``(OTHER, op_dict)`` for anything else (see :func:`apply`).

        The fast path is a limit order that passes every check, and a cancel: one compound test (each rule
        is one comparison in it), then the book is changed with the structures in local variables (a
        crossing order calls the matching loop of its side). Anything else — a refusal, another order
        type — takes :meth:`_place_slow`, which runs the checks one by one in their documented order so
        that the refusal code is the first rule broken."""
        self.now = now
        out: list[Any] = []
        orders = self.orders
        accounts = self.accounts
        seen = self.seen
        accepting = self.phase == OPEN
        listing = self.listing
        lot = self.lot
        level_max = LEVEL_TOTAL_MAX
        lo, hi, tick, n = self.lo, self.hi, self.tick, self.n
        # prices within the day's limits are 64-bit integers whenever the upper limit is (any real market): then
        # a price's level index is computed from pc / lo_c / tick_c, C integers in the compiled build
        c_prices = hi <= level_max
        lo_c = lo if c_prices else 0
        tick_c = tick if c_prices else 1
        # the fast path's quantity bound: below the listing maximum and below the level-total limit, so that a
        # quantity it accepts is a 64-bit integer (qn); 0 (no fast path: the checks one by one) if prices are not
        max_qty = (self.max_qty if self.max_qty < level_max else level_max) if c_prices else 0
        # a lot of 1 t and a tick of 1 fen (the national market's) make those two rules true for any integer:
        # a flag test instead of a division
        any_lot, any_tick = lot == 1, tick == 1
        order_unknown = E.order_unknown
        bids, asks, bq, aq, bm, am = self.bids, self.asks, self.bq, self.aq, self.bm, self.am
        best_bid, best_ask, next_oid = self.best_bid, self.best_ask, self.next_oid
        for c in batch:
            if c[0] == 1:  # cancel --------------------------------------------------------------------------
                _, owner, oid = c
                o = orders.pop(oid, None)
                if o is None:
                    out.append((order_unknown, oid))
                    continue
                if o[1] != owner:
                    orders[oid] = o  # not the owner's: put back untouched
                    out.append((E.not_your_order, oid))
                    continue
                q = o[4]
                acct = o[7]
                if c_prices:
                    pc = o[3]
                    idx = pc - lo_c if any_tick else (pc - lo_c) // tick_c
                else:
                    idx = (o[3] - lo) // tick
                if o[2] == 0:
                    amount = o[3] * q
                    acct[1] -= amount
                    acct[0] += amount
                    bq[idx] -= q  # in place: the compiled build subtracts in C (no int object made)
                    level = bids[idx]
                    del level[oid]
                    if not bq[idx]:
                        bm[idx] = 0
                        if idx == best_bid:
                            best_bid = bm.rfind(1, 0, idx)
                else:
                    acct[3] -= q
                    acct[2] += q
                    aq[idx] -= q
                    level = asks[idx]
                    del level[oid]
                    if not aq[idx]:
                        am[idx] = 0
                        if idx == best_ask:
                            best_ask = am.find(1, idx)
                            if best_ask < 0:
                                best_ask = n
                out.append(q)
                continue
            if c[0] == 0:  # place -----------------------------------------------------------------------------
                _, owner, side, price, qty, otype, client_id = c
                acct = accounts.get(owner)
                if (
                    accepting
                    and acct is not None
                    and type(qty) is int
                    and type(price) is int
                    and qty > 0  # not chained (0 < qty < max_qty): two plain comparisons cost fewer instructions
                    and qty < max_qty
                    and price >= lo
                    and price <= hi
                    and not otype
                    and (any_lot or not qty % lot)
                    and (any_tick or not price % tick)
                    and (client_id is None or (owner, client_id) not in seen)
                ):
                    pc = price
                    idx = pc - lo_c if any_tick else (pc - lo_c) // tick_c
                    qn = qty
                    if side == 0:
                        amount = price * qty
                        cash = acct[0]
                        if cash >= amount and (best_ask > idx or not listing) and qn <= level_max - bq[idx]:
                            # a buy limit order that passed every check: accepted here
                            if client_id is not None:
                                seen.add((owner, client_id))
                            o = [next_oid, owner, 0, price, qty, qty, 0, acct, client_id, 0]
                            if best_ask <= idx:  # crossing: match, then the rest (if any) rests
                                self.best_ask = best_ask
                                self._match_buy(o, idx)
                                best_ask = self.best_ask
                                qty = o[4]
                                if not qty:
                                    out.append(next_oid)
                                    next_oid += 1
                                    continue
                                amount = price * qty
                                cash = acct[0]
                            # resting: the most frequent command
                            orders[next_oid] = o
                            acct[0] = cash - amount  # the value read for the check: no second subscript
                            acct[1] += amount
                            level = bids[idx]
                            level[next_oid] = o
                            bq[idx] += qty
                            bm[idx] = 1
                            if idx > best_bid:
                                best_bid = idx
                            out.append(next_oid)
                            next_oid += 1
                            continue
                    elif (
                        side == 1
                        and (held := acct[2]) >= qty
                        and (best_bid < idx or not listing)
                        and qn <= level_max - aq[idx]
                    ):
                        if client_id is not None:
                            seen.add((owner, client_id))
                        o = [next_oid, owner, 1, price, qty, qty, 0, acct, client_id, 0]
                        if best_bid >= idx:
                            self.best_bid = best_bid
                            self._match_sell(o, idx)
                            best_bid = self.best_bid
                            qty = o[4]
                            if not qty:
                                out.append(next_oid)
                                next_oid += 1
                                continue
                            held = acct[2]
                        orders[next_oid] = o
                        acct[2] = held - qty
                        acct[3] += qty
                        level = asks[idx]
                        level[next_oid] = o
                        aq[idx] += qty
                        am[idx] = 1
                        if idx < best_ask:
                            best_ask = idx
                        out.append(next_oid)
                        next_oid += 1
                        continue
                # a refusal, or another order type (market-to-limit, IOC, FOK): the checks one by one
                self.best_bid, self.best_ask, self.next_oid = best_bid, best_ask, next_oid
                out.append(self._place_slow(acct, owner, side, price, qty, otype, client_id, listing))
                best_bid, best_ask, next_oid = self.best_bid, self.best_ask, self.next_oid
                continue
            # anything else: through the dictionary form, then pick the (possibly rebuilt) structures up again
            self.best_bid, self.best_ask, self.next_oid = best_bid, best_ask, next_oid
            try:
                out.append(apply(self, c[1], now))
            except YiwangError as exc:
                out.append(exc)
            orders, accounts, seen, listing = self.orders, self.accounts, self.seen, self.listing
            accepting = self.phase == OPEN
            lot = self.lot
            lo, hi, tick, n = self.lo, self.hi, self.tick, self.n
            c_prices = hi <= level_max
            lo_c = lo if c_prices else 0
            tick_c = tick if c_prices else 1
            max_qty = (self.max_qty if self.max_qty < level_max else level_max) if c_prices else 0
            any_lot, any_tick = lot == 1, tick == 1
            bids, asks, bq, aq, bm, am = self.bids, self.asks, self.bq, self.aq, self.bm, self.am
            best_bid, best_ask, next_oid = self.best_bid, self.best_ask, self.next_oid
        self.best_bid, self.best_ask, self.next_oid = best_bid, best_ask, next_oid
        return out

    def _place_slow(
        self, acct: list | None, owner: int, side: Any, price: Any, qty: Any, otype: Any, client_id: Any, listing: bool
    ) -> Any:
        """An order the fast path of :meth:`run` did not rest: the checks in their order (the first rule
        broken gives the refusal), then matching."""
        if self.phase != OPEN:
            return (E.market_closed, self.phase)
        if acct is None:
            return (E.account_unknown, owner)
        if qty.__class__ is not int or qty <= 0:
            return (E.bad_quantity, qty)
        if qty % self.lot:
            return (E.wrong_lot, qty, self.lot)
        if qty >= self.max_qty:
            return (E.listing_too_large, qty, self.max_qty)
        if client_id is not None and (owner, client_id) in self.seen:
            return (E.duplicate_client_order_id, client_id)
        if otype or (side != 0 and side != 1):
            return self._place_special(acct, owner, side, price, qty, otype, client_id)
        lo, tick = self.lo, self.tick
        if price.__class__ is not int or price <= 0:
            return (E.bad_price, price)
        if price % tick:
            return (E.wrong_tick, price, tick)
        if price < lo or price > self.hi:
            return (E.price_out_of_band, price, lo, self.hi, "carbon.listing_price_limit")
        idx = (price - lo) // tick
        if side == 0:
            amount = price * qty
            if acct[0] < amount:
                return (E.insufficient_cash, amount, acct[0])
            if self.best_ask <= idx and listing:
                return (E.listing_would_cross, price, lo + self.best_ask * tick)
            total = self.bq[idx]
        else:
            if acct[2] < qty:
                return (E.insufficient_allowances, qty, acct[2])
            if self.best_bid >= idx and listing:
                return (E.listing_would_cross, price, lo + self.best_bid * tick)
            total = self.aq[idx]
        if qty > LEVEL_TOTAL_MAX - total:
            return (E.level_total_limit, qty, total, LEVEL_TOTAL_MAX)
        return self._accept_and_match(acct, owner, side, price, qty, otype, client_id, idx)

    def _place_special(
        self, acct: list, owner: int, side: int, price: Any, qty: int, otype: Any, client_id: Any
    ) -> Any:
        """Market-to-limit, IOC and FOK orders, and orders with an invalid side (the checks after the common
        ones)."""
        if otype not in (LIMIT, MARKET, IOC, FOK):
            return (E.bad_order_type, otype)
        if side not in (BUY, SELL):
            return (E.bad_side, side)
        if self.listing:
            return (E.wrong_mode, ORDER_TYPE_NAMES[otype] + " order", self.mode)
        if otype == MARKET:
            if side == BUY:
                if self.best_ask >= self.n:
                    return (E.no_liquidity,)
                price = self.lo + self.best_ask * self.tick
            else:
                if self.best_bid < 0:
                    return (E.no_liquidity,)
                price = self.lo + self.best_bid * self.tick
        else:
            if price.__class__ is not int or price <= 0:
                return (E.bad_price, price)
            if price % self.tick:
                return (E.wrong_tick, price, self.tick)
            if price < self.lo or price > self.hi:
                return (E.price_out_of_band, price, self.lo, self.hi, "carbon.listing_price_limit")
        if side == BUY:
            if acct[0] < price * qty:
                return (E.insufficient_cash, price * qty, acct[0])
        elif acct[2] < qty:
            return (E.insufficient_allowances, qty, acct[2])
        idx = (price - self.lo) // self.tick
        total = self.bq[idx] if side == BUY else self.aq[idx]
        if qty > LEVEL_TOTAL_MAX - total:
            return (E.level_total_limit, qty, total, LEVEL_TOTAL_MAX)
        return self._accept_and_match(acct, owner, side, price, qty, otype, client_id, idx)

    def _accept_and_match(
        self, acct: list, owner: int, side: int, price: int, qty: int, otype: int, client_id: Any, idx: int
    ) -> int:
        """Accept a checked order of the continuous book and match it; whatever is left rests (limit,
        market-to-limit) or is cancelled (IOC, FOK)."""
        if client_id is not None:
            self.seen.add((owner, client_id))
        oid = self.next_oid
        self.next_oid = oid + 1
        o = [oid, owner, side, price, qty, qty, 0, acct, client_id, otype]
        if otype == FOK and not self._fillable(o, idx):
            self.removed.append((oid, "fok", qty, side, price, owner))
            return oid
        if side == BUY:
            if self.best_ask <= idx:
                self._match_buy(o, idx)
        elif self.best_bid >= idx:
            self._match_sell(o, idx)
        if o[4]:
            if otype in (LIMIT, MARKET):
                self._freeze_and_rest(o)
            else:
                self.removed.append((oid, "ioc" if otype == IOC else "fok", o[4], side, price, owner))
        return oid

    def _freeze_and_rest(self, o: list) -> None:
        acct = o[7]
        if o[2] == BUY:
            amount = o[3] * o[4]
            acct[0] -= amount
            acct[1] += amount
        else:
            acct[2] -= o[4]
            acct[3] += o[4]
        self._rest(o)

    def _fillable(self, o: list, limit_idx: int) -> bool:
        """Whether order ``o`` could fill completely now (resting orders of its owner do not count)."""
        need = o[4]
        owner = o[1]
        if o[2] == BUY:
            levels, qtys, i, step, stop = self.asks, self.aq, self.best_ask, 1, limit_idx + 1
        else:
            levels, qtys, i, step, stop = self.bids, self.bq, self.best_bid, -1, limit_idx - 1
        while i != stop and 0 <= i < self.n:
            if qtys[i]:
                for m in levels[i].values():
                    if m[4] and m[1] != owner:
                        need -= m[4]
                        if need <= 0:
                            return True
            i += step
        return False

    # The matching loops: per fill only what belongs to the maker (its order, its account, the trade); the
    # taker's account, the level's quantity and the day's statistics change once per price level.
    def _match_buy(self, o: list, limit_idx: int) -> None:
        asks = self.asks
        aq = self.aq
        am = self.am
        orders = self.orders
        fills = self.fills
        n = self.n
        lo = self.lo
        tick = self.tick
        now = self.now
        acct = o[7]
        owner = o[1]
        oid = o[0]
        qty = o[4]
        tid = start = self.next_tid
        i = self.best_ask
        vol = val = 0
        first = high = low = 0
        while qty and i <= limit_idx:
            level = asks[i]
            p = lo + i * tick
            done = []  # the front of the level consumed here: deleted after the walk
            before = qty
            for m in level.values():
                mq = m[4]
                if m[1] == owner:  # self-trade prevention: the resting order is cancelled
                    done.append(m[0])
                    aq[i] -= mq
                    self._release(m, mq)
                    m[4] = 0
                    del orders[m[0]]
                    self.removed.append((m[0], "stp", mq, m[2], m[3], m[1]))
                    continue
                if mq <= qty:
                    q = mq
                    done.append(m[0])
                    m[4] = 0
                    del orders[m[0]]
                else:
                    q = qty
                    m[4] = mq - q
                m[6] += q
                qty -= q
                ma = m[7]
                ma[3] -= q
                ma[0] += p * q
                fills.append((tid, 0, p, q, oid, m[0], owner, m[1], 0, now, 0))
                tid += 1
                if not qty:
                    break
            took = before - qty
            if took:
                amount = p * took
                acct[0] -= amount
                acct[2] += took
                vol += took
                val += amount
                if not first:
                    first = low = p
                high = p
                aq[i] -= took
            if aq[i]:
                for k in done:
                    del level[k]
            else:
                level.clear()
                am[i] = 0
                i = am.find(1, i)
                if i < 0:
                    i = n
        self.best_ask = i
        o[6] += o[4] - qty
        o[4] = qty
        if tid != start:
            self.next_tid = tid
            self._add_stats(tid - start, vol, val, first, high, low)

    def _match_sell(self, o: list, limit_idx: int) -> None:
        bids = self.bids
        bq = self.bq
        bm = self.bm
        orders = self.orders
        fills = self.fills
        lo = self.lo
        tick = self.tick
        now = self.now
        acct = o[7]
        owner = o[1]
        oid = o[0]
        qty = o[4]
        tid = start = self.next_tid
        i = self.best_bid
        vol = val = 0
        first = high = low = 0
        while qty and i >= limit_idx:
            level = bids[i]
            p = lo + i * tick
            done = []
            before = qty
            for m in level.values():
                mq = m[4]
                if m[1] == owner:
                    done.append(m[0])
                    bq[i] -= mq
                    self._release(m, mq)
                    m[4] = 0
                    del orders[m[0]]
                    self.removed.append((m[0], "stp", mq, m[2], m[3], m[1]))
                    continue
                if mq <= qty:
                    q = mq
                    done.append(m[0])
                    m[4] = 0
                    del orders[m[0]]
                else:
                    q = qty
                    m[4] = mq - q
                m[6] += q
                qty -= q
                ma = m[7]
                ma[1] -= p * q
                ma[2] += q
                fills.append((tid, 0, p, q, m[0], oid, m[1], owner, 1, now, 0))
                tid += 1
                if not qty:
                    break
            took = before - qty
            if took:
                amount = p * took
                acct[2] -= took
                acct[0] += amount
                vol += took
                val += amount
                if not first:
                    first = high = p
                low = p
                bq[i] -= took
            if bq[i]:
                for k in done:
                    del level[k]
            else:
                level.clear()
                bm[i] = 0
                i = bm.rfind(1, 0, i)
        self.best_bid = i
        o[6] += o[4] - qty
        o[4] = qty
        if tid != start:
            self.next_tid = tid
            self._add_stats(tid - start, vol, val, first, high, low)

    def _add_stats(self, count: int, vol: int, val: int, first: int, high: int, low: int) -> None:
        self.d_trades += count
        self.d_kind_vol[0] += vol
        self.d_kind_val[0] += val
        self.d_vol += vol
        self.d_val += val
        if not self.d_open:
            self.d_open = first
        if high > self.d_high:
            self.d_high = high
        if not self.d_low or low < self.d_low:
            self.d_low = low

    def amend(self, owner: int, oid: int, price: int | None = None, qty: int | None = None, now: int = 0) -> None:
        """Change a resting order's price and/or open quantity. Reducing the quantity keeps the order's
        place in the queue; raising it or changing the price sends it to the back (and, in the
        continuous book, an amended price that crosses the opposite side trades at once)."""
        if self.phase != OPEN:
            raise E.market_closed(self.phase)
        o = self.orders.get(oid)
        if o is None:
            raise E.order_unknown(oid)
        if o[1] != owner:
            raise E.not_your_order(oid)
        new_price = o[3] if price is None else price
        new_qty = o[4] if qty is None else qty
        self._check_qty(new_qty)
        if new_qty >= self.rules.listing_max_t:
            raise E.listing_too_large(new_qty, self.rules.listing_max_t)
        if new_price != o[3]:
            self._check_price(new_price, self.lo, self.hi, "carbon.listing_price_limit")
        if new_price == o[3] and new_qty == o[4]:
            raise E.amend_nothing(oid)
        acct = o[7]
        side = o[2]
        if side == BUY:
            extra = new_price * new_qty - o[3] * o[4]
            if extra > acct[CASH_AVAIL]:
                raise E.insufficient_cash(extra, acct[CASH_AVAIL])
        else:
            extra = new_qty - o[4]
            if extra > acct[ALLOW_AVAIL]:
                raise E.insufficient_allowances(extra, acct[ALLOW_AVAIL])
        idx = (new_price - self.lo) // self.tick
        if self.listing and new_price != o[3]:
            if side == BUY and self.best_ask <= idx:
                raise E.listing_would_cross(new_price, self.lo + self.best_ask * self.tick)
            if side == SELL and self.best_bid >= idx:
                raise E.listing_would_cross(new_price, self.lo + self.best_bid * self.tick)
        total = self.bq[idx] if side == BUY else self.aq[idx]
        if new_price == o[3]:
            total -= o[4]  # the order's own quantity leaves the level it comes back to
        if new_qty > LEVEL_TOTAL_MAX - total:
            raise E.level_total_limit(new_qty, total, LEVEL_TOTAL_MAX)
        if now:
            self.now = now
        if new_price == o[3] and new_qty < o[4]:
            # keeps priority: reduce in place
            cut = o[4] - new_qty
            self._release(o, cut)
            o[4] = new_qty
            lvl_idx = (o[3] - self.lo) // self.tick
            if side == BUY:
                self.bq[lvl_idx] -= cut
            else:
                self.aq[lvl_idx] -= cut
            return
        # loses priority: leave the level, come back as a fresh entry with the same id
        open_before = o[4]
        self._release(o, open_before)
        self._unlink(o)
        del self.orders[oid]
        fresh = [oid, owner, side, new_price, new_qty, o[5] + max(new_qty - open_before, 0), o[6], acct, o[8], o[9]]
        # the cancelled part of a reduction at a new price counts as cancelled
        if not self.listing:
            if side == BUY and self.best_ask <= idx:
                self._match_buy(fresh, idx)
            elif side == SELL and self.best_bid >= idx:
                self._match_sell(fresh, idx)
        if fresh[4]:
            self._freeze_and_rest(fresh)

    # -- 挂牌协议: click-to-trade -----------------------------------------------------------------------------------
    def take(self, owner: int, target: int, qty: int, client_id: str | None = None, now: int = 0) -> int:
        """摘牌: trade ``qty`` against the resting listing ``target`` at its price. The listing must be within
        the counterparty's best N price levels; returns the taker's order id (fully filled at once)."""
        if not self.listing:
            raise E.wrong_mode("take", self.mode)
        if self.phase != OPEN:
            raise E.market_closed(self.phase)
        acct = self._account(owner)
        m = self.orders.get(target)
        if m is None:
            raise E.order_unknown(target)
        if m[1] == owner:
            raise E.take_own_order(target)
        self._check_qty(qty)
        if qty > m[4]:
            raise E.take_too_much(qty, m[4])
        if client_id is not None and (owner, client_id) in self.seen:
            raise E.duplicate_client_order_id(client_id)
        idx = (m[3] - self.lo) // self.tick
        levels = self.rules.levels
        if m[2] == SELL:
            qtys, i, step = self.aq, self.best_ask, 1
        else:
            qtys, i, step = self.bq, self.best_bid, -1
        rank = 0
        while True:
            if qtys[i]:
                rank += 1
            if i == idx or rank > levels:
                break
            i += step
        if rank > levels:
            raise E.not_in_best_levels(target, levels)
        p = m[3]
        amount = p * qty
        if m[2] == SELL:
            if acct[CASH_AVAIL] < amount:
                raise E.insufficient_cash(amount, acct[CASH_AVAIL])
        elif acct[ALLOW_AVAIL] < qty:
            raise E.insufficient_allowances(qty, acct[ALLOW_AVAIL])
        if now:
            self.now = now
        if client_id is not None:
            self.seen.add((owner, client_id))
        oid = self.next_oid
        self.next_oid = oid + 1
        ma = m[7]
        if m[2] == SELL:
            ma[ALLOW_FROZEN] -= qty
            ma[CASH_AVAIL] += amount
            acct[CASH_AVAIL] -= amount
            acct[ALLOW_AVAIL] += qty
            trade = (self.next_tid, T_LISTING, p, qty, oid, m[0], owner, m[1], BUY, self.now, 0)
        else:
            ma[CASH_FROZEN] -= amount
            ma[ALLOW_AVAIL] += qty
            acct[ALLOW_AVAIL] -= qty
            acct[CASH_AVAIL] += amount
            trade = (self.next_tid, T_LISTING, p, qty, m[0], oid, m[1], owner, SELL, self.now, 0)
        self.next_tid += 1
        self.fills.append(trade)
        m[6] += qty
        if qty == m[4]:
            del self.orders[m[0]]
            self._unlink(m)  # takes the whole open quantity off the level
        else:
            m[4] -= qty
            if m[2] == SELL:
                self.aq[idx] -= qty
            else:
                self.bq[idx] -= qty
        self._record_day(T_LISTING, p, qty)
        return oid

    # -- 大宗协议: block trades -------------------------------------------------------------------------------------
    def propose_block(self, owner: int, side: int, counterparty: int, price: int, qty: int, now: int = 0) -> int:
        """A negotiated block trade offered to ``counterparty``; the proposer's side is frozen until the
        counterparty confirms or rejects, the proposer withdraws, or the day ends."""
        if self.phase != OPEN:
            raise E.market_closed(self.phase)
        acct = self._account(owner)
        self._account(counterparty)
        if counterparty == owner:
            raise E.self_counterparty()
        if side not in (BUY, SELL):
            raise E.bad_side(side)
        self._check_qty(qty)
        if qty < self.rules.block_min_t:
            raise E.block_too_small(qty, self.rules.block_min_t)
        self._check_price(price, self.block_lo, self.block_hi, "carbon.block_price_limit")
        amount = price * qty
        if side == BUY:
            if acct[CASH_AVAIL] < amount:
                raise E.insufficient_cash(amount, acct[CASH_AVAIL])
        elif acct[ALLOW_AVAIL] < qty:
            raise E.insufficient_allowances(qty, acct[ALLOW_AVAIL])
        if now:
            self.now = now
        pid = self.next_pid
        self.next_pid = pid + 1
        if side == BUY:
            acct[CASH_AVAIL] -= amount
            acct[CASH_FROZEN] += amount
        else:
            acct[ALLOW_AVAIL] -= qty
            acct[ALLOW_FROZEN] += qty
        self.proposals[pid] = [pid, owner, side, counterparty, price, qty]
        return pid

    def _release_proposal(self, prop: list) -> None:
        acct = self.accounts[prop[1]]
        if prop[2] == BUY:
            amount = prop[4] * prop[5]
            acct[CASH_FROZEN] -= amount
            acct[CASH_AVAIL] += amount
        else:
            acct[ALLOW_FROZEN] -= prop[5]
            acct[ALLOW_AVAIL] += prop[5]

    def _proposal(self, pid: int) -> list:
        prop = self.proposals.get(pid)
        if prop is None:
            raise E.proposal_unknown(pid)
        return prop

    def confirm_block(self, owner: int, pid: int, now: int = 0) -> int:
        """The counterparty accepts: the block trade executes (DvP); returns the trade id."""
        if self.phase != OPEN:
            raise E.market_closed(self.phase)
        prop = self._proposal(pid)
        if prop[3] != owner:
            raise E.not_counterparty(pid)
        _, proposer, side, _, price, qty = prop
        acct = self.accounts[owner]
        amount = price * qty
        if side == SELL:  # the confirming counterparty buys
            if acct[CASH_AVAIL] < amount:
                raise E.insufficient_cash(amount, acct[CASH_AVAIL])
        elif acct[ALLOW_AVAIL] < qty:
            raise E.insufficient_allowances(qty, acct[ALLOW_AVAIL])
        if now:
            self.now = now
        del self.proposals[pid]
        pa = self.accounts[proposer]
        if side == SELL:
            buyer, seller = owner, proposer
            pa[ALLOW_FROZEN] -= qty
            pa[CASH_AVAIL] += amount
            acct[CASH_AVAIL] -= amount
            acct[ALLOW_AVAIL] += qty
        else:
            buyer, seller = proposer, owner
            pa[CASH_FROZEN] -= amount
            pa[ALLOW_AVAIL] += qty
            acct[ALLOW_AVAIL] -= qty
            acct[CASH_AVAIL] += amount
        tid = self.next_tid
        self.next_tid = tid + 1
        self.fills.append((tid, T_BLOCK, price, qty, 0, 0, buyer, seller, 1 - side, self.now, pid))
        self._record_day(T_BLOCK, price, qty)
        return tid

    def withdraw_block(self, owner: int, pid: int, now: int = 0) -> None:
        if self.phase == CLOSED:
            raise E.no_trading_day()
        prop = self._proposal(pid)
        if prop[1] != owner:
            raise E.not_proposer(pid)
        if now:
            self.now = now
        del self.proposals[pid]
        self._release_proposal(prop)

    def reject_block(self, owner: int, pid: int, now: int = 0) -> None:
        if self.phase == CLOSED:
            raise E.no_trading_day()
        prop = self._proposal(pid)
        if prop[3] != owner:
            raise E.not_counterparty(pid)
        if now:
            self.now = now
        del self.proposals[pid]
        self._release_proposal(prop)

    # -- 配额回购: repo ---------------------------------------------------------------------------------------------
    # repo record: [rid, seller, buyer, qty, price_open, price_close, repurchase_day, margin, state]
    #   state 0 = proposed (seller's allowances and margin frozen), 1 = open (first leg done)
    def propose_repo(
        self,
        seller: int,
        buyer: int,
        qty: int,
        price_open: int,
        price_close: int,
        repurchase_day: int,
        margin_fen: int,
        now: int = 0,
    ) -> int:
        """The initial seller offers a repo: sell ``qty`` now at ``price_open``, buy back on
        ``repurchase_day`` at ``price_close``. Not splittable: the buyer takes all of it or nothing. The
        seller posts ``margin_fen`` of cash, held until the repurchase and forfeited to the buyer on default."""
        if self.phase != OPEN:
            raise E.market_closed(self.phase)
        sa = self._account(seller)
        self._account(buyer)
        if seller == buyer:
            raise E.self_counterparty()
        self._check_qty(qty)
        if qty < self.rules.repo_min_t:
            raise E.repo_too_small(qty, self.rules.repo_min_t)
        for value, field in ((price_open, "price_open_fen"), (price_close, "price_close_fen")):
            if type(value) is not int or value <= 0:
                raise E.repo_terms_invalid("价格必须是正整数（分）", "prices must be positive fen", field)
            if value % self.tick:
                raise E.wrong_tick(value, self.tick)
        if type(repurchase_day) is not int or repurchase_day <= self.day:
            raise E.repo_terms_invalid("购回日必须晚于今日", "the repurchase day must be after today", "repurchase_day")
        if type(margin_fen) is not int or margin_fen < 0:
            raise E.repo_terms_invalid("保证金不能为负", "the margin cannot be negative", "margin_fen")
        if sa[ALLOW_AVAIL] < qty:
            raise E.insufficient_allowances(qty, sa[ALLOW_AVAIL])
        if sa[CASH_AVAIL] < margin_fen:
            raise E.insufficient_cash(margin_fen, sa[CASH_AVAIL])
        if now:
            self.now = now
        rid = self.next_rid
        self.next_rid = rid + 1
        sa[ALLOW_AVAIL] -= qty
        sa[ALLOW_FROZEN] += qty
        sa[CASH_AVAIL] -= margin_fen
        sa[CASH_MARGIN] += margin_fen
        self.repos[rid] = [rid, seller, buyer, qty, price_open, price_close, repurchase_day, margin_fen, 0]
        return rid

    def _repo(self, rid: int, state: int) -> list:
        repo = self.repos.get(rid)
        if repo is None or repo[8] != state:
            raise E.repo_unknown(rid)
        return repo

    def _release_repo_proposal(self, repo: list) -> None:
        sa = self.accounts[repo[1]]
        sa[ALLOW_FROZEN] -= repo[3]
        sa[ALLOW_AVAIL] += repo[3]
        sa[CASH_MARGIN] -= repo[7]
        sa[CASH_AVAIL] += repo[7]

    def confirm_repo(self, owner: int, rid: int, now: int = 0) -> int:
        """The initial buyer accepts: first leg (allowances to the buyer, held under the repo until it
        ends; cash to the seller). Returns the trade id of the first leg."""
        if self.phase != OPEN:
            raise E.market_closed(self.phase)
        repo = self._repo(rid, 0)
        if repo[2] != owner:
            raise E.not_counterparty(rid)
        _, seller, buyer, qty, p_open, _, _, _, _ = repo
        ba = self.accounts[buyer]
        amount = p_open * qty
        if ba[CASH_AVAIL] < amount:
            raise E.insufficient_cash(amount, ba[CASH_AVAIL])
        if now:
            self.now = now
        sa = self.accounts[seller]
        sa[ALLOW_FROZEN] -= qty
        sa[CASH_AVAIL] += amount
        ba[CASH_AVAIL] -= amount
        ba[ALLOW_REPO] += qty
        repo[8] = 1
        tid = self.next_tid
        self.next_tid = tid + 1
        self.fills.append((tid, T_REPO_OPEN, p_open, qty, 0, 0, buyer, seller, BUY, self.now, rid))
        self._record_day(T_REPO_OPEN, p_open, qty)
        return tid

    def withdraw_repo(self, owner: int, rid: int, now: int = 0) -> None:
        repo = self._repo(rid, 0)
        if repo[1] != owner:
            raise E.not_proposer(rid)
        if now:
            self.now = now
        del self.repos[rid]
        self._release_repo_proposal(repo)

    def reject_repo(self, owner: int, rid: int, now: int = 0) -> None:
        repo = self._repo(rid, 0)
        if repo[2] != owner:
            raise E.not_counterparty(rid)
        if now:
            self.now = now
        del self.repos[rid]
        self._release_repo_proposal(repo)

    def settle_repo(self, rid: int, now: int = 0) -> int:
        """On (or after) the repurchase day: the seller buys back at the agreed price, paying with its
        margin first and then its available cash. If that is not enough, the seller defaults: the buyer
        keeps the allowances and receives the margin. Returns the second leg's trade id, or 0 on default."""
        if self.phase != OPEN:
            raise E.market_closed(self.phase)
        repo = self._repo(rid, 1)
        _, seller, buyer, qty, _, p_close, due, margin, _ = repo
        if self.day < due:
            raise E.repo_not_due(rid, due)
        if now:
            self.now = now
        sa = self.accounts[seller]
        ba = self.accounts[buyer]
        amount = p_close * qty
        del self.repos[rid]
        sa[CASH_MARGIN] -= margin
        ba[ALLOW_REPO] -= qty
        if sa[CASH_AVAIL] + margin >= amount:
            sa[CASH_AVAIL] += margin - amount
            ba[CASH_AVAIL] += amount
            sa[ALLOW_AVAIL] += qty
            tid = self.next_tid
            self.next_tid = tid + 1
            self.fills.append((tid, T_REPO_CLOSE, p_close, qty, 0, 0, seller, buyer, BUY, self.now, rid))
            self._record_day(T_REPO_CLOSE, p_close, qty)
            return tid
        ba[CASH_AVAIL] += margin
        ba[ALLOW_AVAIL] += qty
        self.notes.append(("repo_defaulted", rid, seller, buyer, qty, margin))
        return 0

    # -- reads ------------------------------------------------------------------------------------------------------
    def depth(self, levels: int = 5) -> dict[str, list[tuple[int, int, int]]]:
        """The best ``levels`` price levels per side: (price, quantity, number of orders)."""
        out: dict[str, list[tuple[int, int, int]]] = {"bids": [], "asks": []}
        i = self.best_bid
        while i >= 0 and len(out["bids"]) < levels:
            if self.bq[i]:
                out["bids"].append((self.lo + i * self.tick, self.bq[i], len(self.bids[i])))
            i -= 1
        i = self.best_ask
        while i < self.n and len(out["asks"]) < levels:
            if self.aq[i]:
                out["asks"].append((self.lo + i * self.tick, self.aq[i], len(self.asks[i])))
            i += 1
        return out

    def best(self) -> tuple[int | None, int | None]:
        bid = self.lo + self.best_bid * self.tick if self.best_bid >= 0 else None
        ask = self.lo + self.best_ask * self.tick if self.best_ask < self.n else None
        return bid, ask

    def book_orders(self, side: int) -> list[list]:
        """Live orders of one side in priority order (best price first, then time)."""
        if side == BUY:
            rng = range(self.best_bid, -1, -1)
            levels = self.bids
        else:
            rng = range(self.best_ask, self.n)
            levels = self.asks
        return [o for i in rng for o in levels[i].values()]

    def balances(self, owner: int) -> dict[str, int]:
        acct = self._account(owner)
        return dict(
            zip(
                (
                    "cash_available",
                    "cash_frozen",
                    "allowance_available",
                    "allowance_frozen",
                    "allowance_repo",
                    "cash_margin",
                ),
                acct,
                strict=True,
            )
        )

    def totals(self) -> tuple[int, int]:
        """All cash and all allowances held in the market (for conservation checks)."""
        cash = allow = 0
        for a in self.accounts.values():
            cash += a[0] + a[1] + a[5]
            allow += a[2] + a[3] + a[4]
        return cash, allow

    # -- snapshot, restore, state hash ------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON values (live orders in priority order; no lazily-deleted entries)."""

        def order_json(o: list) -> list:
            return [o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[8], o[9]]

        return {
            "v": SNAPSHOT_VERSION,
            "code": self.code,
            "mode": self.mode,
            "next": [self.next_oid, self.next_tid, self.next_pid, self.next_rid],
            "now": self.now,
            "phase": self.phase,
            "day": self.day,
            "last_close": self.last_close,
            "reference": self.reference,
            "rules": self.rules.as_json(),
            "accounts": [[owner, *self.accounts[owner]] for owner in sorted(self.accounts)],
            "bids": [order_json(o) for o in self.book_orders(BUY)],
            "asks": [order_json(o) for o in self.book_orders(SELL)],
            "seen": sorted([owner, cid] for owner, cid in self.seen),
            "proposals": [self.proposals[k] for k in sorted(self.proposals)],
            "repos": [self.repos[k] for k in sorted(self.repos)],
            "stats": [
                self.d_open,
                self.d_high,
                self.d_low,
                self.d_vol,
                self.d_val,
                list(self.d_kind_vol),
                list(self.d_kind_val),
                self.d_trades,
            ],
        }

    @classmethod
    def restore(cls, snap: dict[str, Any]) -> MarketEngine:
        if snap.get("v") != SNAPSHOT_VERSION:
            raise ValueError(f"unknown engine snapshot version {snap.get('v')!r}")
        eng = cls(snap["code"], snap["mode"])
        eng.next_oid, eng.next_tid, eng.next_pid, eng.next_rid = snap["next"]
        eng.now = snap["now"]
        eng.day = snap["day"]
        eng.last_close = snap["last_close"]
        eng.reference = snap["reference"]
        eng.rules = MarketRules.from_json(snap["rules"])
        eng.lot = eng.rules.lot_t
        eng.max_qty = eng.rules.listing_max_t
        for owner, *values in snap["accounts"]:
            eng.accounts[owner] = list(values)
        if snap["phase"] != CLOSED:
            lo, hi = price_limits(eng.reference, eng.rules.band_bp, eng.rules.tick_fen)
            eng.block_lo, eng.block_hi = price_limits(eng.reference, eng.rules.block_band_bp, eng.rules.tick_fen)
            eng._build_levels(lo, hi, eng.rules.tick_fen)
            for key in ("bids", "asks"):
                for oid, owner, side, price, open_, qty, filled, client, otype in snap[key]:
                    level = eng.bq if side == BUY else eng.aq
                    if open_ > LEVEL_TOTAL_MAX - level[(price - lo) // eng.tick]:
                        raise ValueError(f"engine snapshot: a level total past the engine's limit at {price}")
                    eng._rest([oid, owner, side, price, open_, qty, filled, eng.accounts[owner], client, otype])
        eng.phase = snap["phase"]
        eng.seen = {(owner, cid) for owner, cid in snap["seen"]}
        eng.proposals = {p[0]: list(p) for p in snap["proposals"]}
        eng.repos = {r[0]: list(r) for r in snap["repos"]}
        st = snap["stats"]
        eng.d_open, eng.d_high, eng.d_low, eng.d_vol, eng.d_val = st[:5]
        eng.d_kind_vol, eng.d_kind_val, eng.d_trades = list(st[5]), list(st[6]), st[7]
        return eng

    def state_hash(self) -> str:
        data = json.dumps(self.snapshot(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(data.encode()).hexdigest()

    def check_invariants(self) -> None:
        """Internal consistency (tests call it after every command): never crossed, level totals equal the
        sum of their orders, balances non-negative, freezes equal what resting orders and proposals hold."""
        if self.phase != CLOSED and self.best_bid >= 0 and self.best_ask < self.n:
            assert self.best_bid < self.best_ask, "book crossed"
        for side, levels, qtys in ((BUY, self.bids, self.bq), (SELL, self.asks, self.aq)):
            for i, level in enumerate(levels):
                live = list(level.values())
                assert all(o[4] > 0 for o in live), "an empty order left in its level"
                assert all(k == o[0] for k, o in level.items()), "a level keyed by the wrong order id"
                assert sum(o[4] for o in live) == qtys[i], f"level {i} total out of step"
                mask = self.bm if side == BUY else self.am
                assert mask[i] == (1 if qtys[i] else 0), f"level {i} mask out of step"
                for o in live:
                    assert self.orders.get(o[0]) is o, "resting order missing from the index"
                    assert o[2] == side
                    assert (o[3] - self.lo) // self.tick == i
            if side == BUY:
                top = max((i for i, q in enumerate(qtys) if q), default=-1)
                assert top == self.best_bid, "best bid out of step"
            else:
                top = min((i for i, q in enumerate(qtys) if q), default=self.n)
                assert top == self.best_ask, "best ask out of step"
        frozen_cash: dict[int, int] = {}
        frozen_allow: dict[int, int] = {}
        for o in self.orders.values():
            if o[2] == BUY:
                frozen_cash[o[1]] = frozen_cash.get(o[1], 0) + o[3] * o[4]
            else:
                frozen_allow[o[1]] = frozen_allow.get(o[1], 0) + o[4]
        for p in self.proposals.values():
            if p[2] == BUY:
                frozen_cash[p[1]] = frozen_cash.get(p[1], 0) + p[4] * p[5]
            else:
                frozen_allow[p[1]] = frozen_allow.get(p[1], 0) + p[5]
        margin: dict[int, int] = {}
        repo_held: dict[int, int] = {}
        for r in self.repos.values():
            margin[r[1]] = margin.get(r[1], 0) + r[7]
            if r[8] == 0:
                frozen_allow[r[1]] = frozen_allow.get(r[1], 0) + r[3]
            else:
                repo_held[r[2]] = repo_held.get(r[2], 0) + r[3]
        for owner, a in self.accounts.items():
            assert min(a) >= 0, f"negative balance for {owner}: {a}"
            assert a[CASH_FROZEN] == frozen_cash.get(owner, 0), f"cash freeze of {owner} out of step"
            assert a[ALLOW_FROZEN] == frozen_allow.get(owner, 0), f"allowance freeze of {owner} out of step"
            assert a[CASH_MARGIN] == margin.get(owner, 0), f"margin of {owner} out of step"
            assert a[ALLOW_REPO] == repo_held.get(owner, 0), f"repo holding of {owner} out of step"


# -- the command dictionary form (what the journal stores) ----------------------------------------------------------
PLACE = 0
CANCEL = 1
OTHER = 2


def refusal(result: Any) -> YiwangError | None:
    """The error of a refused result of :meth:`MarketEngine.run` (``None`` for a success)."""
    if result.__class__ is tuple:
        return result[0](*result[1:])
    if isinstance(result, YiwangError):
        return result
    return None


def _side(value: Any) -> int:
    side = SIDES.get(value) if isinstance(value, str) else None
    if side is None:
        raise E.bad_side(value)
    return side


def _otype(value: Any) -> int:
    kind = ORDER_TYPES.get(value) if isinstance(value, str) else None
    if kind is None:
        raise E.bad_order_type(value)
    return kind


def apply(engine: MarketEngine, cmd: dict[str, Any], now: int) -> dict[str, Any]:
    """Apply one journalled command (a JSON object with ``op``) at time ``now`` (µs). Returns the result;
    a refusal raises the engine's :class:`~yiwang.kernel.errors.YiwangError` and changes nothing."""
    op = cmd.get("op")
    e = engine
    if op == "place":
        oid = e.place(
            cmd["owner"],
            _side(cmd["side"]),
            cmd.get("price_fen", 0),
            cmd["quantity_t"],
            _otype(cmd.get("type", "limit")),
            cmd.get("client_order_id"),
            now,
        )
        return {"order_id": oid}
    if op == "cancel":
        return {"released_t": e.cancel(cmd["owner"], cmd["order_id"], now)}
    if op == "amend":
        e.amend(cmd["owner"], cmd["order_id"], cmd.get("price_fen"), cmd.get("quantity_t"), now)
        return {"order_id": cmd["order_id"]}
    if op == "take":
        return {"order_id": e.take(cmd["owner"], cmd["order_id"], cmd["quantity_t"], cmd.get("client_order_id"), now)}
    if op == "propose_block":
        pid = e.propose_block(
            cmd["owner"], _side(cmd["side"]), cmd["counterparty"], cmd["price_fen"], cmd["quantity_t"], now
        )
        return {"proposal_id": pid}
    if op == "confirm_block":
        return {"trade_id": e.confirm_block(cmd["owner"], cmd["proposal_id"], now)}
    if op == "withdraw_block":
        e.withdraw_block(cmd["owner"], cmd["proposal_id"], now)
        return {}
    if op == "reject_block":
        e.reject_block(cmd["owner"], cmd["proposal_id"], now)
        return {}
    if op == "propose_repo":
        rid = e.propose_repo(
            cmd["owner"],
            cmd["counterparty"],
            cmd["quantity_t"],
            cmd["price_open_fen"],
            cmd["price_close_fen"],
            cmd["repurchase_day"],
            cmd.get("margin_fen", 0),
            now,
        )
        return {"repo_id": rid}
    if op == "confirm_repo":
        return {"trade_id": e.confirm_repo(cmd["owner"], cmd["repo_id"], now)}
    if op == "withdraw_repo":
        e.withdraw_repo(cmd["owner"], cmd["repo_id"], now)
        return {}
    if op == "reject_repo":
        e.reject_repo(cmd["owner"], cmd["repo_id"], now)
        return {}
    if op == "settle_repo":
        return {"trade_id": e.settle_repo(cmd["repo_id"], now)}
    if op == "open_account":
        e.open_account(cmd["owner"], now)
        return {}
    if op == "deposit_cash":
        e.deposit_cash(cmd["owner"], cmd["amount_fen"], now)
        return {}
    if op == "withdraw_cash":
        e.withdraw_cash(cmd["owner"], cmd["amount_fen"], now)
        return {}
    if op == "deposit_allowances":
        e.deposit_allowances(cmd["owner"], cmd["quantity_t"], now)
        return {}
    if op == "withdraw_allowances":
        e.withdraw_allowances(cmd["owner"], cmd["quantity_t"], now)
        return {}
    if op == "open_day":
        e.open_day(cmd["day"], MarketRules.from_json(cmd["rules"]), cmd.get("reference_fen"), now)
        return {"lower_fen": e.lo, "upper_fen": e.hi}
    if op == "set_phase":
        e.set_phase(cmd["phase"], now)
        return {}
    if op == "close_day":
        return {"summary": e.close_day(now)}
    raise YiwangErrorUnknownOp(op)


class YiwangErrorUnknownOp(YiwangError):
    status = 422

    def __init__(self, op: Any):
        super().__init__("orderbook.command_unknown", "未知的指令", "Unknown command", {"op": str(op)})
